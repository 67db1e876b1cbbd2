## orthodont-structures: Potthoff-Roy growth data, R-side CSH, ARH(1), TOEP (complete data) and UN, AR(1)
## with 10% of the distances deleted (seeded; a missed visit must leave a hole in R), REML, nlme::gls;
## and a random intercept per Subject plus AR(1) R-side (nlme::lme) on the data with missed visits.
## Written for the Study engine's fit tests (not part of /work/shared/conformance).
## Re-run: Rscript reference.R   (reads data-complete.csv, writes data-missing.csv and case.json here)
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
if (length(.f)) setwd(dirname(normalizePath(.f)))
suppressPackageStartupMessages({ library(nlme); library(jsonlite); library(numDeriv) })

full <- read.csv("data-complete.csv", stringsAsFactors = FALSE)
set.seed(20261127)
miss <- full
miss$distance[sort(sample.int(nrow(miss), round(0.1 * nrow(miss))))] <- NA
write.csv(miss, "data-missing.csv", row.names = FALSE, na = "NA")

prep <- function(d) {
  d$Sex <- factor(d$Sex, levels = c("Male", "Female"))
  d$age_f <- factor(d$age, levels = c(8, 10, 12, 14))
  d$Subject <- factor(d$Subject)
  d
}
ctl <- glsControl(tolerance = 1e-10, msTol = 1e-12, maxIter = 500, msMaxIter = 500)
fit <- function(d, type) {
  if (type == "RIAR1") {
    return(lme(distance ~ Sex * age, data = d, method = "REML", random = ~ 1 | Subject,
               correlation = corAR1(form = ~ occ | Subject), na.action = na.omit,
               control = lmeControl(tolerance = 1e-10, msTol = 1e-12, maxIter = 500, msMaxIter = 500, niterEM = 100)))
  }
  cs <- switch(type, CSH = corCompSymm(form = ~ occ | Subject), ARH1 = , AR1 = corAR1(form = ~ occ | Subject),
               TOEP = corARMA(form = ~ occ | Subject, p = 3, q = 0), UN = corSymm(form = ~ occ | Subject))
  if (type %in% c("CSH", "ARH1", "UN")) {
    gls(distance ~ Sex * age, data = d, method = "REML", correlation = cs, weights = varIdent(form = ~ 1 | age_f),
        na.action = na.omit, control = ctl)
  } else gls(distance ~ Sex * age, data = d, method = "REML", correlation = cs, na.action = na.omit, control = ctl)
}
## 4x4 covariance over ages 8..14 from the fitted natural parameters
marginal <- function(m, type) {
  if (type == "RIAR1") {
    rho <- coef(m$modelStruct$corStruct, unconstrained = FALSE)
    return(list(G = as.numeric(getVarCov(m)), rho = unname(rho), s2 = m$sigma^2))
  }
  lev <- c("8", "10", "12", "14")
  rat <- if (is.null(m$modelStruct$varStruct)) rep(1, 4) else coef(m$modelStruct$varStruct, unconstrained = FALSE, allCoef = TRUE)[lev]
  cp <- coef(m$modelStruct$corStruct, unconstrained = FALSE)
  R <- switch(type,
    CSH = { R <- matrix(cp[1], 4, 4); diag(R) <- 1; R },
    AR1 = , ARH1 = outer(1:4, 1:4, function(i, j) cp[1]^abs(i - j)),
    TOEP = { ac <- ARMAacf(ar = cp, lag.max = 3); outer(1:4, 1:4, function(i, j) ac[abs(i - j) + 1]) },
    UN = { R <- diag(4); R[lower.tri(R)] <- cp; R[upper.tri(R)] <- t(R)[upper.tri(R)]; R })
  sd <- m$sigma * rat
  diag(sd) %*% R %*% diag(sd)
}
## SAS-scale parameters (names and order of PROC MIXED's Covariance Parameter Estimates) <-> V
sas_params <- function(V, type) switch(type,
  RIAR1 = c(Intercept = V$G, "AR(1)" = V$rho, Residual = V$s2),
  CSH = c(setNames(diag(V), sprintf("Var(%d)", 1:4)), CSH = V[1, 2] / sqrt(V[1, 1] * V[2, 2])),
  ARH1 = c(setNames(diag(V), sprintf("Var(%d)", 1:4)), "ARH(1)" = V[1, 2] / sqrt(V[1, 1] * V[2, 2])),
  AR1 = c("AR(1)" = V[1, 2] / V[1, 1], Residual = V[1, 1]),
  TOEP = c("TOEP(2)" = V[1, 2], "TOEP(3)" = V[1, 3], "TOEP(4)" = V[1, 4], Residual = V[1, 1]),
  UN = { v <- c(); for (i in 1:4) for (j in 1:i) v[sprintf("UN(%d,%d)", i, j)] <- V[i, j]; v })
