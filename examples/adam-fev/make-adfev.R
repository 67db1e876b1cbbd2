# The FEV data of examples/fev-mmrm (mmrm's fev_data: 200 subjects, 4 visits) reshaped as an ADaM BDS
# data set and written as SAS transport (XPT v5), as a sponsor delivers it: adfev.xpt.
#   PARAMCD FEV1: a baseline record per subject (AVISIT "BASELINE", AVISITN 0, AVAL = FEV1_BL, ABLFL "Y"),
#                 then the four visits with AVAL = FEV1, BASE, CHG = AVAL - BASE, PCHG = 100 CHG / BASE and
#                 ANL01FL "Y" (the records the MMRM analyses); missing FEV1 stays a record with AVAL missing.
#   PARAMCD WEIGHT: fev_data's WEIGHT at the four visits (no baseline), so that a filter on PARAMCD matters.
# From the repository root (Debian: r-base-core, r-cran-haven):
#   Rscript examples/adam-fev/make-adfev.R
suppressPackageStartupMessages(library(haven))
args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grepl("^--file=", args)])
here <- if (length(script)) dirname(normalizePath(script)) else "."
fev <- read.csv(file.path(here, "..", "fev-mmrm", "fev_data.csv"), stringsAsFactors = FALSE, na.strings = "")

subjects <- unique(fev[, c("USUBJID", "ARMCD", "RACE", "SEX", "FEV1_BL")])
visitn <- as.integer(sub("VIS", "", fev$AVISIT))
base_rows <- data.frame(
  USUBJID = subjects$USUBJID, TRTP = subjects$ARMCD, RACE = subjects$RACE, SEX = subjects$SEX,
  PARAMCD = "FEV1", PARAM = "Forced Expiratory Volume in 1 Second (L)",
  AVISIT = "BASELINE", AVISITN = 0, AVAL = subjects$FEV1_BL, BASE = subjects$FEV1_BL,
  ABLFL = "Y", ANL01FL = "", stringsAsFactors = FALSE
)
post_rows <- data.frame(
  USUBJID = fev$USUBJID, TRTP = fev$ARMCD, RACE = fev$RACE, SEX = fev$SEX,
  PARAMCD = "FEV1", PARAM = "Forced Expiratory Volume in 1 Second (L)",
  AVISIT = fev$AVISIT, AVISITN = visitn, AVAL = fev$FEV1, BASE = fev$FEV1_BL,
  ABLFL = "", ANL01FL = "Y", stringsAsFactors = FALSE
)
weight_rows <- data.frame(
  USUBJID = fev$USUBJID, TRTP = fev$ARMCD, RACE = fev$RACE, SEX = fev$SEX,
  PARAMCD = "WEIGHT", PARAM = "Weight (standardised)",
  AVISIT = fev$AVISIT, AVISITN = visitn, AVAL = fev$WEIGHT, BASE = NA_real_,
  ABLFL = "", ANL01FL = "Y", stringsAsFactors = FALSE
)
ad <- rbind(base_rows, post_rows, weight_rows)
ad$CHG <- ad$AVAL - ad$BASE
ad$PCHG <- 100 * ad$CHG / ad$BASE
ad$STUDYID <- "FEV"
ad$TRTPN <- ifelse(ad$TRTP == "PBO", 0, 1)
subject_order <- match(ad$USUBJID, subjects$USUBJID)
ad <- ad[order(ad$PARAMCD, subject_order, ad$AVISITN), c("STUDYID", "USUBJID", "TRTP", "TRTPN", "RACE", "SEX", "PARAMCD",
  "PARAM", "AVISIT", "AVISITN", "AVAL", "BASE", "CHG", "PCHG", "ABLFL", "ANL01FL")]
rownames(ad) <- NULL
labels <- c(STUDYID = "Study Identifier", USUBJID = "Unique Subject Identifier", TRTP = "Planned Treatment",
  TRTPN = "Planned Treatment (N)", RACE = "Race", SEX = "Sex", PARAMCD = "Parameter Code", PARAM = "Parameter",
  AVISIT = "Analysis Visit", AVISITN = "Analysis Visit (N)", AVAL = "Analysis Value", BASE = "Baseline Value",
  CHG = "Change from Baseline", PCHG = "Percent Change from Baseline", ABLFL = "Baseline Record Flag",
  ANL01FL = "Analysis Flag 01")
for (v in names(labels)) attr(ad[[v]], "label") <- labels[[v]]
write_xpt(ad, file.path(here, "adfev.xpt"), version = 5, name = "ADFEV", label = "FEV1 Analysis Dataset")
cat("wrote", file.path(here, "adfev.xpt"), ":", nrow(ad), "records\n")
