# Reference values for tests/stats/test_safety.py.
# Run from the repository root:  Rscript tests/reference/safety/safety_reference.R
# Base R only. Writes expected_incidence.csv beside this script. The exposure-adjusted rate
# divides by the person-years at risk of a first event (exposure censored at its onset).
here <- "tests/reference/safety"
s <- read.csv(file.path(here, "safety_subjects.csv"))
e <- read.csv(file.path(here, "safety_events.csv"))
e <- rbind(transform(e, term = "any adverse event"), e)
rows <- list()
for (term in c("any adverse event", sort(unique(e$term[e$term != "any adverse event"])))) {
  x <- sapply(c("comparator", "isotretinoin"), function(a)
    length(unique(e$subject_id[e$term == term & e$subject_id %in% s$subject_id[s$arm == a]])))
  n <- table(s$arm)[c("comparator", "isotretinoin")]
  # time at risk of a first event: exposure, ending at the onset of the first event of the term
  first <- tapply(e$onset_day[e$term == term], e$subject_id[e$term == term], min)
  at_risk <- ifelse(s$subject_id %in% names(first),
                    pmin(first[as.character(s$subject_id)], s$exposure_days), s$exposure_days)
  years <- tapply(at_risk, s$arm, sum)[c("comparator", "isotretinoin")] / 365.25
  wilson <- lapply(1:2, function(i) prop.test(x[i], n[i], correct = FALSE)$conf.int)
  rate <- lapply(1:2, function(i) 100 * poisson.test(x[i], years[i])$conf.int)
  p <- x / n; d <- p[2] - p[1]
  low <- d - sqrt((p[2] - wilson[[2]][1])^2 + (wilson[[1]][2] - p[1])^2)
  high <- d + sqrt((wilson[[2]][2] - p[2])^2 + (p[1] - wilson[[1]][1])^2)
  rows[[term]] <- data.frame(
    term = term, x_comp = x[1], x_iso = x[2],
    rate_comp = 100 * x[1] / years[1], rate_comp_low = rate[[1]][1], rate_comp_high = rate[[1]][2],
    rate_iso = 100 * x[2] / years[2], rate_iso_low = rate[[2]][1], rate_iso_high = rate[[2]][2],
    rd = d, rd_low = low, rd_high = high)
}
write.csv(do.call(rbind, rows), file.path(here, "expected_incidence.csv"), row.names = FALSE)
cat(R.version.string, "\n")
