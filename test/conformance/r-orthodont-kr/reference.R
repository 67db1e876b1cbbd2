## orthodont-kr: Potthoff-Roy growth data, distance ~ Sex * age_f (age as a class), REML, with
## Satterthwaite and Kenward-Roger inference for two R-side structures:
##  (1) CS over age_f within Subject. With a positive covariance CS equals a random intercept model,
##      so lme4 + lmerTest (Satterthwaite, KR) + pbkrtest + emmeans give the reference numbers
##      (covariance parameters: CS = Subject variance, Residual).
##  (2) AR(1) over the occasion index within Subject (nlme::gls). No R package does KR for it:
##      Satterthwaite and KR are computed from the formulas in ../r-common/kr_by_hand.R, which is first
##      checked against pbkrtest / lmerTest on model (1).
## Re-run: Rscript reference.R   (writes data.csv and case.json next to this file)
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
if (length(.f)) setwd(dirname(normalizePath(.f)))
source("../r-common/helpers.R"); source("../r-common/lmer_case.R"); source("../r-common/kr_by_hand.R")
suppressPackageStartupMessages(library(nlme))

d0 <- as.data.frame(nlme::Orthodont)
write.csv(data.frame(Subject = as.character(d0$Subject), Sex = as.character(d0$Sex), age = d0$age,
                     age_f = as.character(d0$age), occ = match(d0$age, c(8, 10, 12, 14)), distance = d0$distance),
          "data.csv", row.names = FALSE)
d <- read.csv("data.csv", stringsAsFactors = FALSE)
d$Sex <- factor(d$Sex, levels = c("Male", "Female")); d$age_f <- factor(d$age, levels = c(8, 10, 12, 14))
d$Subject <- factor(d$Subject)
X <- model.matrix(~ Sex * age_f, d); y <- d$distance; n <- nrow(d); p <- ncol(X)
groups <- split(seq_len(n), as.character(d$Subject))
blockdiag <- function(f) { M <- matrix(0, n, n); for (g in groups) M[g, g] <- f(g); M }

## ---------- (1) CS = random intercept: lme4 / lmerTest / pbkrtest / emmeans ----------
m <- lmer(distance ~ Sex * age_f + (1 | Subject), data = d, REML = TRUE)
vc <- as.data.frame(VarCorr(m))
th_cs <- c(CS = vc$vcov[vc$grp == "Subject"], Residual = vc$vcov[vc$grp == "Residual"])
stopifnot(th_cs[["CS"]] > 0)
Vfun_cs <- function(th, idx) th[["CS"]] + th[["Residual"]] * diag(length(idx))
m2ll <- REMLcrit(m)
ser_cs <- covparm_se(th_cs, y, X, groups, Vfun_cs, "REML", m2ll)
emm_s <- list(Sex = emmeans(m, ~ Sex, lmer.df = "satterthwaite"), age_f = emmeans(m, ~ age_f, lmer.df = "satterthwaite"))
emm_k <- list(Sex = emmeans(m, ~ Sex, lmer.df = "kenward-roger"), age_f = emmeans(m, ~ age_f, lmer.df = "kenward-roger"))
bl <- function(e) { a <- emm_blocks(e$Sex, "Sex"); b <- emm_blocks(e$age_f, "age_f"); list(lsmeans = c(a$lsmeans, b$lsmeans), diffs = c(a$diffs, b$diffs)) }
b_s <- bl(emm_s); b_k <- bl(emm_k)

## check the by-hand formulas against pbkrtest / lmerTest on this model
V <- blockdiag(function(g) Vfun_cs(th_cs, g))
dV <- list(blockdiag(function(g) matrix(1, length(g), length(g))), diag(n))
pt_cs <- kr_parts(X, V, dV)
W_cs <- 2 * solve(pt_cs$IE)
PhiA_pb <- as.matrix(pbkrtest::vcovAdj(m))
PhiA_hand <- kr_phiA(pt_cs, W_cs)
stopifnot(max(abs(PhiA_hand - PhiA_pb)) < 1e-6 * max(abs(PhiA_pb)))
Lt <- lmerTest:::get_contrasts_type3(m)
a_kr <- anova(m, type = 3, ddf = "Kenward-Roger")
for (nm in names(Lt)) {
  k <- kr_test(pt_cs, W_cs, Lt[[nm]])
  stopifnot(abs(k$df - a_kr[nm, "DenDF"]) < 1e-6 * a_kr[nm, "DenDF"])
  b <- fixef(m); Lb <- Lt[[nm]] %*% b
  Fk <- drop(t(Lb) %*% solve(Lt[[nm]] %*% PhiA_hand %*% t(Lt[[nm]]), Lb)) / k$q * k$lambda
  stopifnot(abs(Fk - a_kr[nm, "F value"]) < 1e-6 * a_kr[nm, "F value"])
}
a_s <- anova(m, type = 3, ddf = "Satterthwaite")
for (nm in names(Lt)) stopifnot(abs(satt_df(pt_cs, ser_cs$asycov, Lt[[nm]]) - a_s[nm, "DenDF"]) < 1e-3 * a_s[nm, "DenDF"])

