# Reference numbers for the figures of the SYNTHETIC ketamine example (engine: src/figures.ts).
# Re-runnable from the repository root:
#   Rscript packages/engine/test/reference/r/figures.R
# writes packages/engine/test/fixtures/figures-ketamine.json.
#
# The model is the one of examples/ketamine/ketamine.study (UN chosen by BIC, as
# packages/engine/test/conformance/ketamine-synthetic/reference.R shows):
#   gls(pct_change ~ time * age, REML, corSymm + varIdent by time), subject = patient, visits 2..6,
# refined by an independent optimisation of SAS's REML objective (as reference.R does), so beta-hat
# and Cov(beta-hat) are at the REML optimum to ~1e-9.
#
# Figures (conventions as in src/figures.ts):
#  - observed means: mean, sd / sqrt(n) and n of pct_change at each visit over the rows the model uses
#  - trajectories: x'b at each visit for age at its min, quartiles (type 7, over patients: one age
#    each) and max; SE = sqrt(x' Cov(b) x); 95% limits with t(0.975, between-within df = 47)
#  - covariate scatter: at each visit, the same prediction on a 21-point grid from the smallest to
#    the largest age among that visit's rows
#  - residuals: y - X b (R-side only model: conditional = marginal), predicted X b, Q-Q at
#    qnorm(ppoints(n))
#  - durability scatter: lm(pct_change#6 - pct_change#7 ~ age) over patients with both values,
#    predict(..., interval = "confidence") on a 21-point grid over the age range

suppressPackageStartupMessages({ library(nlme); library(jsonlite) })

script_dir <- tryCatch(dirname(normalizePath(sub("^--file=", "",
  grep("^--file=", commandArgs(FALSE), value = TRUE)[1]))), error = function(e) ".")
engine_dir <- normalizePath(file.path(script_dir, "..", "..", ".."))
infile  <- file.path(engine_dir, "..", "..", "test", "conformance", "ketamine-synthetic", "ketamine.csv")
outfile <- file.path(engine_dir, "test", "fixtures", "figures-ketamine.json")

## ---------------------------------------------------------------- data ----
d <- read.csv(infile, na.strings = c("", "NA", "."), stringsAsFactors = FALSE)
base <- d[d$visit == 1, c("patient", "bdi")]; names(base)[2] <- "bdi1"
d <- merge(d, base, by = "patient", all.x = TRUE)
d$pct_change <- 100 * (d$bdi - d$bdi1) / d$bdi1
an <- d[d$visit %in% 2:6 & !is.na(d$pct_change) & !is.na(d$age), ]
an <- an[order(an$patient, an$visit), ]
an$tidx <- an$visit - 1L
an$time <- relevel(factor(an$visit, levels = 2:6), ref = "6")
N <- nrow(an); subj <- unique(an$patient)

cols <- c("(Intercept)", paste0("time", 2:5), "age", paste0("time", 2:5, ":age"))
X <- model.matrix(~ time * age, an)[, cols]
y <- an$pct_change; p <- ncol(X)

## ---------------------------------------------------------------- fit -----
ctrl <- glsControl(maxIter = 1000, msMaxIter = 1000, tolerance = 1e-10, msTol = 1e-12, returnObject = FALSE)
fit_un <- gls(pct_change ~ time * age, data = an, method = "REML", control = ctrl,
              correlation = corSymm(form = ~ tidx | patient), weights = varIdent(form = ~ 1 | time))

full_id <- names(which(table(an$patient) == 5))[1]
V <- unclass(getVarCov(fit_un, individual = full_id)); tt <- an$tidx[an$patient == full_id]
S_gls <- V[order(tt), order(tt)]

ylist <- split(y, an$patient)[as.character(subj)]
Xlist <- lapply(split(seq_len(N), an$patient)[as.character(subj)], function(i) X[i, , drop = FALSE])
tlist <- split(an$tidx, an$patient)[as.character(subj)]
gls_core <- function(S) {
  ld <- 0; A <- matrix(0, p, p); b <- numeric(p); yy <- 0
  for (k in seq_along(subj)) {
    ix <- tlist[[k]]; C <- chol(S[ix, ix, drop = FALSE])
    Xw <- backsolve(C, Xlist[[k]], transpose = TRUE); yw <- backsolve(C, ylist[[k]], transpose = TRUE)
    ld <- ld + 2 * sum(log(diag(C))); A <- A + crossprod(Xw); b <- b + drop(crossprod(Xw, yw)); yy <- yy + sum(yw^2)
  }
  beta <- solve(A, b)
  list(beta = beta, covb = solve(A),
       m2rll = (N - p) * log(2 * pi) + ld + as.numeric(determinant(A)$modulus) + (yy - sum(b * beta)))
}
th2S <- function(th) { L <- matrix(0, 5, 5); L[lower.tri(L, diag = TRUE)] <- th; L %*% t(L) }
th0 <- t(chol(S_gls))[lower.tri(diag(5), diag = TRUE)]
opt <- optim(th0, function(th) gls_core(th2S(th))$m2rll, method = "BFGS",
             control = list(reltol = 1e-15, maxit = 5000))
