## boundary-ri: a random intercept whose REML estimate is 0 (clusters less alike than chance).
## Written for the Study engine's fit tests (not part of /work/shared/conformance).
## Re-run: Rscript reference.R   (writes data.csv and case.json here)
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
if (length(.f)) setwd(dirname(normalizePath(.f)))
suppressPackageStartupMessages({ library(lme4); library(nlme); library(jsonlite) })
set.seed(7)
g <- rep(sprintf("G%02d", 1:12), each = 4)
x <- rep(c(0, 1, 2, 3), 12)
## within-cluster deviations sum to (nearly) zero: negative intra-class correlation
e <- unlist(lapply(1:12, function(i) { z <- rnorm(4); z - mean(z) + rnorm(1, sd = 0.05) }))
d <- data.frame(cluster = g, x = x, y = round(10 + 0.5 * x + e, 3))
write.csv(d, "data.csv", row.names = FALSE)
m <- lmer(y ~ x + (1 | cluster), data = d, REML = TRUE)
m0 <- gls(y ~ x, data = d, method = "REML")
vc <- as.data.frame(VarCorr(m))
case <- list(
  id = "boundary-ri",
  title = "Random intercept estimated on the boundary (0), REML",
  source = paste("R", getRversion(), "lme4", packageVersion("lme4"), "nlme", packageVersion("nlme"),
                 ": lmer(y ~ x + (1 | cluster), REML = TRUE); gls(y ~ x, method = 'REML')"),
  data = "data.csv",
  model = list(response = "y", classes = list("cluster"), fixed = "x",
               random = list(list(terms = list("Intercept"), subject = "cluster", type = "VC")), method = "REML"),
  expected = list(
    minus2ll = as.numeric(REMLcrit(m)),
    minus2ll_without_random = -2 * as.numeric(logLik(m0)),
    is_singular = isSingular(m),
    covparms = list(list(name = "Intercept", subject = "cluster", estimate = vc$vcov[1]),
                    list(name = "Residual", estimate = vc$vcov[2])),
    fixed = lapply(seq_len(nrow(coef(summary(m)))), function(k) list(term = rownames(coef(summary(m)))[k],
                   estimate = coef(summary(m))[k, 1], se = coef(summary(m))[k, 2]))),
  tolerance = list(rel = 1e-6, abs = 1e-6),
  notes = paste("lme4 puts the cluster variance on the boundary (isSingular TRUE, variance 0), so the fit equals the",
                "model without the random intercept (gls REML -2LL given for comparison). SAS holds such a variance at 0,",
                "prints a note that the G matrix is not positive definite, and counts one parameter less in AIC/BIC."))
writeLines(toJSON(case, auto_unbox = TRUE, digits = NA, pretty = TRUE), "case.json")
print(case$expected[c("minus2ll", "minus2ll_without_random", "is_singular")]); print(vc)
