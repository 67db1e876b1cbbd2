# r_optimum.R -- the exact REML optimum of the SAS PROC MIXED fev_data cases, computed independently.
#
# How to run (from the repository root; needs R with jsonlite, nothing else):
#
#     Rscript test/conformance/sas-fev/r_optimum.R
#
# It takes about a minute. For every folder fev-*/ whose case.json has `expected.minus2ll` it writes
# fev-*/optimum.json; it writes nothing else (the older fev-*/r_optimum.json files are only read).
#
# What it does, per case:
#   * builds the model from case.json: fixed effects from `model.fixed` (treatment-coded factors, aliased
#     columns dropped), REPEATED structure from `model.repeated` (type, GROUP=, spatial coordinates), the
#     R-matrix position of an observation = rank of its AVISIT level in `model.class_order_sas$AVISIT`
#     (SAS's CLASS order; VIS2 VIS3 VIS4 VIS1 under AVISIT(ref='VIS1')), rows with non-missing FEV1;
#   * the REML objective written from the formulas (no mmrm, no nlme fitting, no project code):
#         -2 l_R = (n - p) log(2 pi) + sum_i log|V_i| + log|X'V^-1 X| + r'V^-1 r,  r = y - X beta_GLS,
#     V block diagonal by USUBJID, parameters with SAS's names and meaning (see cov_builder());
#   * its analytic gradient  d(-2 l_R)/d theta_k = tr(P V_k) - y'P V_k P y  (V_k = dV/d theta_k by complex
#     step, exact to rounding), checked against central differences of -2 l_R at SAS's parameters;
#   * minimises from SAS's printed parameters: optim BFGS (parscale = |printed value|, reltol 1e-15), then
#     Newton steps with a Hessian from central differences of the gradient (steps 1e-4 * |theta_k|),
#     accepting a step only if -2LL decreases (step halving otherwise), until the decrease is < 1e-11;
#     then, as -2LL (~3000-4000) is then only resolved to its rounding (~1e-12), "polish" Newton steps that
#     are kept while they at least halve max |gradient| and raise -2LL by no more than 1e-11;
#     parameters kept admissible (variances > 0, correlations in (-1, 1), theta > 0, V positive definite).
#
# What it checks (printed at the end; exit status 1 if a check fails):
#   * -2LL at SAS's printed (rounded) parameters vs SAS's printed -2 Res Log Likelihood (flag if > 1e-4:
#     that would mean a definition differs; the rounding of the printed parameters explains ~1e-5);
#   * the optimum is at or below SAS's -2LL (SAS's last iterate cannot be below the optimum);
#   * where r_optimum.json exists, its `minus2ll_optimum` is matched (flag if ours is above it by > 1e-8);
#   * the analytic gradient agrees with the numerical one at SAS's parameters;
#   * the Hessian at the optimum is positive definite; UN(i,j) positions agree with the covparms `levels`.
#
# Output optimum.json fields: minus2ll_sas (SAS's printed value), minus2ll_at_sas_printed_parms,
# minus2ll_optimum, sas_short_by = minus2ll_sas - minus2ll_optimum, gradient_max_abs (max |d(-2LL)/d theta|
# at the optimum, natural scale of the parameters), gradient_max_abs_scaled (max |theta_k d(-2LL)/d theta_k|),
# last_step_decrease (-2LL decrease of the last accepted Newton step; after the polish steps below this is
# rounding noise of a few 1e-12, either sign), newton_steps (all accepted Newton steps),
# newton_polish_steps (those of phase 2), remaining_decrease_estimate (g'H^-1 g / 2 at the optimum),
# parms (case.json order: name, group under GROUP=, SAS's printed estimate, optimum).

suppressPackageStartupMessages(library(jsonlite))

## ---------------------------------------------------------------- locations
args <- commandArgs(trailingOnly = FALSE)
file_arg <- sub("^--file=", "", args[grep("^--file=", args)])
here <- if (length(file_arg)) dirname(normalizePath(file_arg)) else normalizePath("test/conformance/sas-fev")
dat_all <- read.csv(file.path(here, "fev_data.csv"), stringsAsFactors = FALSE)

