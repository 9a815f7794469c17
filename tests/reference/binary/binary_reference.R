# Reference values for tests/stats/test_binary.py.
# Run from the repository root:  Rscript tests/reference/binary/binary_reference.R
# Base R only (stats). Writes expected_binary.csv beside this script.
here <- "tests/reference/binary"
d <- read.csv(file.path(here, "binary_data.csv"))
a <- sum(d$success[d$arm == "isotretinoin"]); n1 <- sum(d$arm == "isotretinoin")
c0 <- sum(d$success[d$arm == "comparator"]); n0 <- sum(d$arm == "comparator")
p1 <- a / n1; p0 <- c0 / n0
w1 <- prop.test(a, n1, correct = FALSE)$conf.int   # Wilson score interval
w0 <- prop.test(c0, n0, correct = FALSE)$conf.int
rd <- p1 - p0
# Newcombe (1998) method 10 from the two Wilson intervals
rd_low <- rd - sqrt((p1 - w1[1])^2 + (w0[2] - p0)^2)
rd_high <- rd + sqrt((w1[2] - p1)^2 + (p0 - w0[1])^2)
chisq_p <- prop.test(c(a, c0), c(n1, n0), correct = FALSE)$p.value
z <- qnorm(0.975)
log_rr <- log(p1 / p0); se_rr <- sqrt(1 / a - 1 / n1 + 1 / c0 - 1 / n0)
tab <- matrix(c(a, n1 - a, c0, n0 - c0), 2, byrow = TRUE)
log_or <- log(tab[1, 1] * tab[2, 2] / (tab[1, 2] * tab[2, 1])); se_or <- sqrt(sum(1 / tab))
d$iso <- as.numeric(d$arm == "isotretinoin")
fit <- glm(success ~ iso + baseline_iga, family = binomial, data = d)
ci_glm <- exp(confint.default(fit)["iso", ])
mh <- mantelhaen.test(table(factor(d$arm, levels = c("isotretinoin", "comparator")),
                            factor(d$success, levels = c(1, 0)), d$site), correct = FALSE)
out <- data.frame(
  quantity = c("p_iso", "p_iso_low", "p_iso_high", "p_comp", "p_comp_low", "p_comp_high",
               "rd", "rd_low", "rd_high", "chisq_p",
               "rr", "rr_low", "rr_high", "or", "or_low", "or_high",
               "glm_or", "glm_or_low", "glm_or_high", "glm_p", "glm_se",
               "mh_or", "mh_low", "mh_high", "mh_p"),
  value = c(p1, w1, p0, w0, rd, rd_low, rd_high, chisq_p,
            exp(log_rr), exp(log_rr - z * se_rr), exp(log_rr + z * se_rr),
            exp(log_or), exp(log_or - z * se_or), exp(log_or + z * se_or),
            exp(coef(fit)[["iso"]]), ci_glm, summary(fit)$coefficients["iso", "Pr(>|z|)"],
            summary(fit)$coefficients["iso", "Std. Error"],
            mh$estimate, mh$conf.int, mh$p.value))
write.csv(out, file.path(here, "expected_binary.csv"), row.names = FALSE)
cat(R.version.string, "\n")