V_of <- function(t, type) switch(type,
  RIAR1 = t[1] + t[3] * outer(1:4, 1:4, function(i, j) t[2]^abs(i - j)),
  CSH = , ARH1 = { s <- sqrt(t[1:4]); R <- if (type == "CSH") { R <- matrix(t[5], 4, 4); diag(R) <- 1; R } else outer(1:4, 1:4, function(i, j) t[5]^abs(i - j)); diag(s) %*% R %*% diag(s) },
  AR1 = t[2] * outer(1:4, 1:4, function(i, j) t[1]^abs(i - j)),
  TOEP = { g <- c(t[4], t[1:3]); outer(1:4, 1:4, function(i, j) g[abs(i - j) + 1]) },
  UN = { V <- matrix(0, 4, 4); k <- 1; for (i in 1:4) for (j in 1:i) { V[i, j] <- V[j, i] <- t[k]; k <- k + 1 }; V })
## SAS's -2 Res Log Likelihood as a function of the SAS-scale parameters (beta profiled out)
m2rll <- function(t, type, d) {
  d <- d[!is.na(d$distance), ]
  X <- model.matrix(~ Sex * age, d); y <- d$distance; V <- V_of(t, type)
  XWX <- 0; XWy <- 0; yWy <- 0; ld <- 0
  for (s in split(seq_len(nrow(d)), d$Subject)) {
    o <- d$occ[s]; Vi <- V[o, o, drop = FALSE]; W <- solve(Vi)
    ld <- ld + as.numeric(determinant(Vi)$modulus)
    XWX <- XWX + t(X[s, , drop = FALSE]) %*% W %*% X[s, , drop = FALSE]
    XWy <- XWy + t(X[s, , drop = FALSE]) %*% W %*% y[s]; yWy <- yWy + t(y[s]) %*% W %*% y[s]
  }
  b <- solve(XWX, XWy)
  as.numeric((nrow(d) - ncol(X)) * log(2 * pi) + ld + determinant(XWX)$modulus + yWy - t(b) %*% XWy)
}
one <- function(d, type, label) {
  d <- prep(d)
  m <- fit(d, type)
  V <- marginal(m, type)
  th <- sas_params(V, type)
  H <- numDeriv::hessian(function(t) m2rll(t, type, d), th, method.args = list(d = 0.005, r = 6))
  se <- sqrt(diag(2 * solve(H)))
  fx <- summary(m)$tTable
  if (type == "RIAR1") fx <- fx[, c(1, 2)]
  list(structure = label, data = if (any(is.na(d$distance))) "data-missing.csv" else "data-complete.csv",
       gls = paste0(deparse(m$call), collapse = ""),
       n_obs_used = sum(!is.na(d$distance)),
       minus2ll = -2 * as.numeric(logLik(m)), minus2ll_recomputed = m2rll(th, type, d),
       covparms = lapply(seq_along(th), function(k) list(name = names(th)[k], estimate = unname(th[k]), se = se[k])),
       fixed = lapply(seq_len(nrow(fx)), function(k) list(term = rownames(fx)[k], estimate = fx[k, 1], se = fx[k, 2])))
}
fits <- list(one(full, "CSH", "CSH"), one(full, "ARH1", "ARH(1)"), one(full, "TOEP", "TOEP"),
             one(miss, "UN", "UN"), one(miss, "AR1", "AR(1)"), one(miss, "RIAR1", "RANDOM Intercept + AR(1)"))
case <- list(
  id = "orthodont-structures",
  title = "Potthoff-Roy growth data: CSH, ARH(1), TOEP R-side (complete data); UN, AR(1), random intercept + AR(1) with 10% missing visits; REML",
  source = paste("R", getRversion(), "nlme", packageVersion("nlme"), "numDeriv", packageVersion("numDeriv"),
                 ": gls(distance ~ Sex * age, method = 'REML', correlation/weights per fit, see fits[].gls)"),
  model = list(response = "distance", subject = "Subject", classes = c("Sex", "age_f"), fixed = "Sex * age",
               repeated = list(effect = "age_f"), method = "REML"),
  expected = list(fits = fits,
                  parameterization = "R treatment contrasts, Male reference (= SAS GLM non-aliased columns: Intercept, Sex Female, age, age*Sex Female)"),
  tolerance = list(rel = 1e-4, abs = 1e-6, covparms_se = list(rel = 1e-3)),
  notes = paste("Covariance parameters on SAS's scale from gls's natural parameters (sigma, varIdent ratios, correlation;",
                "TOEP via corARMA(p=3), which spans all 4x4 Toeplitz correlations). corAR1/corARMA are indexed by occ, so a",
                "deleted visit leaves a hole. covparms se = sqrt(diag(2 H^-1)), H = numDeriv Hessian (Richardson, d = 0.005)",
                "of SAS's -2RLL (m2rll() above) at the estimates: compare with rel 1e-3. minus2ll_recomputed checks m2rll",
                "against nlme's REML criterion. The lme fit's SAS parameters are Intercept (Subject, G), AR(1) (Subject), Residual."))
writeLines(toJSON(case, auto_unbox = TRUE, digits = NA, pretty = TRUE), "case.json")
for (f in fits) cat(f$structure, f$minus2ll, f$minus2ll_recomputed, "\n")
