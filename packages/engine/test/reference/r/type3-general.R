## Type III F tests on unbalanced designs (all cells filled), for the general construction in
## src/inference/type3.ts. With no empty cells SAS's Type III hypotheses equal the marginal tests of
## a sum-to-zero (contr.sum) parameterisation, so drop1(lm(..., contr.sum), test = "F") is the reference.
## Re-run: Rscript packages/engine/test/reference/r/type3-general.R
## Writes packages/engine/test/fixtures/type3-general.csv and type3-general.json.
suppressPackageStartupMessages(library(jsonlite))
.f <- sub("^--file=", "", grep("^--file=", commandArgs(FALSE), value = TRUE))
here <- if (length(.f)) dirname(normalizePath(.f)) else "."
fx <- file.path(here, "..", "..", "fixtures")

set.seed(20261127)
cells <- expand.grid(A = c("a1", "a2", "a3"), B = c("b1", "b2"), C = c("c1", "c2", "c3"), stringsAsFactors = FALSE)
reps <- sample(1:4, nrow(cells), replace = TRUE)
d <- cells[rep(seq_len(nrow(cells)), reps), ]
n <- nrow(d)
d$x <- round(runif(n, 20, 70), 1)
d$y <- round(10 + as.integer(factor(d$A)) * 1.5 - (d$B == "b2") * 2 + as.integer(factor(d$C)) +
             0.05 * d$x * (d$A == "a2") + rnorm(n, 0, 2), 2)
write.csv(d, file.path(fx, "type3-general.csv"), row.names = FALSE)

options(contrasts = c("contr.sum", "contr.poly"))
models <- list(
  list(id = "ABC", formula = "y ~ A*B*C", terms = list("A", "B", "A*B", "C", "A*C", "B*C", "A*B*C")),
  list(id = "AxB_x", formula = "y ~ A*B + x + A:x", terms = list("A", "B", "A*B", "x", "A*x")),
  list(id = "AB_xAB", formula = "y ~ A*B*x", terms = list("A", "B", "A*B", "x", "A*x", "B*x", "A*B*x")))
out <- lapply(models, function(m) {
  fit <- lm(as.formula(m$formula), data = d)
  dr <- drop1(fit, scope = ~ ., test = "F")
  rn <- rownames(dr)[-1]
  list(id = m$id, formula = m$formula, residual_df = fit$df.residual,
       type3 = lapply(seq_along(rn), function(i) list(
         effect = gsub(":", "*", rn[i]), numdf = dr$Df[i + 1], F = dr$`F value`[i + 1], p = dr$`Pr(>F)`[i + 1])))
})
writeLines(toJSON(list(source = sprintf("%s: drop1(lm(formula, contr.sum), test = 'F')", R.version.string), n = n, models = out),
                  auto_unbox = TRUE, digits = I(17), pretty = TRUE), file.path(fx, "type3-general.json"))
cat("wrote type3-general.csv/json, n =", n, "\n")
