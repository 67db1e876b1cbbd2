## beta-hat and Cov(beta-hat) of reference fits, in SAS GLM coding over ALL columns (aliased = 0),
## so that the inference code (Type 3, LS-means, estimates, solution) can be tested on its own
## against each case's expected numbers, independently of the engine's optimiser.
## Re-run: Rscript packages/engine/test/reference/r/inference-fits.R
## Writes packages/engine/test/fixtures/inference-fits.json.
##
## Column labels follow the engine's Design labels: effect name as written in the model, then levels.
suppressPackageStartupMessages({ library(nlme); library(jsonlite) })
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
here <- if (length(.f)) dirname(normalizePath(.f)) else "."
conf <- file.path(here, "..", "..", "..", "..", "..", "test", "conformance")
out <- file.path(here, "..", "..", "fixtures", "inference-fits.json")

## expand R's full-rank treatment-coded (reference = last level) coefficients to all GLM columns
glm_expand <- function(labels, map, beta, covb) {
  p <- length(labels); B <- numeric(p); C <- matrix(0, p, p)
  idx <- match(map, labels); stopifnot(!anyNA(idx))
  B[idx] <- beta; C[idx, idx] <- covb
  list(labels = labels, beta = B, covBeta = lapply(seq_len(p), function(i) C[i, ]))
}

fits <- list()

## ---- ketamine-synthetic: the reference's own Newton-polished UN REML optimum -----------------
## reference.R is run in a private environment (its JSON output goes to a temporary file) and its
## beta / covb are taken from there: exactly the numbers expected.json was computed from.
env <- new.env()
tmp <- tempfile(fileext = ".json")
env$commandArgs <- function(trailingOnly = FALSE) if (trailingOnly) c(file.path(conf, "ketamine-synthetic", "ketamine.csv"), tmp) else character(0)
invisible(capture.output(sys.source(file.path(conf, "ketamine-synthetic", "reference.R"), envir = env)))
labels <- c("Intercept", paste0("time ", 2:6), "age", paste0("time*age ", 2:6))
map <- c("Intercept", paste0("time ", 2:5), "age", paste0("time*age ", 2:5))
fits[["ketamine-synthetic"]] <- c(glm_expand(labels, map, unname(env$beta), unname(env$covb)),
  list(source = "conformance/ketamine-synthetic/reference.R (beta, covb after the Newton polish)"))

## ---- orthodont-un: gls REML, corSymm + varIdent (same call as the case's reference) ----------
d <- read.csv(file.path(conf, "r-orthodont-un", "data.csv"), stringsAsFactors = FALSE)
d$Sex <- factor(d$Sex, levels = c("Male", "Female"))   # Male = reference = SAS's last level (Female < Male)
d$age_f <- factor(d$age, levels = c(8, 10, 12, 14))
m <- gls(distance ~ Sex * age, data = d, method = "REML", correlation = corSymm(form = ~ occ | Subject),
         weights = varIdent(form = ~ 1 | age_f), na.action = na.omit)
labels <- c("Intercept", "Sex Female", "Sex Male", "age", "Sex*age Female", "Sex*age Male")
fits[["orthodont-un"]] <- c(glm_expand(labels, c("Intercept", "Sex Female", "age", "Sex*age Female"),
  unname(coef(m)), unname(vcov(m))), list(source = "nlme::gls, as conformance/r-orthodont-un/reference.R"))

## ---- pothoff-roy-un-ml: gls ML, UN; SAS ML covariance = gls vcov * (N - p) / N -----------------
d <- read.csv(file.path(conf, "sas-pothoff-roy-un-ml", "data.csv"), stringsAsFactors = FALSE)
d$Gender <- factor(d$Gender, levels = c("M", "F"))     # M = SAS's last level = reference
d$occ <- ave(d$Age, d$Person, FUN = seq_along)
d$age_f <- factor(d$Age)
m <- gls(y ~ Gender * Age, data = d, method = "ML", correlation = corSymm(form = ~ occ | Person),
         weights = varIdent(form = ~ 1 | age_f),
         control = glsControl(tolerance = 1e-10, msTol = 1e-12, maxIter = 1000, msMaxIter = 1000))
N <- nrow(d); p <- length(coef(m))
labels <- c("Intercept", "Gender F", "Gender M", "Age", "Gender*Age F", "Gender*Age M")
fits[["pothoff-roy-un-ml"]] <- c(glm_expand(labels, c("Intercept", "Gender F", "Age", "Gender*Age F"),
  unname(coef(m)), unname(vcov(m)) * (N - p) / N),
  list(source = "nlme::gls(y ~ Gender*Age, ML, corSymm + varIdent); covariance rescaled by (N-p)/N to SAS's ML (X'V^-1X)^-1"))

## ---- split-plot: lme REML, random = ~1 | Block/A (= RANDOM Block A*Block) ----------------------
d <- read.csv(file.path(conf, "sas-split-plot", "data.csv"))
d$A <- relevel(factor(d$A), ref = "3"); d$B <- relevel(factor(d$B), ref = "2"); d$Block <- factor(d$Block)
m <- lme(Y ~ A * B, random = ~ 1 | Block / A, data = d, method = "REML",
         control = lmeControl(tolerance = 1e-12, msTol = 1e-14, niterEM = 200, msMaxIter = 500))
labels <- c("Intercept", "A 1", "A 2", "A 3", "B 1", "B 2", paste0("A*B ", rep(1:3, each = 2), " ", rep(1:2, 3)))
fits[["split-plot"]] <- c(glm_expand(labels, c("Intercept", "A 1", "A 2", "B 1", "A*B 1 1", "A*B 2 1"),
  unname(fixef(m)), unname(vcov(m))),
  list(source = "nlme::lme(Y ~ A*B, random = ~1|Block/A, REML): variance components equal SAS's (case notes)",
       varcomp = as.numeric(VarCorr(m)[c(2, 4, 5), 1])))

writeLines(toJSON(list(source = R.version.string, fits = fits), auto_unbox = TRUE, digits = I(17)), out)
cat("wrote", out, "\n")
