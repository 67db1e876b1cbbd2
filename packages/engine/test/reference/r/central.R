## Reference values of R's t and F distributions (pt, pf, qt, qf), including far tails, for
## src/distributions/central.ts.  Re-run: Rscript packages/engine/test/reference/r/central.R
## Writes packages/engine/test/fixtures/central.json (17 significant digits).
suppressPackageStartupMessages(library(jsonlite))
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
here <- if (length(.f)) dirname(normalizePath(.f)) else "."
out <- file.path(here, "..", "..", "fixtures", "central.json")
dfs <- c(1, 2, 3, 5, 9, 25, 34.6, 47, 104, 1000, 1e5)
ts <- c(0, 0.01, 0.5, 1, 1.96, 2.5, 4, 6, 10, 20, 50, 200)
t_rows <- list()
for (df in dfs) for (t in ts) t_rows[[length(t_rows) + 1]] <- list(
  t = t, df = df, upper = pt(t, df, lower.tail = FALSE), two_sided = 2 * pt(-abs(t), df))
f_rows <- list()
for (d1 in c(1, 2, 4, 7)) for (d2 in c(1, 3, 6, 9, 25, 47, 104, 1000)) for (f in c(0.01, 0.5, 1, 2, 4.07, 10, 50, 400, 5000))
  f_rows[[length(f_rows) + 1]] <- list(f = f, df1 = d1, df2 = d2, upper = pf(f, d1, d2, lower.tail = FALSE))
qt_rows <- list()
for (df in dfs) for (p in c(0.5, 0.6, 0.9, 0.975, 0.995, 0.9999, 1e-10, 0.025))
  qt_rows[[length(qt_rows) + 1]] <- list(p = p, df = df, q = qt(p, df))
qf_rows <- list()
for (d1 in c(1, 3)) for (d2 in c(5, 47)) for (p in c(0.5, 0.95, 0.999))
  qf_rows[[length(qf_rows) + 1]] <- list(p = p, df1 = d1, df2 = d2, q = qf(p, d1, d2))
res <- list(source = sprintf("%s: stats::pt, pf, qt, qf", R.version.string),
            t = t_rows, f = f_rows, qt = qt_rows, qf = qf_rows)
writeLines(toJSON(res, auto_unbox = TRUE, digits = I(17), pretty = FALSE), out)
cat("wrote", out, "\n")
