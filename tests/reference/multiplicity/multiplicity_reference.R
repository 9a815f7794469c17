# Reference values for tests/stats/test_multiplicity.py.
# Run from the repository root:  Rscript tests/reference/multiplicity/multiplicity_reference.R
# Base R only. Writes expected_p_adjust.csv and expected_hedges_g.csv beside this script.
here <- "tests/reference/multiplicity"
p <- c(0.0008, 0.041, 0.012, 0.3, 0.049, 0.0201, 0.7, 0.0049, 0.0495, 0.028)
write.csv(data.frame(p = p, holm = p.adjust(p, "holm"), hochberg = p.adjust(p, "hochberg"),
                     bh = p.adjust(p, "BH"), bonferroni = p.adjust(p, "bonferroni")),
          file.path(here, "expected_p_adjust.csv"), row.names = FALSE)

# Hedges' g with the exact small-sample factor and the noncentral-t interval
# (the formulas of effectsize::hedges_g, written out with base R).
hedges <- function(x, y, level = 0.95) {
  n1 <- length(x); n0 <- length(y); df <- n1 + n0 - 2
  sp <- sqrt(((n1 - 1) * var(x) + (n0 - 1) * var(y)) / df)
  d <- (mean(x) - mean(y)) / sp
  J <- exp(lgamma(df / 2) - lgamma((df - 1) / 2)) / sqrt(df / 2)
  k <- sqrt(1 / n1 + 1 / n0); t <- d / k; tail <- (1 - level) / 2
  f <- function(target) uniroot(function(ncp) pt(t, df, ncp) - target,
                                c(t - 20, t + 20), tol = 1e-12)$root
  p <- t.test(x, y, var.equal = TRUE)$p.value
  c(g = J * d, low = J * f(1 - tail) * k, high = J * f(tail) * k, p_value = p)
}
x1 <- c(-12, -15, -9, -14, -10); y1 <- c(-6, -3, -8, -5, -7)
set.seed(1)
x2 <- round(rnorm(40, -20, 12), 1); y2 <- round(rnorm(45, -12, 12), 1)
out <- rbind(hedges(x1, y1), hedges(x2, y2), hedges(x2, y2, 0.9))
write.csv(data.frame(example = c("small", "medium", "medium_90"), level = c(0.95, 0.95, 0.9),
                     out), file.path(here, "expected_hedges_g.csv"), row.names = FALSE)
write.csv(data.frame(arm = c(rep("isotretinoin", 40), rep("comparator", 45)), change = c(x2, y2)),
          file.path(here, "hedges_data.csv"), row.names = FALSE)
cat(R.version.string, "\n")
