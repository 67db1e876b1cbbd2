# reference.R -- nlme's BodyWeight (16 rats, 11 weighings, 3 diets): a random intercept per rat with
# AR(1) errors, REML. The rat variance goes to 0 (the AR(1) correlation, 0.99, already carries the
# between-rat variance), so the REML optimum is on the boundary: there the model is the AR(1) model
# without the random intercept, which nlme::gls fits without a boundary. lme with the random intercept
# reaches the same -2RLL (checked below) with a variance of ~1e-2, i.e. 0 to its tolerance. The spec writes
# the subject as SAS would, SUBJECT=Rat(Diet) (rats are nested in diets: Diet gets the containment df 13).
# Run from the repository root:  Rscript test/conformance/r-bodyweight-boundary/reference.R
suppressPackageStartupMessages({ library(nlme); library(jsonlite) })
args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(file_arg)) dirname(normalizePath(file_arg)) else normalizePath("test/conformance/r-bodyweight-boundary")
bw <- read.csv(file.path(here, "data.csv"))
bw$Rat <- factor(bw$Rat); bw$Diet <- factor(bw$Diet)
ctl <- glsControl(tolerance = 1e-10, msTol = 1e-12, msMaxIter = 1000, maxIter = 1000)
g <- gls(weight ~ Time * Diet, data = bw, correlation = corAR1(form = ~ 1 | Rat), method = "REML", control = ctl)
m <- lme(weight ~ Time * Diet, data = bw, random = ~ 1 | Rat, correlation = corAR1(form = ~ 1 | Rat), method = "REML",
         control = lmeControl(msMaxIter = 1000, maxIter = 1000, opt = "optim", returnObject = TRUE))
rho <- unname(coef(g$modelStruct$corStruct, unconstrained = FALSE))
m2 <- -2 * as.numeric(logLik(g))
stopifnot(abs(-2 * as.numeric(logLik(m)) - m2) < 1e-3)
tt <- summary(g)$tTable
# R's treatment coding with Diet 1 as reference = SAS's GLM coding with CLASS Diet(REF='1')
sas_term <- c("(Intercept)" = "Intercept", "Time" = "days", "Diet2" = "Diet 2", "Diet3" = "Diet 3", "Time:Diet2" = "days*Diet 2", "Time:Diet3" = "days*Diet 3")
fixed <- lapply(rownames(tt), function(r) list(term = unname(sas_term[r]), estimate = tt[r, "Value"], se = tt[r, "Std.Error"]))
# REML IC in SAS's convention: d = 2 free covariance parameters (the boundary one is not counted), BIC n = 16 rats
d <- 2
out <- list(
  id = "r-bodyweight-boundary",
  title = "nlme BodyWeight: random intercept per rat + AR(1), REML; the rat variance on the boundary 0",
  source = paste0(R.version.string, ", nlme ", packageVersion("nlme"), ": gls(weight ~ Time * Diet, correlation = corAR1(form = ~ 1 | Rat), REML) (the boundary optimum); lme with random = ~ 1 | Rat reaches the same -2RLL"),
  data = "data.csv",
  expected = list(
    minus2ll = m2,
    aic = m2 + 2 * d, bic = m2 + d * log(16),
    ic_convention = "SAS: REML d = covariance parameters not on the boundary (2), BIC n = 16 subjects",
    covparms = list(
      list(name = "Intercept", subject = "Rat(Diet)", estimate = 0),
      list(name = "AR(1)", subject = "Rat", estimate = rho),
      list(name = "Residual", estimate = g$sigma^2)),
    fixed = fixed,
    parameterization = "R treatment coding with Diet 1 the reference = SAS GLM coding with Diet(REF='1'); days = Time"
  ),
  tolerance = list(rel = 1e-5, abs = 1e-6, note = "gls stops at its tolerance (1e-10 on the log-likelihood): parameters to ~1e-6 relative"),
  notes = "SAS: 'NOTE: Estimated G matrix is not positive definite.'; the Intercept variance is held at 0 and not counted in the IC."
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(here, "case.json"))
cat("-2RLL", m2, " rho", rho, " sigma2", g$sigma^2, " lme -2RLL", -2 * as.numeric(logLik(m)), "\n")
