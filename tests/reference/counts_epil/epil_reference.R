# Reference values for the published-data tests of tests/stats/test_counts.py.
# Run from the repository root:  Rscript tests/reference/counts_epil/epil_reference.R
# Needs: MASS, gee, nlme (Debian: r-cran-mass, r-cran-gee, r-cran-nlme).
# Writes the two published data sets and expected_*.csv beside this script:
#   epil.csv        MASS::epil, seizure counts of 59 epileptics in four two-week periods
#                   (Thall & Vail 1990, Biometrics 46:657-671), progabide vs placebo.
#   bodyweight.csv  nlme::BodyWeight, body weights (g) of 16 rats on three diets
#                   (Hand & Crowder 1996), weeks 1, 22, 43 and 64 only: a three-arm design.
suppressPackageStartupMessages({library(MASS); library(gee); library(nlme)})
here <- "tests/reference/counts_epil"
epil <- MASS::epil
write.csv(epil, file.path(here, "epil.csv"), row.names = FALSE)
epil <- epil[order(epil$subject, epil$period), ]

coefficient_rows <- function(fit, model, terms = names(coef(fit))) {
  s <- summary(fit)$coefficients
  data.frame(model = model, term = terms, estimate = s[terms, "Estimate"],
             naive_se = s[terms, "Naive S.E."], robust_se = s[terms, "Robust S.E."],
             scale = fit$scale, correlation = fit$working.correlation[1, 2],
             row.names = NULL)
}
quiet <- function(expr) {  # gee prints its starting values; keep the output clean
  invisible(capture.output(value <- suppressMessages(expr)))
  value
}
# 1. One treatment effect common to all periods (Thall & Vail's covariates, MASS centring).
common <- quiet(gee(y ~ trt + lbase + lage + V4, id = subject, data = epil,
                    family = poisson, corstr = "exchangeable"))
# 2. Treatment x baseline interaction (Breslow & Clayton 1993, model II).
interaction <- quiet(gee(y ~ trt * lbase + lage + V4, id = subject, data = epil,
                         family = poisson, corstr = "exchangeable"))
# 3. One rate ratio per period, adjusted for lbase and lage (cell means by period).
epil$fperiod <- factor(epil$period)
epil$progabide <- as.numeric(epil$trt == "progabide")
by_period <- quiet(gee(y ~ 0 + fperiod + fperiod:progabide + lbase + lage, id = subject,
                       data = epil, family = poisson, corstr = "exchangeable"))
# 4. The 8-week baseline period as a response with an offset (Diggle et al. 2002, ch. 9):
#    log E[y] = log(weeks) + b0 + b1 post + b2 trt.
baseline_rows <- epil[epil$period == 1, ]
baseline_rows$y <- baseline_rows$base
baseline_rows$period <- 0
stacked <- rbind(baseline_rows, epil)
stacked$weeks <- ifelse(stacked$period == 0, 8, 2)
stacked$post <- as.numeric(stacked$period > 0)
stacked <- stacked[order(stacked$subject, stacked$period), ]
offset_fit <- quiet(gee(y ~ post + trt + offset(log(weeks)), id = subject, data = stacked,
                        family = poisson, corstr = "exchangeable"))
# 5. AR(1) working correlation (gee's "AR-M", Mv = 1), one rate ratio per period.
ar1_fit <- quiet(gee(y ~ 0 + fperiod + fperiod:progabide + lbase + lage, id = subject,
                     data = epil, family = poisson, corstr = "AR-M", Mv = 1))

# 6. Three arms: BodyWeight at four weeks, one rate ratio per diet and week.
bw <- as.data.frame(nlme::BodyWeight)
bw <- bw[bw$Time %in% c(1, 22, 43, 64), ]
bw$Rat <- as.integer(as.character(bw$Rat))
bw$Diet <- as.integer(as.character(bw$Diet))
bw <- bw[order(bw$Rat, bw$Time), c("Rat", "Time", "Diet", "weight")]
write.csv(bw, file.path(here, "bodyweight.csv"), row.names = FALSE)
bw$fTime <- factor(bw$Time)
bw$diet2 <- as.numeric(bw$Diet == 2)
bw$diet3 <- as.numeric(bw$Diet == 3)
three_arms <- quiet(gee(weight ~ 0 + fTime + fTime:diet2 + fTime:diet3, id = Rat, data = bw,
                        family = poisson, corstr = "exchangeable"))
# subjects in the two compared arms with a value at each week
pairs <- do.call(rbind, lapply(c(2, 3), function(diet) {
  data.frame(model = "bodyweight_n", term = paste0(diet, " / 1 at ", sort(unique(bw$Time))),
             estimate = as.numeric(table(bw$Time[bw$Diet %in% c(1, diet)])),
             naive_se = NA, robust_se = NA, scale = NA, correlation = NA)
}))

out <- rbind(
  coefficient_rows(common, "common"),
  coefficient_rows(interaction, "interaction"),
  coefficient_rows(by_period, "by_period"),
  coefficient_rows(offset_fit, "offset"),
  coefficient_rows(ar1_fit, "ar1"),
  coefficient_rows(three_arms, "bodyweight"),
  pairs)
write.csv(out, file.path(here, "expected_gee.csv"), row.names = FALSE)
cat(R.version.string, "gee", as.character(packageVersion("gee")),
    "MASS", as.character(packageVersion("MASS")), "\n")
