# Cross-check of the SAS values in case.json with R (lme4, REML), run from this folder:
#   Rscript crosscheck.R
# Reproduces -2 Res Log Likelihood, the covariance parameters, the fixed effects and the
# "Solution for Random Effects": the EBLUPs (lme4's conditional modes) and SAS's "Std Err Pred",
# the square roots of the random-effects block of the inverse of the mixed model equations
# (which, unlike lme4's condVar, includes the uncertainty of the estimated fixed effects).
suppressPackageStartupMessages(library(lme4))
d <- read.csv("data.csv", na.strings = c(".", "NA", ""))
d <- d[!is.na(d$Y), ]
d$Batch <- factor(d$Batch)
m <- lmer(Y ~ Month + (Month | Batch), data = d, REML = TRUE,
          control = lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
vc <- as.data.frame(VarCorr(m))
G1 <- matrix(c(vc$vcov[1], vc$vcov[3], vc$vcov[3], vc$vcov[2]), 2)
s2 <- sigma(m)^2
X <- model.matrix(~ Month, d)
Z <- as.matrix(getME(m, "Z"))                  # columns: (Intercept, Month) per Batch
G <- kronecker(diag(nlevels(d$Batch)), G1)
C <- solve(rbind(cbind(crossprod(X) / s2, crossprod(X, Z) / s2),
                 cbind(crossprod(Z, X) / s2, crossprod(Z) / s2 + solve(G))))
q <- ncol(X)
pev_se <- sqrt(diag(C)[-(1:q)])
blup <- as.vector(t(as.matrix(ranef(m)$Batch)))  # Batch 1 (Int, Month), Batch 2, ...
out <- list(
  minus2reml = REMLcrit(m),
  covparms = c(`UN(1,1)` = G1[1, 1], `UN(2,1)` = G1[2, 1], `UN(2,2)` = G1[2, 2], Residual = s2),
  fixed = fixef(m), fixed_se = sqrt(diag(as.matrix(vcov(m)))),
  blup = blup, blup_se = pev_se,
  blup_df = nrow(d) - qr(cbind(X, Z))$rank
)
print(out, digits = 10)
# the SAS printed values (case.json), at their printed precision
stopifnot(abs(out$minus2reml - 350.32813577) < 5e-6,
          abs(out$covparms - c(0.9768, -0.1045, 0.03717, 3.2932)) < c(5e-5, 5e-5, 5e-6, 5e-5),
          abs(out$blup - c(-1.0010, 0.1287, 0.3934, -0.2060, 0.6076, 0.07731)) < c(5e-5, 5e-5, 5e-5, 5e-5, 5e-5, 5e-6),
          abs(out$blup_se - rep(c(0.6842, 0.1245), 3)) < 5e-5,
          out$blup_df == 78)
cat("R reproduces the SAS values\n")
