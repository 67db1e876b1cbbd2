## EBLUPs and their prediction standard errors (SAS "Solution for Random Effects": Estimate, Std Err
## Pred) for two G-side models, from the mixed model equations at lme4's REML estimates:
##   split-plot: Y ~ A*B + (1|Block) + (1|A:Block)   (no SUBJECT=, class random effects)
##   sleepstudy, unbalanced: Reaction ~ Days + (Days|Subject)  (UN G per subject, missing days)
## Std Err Pred = sqrt(diag of the random-effects block of C = MME^-1); unlike lme4's condVar it
## includes the uncertainty of the fixed effects, as SAS's does (checked against SAS's Random
## Coefficients example in test/conformance/sas-random-coefficients/crosscheck.R).
## The engine is started at these covariance parameters (the test's `start`), so the comparison is of
## the BLUP formulas, not of where two optimisers stop on a flat likelihood.
## Re-run: Rscript packages/engine/test/reference/r/random-solution.R
## Writes packages/engine/test/fixtures/random-solution.json.
suppressPackageStartupMessages({ library(lme4); library(jsonlite) })
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
here <- if (length(.f)) dirname(normalizePath(.f)) else "."
conf <- file.path(here, "..", "..", "..", "..", "..", "test", "conformance")
out <- file.path(here, "..", "..", "fixtures", "random-solution.json")
ctrl <- lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5, rhobeg = 1e-3, rhoend = 1e-12))

mme <- function(m) {
  X <- getME(m, "X"); Z <- as.matrix(getME(m, "Z")); s2 <- sigma(m)^2
  G <- as.matrix(crossprod(getME(m, "Lambdat"))) * s2            # Lambda Lambda' sigma^2
  y <- getME(m, "y")
  Vinv <- solve(Z %*% G %*% t(Z) + diag(s2, nrow(X)))
  covb <- solve(t(X) %*% Vinv %*% X)
  beta <- covb %*% t(X) %*% Vinv %*% y
  blup <- G %*% t(Z) %*% Vinv %*% (y - X %*% beta)
  GZV <- G %*% t(Z) %*% Vinv
  pev <- G - GZV %*% Z %*% G + GZV %*% X %*% covb %*% t(X) %*% t(GZV)
  list(names = colnames(Z), estimate = as.vector(blup), se = sqrt(diag(pev)),
       ## conditional fitted values X beta + Z gamma of the rows used (R: fitted(m)), and those rows' numbers in data.csv
       fitted = as.vector(X %*% beta + Z %*% blup), rows = as.integer(rownames(model.frame(m))),
       minus2reml = REMLcrit(m), df_containment = nrow(X) - qr(cbind(X, Z))$rank)
}

cases <- list()
sp <- read.csv(file.path(conf, "sas-split-plot", "data.csv"))
for (v in c("A", "B", "Block")) sp[[v]] <- factor(sp[[v]])
m1 <- lmer(Y ~ A * B + (1 | Block) + (1 | A:Block), data = sp, REML = TRUE, control = ctrl)
r1 <- mme(m1)
## lme4 orders Z by term (A:Block first, then Block); name each column "term level"
terms1 <- rep(names(getME(m1, "flist")), sapply(getME(m1, "flist"), nlevels))
vc1 <- as.data.frame(VarCorr(m1))
cases$split_plot <- c(r1, list(term = terms1, level = r1$names,
  ## SAS order (RANDOM statement order, then Residual): Block, A*Block, Residual
  covparms = vc1$vcov[match(c("Block", "A:Block", "Residual"), vc1$grp)]))

ss <- read.csv(file.path(conf, "r-sleepstudy-unbalanced", "data.csv"))
ss$Subject <- factor(ss$Subject)
m2 <- lmer(Reaction ~ Days + (Days | Subject), data = ss, REML = TRUE, control = ctrl)
r2 <- mme(m2)
## columns come in pairs (Intercept, Days) per subject
cases$sleepstudy_unbalanced <- c(r2, list(term = rep(c("Intercept", "Days"), nlevels(ss$Subject)),
                                          level = rep(levels(ss$Subject), each = 2),
  ## SAS order: UN(1,1), UN(2,1), UN(2,2), Residual
  covparms = { v <- as.data.frame(VarCorr(m2))$vcov; c(v[1], v[3], v[2], v[4]) }))

write_json(list(source = paste(R.version.string, "lme4", packageVersion("lme4"), "; MME at the REML estimates"),
                cases = cases), out, digits = NA, auto_unbox = TRUE, pretty = FALSE)
cat("wrote", out, "\n")