## ---------------------------------------------------------------- JSON numbers with full precision
num <- function(x) {
  if (is.null(x) || length(x) != 1 || !is.finite(x)) return(NA)
  for (d in 15:17) { s <- sprintf(paste0("%.", d, "g"), x); if (as.numeric(s) == x) break }
  structure(s, class = "json")
}

## ---------------------------------------------------------------- covariance structures
## Returns list(build = function(par of one group, complex allowed) -> 4x4 matrix, admissible = function(par)).
## Spatial structures are handled separately (per observation distances).
cov_builder <- function(type, grouped, t = 4) {
  lag <- abs(outer(1:t, 1:t, "-"))
  off <- lag > 0
  sq  <- function(v) sqrt(outer(v, v))              # works for complex v
  vars <- function(p) p[paste0("Var(", 1:t, ")")]
  s2name <- if (grouped) "Variance" else "Residual"
  inrange <- function(r) all(r > -1 & r < 1)
  switch(type,
    "UN" = list(
      build = function(p) {
        M <- matrix(0 * p[1], t, t)
        for (nm in names(p)) {
          ij <- as.integer(strsplit(gsub("UN\\(|\\)", "", nm), ",")[[1]])
          M[ij[1], ij[2]] <- p[[nm]]; M[ij[2], ij[1]] <- p[[nm]]
        }
        M
      },
      admissible = function(p) TRUE),
    "CS" = list(
      build = function(p) matrix(p[["CS"]], t, t) + diag(t) * p[[s2name]],
      admissible = function(p) p[[s2name]] > 0),
    "AR(1)" = list(
      build = function(p) p[[s2name]] * matrix(p[["AR(1)"]]^lag, t, t),
      admissible = function(p) p[[s2name]] > 0 && inrange(p[["AR(1)"]])),
    "CSH" = list(
      build = function(p) { R <- matrix(1 + 0 * p[1], t, t); R[off] <- p[["CSH"]]; sq(vars(p)) * R },
      admissible = function(p) all(vars(p) > 0) && inrange(p[["CSH"]])),
    "ARH(1)" = list(
      build = function(p) sq(vars(p)) * matrix(p[["ARH(1)"]]^lag, t, t),
      admissible = function(p) all(vars(p) > 0) && inrange(p[["ARH(1)"]])),
    "TOEP" = list(
      build = function(p) { cc <- c(p[["Residual"]], p[paste0("TOEP(", 2:t, ")")]); matrix(cc[lag + 1], t, t) },
      admissible = function(p) p[["Residual"]] > 0),
    "TOEPH" = list(
      build = function(p) { rr <- c(1 + 0 * p[1], p[paste0("TOEPH(", 1:(t - 1), ")")]); sq(vars(p)) * matrix(rr[lag + 1], t, t) },
      admissible = function(p) all(vars(p) > 0) && inrange(p[paste0("TOEPH(", 1:(t - 1), ")")])),
    "ANTE(1)" = list(
      build = function(p) {
        rho <- p[paste0("Rho(", 1:(t - 1), ")")]
        R <- matrix(1 + 0 * p[1], t, t)
        for (i in 1:t) for (j in 1:t) if (i != j) R[i, j] <- prod(rho[min(i, j):(max(i, j) - 1)])
        sq(vars(p)) * R
      },
      admissible = function(p) all(vars(p) > 0) && inrange(p[paste0("Rho(", 1:(t - 1), ")")])),
    stop("unknown covariance type ", type))
}

