# The benchmark's R side of the ketamine example: the analysis of examples/ketamine/ketamine.study as an R
# user writes it with nlme and emmeans, printed to the console:
#   percent change of bdi from visit 1; visits 2..6; pct_change ~ visit * age with the covariance chosen
#   among CS, AR(1) and UN by BIC (REML, gls); the Type 3 tests; the slope of age at each visit; pairwise
#   differences of the visit LS-means with Tukey's adjustment; the paired t test of visit 6 vs visit 7
#   and the correlation of age with the change from visit 6 to 7; the three sensitivity variants (adjusted
#   for sex, for BMI, without the dose-adjusted patients), each with its own choice by BIC; the descriptive
#   statistics of the two `describe` blocks.
# `npm run bench` times the whole process (R's start, loading nlme and emmeans, the analysis), as it times
# `study run`. The last line is JSON: seconds of the analysis after the libraries are loaded, peak
# resident memory (VmHWM), -2 log likelihood of the chosen fit.
# Usage: Rscript ketamine.R examples/ketamine/ketamine.csv [--core]
suppressPackageStartupMessages({ library(nlme); library(emmeans) })
t0 <- proc.time()[["elapsed"]]
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], na.strings = c("", "NA"))
base <- d[d$visit == 1, c("patient", "bdi")]; names(base)[2] <- "bdi1"
d <- merge(d, base, by = "patient", all.x = TRUE)
d$pct_change <- 100 * (d$bdi - d$bdi1) / d$bdi1
an <- d[d$visit %in% 2:6 & !is.na(d$pct_change), ]
an$visit_f <- factor(an$visit)
an$pos <- as.integer(an$visit_f)
options(contrasts = c("contr.sum", "contr.poly"))   # Type 3 tests from anova(type = "marginal")
# one model of the spec: the covariance chosen among CS, AR(1) and UN by BIC, then its tests, slopes and
# differences (the model `trajectory` and each of its `sensitivity` variants)
analyse <- function(f, an) {
  fits <- list(
    CS  = gls(f, data = an, method = "REML", correlation = corCompSymm(form = ~ pos | patient)),
    AR1 = gls(f, data = an, method = "REML", correlation = corAR1(form = ~ pos | patient)),
    UN  = gls(f, data = an, method = "REML", correlation = corSymm(form = ~ pos | patient),
              weights = varIdent(form = ~ 1 | visit_f))
  )
  # BIC as SAS (and Study) count it for REML: -2 Res Log Likelihood + q log(subjects), q the covariance
  # parameters (R's BIC() counts the fixed effects too and uses log(observations - p))
  bic <- sapply(fits, function(m) -2 * as.numeric(logLik(m)) + (attr(logLik(m), "df") - length(coef(m))) * log(length(unique(an$patient))))
  print(bic)
  fit <- fits[[which.min(bic)]]
  cat("chosen:", names(fits)[which.min(bic)], "\n")
  print(summary(fit)$tTable)
  print(anova(fit, type = "marginal"))
  print(emtrends(fit, ~ visit_f, var = "age", data = an, mode = "df.error"))
  print(pairs(emmeans(fit, ~ visit_f, data = an, mode = "df.error"), adjust = "tukey"))
  fit
}
fit <- analyse(pct_change ~ visit_f * age, an)
# `--core`: the founding analysis alone (the model and the durability analyses), as the spec without its
# sensitivity and describe blocks
core <- length(args) > 1 && args[2] == "--core"
if (!core) {
an$sex <- factor(an$sex)
analyse(pct_change ~ visit_f * age + sex, an)                 # sensitivity sex_adjusted
analyse(pct_change ~ visit_f * age + bmi, an)                 # sensitivity bmi_adjusted
# sensitivity full_dose; `an` itself is replaced, because emmeans re-reads a gls fit's data by its name
an <- droplevels(an[an$dose_adjusted != 1, ])
analyse(pct_change ~ visit_f * age, an)
# the describe blocks: Table 1 (one value per patient) and BDI-II at each visit (Fig. 1A); quartiles as
# SAS's QNTLDEF=5 (quantile type 2), as Study computes them
num <- function(x) { n <- sum(!is.na(x)); x <- x[!is.na(x)]
  c(n = n, mean = mean(x), sd = sd(x), sem = sd(x) / sqrt(n), quantile(x, c(0.25, 0.5, 0.75), type = 2), min = min(x), max = max(x)) }
cat_ <- function(x) { t <- table(x); rbind(n = t, pct = 100 * prop.table(t)) }
p1 <- d[d$visit == 1, ]
print(rbind(age = num(p1$age), bmi = num(p1$bmi), bdi1 = num(p1$bdi), bdi6 = num(d$bdi[d$visit == 6])))
for (v in c("sex", "ptsd", "bipolar")) print(cat_(p1[[v]]))
print(num(d$bdi)); print(do.call(rbind, tapply(d$bdi, d$visit, num)))
}
w <- reshape(d[d$visit %in% c(6, 7), c("patient", "visit", "pct_change", "age")],
             idvar = c("patient", "age"), timevar = "visit", direction = "wide")
w <- w[!is.na(w$pct_change.6) & !is.na(w$pct_change.7), ]
print(t.test(w$pct_change.6, w$pct_change.7, paired = TRUE))
print(cor.test(w$age, w$pct_change.6 - w$pct_change.7))
secs <- proc.time()[["elapsed"]] - t0
hwm <- grep("^VmHWM", readLines("/proc/self/status"), value = TRUE)
kb <- as.numeric(gsub("[^0-9]", "", hwm))
cat(sprintf('{"seconds": %.3f, "peakMB": %.1f, "minus2ll": %.6f}\n', secs, kb / 1024, -2 * as.numeric(logLik(fit))))
