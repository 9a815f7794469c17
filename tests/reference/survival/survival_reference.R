# Reference values for tests/stats/test_survival.py.
# Run from the repository root:  Rscript tests/reference/survival/survival_reference.R
# Needs: survival. Writes expected_*.csv beside this script.
suppressPackageStartupMessages(library(survival))
here <- "tests/reference/survival"
d <- read.csv(file.path(here, "survival_data.csv"))
d$iso <- as.numeric(d$arm == "isotretinoin")
km <- list()
for (type in c("log", "log-log", "plain")) {
  s <- summary(survfit(Surv(day, cleared) ~ arm, data = d, conf.type = type))
  km[[type]] <- data.frame(conf_type = type, arm = sub("arm=", "", as.character(s$strata)),
                           time = s$time, n_risk = s$n.risk, surv = s$surv,
                           std_err = s$std.err, lower = s$lower, upper = s$upper)
}
write.csv(do.call(rbind, km), file.path(here, "expected_km.csv"), row.names = FALSE)
medians <- summary(survfit(Surv(day, cleared) ~ arm, data = d, conf.type = "log-log"))$table
write.csv(data.frame(arm = sub("arm=", "", rownames(medians)), median = medians[, "median"],
                     lower = medians[, "0.95LCL"], upper = medians[, "0.95UCL"]),
          file.path(here, "expected_median.csv"), row.names = FALSE)
plain <- survdiff(Surv(day, cleared) ~ arm, data = d)
stratified <- survdiff(Surv(day, cleared) ~ arm + strata(site), data = d)
cox <- function(formula, ties, label) {
  fit <- coxph(formula, data = d, ties = ties)
  data.frame(model = label, estimate = coef(fit)[["iso"]],
             se = sqrt(vcov(fit)["iso", "iso"]), p_value = summary(fit)$coefficients["iso", 5])
}
cox_rows <- rbind(
  cox(Surv(day, cleared) ~ iso, "efron", "efron"),
  cox(Surv(day, cleared) ~ iso, "breslow", "breslow"),
  cox(Surv(day, cleared) ~ iso + baseline_lesions + strata(site), "efron", "efron_adjusted"))
write.csv(cox_rows, file.path(here, "expected_cox.csv"), row.names = FALSE)
write.csv(data.frame(test = c("log_rank", "log_rank_stratified"),
                     chisq = c(plain$chisq, stratified$chisq),
                     p_value = c(pchisq(plain$chisq, 1, lower.tail = FALSE),
                                 pchisq(stratified$chisq, 1, lower.tail = FALSE))),
          file.path(here, "expected_logrank.csv"), row.names = FALSE)
cat(R.version.string, "survival", as.character(packageVersion("survival")), "\n")
