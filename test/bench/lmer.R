# The benchmark's R side for the G-side rows: a random intercept and slope per subject (unstructured G),
# visit (numeric) and age fixed, REML, fitted with lme4::lmer. Prints one JSON line: seconds for the fit and
# peak resident memory (VmHWM).
# Usage: Rscript lmer.R data.csv
suppressPackageStartupMessages(library(lme4))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d <- d[!is.na(d$y), ]
d$subject <- factor(d$subject)
t0 <- proc.time()[["elapsed"]]
fit <- lmer(y ~ visit + age + (1 + visit | subject), data = d, REML = TRUE)
secs <- proc.time()[["elapsed"]] - t0
hwm <- grep("^VmHWM", readLines("/proc/self/status"), value = TRUE)
kb <- as.numeric(gsub("[^0-9]", "", hwm))
cat(sprintf('{"seconds": %.3f, "peakMB": %.1f, "minus2ll": %.6f}\n', secs, kb / 1024, -2 * as.numeric(logLik(fit))))
