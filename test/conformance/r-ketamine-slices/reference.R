## ketamine-slices: simple-effect comparisons (SAS SLICE visit*sex / SLICEBY=visit DIFF, and SLICEBY=sex;
## R emmeans pairs(~ sex | visit) and pairs(~ visit | sex)) with Tukey adjustment within each slice.
## Model: bdi ~ visit * sex + (1 | patient), REML, Satterthwaite df (lmerTest), on the synthetic ketamine
## cohort (../ketamine-synthetic/ketamine.csv). SAS GLM coding (contr.SAS) so the fixed effects are SAS's.
## Re-run: Rscript reference.R   (writes data.csv and case.json next to this file)
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
if (length(.f)) setwd(dirname(normalizePath(.f)))
source("../r-common/helpers.R")
suppressPackageStartupMessages({ library(lme4); library(lmerTest); library(emmeans) })
emm_options(lmerTest.limit = 1e6, pbkrtest.limit = 1e6)
options(contrasts = c("contr.SAS", "contr.poly"))
k <- read.csv("../ketamine-synthetic/ketamine.csv", stringsAsFactors = FALSE)
k <- k[!is.na(k$bdi), c("patient", "visit", "sex", "bdi")]
write.csv(k, "data.csv", row.names = FALSE)
d <- read.csv("data.csv", stringsAsFactors = FALSE)
d$visit <- factor(d$visit); d$sex <- factor(d$sex); d$patient <- factor(d$patient)
m <- lmer(bdi ~ visit * sex + (1 | patient), data = d, REML = TRUE,
          control = lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5)))
vc <- as.data.frame(VarCorr(m))
co <- summary(m, ddf = "Satterthwaite")$coefficients
fixed <- lapply(seq_len(nrow(co)), function(i) list(term = rownames(co)[i], estimate = co[i, "Estimate"], se = co[i, "Std. Error"],
                                                    df = co[i, "df"], t = co[i, "t value"], p = co[i, "Pr(>|t|)"]))
a <- anova(m, type = 3, ddf = "Satterthwaite")
type3 <- lapply(seq_len(nrow(a)), function(i) list(effect = rownames(a)[i], numdf = a$NumDF[i], dendf = a$DenDF[i], F = a[["F value"]][i], p = a[["Pr(>F)"]][i]))
## LS-means of the visit*sex cells; our labels are "visit sex" (the model term's variable order)
cells <- as.data.frame(summary(emmeans(m, ~ visit * sex, lmer.df = "satterthwaite"), infer = c(TRUE, TRUE)))
lsmeans <- lapply(seq_len(nrow(cells)), function(i) list(effect = "visit*sex", level = paste(cells$visit[i], cells$sex[i]),
  estimate = cells$emmean[i], se = cells$SE[i], df = cells$df[i], lower = cells$lower.CL[i], upper = cells$upper.CL[i]))
sliced <- function(spec, by, label) {
  e <- emmeans(m, spec, lmer.df = "satterthwaite")
  pn <- as.data.frame(summary(pairs(e, adjust = "none")))
  pt <- as.data.frame(summary(pairs(e, adjust = "tukey")))
  stopifnot(identical(pn$contrast, pt$contrast))
  lapply(seq_len(nrow(pn)), function(i) {
    lv <- trimws(strsplit(as.character(pn$contrast[i]), " - ")[[1]])
    lv <- sub("^visit", "", lv)
    b <- as.character(pn[[by]][i])
    lab <- function(x) label(x, b)
    list(effect = "visit*sex", level = lab(lv[1]), vs = lab(lv[2]), by = setNames(list(b), by),
         estimate = pn$estimate[i], se = pn$SE[i], df = pn$df[i], t = pn$t.ratio[i], p = pn$p.value[i], p_adj = pt$p.value[i])
  })
}
diffs <- c(sliced(~ sex | visit, "visit", function(x, b) paste(b, x)),   # sex within visit: "2 F" vs "2 M"
           sliced(~ visit | sex, "sex", function(x, b) paste(x, b)))     # visit within sex: "1 F" vs "2 F"
case <- list(
  id = "ketamine-slices",
  title = "Simple-effect comparisons: sex within each visit and visit within each sex (Tukey within each slice), bdi ~ visit*sex + (1 | patient), REML, Satterthwaite",
  source = sprintf("R %s.%s, lme4 %s, lmerTest %s, emmeans %s: lmer(bdi ~ visit * sex + (1 | patient), REML, bobyqa rhoend 1e-12), contr.SAS; emmeans(m, ~ visit * sex) and pairs(emmeans(m, ~ sex | visit)), pairs(emmeans(m, ~ visit | sex)) with adjust = 'none' and 'tukey', lmer.df = 'satterthwaite'",
                   R.version$major, R.version$minor, pkgver("lme4"), pkgver("lmerTest"), pkgver("emmeans")),
  data = "data.csv",
  model = list(response = "bdi", subject = "patient", classes = list("visit", "sex", "patient"), fixed = "visit * sex",
               random = list(list(terms = c("Intercept"), subject = "patient", type = "VC")), method = "REML", ddfm = "SATTERTHWAITE"),
  expected = list(minus2ll = REMLcrit(m),
                  covparms = list(list(name = "Intercept", subject = "patient", estimate = vc$vcov[vc$grp == "patient"]),
                                  list(name = "Residual", estimate = vc$vcov[vc$grp == "Residual"])),
                  fixed = fixed, type3 = type3, lsmeans = lsmeans, diffs = diffs,
                  parameterization = "contr.SAS: SAS GLM coding (last level zero), R coefficient names",
                  lsmeans_method = "emmeans; diffs are level - vs within one level of `by`; p_adj is Tukey within that level (a family of 2 sexes, or of 7 visits)"),
  tolerance = list(rel = 1e-4, abs = 1e-4, satterthwaite_df_rel = 1e-3,
                   note = paste("lmerTest/emmeans Satterthwaite df use numerical derivatives: compare df with rel 1e-3.",
                                "abs 1e-4 (BDI points): the engine stops at SAS's convergence criterion, which moves near-zero coefficients by ~1e-5 from this exact optimum")),
  notes = "SAS PROC MIXED: SLICE visit*sex / SLICEBY=visit DIFF ADJUST=TUKEY and SLICEBY=sex (the Simple Effect Comparisons tables; GLIMMIX: LSMEANS / SLICEDIFF=); the engine's compare sex at each visit / compare visit at each sex.")
write_case(case)
cat("-2LL =", REMLcrit(m), "; diffs:", length(diffs), "\n")