## ---------------------------------------------------------------- one case
setup_case <- function(case) {
  m <- case$model; e <- case$expected
  rep <- m$repeated
  type <- rep$type
  spatial <- grepl("^SP\\(", type)
  grouped <- !is.null(rep$group)
  if (grouped && rep$group != "ARMCD") stop("GROUP= other than ARMCD")

  ## fixed effects
  fx <- trimws(m$fixed)
  rhs <- if (fx == "(intercept only)") "1" else
    paste(gsub("\\s*\\*\\s*", ":", strsplit(gsub("\\s*\\*\\s*", "*", fx), "\\s+")[[1]]), collapse = " + ")
  fvars <- if (rhs == "1") character(0) else unique(unlist(strsplit(strsplit(rhs, " \\+ ")[[1]], ":")))
  coords <- if (spatial) strsplit(trimws(rep$coordinates), "\\s+")[[1]] else character(0)
  need <- unique(c("FEV1", "USUBJID", "AVISIT", fvars, coords))
  d <- dat_all[complete.cases(dat_all[, need]), ]
  d <- d[order(d$USUBJID, d$AVISIT), ]
  for (v in intersect(fvars, c("AVISIT", "ARMCD", "RACE", "SEX"))) d[[v]] <- factor(d[[v]])
  X <- model.matrix(as.formula(paste("~", rhs)), d, contrasts.arg = NULL)
  q <- qr(X)
  X <- X[, q$pivot[seq_len(q$rank)], drop = FALSE]             # drop aliased columns
  y <- d$FEV1
  n <- nrow(X); p <- ncol(X)

  ## covariance parameters in case.json order
  cp <- e$covparms
  cp_name  <- vapply(cp, function(z) z$name, "")
  cp_group <- vapply(cp, function(z) if (is.null(z$group)) "" else z$group, "")
  start <- vapply(cp, function(z) z$estimate, 0)
  glev <- if (grouped) c("PBO", "TRT") else ""
  gidx <- lapply(glev, function(g) if (grouped) which(cp_group == paste("ARMCD", g)) else seq_along(cp))
  if (grouped && any(lengths(gidx) == 0)) stop("group parameters not found")

  ## positions
  avis_order <- if (!is.null(m$class_order_sas$AVISIT)) unlist(m$class_order_sas$AVISIT) else paste0("VIS", 1:4)
  pos <- match(d$AVISIT, avis_order)
  ## cross-check UN positions with the `levels` that case.json carries
  for (z in cp) if (!is.null(z$levels) && grepl("^UN\\(", z$name)) {
    ij <- as.integer(strsplit(gsub("UN\\(|\\)", "", z$name), ",")[[1]])
    if (!identical(avis_order[ij], unlist(z$levels))) stop("UN level order mismatch for ", z$name)
  }

  subj <- split(seq_len(n), d$USUBJID)
  sub_g <- vapply(subj, function(ix) if (grouped) match(as.character(d$ARMCD[ix[1]]), glev) else 1L, 1L)
  if (grouped && any(vapply(subj, function(ix) length(unique(d$ARMCD[ix])) != 1, TRUE))) stop("ARMCD varies in subject")
  Xs <- lapply(subj, function(ix) X[ix, , drop = FALSE])
  ys <- lapply(subj, function(ix) y[ix])
  ps <- lapply(subj, function(ix) pos[ix])
  Ds <- if (spatial) lapply(subj, function(ix) as.matrix(dist(as.matrix(d[ix, coords, drop = FALSE])))) else NULL

  if (spatial) {
    kind <- sub("^SP\\((.*)\\)$", "\\1", type)
    thname <- type
    ## V_i and its derivatives, analytic: s2 * exp(-d/theta) or s2 * exp(-d^2/theta^2)
    Vsub <- function(par, i, deriv = FALSE) {
      th <- par[[thname]]; s2 <- par[["Residual"]]; D <- Ds[[i]]
      E <- if (kind == "EXP") exp(-D / th) else exp(-(D / th)^2)
      V <- s2 * E
      if (!deriv) return(V)
      dth <- if (kind == "EXP") s2 * E * D / th^2 else s2 * E * 2 * D^2 / th^3
      dV <- vector("list", length(par)); names(dV) <- names(par)
      dV[[thname]] <- dth; dV[["Residual"]] <- E
      list(V = V, dV = dV)
    }
    admissible <- function(par) par[[thname]] > 0 && par[["Residual"]] > 0
    if (!all(sort(cp_name) == sort(c(thname, "Residual")))) stop("spatial parameter names")
  } else {
    cb <- cov_builder(type, grouped)
    gpar <- function(par, g) { v <- par[gidx[[g]]]; names(v) <- cp_name[gidx[[g]]]; v }
    admissible <- function(par) all(vapply(seq_along(glev), function(g) {
      pg <- gpar(par, g)
      cb$admissible(pg) && !inherits(try(chol(cb$build(pg)), silent = TRUE), "try-error")
    }, TRUE))
  }

  ## full 4x4 per group and dV/dtheta_k per group (complex step: exact to rounding)
  group_mats <- function(par, deriv = FALSE) {
    lapply(seq_along(glev), function(g) {
      pg <- gpar(par, g)
      M <- cb$build(pg)
      if (!deriv) return(list(M = M))
      dM <- vector("list", length(par))
      for (k in gidx[[g]]) {
        pc <- complex(real = pg, imaginary = 0)
        names(pc) <- names(pg)
        kk <- match(k, gidx[[g]])
        h <- 1e-30
        pc[kk] <- complex(real = pg[kk], imaginary = h)
        dM[[k]] <- Im(cb$build(pc)) / h
      }
      list(M = M, dM = dM)
    })
  }

  ## REML -2 log likelihood (and gradient)
  objective <- function(par, gradient = FALSE) {
    names(par) <- cp_name
    if (!admissible(par)) return(if (gradient) NULL else Inf)
    GM <- if (!spatial) group_mats(par, deriv = gradient) else NULL
    K <- length(par)
    A <- matrix(0, p, p); b <- numeric(p); logdetV <- 0
    Ws <- vector("list", length(subj)); dVs <- vector("list", length(subj))
    for (i in seq_along(subj)) {
      if (spatial) {
        s <- Vsub(par, i, deriv = gradient)
        V <- if (gradient) s$V else s
        if (gradient) dVs[[i]] <- s$dV
      } else {
        gm <- GM[[sub_g[i]]]; ix <- ps[[i]]
        V <- gm$M[ix, ix, drop = FALSE]
        if (gradient) dVs[[i]] <- lapply(seq_len(K), function(k) if (is.null(gm$dM[[k]])) NULL else gm$dM[[k]][ix, ix, drop = FALSE])
      }
      R <- tryCatch(chol(V), error = function(e) NULL)
      if (is.null(R)) return(if (gradient) NULL else Inf)
      logdetV <- logdetV + 2 * sum(log(diag(R)))
      W <- chol2inv(R); Ws[[i]] <- W
      WX <- W %*% Xs[[i]]
      A <- A + crossprod(Xs[[i]], WX)
      b <- b + crossprod(WX, ys[[i]])[, 1]
    }
    RA <- chol(A)
    beta <- backsolve(RA, forwardsolve(t(RA), b))
    quad <- 0
    us <- vector("list", length(subj))
    for (i in seq_along(subj)) {
      r <- ys[[i]] - Xs[[i]] %*% beta
      u <- Ws[[i]] %*% r; us[[i]] <- u
      quad <- quad + sum(r * u)
    }
    f <- (n - p) * log(2 * pi) + logdetV + 2 * sum(log(diag(RA))) + quad
    if (!gradient) return(f)
    ## d(-2 l_R)/d theta_k = sum_i tr(W_i V_ik) - tr(A^-1 sum_i X_i'W_i V_ik W_i X_i) - sum_i u_i'V_ik u_i
    Ainv <- chol2inv(RA)
    g <- numeric(K)
    for (k in seq_len(K)) {
      tr1 <- 0; B <- matrix(0, p, p); q3 <- 0
      for (i in seq_along(subj)) {
        Vk <- dVs[[i]][[k]]
        if (is.null(Vk)) next
        W <- Ws[[i]]
        tr1 <- tr1 + sum(W * Vk)
        WX <- W %*% Xs[[i]]
        B <- B + crossprod(WX, Vk %*% WX)
        q3 <- q3 + sum(us[[i]] * (Vk %*% us[[i]]))
      }
      g[k] <- tr1 - sum(Ainv * B) - q3
    }
    g
  }

  list(id = case$id, n = n, p = p, cp_name = cp_name, cp_group = cp_group, grouped = grouped,
       start = start, fn = function(par) objective(par, FALSE), gr = function(par) objective(par, TRUE))
}

