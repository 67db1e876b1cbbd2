## ketamine-un-kr: the synthetic ketamine cohort's UN R-side model (../ketamine-synthetic), with
## Satterthwaite and Kenward-Roger inference computed from the formulas at the nlme::gls fit
## (../r-common/kr_by_hand.R, which r-orthodont-kr checks against pbkrtest / lmerTest).
##   proc mixed method=reml; class patient time;
##     model pct_change = time age age*time / solution ddfm=kr;   (and ddfm=satterthwaite)
##     repeated time / subject=patient type=UN;
##     lsmeans time / diff;
## pct_change = 100 (bdi - bdi at visit 1) / bdi at visit 1, visits 2..6 (time), rows with a value.
## Re-run: Rscript reference.R   (writes data.csv and case.json next to this file)
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
if (length(.f)) setwd(dirname(normalizePath(.f)))
source("../r-common/helpers.R"); source("../r-common/covse.R"); source("../r-common/kr_by_hand.R")
suppressPackageStartupMessages(library(nlme))

d <- read.csv("../ketamine-synthetic/ketamine.csv", na.strings = c("", "NA", "."), stringsAsFactors = FALSE)
base <- d[d$visit == 1, c("patient", "bdi")]; names(base)[2] <- "bdi1"
d <- merge(d, base, by = "patient", all.x = TRUE)
d$pct_change <- 100 * (d$bdi - d$bdi1) / d$bdi1
an <- d[d$visit %in% 2:6 & !is.na(d$pct_change), ]
an <- an[order(an$patient, an$visit), ]
write.csv(data.frame(patient = an$patient, time = an$visit, age = an$age, pct_change = an$pct_change), "data.csv", row.names = FALSE)
an <- read.csv("data.csv", stringsAsFactors = FALSE)
an$tidx <- an$time - 1L
an$timef <- relevel(factor(an$time, levels = 2:6), ref = "6")
N <- nrow(an)
## SAS GLM order, non-aliased columns: Intercept, time 2..5, age, age*time 2..5
X <- model.matrix(~ timef * age, an)
X <- X[, c("(Intercept)", paste0("timef", 2:5), "age", paste0("timef", 2:5, ":age"))]
glm_names <- c("Intercept", paste("time", 2:5), "age", paste("time*age", 2:5))
colnames(X) <- glm_names; p <- ncol(X); y <- an$pct_change
ctrl <- glsControl(maxIter = 1000, msMaxIter = 1000, tolerance = 1e-10, msTol = 1e-12, returnObject = FALSE)
fit <- gls(pct_change ~ timef * age, data = an, method = "REML", control = ctrl,
           correlation = corSymm(form = ~ tidx | patient), weights = varIdent(form = ~ 1 | timef))
full_id <- names(which(table(an$patient) == 5))[1]
S <- unclass(getVarCov(fit, individual = full_id)); tt <- an$tidx[an$patient == full_id]; S <- S[order(tt), order(tt)]
un_names <- unlist(lapply(1:5, function(i) sprintf("UN(%d,%d)", i, 1:i)))
th <- setNames(unlist(lapply(1:5, function(i) S[i, 1:i])), un_names)
groups <- split(seq_len(N), an$patient)
Vfun <- function(th, idx) {
  M <- matrix(0, 5, 5)
  for (i in 1:5) for (j in 1:i) M[i, j] <- M[j, i] <- th[[sprintf("UN(%d,%d)", i, j)]]
  o <- an$tidx[idx]; M[o, o, drop = FALSE]
}
## -2 REML log likelihood in SAS's convention (nlme's differs by a constant); check against the blocks
m2ll <- m2ll_blocks(th, y, X, groups, Vfun, "REML")
ser <- covparm_se(th, y, X, groups, Vfun, "REML", m2ll)
blockdiag <- function(f) { M <- matrix(0, N, N); for (g in groups) M[g, g] <- f(g); M }
V <- blockdiag(function(g) Vfun(th, g))
dV <- lapply(un_names, function(nm) { e <- setNames(rep(0, length(th)), un_names); e[[nm]] <- 1; blockdiag(function(g) Vfun(e, g)) })
pt <- kr_parts(X, V, dV)
b <- drop(pt$Phi %*% t(X) %*% solve(V, y))
stopifnot(max(abs(b - coef(fit)[c("(Intercept)", paste0("timef", 2:5), "age", paste0("timef", 2:5, ":age"))])) < 1e-6)
W_exp <- 2 * solve(pt$IE); W_obs <- ser$asycov
PhiA <- kr_phiA(pt, W_exp); PhiA_obs <- kr_phiA(pt, W_obs)
e <- function(j) { v <- numeric(p); v[j] <- 1; v }
Ls_coef <- setNames(lapply(1:p, e), glm_names)
## SAS Type 3 (GLM coding, time 6 aliased): time = differences at age 0; age = average slope; time*age = slopes equal
Lt <- list(time = do.call(rbind, lapply(2:5, e)),
           age = rbind(e(6) + 0.2 * (e(7) + e(8) + e(9) + e(10))),
           `time*age` = do.call(rbind, lapply(7:10, e)))
