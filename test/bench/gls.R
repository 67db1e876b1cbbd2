# The benchmark's R side: the same UN model as Study's (visit as class, age, visit x age, REML),
# fitted with nlme::gls. Prints one JSON line: seconds for the fit and peak resident memory (VmHWM).
# Usage: Rscript gls.R data.csv
suppressPackageStartupMessages(library(nlme))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d <- d[!is.na(d$y), ]
d$visit_f <- factor(d$visit)
d$subject <- factor(d$subject)
# corSymm places observations by a consecutive integer position (1, 2, ...), not by the visit's value
d$pos <- as.integer(d$visit_f)
t0 <- proc.time()[["elapsed"]]
fit <- gls(y ~ visit_f * age, data = d, method = "REML",
           correlation = corSymm(form = ~ pos | subject),
           weights = varIdent(form = ~ 1 | visit_f))
secs <- proc.time()[["elapsed"]] - t0
hwm <- grep("^VmHWM", readLines("/proc/self/status"), value = TRUE)
kb <- as.numeric(gsub("[^0-9]", "", hwm))
cat(sprintf('{"seconds": %.3f, "peakMB": %.1f, "minus2ll": %.6f}\n', secs, kb / 1024, -2 * as.numeric(logLik(fit))))