## ---------- (2) AR(1) R-side: gls + formulas ----------
g1 <- gls(distance ~ Sex * age_f, data = d, method = "REML", correlation = corAR1(form = ~ occ | Subject))
rho <- unname(coef(g1$modelStruct$corStruct, unconstrained = FALSE)); s2 <- g1$sigma^2
th_ar <- c("AR(1)" = rho, Residual = s2)
occ_of <- function(g) d$occ[g]
Vfun_ar <- function(th, idx) { o <- d$occ[idx]; th[["Residual"]] * outer(o, o, function(i, j) th[["AR(1)"]]^abs(i - j)) }
m2ll_ar <- as.numeric(-2 * logLik(g1))
ser_ar <- covparm_se(th_ar, y, X, groups, Vfun_ar, "REML", m2ll_ar)
Va <- blockdiag(function(g) Vfun_ar(th_ar, g))
lag <- blockdiag(function(g) abs(outer(occ_of(g), occ_of(g), "-")))
same <- blockdiag(function(g) matrix(1, length(g), length(g)))     # 1 within a subject, 0 across
pw <- function(e) ifelse(same == 1 & e >= 0, rho^pmax(e, 0), 0)
dV_ar <- list(s2 * lag * pw(lag - 1) * (lag >= 1), pw(lag))
d2V_ar <- list(list(s2 * lag * (lag - 1) * pw(lag - 2) * (lag >= 2), lag * pw(lag - 1) * (lag >= 1)),
               list(lag * pw(lag - 1) * (lag >= 1), NULL))
stopifnot(max(abs(Va - s2 * pw(lag))) < 1e-12)
pt_ar <- kr_parts(X, Va, dV_ar, d2V_ar)
b_ar <- coef(g1)
stopifnot(max(abs(pt_ar$Phi - vcov(g1))) < 1e-8 * max(abs(vcov(g1))))
W_exp <- 2 * solve(pt_ar$IE); W_obs <- ser_ar$asycov
Ls_coef <- setNames(lapply(seq_len(p), function(j) { e <- numeric(p); e[j] <- 1; e }), colnames(X))
lsm_Ls <- list(Sex = emm_s$Sex@linfct, age_f = emm_s$age_f@linfct)
lsm_lab <- list(Sex = c("Male", "Female"), age_f = c("8", "10", "12", "14"))
stopifnot(all(colnames(lsm_Ls$Sex) == colnames(X)))
variant <- function(W, second) {
  PhiA <- kr_phiA(pt_ar, W, second)
  dff <- function(L) kr_test(pt_ar, W, L)$df
  list(fixed = t_rows(b_ar, PhiA, Ls_coef, dff),
       type3 = f_rows(b_ar, PhiA, Lt, dff, function(L) kr_test(pt_ar, W, L)$lambda),
       lsmeans = c(lsm_rows(b_ar, PhiA, lsm_Ls$Sex, lsm_lab$Sex, "Sex", dff), lsm_rows(b_ar, PhiA, lsm_Ls$age_f, lsm_lab$age_f, "age_f", dff)))
}
sdf <- function(L) satt_df(pt_ar, W_obs, L)
ar_s <- list(fixed = t_rows(b_ar, pt_ar$Phi, Ls_coef, sdf), type3 = f_rows(b_ar, pt_ar$Phi, Lt, sdf),
             lsmeans = c(lsm_rows(b_ar, pt_ar$Phi, lsm_Ls$Sex, lsm_lab$Sex, "Sex", sdf), lsm_rows(b_ar, pt_ar$Phi, lsm_Ls$age_f, lsm_lab$age_f, "age_f", sdf)))
ar_k <- variant(W_exp, TRUE); ar_ko <- variant(W_obs, TRUE); ar_kf <- variant(W_exp, FALSE)

