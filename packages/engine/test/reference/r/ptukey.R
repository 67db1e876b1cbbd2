## Reference values of R's studentized range distribution (ptukey / qtukey) for the engine's
## port in src/distributions/studentized-range.ts.
## Re-run (from anywhere):  Rscript packages/engine/test/reference/r/ptukey.R
## Writes packages/engine/test/fixtures/ptukey.json (values printed with 17 significant digits).
suppressPackageStartupMessages(library(jsonlite))
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
here <- if (length(.f)) dirname(normalizePath(.f)) else "."
out <- file.path(here, "..", "..", "fixtures", "ptukey.json")

nmeans <- c(2, 3, 4, 5, 6, 8, 10, 12, 15, 20)
dfs <- c(2, 3, 4, 5, 7, 10, 15, 20, 30, 46.27, 47, 60, 100, 120, 250, 500, 1000, 3000, 30000, Inf)
qs <- c(0.1, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7, 8, 10, 12, 15, 20, 30)

p_rows <- list()
for (k in nmeans) for (df in dfs) for (q in qs) {
  p_rows[[length(p_rows) + 1]] <- list(
    q = q, nmeans = k, df = if (is.finite(df)) df else "Inf", nranges = 1,
    lower = ptukey(q, k, df), upper = ptukey(q, k, df, lower.tail = FALSE))
}
## a few with nranges > 1
for (r in c(2, 3)) for (k in c(3, 5)) for (df in c(10, 47, Inf)) for (q in c(1, 3, 5)) {
  p_rows[[length(p_rows) + 1]] <- list(
    q = q, nmeans = k, df = if (is.finite(df)) df else "Inf", nranges = r,
    lower = ptukey(q, k, df, nranges = r), upper = ptukey(q, k, df, nranges = r, lower.tail = FALSE))
}
## the Tukey-Kramer use: q = |t| sqrt(2), small adjusted p-values
for (t in c(3, 4, 5, 6, 7, 8)) for (k in c(2, 5, 10)) for (df in c(9, 47, 104)) {
  q <- t * sqrt(2)
  p_rows[[length(p_rows) + 1]] <- list(
    q = q, nmeans = k, df = df, nranges = 1,
    lower = ptukey(q, k, df), upper = ptukey(q, k, df, lower.tail = FALSE))
}

q_rows <- list()
for (k in nmeans) for (df in dfs) for (p in c(0.5, 0.9, 0.95, 0.99, 0.999)) {
  q_rows[[length(q_rows) + 1]] <- list(p = p, nmeans = k, df = if (is.finite(df)) df else "Inf",
                                       nranges = 1, q = qtukey(p, k, df))
}

res <- list(
  source = sprintf("%s: stats::ptukey / stats::qtukey (nmath ptukey.c, qtukey.c)", R.version.string),
  note = "df 'Inf' means Inf. 'upper' is ptukey(..., lower.tail = FALSE) = 1 - lower in R's algorithm.",
  ptukey = p_rows, qtukey = q_rows)
writeLines(toJSON(res, auto_unbox = TRUE, digits = I(17), pretty = FALSE), out)
cat("wrote", out, length(p_rows), "ptukey and", length(q_rows), "qtukey values\n")