core <- gls_core(th2S(opt$par))
beta <- core$beta; covb <- core$covb; names(beta) <- cols
cat("-2RLL:", format(core$m2rll, digits = 12), " max |beta - gls| / max(1,|beta|):",
    max(abs(beta - coef(fit_un)[cols]) / pmax(1, abs(beta))), "\n")

## between-within df (UN, no RANDOM: every effect gets the between-subject df)
df_bw <- length(subj) - 2
qcrit <- qt(0.975, df_bw)

xrow <- function(visit, age) {
  nd <- data.frame(time = factor(visit, levels = levels(an$time)), age = age)
  model.matrix(~ time * age, nd)[, cols, drop = FALSE]
}
pred <- function(visit, age) {
  x <- xrow(visit, age); e <- drop(x %*% beta); s <- sqrt(rowSums((x %*% covb) * x))
  data.frame(estimate = e, se = s, lower = e - qcrit * s, upper = e + qcrit * s)
}

## ------------------------------------------------------ observed means ----
observed <- lapply(2:6, function(v) { z <- an$pct_change[an$visit == v]
  list(level = as.character(v), mean = mean(z), sem = sd(z) / sqrt(length(z)), n = length(z)) })

## -------------------------------------------------------- trajectories ----
ages <- an$age[!duplicated(an$patient)]
qs <- quantile(ages, c(0, 0.25, 0.5, 0.75, 1), type = 7)
labels <- c("min", "Q1", "median", "Q3", "max")
trajectories <- lapply(seq_along(qs), function(k) {
  pr <- pred(2:6, rep(qs[[k]], 5))
  list(label = labels[k], covariateValue = unname(qs[[k]]),
       points = lapply(1:5, function(j) list(level = as.character(j + 1), predicted = pr$estimate[j],
         se = pr$se[j], lower = pr$lower[j], upper = pr$upper[j], df = df_bw)))
})

## --------------------------------------------------- covariate scatter ----
panels <- lapply(2:6, function(v) {
  a <- an$age[an$visit == v]; g <- seq(min(a), max(a), length.out = 21)
  pr <- pred(rep(v, 21), g)
  list(level = as.character(v), n = length(a),
       fit = lapply(1:21, function(k) list(x = g[k], y = pr$estimate[k], se = pr$se[k],
                                          lower = pr$lower[k], upper = pr$upper[k])))
})

## ----------------------------------------------------------- residuals ----
fitted_xb <- drop(X %*% beta); res <- y - fitted_xb
residuals <- list(type = "conditional", n = N,
  points = lapply(seq_len(N), function(i) list(subject = as.character(an$patient[i]), level = as.character(an$visit[i]),
                                               predicted = fitted_xb[i], residual = res[i])),
  qq = lapply(seq_len(N), function(i) list(theoretical = qnorm(ppoints(N))[i], sample = sort(res)[i])))

## ---------------------------------------------------- durability (Fig. 3) --
w <- reshape(d[d$visit %in% c(6, 7), c("patient", "visit", "pct_change", "age")],
             idvar = c("patient", "age"), timevar = "visit", direction = "wide")
w <- w[!is.na(w$pct_change.6) & !is.na(w$pct_change.7) & !is.na(w$age), ]
w$durability <- w$pct_change.6 - w$pct_change.7
m3 <- lm(durability ~ age, data = w)
g3 <- seq(min(w$age), max(w$age), length.out = 21)
p3 <- predict(m3, newdata = data.frame(age = g3), interval = "confidence", se.fit = TRUE)
durability <- list(n = nrow(w), intercept = unname(coef(m3)[1]), slope = unname(coef(m3)[2]),
  df = m3$df.residual, r = cor(w$age, w$durability),
  fit = lapply(1:21, function(k) list(x = g3[k], y = unname(p3$fit[k, "fit"]), se = unname(p3$se.fit[k]),
                                      lower = unname(p3$fit[k, "lwr"]), upper = unname(p3$fit[k, "upr"]))))

out <- list(
  source = sprintf("%s, nlme %s: packages/engine/test/reference/r/figures.R", R.version.string, packageVersion("nlme")),
  data = "ketamine.csv (synthetic)",
  df = df_bw,
  observed_means = observed,
  trajectories = trajectories,
  covariate_scatter = panels,
  residuals = residuals,
  durability = durability)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), outfile)
cat("wrote", outfile, "\n")
