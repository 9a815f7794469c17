# Reference values for the published-data test of the exposure-adjusted incidence rate,
# tests/stats/test_safety.py.
# Run from the repository root:  Rscript tests/reference/safety_published/safety_published_reference.R
# Needs: survival (Debian: r-cran-survival). Writes beside this script:
#   cgd_subjects.csv  survival::cgd, the gamma interferon trial in chronic granulomatous
#                     disease (Fleming & Harrington 1991, app. D.2): one row per patient, the
#                     arm and the days of follow-up.
#   cgd_events.csv    one row per serious infection, with its day (days since randomisation).
#   expected_eair.csv patients with >= 1 infection per 100 person-years at risk, the time at
#                     risk ending at the first infection (Poisson exact interval,
#                     poisson.test), and the rate with the whole follow-up as denominator.
suppressPackageStartupMessages(library(survival))
here <- "tests/reference/safety_published"
cgd <- survival::cgd
cgd$arm <- ifelse(cgd$treat == "placebo", "placebo", "interferon")
subjects <- aggregate(tstop ~ id + arm, data = cgd, FUN = max)
names(subjects)[3] <- "follow_up_days"
subjects <- subjects[order(subjects$id), ]
events <- cgd[cgd$status == 1, c("id", "tstop")]
names(events)[2] <- "onset_day"
events$term <- "serious infection"
write.csv(subjects, file.path(here, "cgd_subjects.csv"), row.names = FALSE)
write.csv(events[order(events$id, events$onset_day), c("id", "term", "onset_day")],
          file.path(here, "cgd_events.csv"), row.names = FALSE)
first <- tapply(events$onset_day, events$id, min)
subjects$at_risk <- ifelse(as.character(subjects$id) %in% names(first),
                           pmin(first[as.character(subjects$id)], subjects$follow_up_days),
                           subjects$follow_up_days)
subjects$event <- as.character(subjects$id) %in% names(first)
rows <- lapply(c("placebo", "interferon"), function(a) {
  s <- subjects[subjects$arm == a, ]
  x <- sum(s$event); years <- sum(s$at_risk) / 365.25
  ci <- 100 * poisson.test(x, years)$conf.int
  data.frame(arm = a, n = nrow(s), x = x, person_years = years, rate = 100 * x / years,
             rate_low = ci[1], rate_high = ci[2],
             rate_whole_follow_up = 100 * x / (sum(s$follow_up_days) / 365.25))
})
write.csv(do.call(rbind, rows), file.path(here, "expected_eair.csv"), row.names = FALSE)
cat(R.version.string, "survival", as.character(packageVersion("survival")), "\n")
