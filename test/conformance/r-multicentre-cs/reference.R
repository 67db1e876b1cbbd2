## multicentre-cs: a random intercept per site together with compound symmetry within patient —
## patients nested in sites, so the site effect spans several R-side subjects (SAS:
## RANDOM intercept / SUBJECT=site; REPEATED visit / SUBJECT=patient TYPE=CS). With a non-negative CS
## covariance this is the lme4 model bdi ~ visit * age + (1 | site) + (1 | site:patient), whose
## site:patient variance is SAS's CS parameter. Data: the synthetic ketamine cohort
## (../ketamine-synthetic/ketamine.csv) with five made-up sites, site = (patient number - 1) mod 5 + 1,
## and a made-up site shift added to bdi (+6, -4, +2, -7, +3 points): without it the site variance is
## near 0, where the REML surface is so flat that two optimisers' stopping points differ in the 2nd digit.
## SAS GLM coding (contr.SAS: last level zero), so the fixed effects are SAS's parameters.
## Re-run: Rscript reference.R   (writes data.csv and case.json next to this file)
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
if (length(.f)) setwd(dirname(normalizePath(.f)))
source("../r-common/helpers.R"); source("../r-common/lmer_case.R")
options(contrasts = c("contr.SAS", "contr.poly"))
k <- read.csv("../ketamine-synthetic/ketamine.csv", stringsAsFactors = FALSE)
k <- k[!is.na(k$bdi), ]
num <- as.integer(sub("^P", "", k$patient))
site <- (num - 1) %% 5 + 1
write.csv(data.frame(site = paste0("S", site), patient = k$patient, visit = k$visit,
                     bdi = k$bdi + c(6, -4, 2, -7, 3)[site], age = k$age),
          "data.csv", row.names = FALSE)
d <- read.csv("data.csv", stringsAsFactors = FALSE)
d$visit <- factor(d$visit); d$site <- factor(d$site); d$patient <- factor(d$patient)
r <- run_lmer_case("multicentre-cs",
  "Random site intercept + compound symmetry within patient (patients nested in 5 sites), bdi ~ visit*age, REML",
  d, "bdi ~ visit * age + (1 | site) + (1 | site:patient)",
  model_desc = list(response = "bdi", subject = "patient", classes = list("visit", "site", "patient"), fixed = "visit * age",
                    random = list(list(terms = c("Intercept"), subject = "site", type = "VC")),
                    repeated = list(effect = "visit", subject = "patient", type = "CS"),
                    method = "REML", ddfm = "SATTERTHWAITE (primary); KENWARDROGER in *_kr"),
  vc_names = function(vc) lapply(vc$grp, function(g)
    if (g == "Residual") list(name = "Residual") else if (g == "site") list(name = "Intercept", subject = "site") else list(name = "CS", subject = "patient")),
  q = 3, s = 5,
  se_spec = function(d) list(groups = split(seq_len(nrow(d)), d$site),
    Vfun = function(th, idx) {
      same_patient <- outer(d$patient[idx], d$patient[idx], "==")
      th[["Intercept"]] + th[["CS"]] * same_patient + th[["Residual"]] * diag(length(idx))
    }),
  control_txt = ", control = lmerControl(optimizer = 'bobyqa', optCtrl = list(rhoend = 1e-12, maxfun = 1e5))",
  emm_spec = ~ visit, emm_effect = "visit",
  emm_note = sprintf("age held at its mean over the %d observations, as SAS LSMEANS does for a covariate.", nrow(d)),
  notes = paste("Type 3 visit F tests visit at age = 0 (interaction with a continuous covariate), as SAS Type 3 does.",
                "BIC/HQIC/CAIC are not listed: which subject count SAS uses when RANDOM and REPEATED subjects differ is not documented in our sources."))
## no reference for the subject count of BIC when the RANDOM and REPEATED subjects differ
ex <- r$case$expected
ex$bic <- NULL; ex$hqic <- NULL; ex$caic <- NULL; ex$n_subjects <- NULL
ex$ic_convention <- "SAS PROC MIXED: d = covariance parameters = 3; AIC = -2LL + 2d; AICC = -2LL + 2d*n*/(n*-d-1) with n* = nobs - rank(X)"
case <- r$case; case$expected <- ex
case$source <- paste(case$source, "(bobyqa, rhoend 1e-12: the exact REML optimum)")
## The engine stops where SAS does (relative Hessian criterion 1e-8); on this likelihood that leaves the
## CS variance about 4e-4 (relative) from the exact optimum found here, and the df, SEs and p with it.
case$tolerance$rel <- 1e-3
case$tolerance$note <- paste(case$tolerance$note, "| rel 1e-3 for this case: the engine stops at SAS's convergence criterion (relative Hessian 1e-8), about 4e-4 (relative) from this exact optimum in the CS variance (-2RLL 2.4e-6 higher).")
write_case(case)
print(summary(r$m)); cat("-2LL =", REMLcrit(r$m), "\n")
