# Confidence limits of the durability analysis (paired t and Pearson r) on the synthetic ketamine cohort,
# which the conformance case does not carry: R's t.test(paired = TRUE) and cor.test (Fisher z interval).
# Usage: Rscript analyses-ci.R  (writes analyses-ci.json beside this script)
suppressPackageStartupMessages(library(jsonlite))
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
here <- if (length(.f)) dirname(normalizePath(.f)) else "."
d <- read.csv(file.path(here, "..", "conformance", "ketamine-synthetic", "ketamine.csv"))
base <- d[d$visit == 1, c("patient", "bdi")]
names(base)[2] <- "base"
d <- merge(d, base)
d$pct <- 100 * (d$bdi - d$base) / d$base
w <- reshape(d[d$visit %in% c(6, 7), c("patient", "visit", "pct", "age")], idvar = c("patient", "age"), timevar = "visit", direction = "wide")
w <- w[!is.na(w$pct.6) & !is.na(w$pct.7), ]
tt <- t.test(w$pct.6, w$pct.7, paired = TRUE)
ct <- cor.test(w$age, w$pct.6 - w$pct.7)
out <- list(
  source = paste(R.version.string, "stats::t.test(paired = TRUE), stats::cor.test"),
  paired = list(estimate = unname(tt$estimate), t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value,
                lower = tt$conf.int[1], upper = tt$conf.int[2], n = nrow(w)),
  correlation = list(r = unname(ct$estimate), t = unname(ct$statistic), df = unname(ct$parameter), p = ct$p.value,
                     lower = ct$conf.int[1], upper = ct$conf.int[2], n = nrow(w)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(here, "analyses-ci.json"))
