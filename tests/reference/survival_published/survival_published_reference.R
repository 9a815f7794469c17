# Reference values for the published-data tests of tests/stats/test_survival.py.
# Run from the repository root:  Rscript tests/reference/survival_published/survival_published_reference.R
# Needs: survival (Debian: r-cran-survival). Writes beside this script:
#   veteran.csv  survival::veteran, the Veterans' Administration lung cancer trial
#                (Kalbfleisch & Prentice 2002), standard vs test chemotherapy.
#   lung.csv     survival::lung, NCCTG advanced lung cancer (Loprinzi et al. 1994).
#   expected_median.csv  Kaplan-Meier medians and their intervals (survfit's quantile rule)
#                for every conf.type, by arm, by cell type and overall.
#   expected_cox.csv     coxph with a categorical covariate (cell type).
suppressPackageStartupMessages(library(survival))
here <- "tests/reference/survival_published"
veteran <- survival::veteran
veteran$arm <- ifelse(veteran$trt == 1, "standard", "test")
veteran$died <- as.integer(veteran$status == 1)
write.csv(veteran[, c("arm", "celltype", "time", "died", "karno", "diagtime", "age", "prior")],
          file.path(here, "veteran.csv"), row.names = FALSE)
lung <- survival::lung
lung$died <- as.integer(lung$status == 2)
lung$sex <- ifelse(lung$sex == 1, "male", "female")
write.csv(lung[, c("time", "died", "sex", "age", "ph.ecog")], file.path(here, "lung.csv"),
          row.names = FALSE)

medians <- function(data, group, label) {
  do.call(rbind, lapply(c("log", "log-log", "plain"), function(type) {
    formula <- if (is.null(group)) Surv(time, died) ~ 1 else
      as.formula(paste("Surv(time, died) ~", group))
    table <- summary(survfit(formula, data = data, conf.type = type))$table
    if (is.null(dim(table))) table <- t(table)
    groups <- if (is.null(group)) "all" else sub(paste0(group, "="), "", rownames(table))
    data.frame(dataset = label, by = if (is.null(group)) "none" else group, conf_type = type,
               group = groups, median = table[, "median"], lower = table[, "0.95LCL"],
               upper = table[, "0.95UCL"], row.names = NULL)
  }))
}
write.csv(rbind(medians(veteran, "arm", "veteran"), medians(veteran, "celltype", "veteran"),
                medians(veteran, NULL, "veteran"), medians(lung, "sex", "lung"),
                medians(lung, NULL, "lung")),
          file.path(here, "expected_median.csv"), row.names = FALSE)

cox <- coxph(Surv(time, died) ~ arm + celltype + karno, data = veteran, ties = "efron")
s <- summary(cox)$coefficients
write.csv(data.frame(term = rownames(s), estimate = s[, "coef"], se = s[, "se(coef)"],
                     p_value = s[, "Pr(>|z|)"], row.names = NULL),
          file.path(here, "expected_cox.csv"), row.names = FALSE)
cat(R.version.string, "survival", as.character(packageVersion("survival")), "\n")