## central-difference gradient of fn, Richardson-extrapolated over steps h and h/2 (for checking the
## analytic gradient)
num_grad <- function(fn, x, rel = 1e-4) {
  vapply(seq_along(x), function(k) {
    cd <- function(h) { e <- replace(numeric(length(x)), k, h); (fn(x + e) - fn(x - e)) / (2 * h) }
    h <- rel * max(abs(x[k]), 0.05)
    (4 * cd(h / 2) - cd(h)) / 3
  }, 0)
}

## Hessian by central differences of the gradient, steps scaled to each parameter
num_hess <- function(gr, x, rel = 1e-4) {
  K <- length(x); H <- matrix(NA_real_, K, K)
  for (k in seq_len(K)) {
    h <- rel * max(abs(x[k]), 0.05); e <- replace(numeric(K), k, h)
    gp <- gr(x + e); gm <- gr(x - e)
    if (is.null(gp) || is.null(gm)) { gp <- gr(x + e / 10); gm <- gr(x - e / 10); h <- h / 10 }
    H[, k] <- (gp - gm) / (2 * h)
  }
  (H + t(H)) / 2
}

optimise_case <- function(S) {
  x0 <- S$start
  f_sas <- S$fn(x0)
  g_sas <- S$gr(x0)
  g_num <- num_grad(S$fn, x0)
  grad_check <- max(abs(g_sas - g_num)) / max(1, max(abs(g_num)))

  o <- optim(x0, S$fn, S$gr, method = "BFGS",
             control = list(parscale = abs(x0), reltol = 1e-15, maxit = 100000))
  x <- o$par; f <- S$fn(x)
  if (!(f <= f_sas)) { x <- x0; f <- f_sas }

  ## Newton steps, phase 1: accept a step only if -2LL decreases (halving the step otherwise), until the
  ## decrease is below 1e-11.
  last_dec <- NA_real_; steps <- 0; polish <- 0
  newton_step <- function(x) {
    g <- S$gr(x); H <- num_hess(S$gr, x)
    list(g = g, step = tryCatch(-solve(H, g), error = function(e) NULL))
  }
  for (it in 1:100) {
    ns <- newton_step(x)
    if (is.null(ns$step)) break
    accepted <- FALSE
    for (half in 0:30) {
      xn <- x + ns$step / 2^half
      fnew <- S$fn(xn)
      if (is.finite(fnew) && fnew < f) { accepted <- TRUE; break }
    }
    if (!accepted) break
    dec <- f - fnew
    x <- xn; f <- fnew; last_dec <- dec; steps <- steps + 1
    if (dec < 1e-11) break
  }
  ## phase 2 (polish): once -2LL changes only at its rounding level (~1 ulp of 3000-4000 = 4.5e-13), a
  ## comparison of -2LL values cannot tell better from worse; take full Newton steps while they shrink the
  ## largest |gradient| by at least half and do not raise -2LL by more than 1e-11.
  for (it in 1:20) {
    ns <- newton_step(x)
    if (is.null(ns$step)) break
    xn <- x + ns$step
    fnew <- S$fn(xn)
    if (!is.finite(fnew) || fnew > f + 1e-11) break
    gn <- S$gr(xn)
    if (is.null(gn) || max(abs(gn)) > 0.5 * max(abs(ns$g))) break
    last_dec <- f - fnew
    x <- xn; f <- fnew; steps <- steps + 1; polish <- polish + 1
  }
  g <- S$gr(x)
  H <- num_hess(S$gr, x)
  remaining <- tryCatch(0.5 * sum(g * solve(H, g)), error = function(e) NA_real_)
  list(f_sas = f_sas, f_opt = f, par = x, grad = g, grad_check = grad_check,
       bfgs_f = o$value, bfgs_conv = o$convergence, last_dec = last_dec, steps = steps, polish = polish,
       remaining = remaining, hess_pd = all(eigen(H, symmetric = TRUE, only.values = TRUE)$values > 0))
}

