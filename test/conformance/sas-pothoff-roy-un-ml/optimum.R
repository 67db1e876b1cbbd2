# optimum.R -- the exact ML optimum of SAS's Pothoff-Roy UN model (Example 78.2), computed independently
# of Study, to show where SAS's last iterate stops (about 1e-8 above the optimum in -2LL: a flat surface).
#
# Run from the repository root:  Rscript test/conformance/sas-pothoff-roy-un-ml/optimum.R
# Writes optimum.json beside this script (fields as test/conformance/sas-fev/*/optimum.json).
#
# The ML objective is written from its formula (no nlme fitting, no project code):
#   -2 l = n log(2 pi) + sum_i log|V_i| + r'V^-1 r,  r = y - X beta_GLS,  V_i = the 4 x 4 UN matrix,
# rows placed in data order within Person (SAS REPEATED / SUBJECT=Person TYPE=UN without an effect).
# Minimised from SAS's printed parameters by optim BFGS, then Newton steps with a central-difference
# Hessian of the central-difference gradient, kept while -2LL decreases.
suppressPackageStartupMessages(library(jsonlite))
args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(file_arg)) dirname(normalizePath(file_arg)) else normalizePath("test/conformance/sas-pothoff-roy-un-ml")
d <- read.csv(file.path(here, "data.csv"))
case <- fromJSON(file.path(here, "case.json"), simplifyVector = FALSE)
cp <- case$expected$covparms
names_ <- vapply(cp, function(z) z$name, "")
start <- vapply(cp, function(z) z$estimate, 0)
# SAS GLM columns Intercept, Gender F, Age, Age*Gender F (Gender M aliased)
X <- cbind(1, d$Gender == "F", d$Age, d$Age * (d$Gender == "F"))
y <- d$y
subj <- split(seq_len(nrow(d)), d$Person)
unmat <- function(p) {
  S <- matrix(0, 4, 4)
  k <- 0
  for (i in 1:4) for (j in 1:i) { k <- k + 1; S[i, j] <- S[j, i] <- p[k] }
  S
}
m2ll <- function(p) {
  S <- unmat(p)
  R <- tryCatch(chol(S), error = function(e) NULL)
  if (is.null(R)) return(Inf)
  W <- chol2inv(R)
  XtWX <- 0; XtWy <- 0; yWy <- 0
  for (ix in subj) {
    Xi <- X[ix, , drop = FALSE]; yi <- y[ix]
    XtWX <- XtWX + t(Xi) %*% W %*% Xi; XtWy <- XtWy + t(Xi) %*% W %*% yi; yWy <- yWy + sum(yi * (W %*% yi))
  }
  beta <- solve(XtWX, XtWy)
  nrow(d) * log(2 * pi) + length(subj) * 2 * sum(log(diag(R))) + yWy - sum(beta * XtWy)
}
grad <- function(p, rel = 1e-5) vapply(seq_along(p), function(k) { h <- rel * max(abs(p[k]), 1e-2); e <- replace(numeric(length(p)), k, h); (m2ll(p + e) - m2ll(p - e)) / (2 * h) }, 0)
hess <- function(p, rel = 1e-4) {
  H <- sapply(seq_along(p), function(k) { h <- rel * max(abs(p[k]), 1e-2); e <- replace(numeric(length(p)), k, h); (grad(p + e) - grad(p - e)) / (2 * h) })
  (H + t(H)) / 2
}
at_sas <- m2ll(start)
opt <- optim(start, m2ll, grad, method = "BFGS", control = list(parscale = abs(start), reltol = 1e-15, maxit = 10000))
p <- opt$par
f <- m2ll(p)
for (it in 1:20) {
  step <- tryCatch(-solve(hess(p), grad(p)), error = function(e) NULL)
  if (is.null(step)) break
  lam <- 1; accepted <- FALSE
  while (lam > 1e-6) { q <- p + lam * step; fq <- m2ll(q); if (fq < f) { accepted <- TRUE; break }; lam <- lam / 2 }
  if (!accepted) break
  decrease <- f - fq; p <- q; f <- fq
  if (decrease < 1e-12) break
}
out <- list(
  case = "sas-pothoff-roy-un-ml",
  source = paste0("test/conformance/sas-pothoff-roy-un-ml/optimum.R: ML -2LL written from the formula, ", R.version.string,
                  ", optim BFGS from SAS's printed parameters then Newton steps with a numerical Hessian"),
  minus2ll_sas = case$expected$minus2ll,
  minus2ll_at_sas_printed_parms = at_sas,
  minus2ll_optimum = f,
  sas_short_by = case$expected$minus2ll - f,
  gradient_max_abs = max(abs(grad(p))),
  parms = lapply(seq_along(p), function(k) list(name = names_[k], sas = start[k], optimum = p[k]))
)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(here, "optimum.json"))
cat(sprintf("SAS %.8f  at printed %.10f  optimum %.10f  short by %.3g  max|grad| %.2g\n", case$expected$minus2ll, at_sas, f, case$expected$minus2ll - f, max(abs(grad(p)))))
