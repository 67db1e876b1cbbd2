## r-ketamine-table1: the descriptive statistics of the synthetic ketamine cohort (the paper's Table 1 and
## the means +/- SEM per visit of its Fig. 1A), as the four `describe` blocks of spec.study report them.
## Re-run: Rscript reference.R   (reads data.csv, writes case.json next to this file)
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
if (length(.f)) setwd(dirname(normalizePath(.f)))
source("../r-common/helpers.R"); source("../r-common/describe.R")

d <- read.csv("data.csv", na.strings = c("", ".", "NA"), stringsAsFactors = FALSE)
## the per-patient variables are constant within patient (what Study's validator checks)
for (v in c("age", "sex", "bmi", "ptsd", "bipolar", "dose_adjusted"))
  stopifnot(all(tapply(d[[v]], d$patient, function(x) length(unique(x))) == 1))
## let pct_change = percent change of bdi from visit 1 (per patient; missing without a baseline)
base <- setNames(d$bdi[d$visit == 1], d$patient[d$visit == 1])
d$pct_change <- 100 * (d$bdi - base[d$patient]) / base[d$patient]

## one row per patient: the per-patient variables, and a variable's value on the patient's row at a visit
per_patient <- function(rows) {
  p <- rows[!duplicated(rows$patient), c("patient", "age", "sex", "bmi", "ptsd", "bipolar", "dose_adjusted")]
  at <- function(v, visit) { z <- rows[rows$visit == visit, ]; unname(setNames(z[[v]], z$patient)[p$patient]) }
  p$bdi_v1 <- at("bdi", 1); p$bdi_v6 <- at("bdi", 6); p$bdi_v7 <- at("bdi", 7); p$pct_v6 <- at("pct_change", 6)
  p
}
pp <- per_patient(d)
stopifnot(nrow(pp) == 49)

rows <- list()
add <- function(r) rows <<- c(rows, r)
## describe cohort: no by
for (v in list(list("age", "age", FALSE), list("sex", "sex", TRUE), list("bmi", "bmi", FALSE), list("ptsd", "ptsd", TRUE), list("bipolar", "bipolar", TRUE),
               list("bdi at visit 1", "bdi_v1", FALSE), list("bdi at visit 6", "bdi_v6", FALSE)))
  add(describe_rows("cohort", v[[1]], pp[[v[[2]]]], NULL, character(0), categorical = v[[3]]))
## describe by_sex: by sex (constant within patient: one value per patient)
sexes <- sas_levels(pp$sex)
for (v in list(list("age", "age", FALSE), list("bmi", "bmi", FALSE), list("ptsd", "ptsd", TRUE), list("bipolar", "bipolar", TRUE), list("dose_adjusted", "dose_adjusted", TRUE),
               list("bdi at visit 1", "bdi_v1", FALSE), list("bdi at visit 6", "bdi_v6", FALSE), list("pct_change at visit 6", "pct_v6", FALSE)))
  add(describe_rows("by_sex", v[[1]], pp[[v[[2]]]], paste("sex", pp$sex), paste("sex", sexes), categorical = v[[3]]))
## describe course: by visit, which varies within patient: one value per patient and visit (a row each)
stopifnot(!any(duplicated(d[, c("patient", "visit")])))
visits <- sas_levels(d$visit)
for (v in c("bdi", "pct_change"))
  add(describe_rows("course", v, d[[v]], paste("visit", d$visit), paste("visit", visits)))
## describe not_adjusted: exclude dose_adjusted == 1 (drops the rows where it is 1; none is missing)
na <- per_patient(d[!(d$dose_adjusted %in% 1), ])
stopifnot(nrow(na) == 42)
add(describe_rows("not_adjusted", "age", na$age, NULL, character(0)))
add(describe_rows("not_adjusted", "sex", na$sex, NULL, character(0), categorical = TRUE))
add(describe_rows("not_adjusted", "bdi at visit 7", na$bdi_v7, NULL, character(0)))

## Fig. 1A: the mean BDI-II +/- SEM at each infusion and at follow-up (the course rows, as R computes them)
fig1a <- lapply(visits, function(v) { z <- d$bdi[d$visit == as.numeric(v) & !is.na(d$bdi)]; list(describe = "course", outcome = "bdi", level = v, n = length(z), mean = mean(z), sem = sd(z) / sqrt(length(z))) })

case <- list(
  id = "ketamine-table1",
  title = "SYNTHETIC ketamine cohort: Table 1 (one value per patient) and the BDI-II per visit of Fig. 1A (one value per patient and visit)",
  source = sprintf("%s: base R mean, sd, quantile(type = 2) (= SAS QNTLDEF=5 / PCTLDEF=5, checked against the definition written out in ../r-common/describe.R), table, prop.table", R.version.string),
  data = "data.csv",
  expected = list(
    descriptives = rows,
    descriptives_note = "one row per describe block, variable (label as written) and column (group: Overall, or the by levels); N = units in the column; numeric: n, missing, mean, sd (n - 1), sem = sd/sqrt(n), median, q1, q3 (quantile type 2 = SAS QNTLDEF=5), min, max; categorical: n, missing, levels [{level, n, percent of the non-missing}] in SAS order",
    fig1a_note = "Fig. 1A (mean BDI-II +/- SEM per visit) is the course/bdi rows; the same numbers by visit from base R are below, and the harness compares them with the figure of the describe block",
    fig1a = fig1a),
  tolerance = list(rel = 1e-12, abs = 1e-12),
  notes = "SYNTHETIC data (../ketamine-synthetic/README.md). All numbers printed by R at full precision.")
write_case(case)
cat("wrote case.json:", length(rows), "descriptive rows\n")
