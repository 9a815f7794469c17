# Reference values for tests/stats/test_counts.py.
# Run from the repository root:  Rscript tests/reference/counts/counts_reference.R
# Needs: geepack, MASS.  Writes expected_*.csv beside this script.
# geepack has no negative-binomial family, so the NB GEE is checked with the independence
# working correlation, whose estimating equations at fixed theta are the glm.nb score
# equations: coefficients = glm.nb's, robust SE = cluster sandwich computed below.
suppressPackageStartupMessages({library(geepack); library(MASS)})
here <- "tests/reference/counts"
d <- read.csv(file.path(here, "counts_data.csv"))
d <- d[order(d$subject_id, d$month), ]
d$iso <- as.numeric(d$arm == "isotretinoin")
d$fmonth <- factor(d$month)
form <- lesions ~ 0 + fmonth + fmonth:iso + log1p(baseline)

cluster_sandwich <- function(fit, id) {
  # Liang-Zeger sandwich for a log-link NB2 GLM at fixed theta (no small-sample factor).
  X <- model.matrix(fit); mu <- fitted(fit); y <- fit$y
  scores <- X * ((y - mu) / (1 + mu / fit$theta))
  meat <- crossprod(rowsum(scores, id))
  bread <- vcov(fit)
  sqrt(diag(bread %*% meat %*% bread))
}
# 1. Poisson GEE, exchangeable, all visits (geepack default scale estimation, like statsmodels).
pois <- geeglm(form, family = poisson, id = subject_id, data = d, corstr = "exchangeable")
s <- summary(pois)$coefficients
poisson_rows <- data.frame(model = "poisson_exchangeable", term = rownames(s),
                           estimate = s[, "Estimate"], robust_se = s[, "Std.err"])
# 2. NB2 by ML on all visits (independence, same mean model): theta = 1/alpha.
ctrl <- glm.control(epsilon = 1e-12, maxit = 100)
nb_all <- glm.nb(form, data = d, control = ctrl)
nb_rows <- data.frame(model = "negbin_independence", term = names(coef(nb_all)),
                      estimate = coef(nb_all), robust_se = cluster_sandwich(nb_all, d$subject_id))
# 3. One visit (month 12).
d12 <- d[d$month == 12, ]
nb12 <- glm.nb(lesions ~ iso + log1p(baseline), data = d12, control = ctrl)
nb12_rows <- data.frame(model = "negbin_month12", term = names(coef(nb12)),
                        estimate = coef(nb12), robust_se = cluster_sandwich(nb12, d12$subject_id))

write.csv(rbind(poisson_rows, nb_rows, nb12_rows), file.path(here, "expected_coefficients.csv"),
          row.names = FALSE)
extras <- data.frame(
  quantity = c("poisson_exchangeable_correlation", "alpha_all_visits", "alpha_month12"),
  value = c(pois$geese$alpha, 1 / nb_all$theta, 1 / nb12$theta))
write.csv(extras, file.path(here, "expected_parameters.csv"), row.names = FALSE)
cat(R.version.string, "geepack", as.character(packageVersion("geepack")),
    "MASS", as.character(packageVersion("MASS")), "\n")

# 4. Percent-change ANCOVA at month 12 (baseline 0 excluded: percent change undefined).
a <- d12[d12$baseline > 0, ]
a$percent_change <- 100 * (a$lesions - a$baseline) / a$baseline
ancova <- lm(percent_change ~ iso + baseline, data = a)
ci <- confint(ancova, "iso", level = 0.9)
write.csv(data.frame(n = nrow(a), estimate = coef(ancova)[["iso"]],
                     se = summary(ancova)$coefficients["iso", "Std. Error"],
                     ci_low_90 = ci[1], ci_high_90 = ci[2],
                     p_value = summary(ancova)$coefficients["iso", "Pr(>|t|)"]),
          file.path(here, "expected_ancova.csv"), row.names = FALSE)
