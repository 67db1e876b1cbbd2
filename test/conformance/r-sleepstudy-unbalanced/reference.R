## sleepstudy-unbalanced: lme4::sleepstudy with 40 of the 180 rows removed at random (missing visits, so
## subjects have 5..10 observations) and a between-subject class Group (subjects in id order: 6 each in
## A, B, C; an artificial grouping so that the model has a multi-df class effect and LS-means).
## Reaction ~ Group * Days + (Days | Subject), REML; lmerTest Satterthwaite and Kenward-Roger (pbkrtest),
## Type 3, emmeans LS-means of Group at the mean of Days over the rows used.
## Re-run: Rscript reference.R   (writes data.csv and case.json next to this file)
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
if (length(.f)) setwd(dirname(normalizePath(.f)))
source("../r-common/helpers.R"); source("../r-common/lmer_case.R")
d0 <- lme4::sleepstudy
ids <- sort(unique(as.character(d0$Subject)))
grp <- setNames(rep(c("A", "B", "C"), each = 6), ids)
set.seed(20261127)
drop <- sort(sample.int(nrow(d0), 40))
d0 <- d0[-drop, ]
write.csv(data.frame(Subject = as.character(d0$Subject), Group = unname(grp[as.character(d0$Subject)]), Days = d0$Days,
                     Reaction = d0$Reaction), "data.csv", row.names = FALSE)
d <- read.csv("data.csv"); d$Subject <- factor(d$Subject); d$Group <- factor(d$Group, levels = c("A", "B", "C"))
stopifnot(length(unique(d$Subject)) == 18)
r <- run_lmer_case("sleepstudy-unbalanced",
  "Sleep deprivation, 40 random rows removed, Group (3 between-subject levels) * Days + (Days | Subject), UN G, REML",
  d, "Reaction ~ Group * Days + (Days | Subject)",
  model_desc = list(response = "Reaction", subject = "Subject", classes = list("Group", "Subject"),
                    class_levels = list(Group = c("A", "B", "C")), fixed = "Group * Days",
                    covariates = list(Days = "numeric 0..9, unbalanced: 5 to 10 days per subject"),
                    random = list(list(terms = c("Intercept", "Days"), subject = "Subject", type = "UN")),
                    method = "REML", ddfm = "SATTERTHWAITE (primary); KENWARDROGER in *_kr"),
  vc_names = function(vc) {
    key <- paste(vc$grp, vc$var1, vc$var2)
    map <- c("Subject (Intercept) NA" = "UN(1,1)", "Subject (Intercept) Days" = "UN(2,1)", "Subject Days NA" = "UN(2,2)",
             "Residual NA NA" = "Residual")
    lapply(key, function(k) list(name = unname(map[k]), subject = if (k == "Residual NA NA") NULL else "Subject"))
  },
  q = 4, s = 18,
  se_spec = function(d) list(groups = split(seq_len(nrow(d)), d$Subject), Vfun = function(th, idx) {
    Z <- cbind(1, d$Days[idx]); G <- matrix(c(th[["UN(1,1)"]], th[["UN(2,1)"]], th[["UN(2,1)"]], th[["UN(2,2)"]]), 2)
    Z %*% G %*% t(Z) + th[["Residual"]] * diag(length(idx)) }),
  emm_spec = ~ Group, emm_effect = "Group",
  emm_note = sprintf("Days held at its mean over the %d observations used (%.17g), as SAS LSMEANS does for a covariate.", nrow(d), mean(d$Days)),
  notes = sprintf("Rows removed (1-based row numbers of lme4::sleepstudy, set.seed(20261127); sample.int(180, 40)): %s. Type 3 Group tests Group differences at Days = 0, as SAS Type 3 does.",
                  paste(drop, collapse = ", ")))
print(table(table(d$Subject))); print(anova(r$m, type = 3, ddf = "Kenward-Roger")); print(anova(r$m, type = 3))
