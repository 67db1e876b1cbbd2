# The benchmark's R side for the multicentre row: a random site intercept and an unstructured covariance
# within patient (patients nested in sites), visit as class, age, visit x age, REML, fitted with nlme::lme
# (SAS: RANDOM intercept / SUBJECT=site; REPEATED visit / SUBJECT=patient TYPE=UN). Prints one JSON line:
# seconds for the fit and peak resident memory (VmHWM).
# Usage: Rscript lme-multicentre.R data.csv
suppressPackageStartupMessages(library(nlme))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
d <- d[!is.na(d$y), ]
d$visit_f <- factor(d$visit)
d$site <- factor(d$site)
d$patient <- factor(d$patient)
d$pos <- as.integer(d$visit_f)
t0 <- proc.time()[["elapsed"]]
fit <- lme(y ~ visit_f * age, random = ~ 1 | site, data = d, method = "REML",
           correlation = corSymm(form = ~ pos | site / patient),
           weights = varIdent(form = ~ 1 | visit_f),
           control = lmeControl(maxIter = 200, msMaxIter = 200))
secs <- proc.time()[["elapsed"]] - t0
hwm <- grep("^VmHWM", readLines("/proc/self/status"), value = TRUE)
kb <- as.numeric(gsub("[^0-9]", "", hwm))
cat(sprintf('{"seconds": %.3f, "peakMB": %.1f, "minus2ll": %.6f}\n', secs, kb / 1024, -2 * as.numeric(logLik(fit))))