abar <- mean(an$age)
lsm <- do.call(rbind, lapply(2:6, function(k) { v <- e(1) + abar * e(6); if (k < 6) v <- v + e(k) + abar * e(k + 5); v }))
labs <- as.character(2:6)
kdf <- function(W) function(L) kr_test(pt, W, L)$df
klam <- function(W) function(L) kr_test(pt, W, L)$lambda
sdf <- function(L) satt_df(pt, W_obs, L)
diffs <- function(Cov, dff) { out <- list(); for (a in 1:4) for (c in (a + 1):5) {
  L <- lsm[a, ] - lsm[c, ]; est <- sum(L * b); se <- sqrt(drop(t(L) %*% Cov %*% L)); df <- dff(L); tv <- est / se
  out[[length(out) + 1]] <- list(effect = "time", level = labs[a], vs = labs[c], estimate = est, se = se, df = df, t = tv, p = 2 * pt(-abs(tv), df)) }
  out }
case <- list(
  id = "ketamine-un-kr",
  title = "Synthetic ketamine cohort, % change in BDI-II, time * age, UN R-side: Satterthwaite and Kenward-Roger",
  source = sprintf(paste("R %s.%s, nlme %s: gls(pct_change ~ time * age, correlation = corSymm(form = ~ tidx | patient), weights = varIdent(form = ~ 1 | time), method = 'REML');",
                         "Satterthwaite / Kenward-Roger from the formulas (../r-common/kr_by_hand.R) at that fit"), R.version$major, R.version$minor, pkgver("nlme")),
  data = "data.csv",
  model = list(response = "pct_change", subject = "patient", classes = c("time"), fixed = "time age time*age",
               repeated = list(effect = "time", type = "UN", subject = "patient"), random = list(), method = "REML",
               ddfm = "SATTERTHWAITE (fixed, type3, lsmeans, diffs); KENWARDROGER in *_kr (expected information, pbkrtest convention) and *_kr_observed (observed information)"),
  expected = list(
    minus2ll = m2ll, n_obs_used = N, rank_X = p, n_subjects = length(groups),
    covparms = lapply(un_names, function(nm) list(name = nm, subject = "patient", estimate = th[[nm]], se = ser$se[[nm]])),
    covparms_se_check = ser$check,
    parameterization = "SAS GLM (last level, time 6, aliased); terms named as the engine's Solution labels",
    fixed = t_rows(b, pt$Phi, Ls_coef, sdf),
    type3 = f_rows(b, pt$Phi, Lt, sdf),
    lsmeans = lsm_rows(b, pt$Phi, lsm, labs, "time", sdf), diffs = diffs(pt$Phi, sdf),
    fixed_kr = t_rows(b, PhiA, Ls_coef, kdf(W_exp)),
    type3_kr = f_rows(b, PhiA, Lt, kdf(W_exp), klam(W_exp)),
    lsmeans_kr = lsm_rows(b, PhiA, lsm, labs, "time", kdf(W_exp)), diffs_kr = diffs(PhiA, kdf(W_exp)),
    fixed_kr_observed = t_rows(b, PhiA_obs, Ls_coef, kdf(W_obs)),
    type3_kr_observed = f_rows(b, PhiA_obs, Lt, kdf(W_obs), klam(W_obs)),
    lsmeans_method = sprintf("time LS-means at the mean age over the %d observations used (%.17g); diffs = level - vs", N, abar)),
  tolerance = list(rel = 1e-4, abs = 1e-6, satterthwaite_df_rel = 1e-3,
                   note = "gls optimum (tolerance 1e-10) against the engine's: about 1e-5 relative. Satterthwaite and *_kr_observed use a numDeriv Hessian (relative step 0.005): rel 1e-3"),
  notes = paste("Kenward-Roger with W = 2 x inverse expected REML information (pbkrtest's convention) in *_kr; with W = 2 H^-1 (observed) in *_kr_observed.",
                "UN is linear in its parameters, so there is no second-derivative term.", se_note))
write_case(case)
str(case$expected$type3_kr)
