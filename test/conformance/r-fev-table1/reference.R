## r-fev-table1: descriptive statistics of fev_data (openpharma/mmrm; the data of ../sas-fev), as the four
## `describe` blocks of spec.study report them.
## Re-run: Rscript reference.R   (reads data.csv, writes case.json next to this file)
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
if (length(.f)) setwd(dirname(normalizePath(.f)))
source("../r-common/helpers.R"); source("../r-common/describe.R")

d <- read.csv("data.csv", na.strings = c("", ".", "NA"), stringsAsFactors = FALSE)
for (v in c("ARMCD", "RACE", "SEX", "FEV1_BL"))
  stopifnot(all(tapply(d[[v]], d$USUBJID, function(x) length(unique(x))) == 1))
stopifnot(!any(duplicated(d[, c("USUBJID", "AVISIT")])))
## let FEV1_chg = change of FEV1 from AVISIT "VIS1" (missing where FEV1 at VIS1 is missing)
base <- setNames(d$FEV1[d$AVISIT == "VIS1"], d$USUBJID[d$AVISIT == "VIS1"])
d$FEV1_chg <- d$FEV1 - base[d$USUBJID]

per_patient <- function(rows) {
  p <- rows[!duplicated(rows$USUBJID), c("USUBJID", "ARMCD", "RACE", "SEX", "FEV1_BL")]
  at <- function(v, visit) { z <- rows[rows$AVISIT == visit, ]; unname(setNames(z[[v]], z$USUBJID)[p$USUBJID]) }
  p$FEV1_v1 <- at("FEV1", "VIS1"); p$FEV1_v4 <- at("FEV1", "VIS4"); p$chg_v4 <- at("FEV1_chg", "VIS4")
  p
}
pp <- per_patient(d)
stopifnot(nrow(pp) == 200)

rows <- list()
add <- function(r) rows <<- c(rows, r)
arms <- sas_levels(pp$ARMCD)
for (v in list(list("RACE", "RACE", TRUE), list("SEX", "SEX", TRUE), list("FEV1_BL", "FEV1_BL", FALSE),
               list("FEV1 at AVISIT VIS1", "FEV1_v1", FALSE), list("FEV1 at AVISIT VIS4", "FEV1_v4", FALSE), list("FEV1_chg at AVISIT VIS4", "chg_v4", FALSE)))
  add(describe_rows("baseline", v[[1]], pp[[v[[2]]]], paste("ARMCD", pp$ARMCD), paste("ARMCD", arms), categorical = v[[3]]))
visits <- sas_levels(d$AVISIT)
for (v in list(list("FEV1", FALSE), list("WEIGHT", FALSE), list("VISITN", TRUE)))
  add(describe_rows("visits", v[[1]], d[[v[[1]]]], paste("AVISIT", d$AVISIT), paste("AVISIT", visits), categorical = v[[2]]))
## by ARMCD, AVISIT: the arm's levels first, each with every visit (SAS's order of a crossed CLASS)
cells <- as.vector(t(outer(paste("ARMCD", arms), paste("AVISIT", visits), paste, sep = ", ")))
add(describe_rows("arm_visit", "FEV1", d$FEV1, paste(paste("ARMCD", d$ARMCD), paste("AVISIT", d$AVISIT), sep = ", "), cells))
w <- per_patient(d[d$SEX == "Female", ])
add(describe_rows("women", "RACE", w$RACE, NULL, character(0), categorical = TRUE))
add(describe_rows("women", "FEV1_BL", w$FEV1_BL, NULL, character(0)))

## the means +/- SEM of FEV1 per visit (the figure of describe visits)
fig1a <- lapply(visits, function(v) { z <- d$FEV1[d$AVISIT == v & !is.na(d$FEV1)]; list(describe = "visits", outcome = "FEV1", level = v, n = length(z), mean = mean(z), sem = sd(z) / sqrt(length(z))) })

case <- list(
  id = "fev-table1",
  title = "fev_data (mmrm): baseline by arm (one value per patient), FEV1 by visit and by arm and visit (one value per patient and visit)",
  source = sprintf("%s: base R mean, sd, quantile(type = 2) (= SAS QNTLDEF=5 / PCTLDEF=5, checked against the definition written out in ../r-common/describe.R), table, prop.table", R.version.string),
  data = "data.csv",
  expected = list(
    descriptives = rows,
    descriptives_note = "as in ../r-ketamine-table1/case.json",
    fig1a = fig1a),
  tolerance = list(rel = 1e-12, abs = 1e-12),
  notes = "fev_data from the R package mmrm (the data of ../sas-fev). All numbers printed by R at full precision.")
write_case(case)
cat("wrote case.json:", length(rows), "descriptive rows\n")