## ---------------------------------------------------------------- run all cases
dirs <- sort(list.dirs(here, recursive = FALSE, full.names = TRUE))
dirs <- dirs[grepl("^fev-", basename(dirs))]
rver <- paste0("R ", getRversion())
rows <- list(); failures <- character(0)
for (dd in dirs) {
  cf <- file.path(dd, "case.json")
  if (!file.exists(cf)) next
  case <- fromJSON(cf, simplifyVector = FALSE)
  m2_sas <- case$expected$minus2ll
  if (is.null(m2_sas)) { cat(sprintf("%-28s skipped (no expected.minus2ll)\n", case$id)); next }
  t0 <- proc.time()[["elapsed"]]
  S <- setup_case(case)
  R <- optimise_case(S)
  el <- proc.time()[["elapsed"]] - t0

  parms <- lapply(seq_along(S$cp_name), function(k) {
    z <- list(name = S$cp_name[k])
    if (S$grouped) z$group <- S$cp_group[k]
    z$sas <- num(S$start[k]); z$optimum <- num(R$par[k])
    z
  })
  out <- list(
    case = case$id,
    source = paste0("test/conformance/sas-fev/r_optimum.R: REML -2LL written from the formulas, ", rver,
                    ", optim BFGS from SAS's printed parameters then Newton steps with a numerical Hessian"),
    gradient_method = "analytic REML score tr(P dV) - y'P dV P y (dV by complex step); Hessian by central differences of it",
    n_obs = S$n, n_fixed = S$p,
    minus2ll_sas = num(m2_sas),
    minus2ll_at_sas_printed_parms = num(R$f_sas),
    minus2ll_optimum = num(R$f_opt),
    sas_short_by = num(m2_sas - R$f_opt),
    gradient_max_abs = num(max(abs(R$grad))),
    gradient_max_abs_scaled = num(max(abs(R$grad * R$par))),
    last_step_decrease = num(R$last_dec),
    newton_steps = R$steps,
    newton_polish_steps = R$polish,
    remaining_decrease_estimate = num(R$remaining),
    parms = parms)
  writeLines(toJSON(out, json_verbatim = TRUE, auto_unbox = TRUE, pretty = TRUE, null = "null", na = "null"),
             file.path(dd, "optimum.json"))

  ## checks
  old <- file.path(dd, "r_optimum.json")
  old_m2 <- if (file.exists(old)) fromJSON(old)$minus2ll_optimum else NA_real_
  relpar <- max(abs(S$start - R$par) / abs(R$par))
  chk <- c(
    if (abs(R$f_sas - m2_sas) > 1e-4) "-2LL at SAS's printed parameters differs from SAS's -2LL by > 1e-4",
    if (R$f_opt > m2_sas + 1e-8) "optimum above SAS's -2LL",
    if (!is.na(old_m2) && R$f_opt > old_m2 + 1e-8) "optimum above r_optimum.json's minus2ll_optimum",
    if (R$grad_check > 1e-5) "analytic gradient disagrees with the numerical one",
    if (!R$hess_pd) "Hessian at the optimum not positive definite")
  if (length(chk)) failures <- c(failures, paste0(case$id, ": ", chk))
  rows[[length(rows) + 1]] <- data.frame(
    case = case$id, at_sas_minus_sas = R$f_sas - m2_sas, sas_short_by = m2_sas - R$f_opt,
    vs_r_optimum_json = R$f_opt - old_m2, max_rel_par = relpar, grad_max_abs = max(abs(R$grad)),
    last_dec = R$last_dec, newton = R$steps, polish = R$polish, grad_check = R$grad_check, secs = round(el, 1))
  cat(sprintf("%-28s done in %5.1fs: sas_short_by %.3e, grad %.1e\n", case$id, el, m2_sas - R$f_opt, max(abs(R$grad))))
}
tab <- do.call(rbind, rows)
op <- options(width = 250, digits = 4); print(tab, row.names = FALSE); options(op)
if (length(failures)) {
  cat("\nCHECKS FAILED:\n", paste0("  ", failures, "\n"), sep = "")
  quit(status = 1)
}
cat("\nall checks passed\n")
