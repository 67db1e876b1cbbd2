/**
 * The helper functions every exported R script starts with (plain base R, nlme, lme4/lmerTest and
 * emmeans): reading the data as Study reads it, Study's three-valued filters, per-subject values, SAS's
 * names for the covariance parameters and the fixed-effect columns, SAS's information criteria, the
 * Type 3 Wald tests in SAS's sense, and the JSON of the numbers (`Rscript script.R --json out.json`).
 */
export const R_PRELUDE = String.raw`
## ---------------------------------------------------------------- helpers (Study's conventions)
study_args <- commandArgs(trailingOnly = TRUE)
study_json_file <- if (length(i <- which(study_args == "--json")) && length(study_args) > i[1]) study_args[i[1] + 1] else NA
## numbers as Study reads them: ".", "NA" and "" are missing; a cell that is not a finite number is missing
study_num <- function(x, dec = ".") {
  x <- trimws(x)
  if (dec == ",") x <- gsub(",", ".", x, fixed = TRUE)
  v <- suppressWarnings(as.numeric(x))
  v[!is.finite(v)] <- NA
  v
}
study_text <- function(x) { x[is.na(x) | trimws(x) %in% c("", ".", "NA")] <- NA; x }
## three-valued (Kleene) filters: a comparison with a missing cell is unknown; where keeps TRUE rows only
study_true <- function(x) !is.na(x) & x
study_in <- function(x, values) ifelse(is.na(x), NA, x %in% values)
## text order as Study compares text (by character code, not the locale's collation)
study_textcmp <- function(x, v) {
  b <- utf8ToInt(v)
  vapply(x, function(a) {
    if (is.na(a)) return(NA_real_)
    ai <- utf8ToInt(a); n <- min(length(ai), length(b))
    k <- which(ai[seq_len(n)] != b[seq_len(n)])[1]
    if (is.na(k)) sign(length(ai) - length(b)) else sign(ai[k] - b[k])
  }, 0, USE.NAMES = FALSE)
}
## the subject's value on its row at the baseline level: missing without such a row, with several, or when missing
study_baseline <- function(key, is_base, y) {
  key <- as.character(key); key[is.na(key)] <- ""
  is_base[is.na(is_base)] <- FALSE
  cnt <- tapply(is_base, key, sum)
  yb <- y[is_base][match(names(cnt), key[is_base])]
  b <- ifelse(cnt == 1, yb, NA)
  names(b) <- names(cnt)
  unname(b[key])
}
## one value per subject (first-seen order): the distinct non-missing value on the rows that match, else NA
study_subject_value <- function(d, subject, variable, hit = rep(TRUE, nrow(d))) {
  ids <- as.character(d[[subject]])
  keep <- !is.na(ids) & ids != ""
  subj <- unique(ids[keep])
  sel <- keep & hit
  sp <- split(d[[variable]][sel], ids[sel])
  vals <- vapply(subj, function(s) { x <- sp[[s]]; x <- unique(x[!is.na(x)]); if (length(x) == 1) x else NA_real_ }, 0)
  setNames(vals, subj)
}
## SAS PROC MIXED's information criteria: d = covariance parameters (REML) or + rank(X) (ML); BIC's n = subjects
study_ic <- function(m2ll, q, n, p, s, method) {
  d <- if (method == "REML") q else q + p
  ns <- if (method == "REML") n - p else n
  c(minus2ll = m2ll, aic = m2ll + 2 * d, aicc = m2ll + 2 * d * ns / (ns - d - 1), bic = m2ll + d * log(s))
}
study_q <- function(fit) {
  if (inherits(fit, "merMod")) return(length(lme4::getME(fit, "theta")) + 1)
  length(coef(fit$modelStruct, unconstrained = TRUE)) + 1
}
study_m2ll <- function(fit) -2 * as.numeric(logLik(fit))
## SAS's label of each fixed-effect column ("visit*age 2") from R's model matrix
study_fixed_labels <- function(X, formula) {
  asg <- attr(X, "assign"); cn <- colnames(X); tl <- attr(terms(formula), "term.labels")
  vapply(seq_along(cn), function(j) {
    if (asg[j] == 0) return("Intercept")
    vars <- strsplit(tl[asg[j]], ":", fixed = TRUE)[[1]]
    pieces <- strsplit(cn[j], ":", fixed = TRUE)[[1]]
    lev <- character(0)
    for (i in seq_along(vars)) if (!identical(pieces[i], vars[i])) lev <- c(lev, substring(pieces[i], nchar(vars[i]) + 1))
    paste(c(paste(vars, collapse = "*"), lev), collapse = " ")
  }, "")
}
study_beta <- function(fit) if (inherits(fit, "merMod")) lme4::fixef(fit) else if (inherits(fit, "lme")) nlme::fixef(fit) else coef(fit)
## Cov(beta) as Study (and SAS) computes it: nlme's gls under ML scales vcov() by sigma^2 with N - p
## (the REML-type residual variance), SAS by the ML estimate: the factor (N - p) / N puts it back;
## with Kenward-Roger the adjusted covariance Phi_A (pbkrtest::vcovAdj, the expected information)
study_vcov <- function(fit, kr = FALSE) {
  if (kr && inherits(fit, "merMod")) return(as.matrix(pbkrtest::vcovAdj(fit)))
  V <- as.matrix(vcov(fit))
  if (inherits(fit, "gls") && fit$method == "ML") V <- V * (fit$dims$N - fit$dims$p) / fit$dims$N
  V
}

## Type 3 tests as SAS defines them: the Wald F of each effect in the sum-to-zero parameterisation (class
## effects tested where the covariates are 0), computed from this fit by a change of basis (no refit)
study_type3 <- function(fit, formula, data, V = study_vcov(fit)) {
  Xa <- model.matrix(formula, data)
  op <- options(contrasts = c("contr.sum", "contr.poly"))
  Xs <- model.matrix(formula, data)
  options(op)
  b <- study_beta(fit)
  keep <- colnames(Xa) %in% names(b)
  Xa <- Xa[, keep, drop = FALSE]
  Tm <- qr.solve(Xa, Xs)
  if (max(abs(Xa %*% Tm - Xs)) > 1e-8 * max(1, max(abs(Xs)))) stop("the sum-to-zero coding spans another space (aliased columns)")
  Ti <- solve(Tm)
  bs <- drop(Ti %*% b[colnames(Xa)]); Vs <- Ti %*% V[colnames(Xa), colnames(Xa)] %*% t(Ti)
  asg <- attr(Xs, "assign"); tl <- attr(terms(formula), "term.labels")
  out <- list()
  for (k in seq_along(tl)) {
    idx <- which(asg == k)
    if (!length(idx)) next
    w <- drop(t(bs[idx]) %*% solve(Vs[idx, idx, drop = FALSE], bs[idx]))
    out[[length(out) + 1]] <- list(effect = gsub(":", "*", tl[k], fixed = TRUE), numdf = length(idx), chisq = w, F = w / length(idx))
  }
  out
}
## SAS's names for the R-side covariance parameters, from nlme's sigma, varIdent ratios and correlation
study_rside_covparms <- function(fit, type, levels, subject) {
  k <- length(levels)
  sig <- fit$sigma
  rat <- rep(1, k)
  vs <- fit$modelStruct$varStruct
  if (!is.null(vs)) { r <- coef(vs, unconstrained = FALSE, allCoef = TRUE); rat <- unname(r[levels]) }
  sd <- sig * rat
  cs <- fit$modelStruct$corStruct
  par <- if (is.null(cs)) numeric(0) else coef(cs, unconstrained = FALSE)
  out <- list()
  add <- function(name, est) out[[length(out) + 1]] <<- list(name = name, subject = subject, estimate = unname(est))
  if (type %in% c("CS", "CSH")) { R <- matrix(par[1], k, k); diag(R) <- 1 }
  if (type %in% c("AR1", "ARH1")) R <- outer(1:k, 1:k, function(i, j) par[1]^abs(i - j))
  if (type == "UN") { R <- diag(k); R[lower.tri(R)] <- par; R[upper.tri(R)] <- t(R)[upper.tri(R)] }
  if (type %in% c("TOEP", "TOEPH")) { ac <- if (k > 1) ARMAacf(ar = par, lag.max = k - 1) else 1; R <- outer(1:k, 1:k, function(i, j) ac[abs(i - j) + 1]) }
  switch(type,
    VC = add("Residual", sig^2),
    CS = { add("CS", sig^2 * par[1]); add("Residual", sig^2 * (1 - par[1])) },
    CSH = { for (i in 1:k) add(sprintf("Var(%d)", i), sd[i]^2); add("CSH", par[1]) },
    AR1 = { add("AR(1)", par[1]); add("Residual", sig^2) },
    ARH1 = { for (i in 1:k) add(sprintf("Var(%d)", i), sd[i]^2); add("ARH(1)", par[1]) },
    UN = { V <- diag(sd) %*% R %*% diag(sd); for (i in 1:k) for (j in 1:i) add(sprintf("UN(%d,%d)", i, j), V[i, j]) },
    TOEP = { if (k > 1) for (l in 1:(k - 1)) add(sprintf("TOEP(%d)", l + 1), sig^2 * ac[l + 1]); add("Residual", sig^2) },
    TOEPH = { for (i in 1:k) add(sprintf("Var(%d)", i), sd[i]^2); if (k > 1) for (l in 1:(k - 1)) add(sprintf("TOEPH(%d)", l), ac[l + 1]) },
    SPPOW = { add("SP(POW)", exp(-1 / par[["range"]])); add("Residual", sig^2) },
    SPEXP = { add("SP(EXP)", par[["range"]]); add("Residual", sig^2) },
    SPGAU = { add("SP(GAU)", par[["range"]]); add("Residual", sig^2) })
  out
}
## SAS's names for lme4's variance components: map = list(list(grp, var1, var2, name, subject), ...)
study_lmer_covparms <- function(fit, map) {
  vc <- as.data.frame(lme4::VarCorr(fit))
  out <- list()
  for (e in map) {
    row <- vc[vc$grp == e$grp & vc$var1 == e$var1 & ((is.na(e$var2) & is.na(vc$var2)) | (!is.na(vc$var2) & vc$var2 %in% e$var2)), ]
    out[[length(out) + 1]] <- c(list(name = e$name, estimate = if (nrow(row)) row$vcov[1] else NA), if (!is.null(e$subject)) list(subject = e$subject))
  }
  out[[length(out) + 1]] <- list(name = "Residual", estimate = sigma(fit)^2)
  out
}
## the G-side intercept variance of an lme fit (random = ~ 1 | g)
study_lme_gside <- function(fit, name, subject) {
  G <- as.matrix(nlme::pdMatrix(fit$modelStruct$reStruct[[1]])) * fit$sigma^2
  list(list(name = name, subject = subject, estimate = G[1, 1]))
}
study_fixed <- function(fit, X, formula, df = NULL, V = study_vcov(fit)) {
  b <- study_beta(fit)
  labels <- setNames(study_fixed_labels(X, formula), colnames(X))
  lev <- study_fixed_levels(X, formula)
  lapply(names(b), function(nm) c(list(term = unname(labels[nm]), vars = as.list(lev[[nm]]$vars), levels = lev[[nm]]$levels, estimate = unname(b[nm]), se = sqrt(V[nm, nm])), if (!is.null(df)) list(df = df)))
}
## each column's variables and class levels (for matching the Solution's rows whatever the label's order)
study_fixed_levels <- function(X, formula) {
  asg <- attr(X, "assign"); cn <- colnames(X); tl <- attr(terms(formula), "term.labels")
  setNames(lapply(seq_along(cn), function(j) {
    if (asg[j] == 0) return(list(vars = character(0), levels = setNames(list(), character(0))))
    vars <- strsplit(tl[asg[j]], ":", fixed = TRUE)[[1]]
    pieces <- strsplit(cn[j], ":", fixed = TRUE)[[1]]
    lev <- list()
    for (i in seq_along(vars)) if (!identical(pieces[i], vars[i])) lev[[vars[i]]] <- substring(pieces[i], nchar(vars[i]) + 1)
    list(vars = vars, levels = if (length(lev)) lev else setNames(list(), character(0)))
  }), cn)
}
## LS-means and their differences as Study labels them: levels joined by spaces, in the effect's order
study_level_label <- function(s, vars) apply(s[, vars, drop = FALSE], 1, function(r) paste(trimws(as.character(r)), collapse = " "))
study_lsmeans <- function(emm, effect, vars, pairwise, adjust, by = NULL, at = NULL) {
  s <- as.data.frame(summary(emm))
  lab <- study_level_label(s, vars)
  atl <- if (length(at)) as.list(at) else NULL
  ls <- lapply(seq_len(nrow(s)), function(i) c(list(effect = effect, level = unname(lab[i]), estimate = s$emmean[i], se = s$SE[i], df = s$df[i]), if (!is.null(atl)) list(at = atl)))
  diffs <- list(); slices <- list()
  if (pairwise || !is.null(by)) {
    groups <- if (is.null(by)) list(seq_len(nrow(s))) else split(seq_len(nrow(s)), factor(s[[by]], levels = unique(s[[by]])))
    pn <- as.data.frame(summary(pairs(emm, adjust = "none", reverse = FALSE)))
    pa <- if (adjust %in% c("tukey", "bonferroni")) as.data.frame(summary(pairs(emm, adjust = adjust, reverse = FALSE))) else NULL
    r <- 0
    for (g in groups) for (a in seq_along(g)) for (b in seq_along(g)) if (a < b) {
      r <- r + 1
      if (!pairwise) next
      i <- g[a]; j <- g[b]
      diffs[[length(diffs) + 1]] <- c(list(effect = effect, level = unname(lab[i]), vs = unname(lab[j]), estimate = pn$estimate[r], se = pn$SE[r], df = pn$df[r]),
        if (!is.null(pa)) list(p_adj = pa$p.value[r]), if (!is.null(atl)) list(at = atl))
    }
    if (!is.null(by)) {
      ## the slice F: the Wald F of equal LS-means within the slice (emmeans' joint test prints it rounded)
      jt <- as.data.frame(test(pairs(emm, reverse = FALSE), joint = TRUE))
      e <- s$emmean; Ve <- vcov(emm)
      slices <- lapply(seq_along(groups), function(gi) {
        g <- groups[[gi]]
        C <- cbind(-1, diag(length(g) - 1)); d <- C %*% e[g]
        W <- drop(t(d) %*% solve(C %*% Ve[g, g] %*% t(C), d))
        ## emmeans prints a joint test's df rounded: the df of a one-contrast slice is the contrast's own
        k <- sum(vapply(groups[seq_len(gi - 1)], function(h) length(h) * (length(h) - 1) / 2, 0))
        list(effect = effect, level = trimws(as.character(s[[by]][g[1]])), numdf = length(g) - 1, dendf = if (length(g) == 2) pn$df[k + 1] else NA, F = W / (length(g) - 1))
      })
    }
  }
  list(lsmeans = ls, diffs = diffs, slices = slices)
}
study_json <- function(x) {
  if (is.na(study_json_file)) return(invisible())
  writeLines(jsonlite::toJSON(x, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = TRUE), study_json_file)
}
study_results <- list(models = list(), other = list())
`;
