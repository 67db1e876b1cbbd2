## Descriptive statistics as a `describe` block reports them (engine describe.ts), computed with base R:
## numeric: n, missing, mean(), sd() (n - 1), SEM = sd / sqrt(n), median and quartiles by
## quantile(type = 2) -- SAS's default percentile definition (PROC MEANS QNTLDEF=5 / PROC UNIVARIATE
## PCTLDEF=5), checked here against that definition written out -- min(), max();
## categorical: table() and 100 * prop.table() over the non-missing values (SAS PROC FREQ without
## MISSING), missing counted apart. Levels in SAS's order: numbers by value, text in ASCII order.
## Sourced by the reference.R of r-ketamine-table1 and r-fev-table1.

## SAS PCTLDEF=5: n p = j + g; the (j+1)-th order statistic if g > 0, else the mean of the j-th and (j+1)-th
pctldef5 <- function(x, p) {
  x <- sort(x); n <- length(x); np <- n * p; j <- floor(np); g <- np - j
  if (g > 0) x[j + 1] else (x[max(j, 1)] + x[min(j + 1, n)]) / 2
}

num_stats <- function(x) {
  missing <- sum(is.na(x)); x <- x[!is.na(x)]; n <- length(x)
  if (n == 0) return(list(n = 0, missing = missing, mean = NULL, sd = NULL, sem = NULL, median = NULL, q1 = NULL, q3 = NULL, min = NULL, max = NULL))
  q <- unname(quantile(x, c(0.25, 0.5, 0.75), type = 2))
  stopifnot(q[2] == median(x), q[1] == pctldef5(x, 0.25), q[2] == pctldef5(x, 0.5), q[3] == pctldef5(x, 0.75))
  s <- if (n >= 2) sd(x) else NA_real_
  list(n = n, missing = missing, mean = mean(x), sd = s, sem = s / sqrt(n), median = q[2], q1 = q[1], q3 = q[3], min = min(x), max = max(x))
}

sas_levels <- function(x) {
  u <- unique(x[!is.na(x)])
  if (is.numeric(u)) as.character(sort(u)) else sort(u, method = "radix")   # radix: C-locale (ASCII) order
}

cat_stats <- function(x, levels) {
  missing <- sum(is.na(x)); x <- x[!is.na(x)]
  tab <- table(factor(as.character(x), levels = levels))
  pct <- if (length(x) > 0) 100 * prop.table(tab) else rep(NA_real_, length(levels))
  list(n = length(x), missing = missing,
       levels = lapply(seq_along(levels), function(k) list(level = levels[k], n = unname(as.integer(tab[k])), percent = unname(as.numeric(pct[k])))))
}

## One expected row per variable and column: `units` one row per unit (subject, or subject and visit), with
## the value `value` and the group label `group` ("" for a unit without a group: Overall only).
describe_rows <- function(describe, label, value, group, group_order, categorical = FALSE) {
  levels <- if (categorical) sas_levels(value) else NULL
  cell <- function(keep, g) {
    s <- if (categorical) cat_stats(value[keep], levels) else num_stats(value[keep])
    c(list(describe = describe, label = label, group = g, N = sum(keep), kind = if (categorical) "categorical" else "numeric"), s)
  }
  out <- list(cell(rep(TRUE, length(value)), "Overall"))
  for (g in group_order) out[[length(out) + 1]] <- cell(!is.na(group) & group == g, g)
  out
}
