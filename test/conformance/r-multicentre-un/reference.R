## multicentre-un: a random intercept per site together with an unstructured covariance over visits
## 1..6 within patient (patients nested in sites): SAS RANDOM intercept / SUBJECT=site;
## REPEATED visit / SUBJECT=patient TYPE=UN. R: nlme::lme with random = ~1 | site and
## corSymm + varIdent within site/patient (R-side UN), REML. Data: ../r-multicentre-cs/data.csv
## (the synthetic ketamine cohort with five made-up sites), visits 1..6.
## Compared: -2RLL, the covariance parameters on SAS's scale, the fixed-effect estimates and
## model-based SEs (SAS GLM coding via contr.SAS) and the Type 3 Wald F statistics with their
## numerator df. Not compared: denominator df and p (nlme's df method is not one of SAS's).
## Re-run: Rscript reference.R   (writes data.csv and case.json next to this file)
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
if (length(.f)) setwd(dirname(normalizePath(.f)))
source("../r-common/helpers.R")
suppressPackageStartupMessages(library(nlme))
file.copy("../r-multicentre-cs/data.csv", "data.csv", overwrite = TRUE)
d <- read.csv("data.csv", stringsAsFactors = FALSE)
d <- d[d$visit <= 6, ]
d$visit <- factor(d$visit); d$site <- factor(d$site); d$patient <- factor(d$patient)
d$vnum <- as.integer(as.character(d$visit))
fit <- function(contrasts) {
  old <- options(contrasts = contrasts); on.exit(options(old))
  lme(bdi ~ visit * age, random = ~ 1 | site, data = d, method = "REML",
      correlation = corSymm(form = ~ vnum | site / patient), weights = varIdent(form = ~ 1 | visit),
      control = lmeControl(maxIter = 500, msMaxIter = 500, niterEM = 100, tolerance = 1e-12, msTol = 1e-14, opt = "nlminb"))
}
m <- fit(c("contr.SAS", "contr.poly"))
## SAS scale: site variance, then UN(i,j) of the within-patient R matrix
site_var <- as.numeric(pdMatrix(m$modelStruct$reStruct$site)) * m$sigma^2   # (VarCorr prints rounded text)
lev <- levels(d$visit)
rat <- coef(m$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)[lev]
sds <- m$sigma * rat
C <- corMatrix(m$modelStruct$corStruct)[[1]]
stopifnot(nrow(C) == 6)   # the first patient has all six visits: its matrix is the full one
R <- diag(sds) %*% C %*% diag(sds)
cp <- list(list(name = "Intercept", subject = "site", estimate = site_var))
for (i in 1:6) for (j in 1:i) cp[[length(cp) + 1]] <- list(name = sprintf("UN(%d,%d)", i, j), subject = "patient", estimate = R[i, j])
co <- summary(m)$tTable
fixed <- lapply(seq_len(nrow(co)), function(i) list(term = rownames(co)[i], estimate = co[i, "Value"], se = co[i, "Std.Error"], t = co[i, "t-value"]))
## Type 3 Wald F: anova(type = "marginal") on the sum-to-zero coded fit (same model), F and numDF only
m_sum <- fit(c("contr.sum", "contr.poly"))
cat("fitted diff", max(abs(fitted(m) - fitted(m_sum))), " -2LL", -2*logLik(m), -2*logLik(m_sum), "\n"); stopifnot(max(abs(fitted(m) - fitted(m_sum))) < 1e-3)
a <- anova(m_sum, type = "marginal"); a <- a[rownames(a) != "(Intercept)", ]
type3 <- lapply(seq_len(nrow(a)), function(i) list(effect = rownames(a)[i], numdf = a$numDF[i], F = a[["F-value"]][i]))
n <- nrow(d); p <- ncol(model.matrix(~ visit * age, d)); q <- 22
m2ll <- as.numeric(-2 * logLik(m))
case <- list(
  id = "multicentre-un",
  title = "Random site intercept + unstructured covariance within patient (patients nested in 5 sites), bdi ~ visit*age, visits 1..6, REML",
  source = sprintf("R %s.%s, nlme %s: lme(bdi ~ visit * age, random = ~ 1 | site, correlation = corSymm(form = ~ vnum | site / patient), weights = varIdent(form = ~ 1 | visit), method = 'REML'), contr.SAS coding; tight lmeControl (tolerance 1e-12, msTol 1e-14, nlminb)",
                   R.version$major, R.version$minor, pkgver("nlme")),
  data = "data.csv",
  model = list(response = "bdi", subject = "patient", classes = list("visit", "site", "patient"), fixed = "visit * age",
               random = list(list(terms = c("Intercept"), subject = "site", type = "VC")),
               repeated = list(effect = "visit", subject = "patient", type = "UN"), method = "REML"),
  expected = list(minus2ll = m2ll, aic = m2ll + 2 * q, aicc = m2ll + 2 * q * (n - p) / (n - p - q - 1),
                  ic_convention = "SAS PROC MIXED (REML): d = 22 covariance parameters; AIC = -2LL + 2d; AICC with n* = nobs - rank(X)",
                  n_obs_used = n, rank_X = p, covparms = cp, fixed = fixed,
                  parameterization = "contr.SAS: SAS GLM coding (last level zero), R coefficient names",
                  type3 = type3,
                  type3_method = "nlme anova(type = 'marginal') on the contr.sum refit: Wald F and numerator df; nlme's denominator df are not SAS's and are not listed"),
  tolerance = list(rel = 1e-4, abs = 1e-6,
                   note = "The engine stops at SAS's convergence criterion (relative Hessian 1e-8); nlme is run to tolerance 1e-12."),
  notes = "Covariance parameters on SAS's scale from nlme's natural parameters: site variance; UN(i,j) = sigma^2 r_i r_j corr_ij (varIdent ratios r, corSymm correlations). BIC is not listed: which subject count SAS uses when the RANDOM and REPEATED subjects differ is not documented in our sources.")
write_case(case)
print(summary(m)$tTable[1:3, ]); cat("-2LL =", m2ll, " site var =", site_var, "\n"); print(R)
