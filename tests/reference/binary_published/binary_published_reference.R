# Reference values for the published-data tests of tests/stats/test_binary.py (and the
# ANCOVA with a categorical covariate, tests/stats/test_ancova.py).
# Run from the repository root:  Rscript tests/reference/binary_published/binary_published_reference.R
# Needs: MASS (Debian: r-cran-mass). Writes beside this script:
#   birthwt.csv  MASS::birthwt, risk factors of low birth weight, Baystate Medical Center 1986
#                (Hosmer & Lemeshow 1989): race is categorical (1 white, 2 black, 3 other).
#   expected_birthwt.csv  glm (logistic) and lm (ANCOVA) with race as a factor.
#   expected_newcombe.csv Newcombe (1998) examples (e) 0/10 vs 0/20 and (f) 0/10 vs 0/10: no
#                event in either arm. Method 10 from the Wilson intervals; the risk and odds
#                ratios and the chi-square p-value are 0/0, NaN in R.
suppressPackageStartupMessages(library(MASS))
here <- "tests/reference/binary_published"
birthwt <- MASS::birthwt
birthwt$race <- c("white", "black", "other")[birthwt$race]
write.csv(birthwt, file.path(here, "birthwt.csv"), row.names = FALSE)
birthwt$race <- factor(birthwt$race, levels = c("black", "other", "white"))
logistic <- glm(low ~ smoke + race + age + lwt, family = binomial, data = birthwt)
ancova <- lm(bwt ~ smoke + race + lwt, data = birthwt)
row <- function(fit, model, column) {
  s <- summary(fit)$coefficients
  ci <- confint.default(fit)["smoke", ]
  if (inherits(fit, "lm") && !inherits(fit, "glm")) ci <- confint(fit)["smoke", ]
  data.frame(model = model, estimate = s["smoke", 1], se = s["smoke", 2], ci_low = ci[1],
             ci_high = ci[2], p_value = s["smoke", column], df = fit$df.residual,
             row.names = NULL)
}
write.csv(rbind(row(logistic, "logistic", "Pr(>|z|)"), row(ancova, "ancova", "Pr(>|t|)")),
          file.path(here, "expected_birthwt.csv"), row.names = FALSE)

newcombe <- function(x1, n1, x0, n0) {
  w1 <- prop.test(x1, n1, correct = FALSE)$conf.int
  w0 <- prop.test(x0, n0, correct = FALSE)$conf.int
  p1 <- x1 / n1; p0 <- x0 / n0
  chisq <- suppressWarnings(prop.test(c(x1, x0), c(n1, n0), correct = FALSE)$p.value)
  data.frame(x1 = x1, n1 = n1, x0 = x0, n0 = n0, rd = p1 - p0,
             rd_low = p1 - p0 - sqrt((p1 - w1[1])^2 + (w0[2] - p0)^2),
             rd_high = p1 - p0 + sqrt((w1[2] - p1)^2 + (p0 - w0[1])^2),
             chisq_p = chisq, rr = p1 / p0, or = (x1 * (n0 - x0)) / (x0 * (n1 - x1)))
}
write.csv(rbind(newcombe(0, 10, 0, 20), newcombe(0, 10, 0, 10)),
          file.path(here, "expected_newcombe.csv"), row.names = FALSE)
cat(R.version.string, "MASS", as.character(packageVersion("MASS")), "\n")