ics <- ic_sas(m2ll, 2, n, p, length(groups), "REML")
case <- list(
  id = "orthodont-kr",
  title = "Potthoff-Roy growth data, Sex * age (class), CS and AR(1) R-side, Satterthwaite and Kenward-Roger",
  source = sprintf(paste0("R %s.%s, lme4 %s, lmerTest %s, pbkrtest %s, emmeans %s, nlme %s: (1) lmer(distance ~ Sex * age_f + (1 | Subject), REML = TRUE) ",
                          "(= CS R-side); (2) gls(distance ~ Sex * age_f, correlation = corAR1(form = ~ occ | Subject), method = 'REML') with ",
                          "Satterthwaite / Kenward-Roger from the formulas (../r-common/kr_by_hand.R, checked against pbkrtest on (1))"),
                   R.version$major, R.version$minor, pkgver("lme4"), pkgver("lmerTest"), pkgver("pbkrtest"), pkgver("emmeans"), pkgver("nlme")),
  data = "data.csv",
  model = list(response = "distance", subject = "Subject", classes = c("Sex", "age_f"),
               class_levels = list(Sex = c("Male", "Female"), age_f = c("8", "10", "12", "14")),
               fixed = "Sex * age_f", repeated = list(effect = "age_f", type = "CS", subject = "Subject"),
               random = list(), method = "REML", ddfm = "SATTERTHWAITE (primary); KENWARDROGER in *_kr"),
  expected = list(
    minus2ll = m2ll, aic = ics$aic, aicc = ics$aicc, bic = ics$bic, ic_convention = ics$ic_convention,
    n_obs_used = n, rank_X = p, n_subjects = length(groups),
    covparms = list(list(name = "CS", subject = "Subject", estimate = th_cs[["CS"]], se = ser_cs$se[["CS"]]),
                    list(name = "Residual", estimate = th_cs[["Residual"]], se = ser_cs$se[["Residual"]])),
    fixed = fixed_lmer(m, "Satterthwaite"), fixed_kr = fixed_lmer(m, "Kenward-Roger"),
    parameterization = "R treatment contrasts (first levels Male, age 8 are the reference); terms named as R coef names",
    type3 = type3_lmer(m, "Satterthwaite"), type3_kr = type3_lmer(m, "Kenward-Roger"),
    type3_method = "lmerTest anova(m, type = 3, ddf = 'Satterthwaite' | 'Kenward-Roger'); KR F is pbkrtest's scaled F (lambda * Wald(Phi_A) / q)",
    lsmeans = b_s$lsmeans, diffs = b_s$diffs, lsmeans_kr = b_k$lsmeans, diffs_kr = b_k$diffs,
    lsmeans_method = "emmeans(m, ~Sex) and emmeans(m, ~age_f), lmer.df = 'satterthwaite' | 'kenward-roger'; diffs = level - vs, p unadjusted, p_adj Tukey",
    ar1 = list(
      model = list(repeated = list(effect = "age_f", type = "AR1", subject = "Subject"),
                   note = "AR(1) over the occasion index occ = 1..4 (age 8, 10, 12, 14)"),
      minus2ll = m2ll_ar,
      covparms = list(list(name = "AR(1)", subject = "Subject", estimate = rho, se = ser_ar$se[["AR(1)"]]),
                      list(name = "Residual", estimate = s2, se = ser_ar$se[["Residual"]])),
      asycov_observed = lapply(1:2, function(i) structure(W_obs[i, ], keep_array = TRUE)),
      asycov_expected = lapply(1:2, function(i) structure(W_exp[i, ], keep_array = TRUE)),
      fixed = ar_s$fixed, type3 = ar_s$type3, lsmeans = ar_s$lsmeans,
      fixed_kr = ar_k$fixed, type3_kr = ar_k$type3, lsmeans_kr = ar_k$lsmeans,
      fixed_kr_observed = ar_ko$fixed, type3_kr_observed = ar_ko$type3, lsmeans_kr_observed = ar_ko$lsmeans,
      fixed_kr_firstorder = ar_kf$fixed, type3_kr_firstorder = ar_kf$type3, lsmeans_kr_firstorder = ar_kf$lsmeans,
      method = paste("By hand (kr_by_hand.R) at the gls estimates: Satterthwaite with A = 2 H^-1 (numDeriv Hessian of -2 REML log likelihood);",
                     "*_kr: W = 2 x inverse expected REML information, Phi_A with the second-derivative term -R/4 (KR 1997; engine default);",
                     "*_kr_observed: W = 2 H^-1 (observed) with the R term (SAS DDFM=KR as mmrm computes it);",
                     "*_kr_firstorder: W expected, no R term (SAS KR(FIRSTORDER)). Type 3 L from lmerTest:::get_contrasts_type3, LS-means L from emmeans (age_f / Sex averaged with equal weights).")
    )),
  tolerance = list(rel = 1e-4, abs = 1e-6, satterthwaite_df_rel = 1e-3,
                   note = "lmerTest Satterthwaite df use numerical derivatives: compare those df with rel 1e-3; the AR(1) block depends on the gls optimum (about 1e-5 relative) and on numDeriv's Hessian for the observed variants (rel 1e-3)"),
  notes = paste("Primary ddfm = Satterthwaite (fixed, type3, lsmeans, diffs); *_kr are Kenward-Roger (pbkrtest expected-information version, KR-adjusted covariance for SEs).",
                "The engine fits REPEATED age_f / SUBJECT=Subject TYPE=CS; the CS covariance equals the lme4 Subject variance.", se_note))
write_case(case)
print(a_kr); print(summary(g1)$tTable)
