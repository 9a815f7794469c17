# Reference values for the published-data tests of tests/stats/test_mmrm.py.
# Run from the repository root:  Rscript tests/reference/mmrm_published/mmrm_published_reference.R
# Needs: nlme, lme4, pbkrtest, HSAUR3 (Debian: r-cran-nlme, r-cran-lme4, r-cran-pbkrtest,
# r-cran-hsaur3). Writes beside this script:
#   orthodont.csv  nlme::Orthodont, pituitary-pterygomaxillary distance of 27 children at ages
#                  8, 10, 12, 14 (Potthoff & Roy 1964), by sex: balanced and complete.
#   btheb.csv      HSAUR3::BtheB, Beat the Blues trial (Proudfoot et al. 2003): Beck depression
#                  inventory at 2, 3, 5, 8 months with real dropout, long format, with the
#                  pre-treatment score and two categorical covariates (drug, length).
#   expected.csv   dataset, model, visit, quantity, value: the difference between arms at each
#                  visit (Male - Female, BtheB - TAU; estimate, se, df) from
#     orthodont_t        two-sample t-tests per age (var.equal): the closed form of an
#                        unstructured MMRM without covariates on complete balanced data, for
#                        which the Kenward-Roger df are n - 2 and the SE is unadjusted;
#     orthodont_missing  gls (unstructured, REML) without the row whose age was set missing;
#     btheb_unstructured gls (unstructured, REML) with bdi.pre x visit, drug and length;
#     btheb_cs           lmer random intercept (= compound symmetry, REML) with pbkrtest's
#                        Kenward-Roger adjusted covariance (vcovAdj) and df (get_Lb_ddf), and
#                        gls corCompSymm for the estimates.
suppressPackageStartupMessages({library(nlme); library(lme4); library(pbkrtest); library(HSAUR3)})
here <- "tests/reference/mmrm_published"
control <- glsControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10, msTol = 1e-12)
rows <- list()
add <- function(dataset, model, visit, estimate, se, df = NA) {
  rows[[length(rows) + 1]] <<- data.frame(dataset = dataset, model = model, visit = visit,
                                          quantity = c("estimate", "se", "df"),
                                          value = c(estimate, se, df))
}

# ---- Orthodont --------------------------------------------------------------------------
orthodont <- as.data.frame(nlme::Orthodont)
orthodont$Subject <- as.character(orthodont$Subject)
orthodont$Sex <- as.character(orthodont$Sex)
write.csv(orthodont, file.path(here, "orthodont.csv"), row.names = FALSE)
for (age in c(8, 10, 12, 14)) {
  test <- t.test(distance ~ factor(Sex, levels = c("Female", "Male")),
                 data = orthodont[orthodont$age == age, ], var.equal = TRUE)
  add("orthodont", "orthodont_t", age, diff(test$estimate), test$stderr, test$parameter)
}
# the row of subject M05 at age 12 has its age missing: gls drops it
kept <- orthodont[!(orthodont$Subject == "M05" & orthodont$age == 12), ]
kept$agef <- factor(kept$age)
kept$vidx <- match(kept$age, c(8, 10, 12, 14))
kept$Sex <- factor(kept$Sex, levels = c("Female", "Male"))
fit <- gls(distance ~ Sex * agef, data = kept, correlation = corSymm(form = ~ vidx | Subject),
           weights = varIdent(form = ~ 1 | agef), method = "REML", control = control)
for (age in c(8, 10, 12, 14)) {
  l <- setNames(numeric(length(coef(fit))), names(coef(fit)))
  l["SexMale"] <- 1
  if (age != 8) l[paste0("SexMale:agef", age)] <- 1
  add("orthodont", "orthodont_missing", age, sum(l * coef(fit)),
      sqrt(drop(t(l) %*% vcov(fit) %*% l)))
}

# ---- BtheB ------------------------------------------------------------------------------
data("BtheB", package = "HSAUR3")
BtheB$subject <- seq_len(nrow(BtheB))
months <- c(2, 3, 5, 8)
long <- do.call(rbind, lapply(seq_along(months), function(k) data.frame(
  subject = BtheB$subject, treatment = as.character(BtheB$treatment),
  drug = as.character(BtheB$drug), length = as.character(BtheB$length),
  bdi_pre = BtheB$bdi.pre, month = months[k],
  bdi = BtheB[[paste0("bdi.", months[k], "m")]])))
long <- long[order(long$subject, long$month), ]
write.csv(long, file.path(here, "btheb.csv"), row.names = FALSE)
d <- long[!is.na(long$bdi), ]
d$treatment <- factor(d$treatment, levels = c("TAU", "BtheB"))
d$visitf <- factor(d$month)
d$vidx <- match(d$month, months)
d$bdi_pre_c <- d$bdi_pre - mean(d$bdi_pre)
contrast <- function(beta, month) {
  l <- setNames(numeric(length(beta)), names(beta))
  l["treatmentBtheB"] <- 1
  if (month != 2) l[paste0("treatmentBtheB:visitf", month)] <- 1
  l
}
rhs <- bdi ~ treatment * visitf + bdi_pre_c * visitf + drug + length
un <- gls(rhs, data = d, correlation = corSymm(form = ~ vidx | subject),
          weights = varIdent(form = ~ 1 | visitf), method = "REML", control = control)
for (month in months) {
  l <- contrast(coef(un), month)
  add("btheb", "btheb_unstructured", month, sum(l * coef(un)),
      sqrt(drop(t(l) %*% vcov(un) %*% l)))
}
cs <- gls(rhs, data = d, correlation = corCompSymm(form = ~ 1 | subject), method = "REML",
          control = control)
random <- lmer(bdi ~ treatment * visitf + bdi_pre_c * visitf + drug + length + (1 | subject),
               data = d, REML = TRUE, control = lmerControl(optimizer = "bobyqa"))
adjusted <- as.matrix(vcovAdj(random))
for (month in months) {
  l <- contrast(fixef(random), month)
  stopifnot(isTRUE(all.equal(unname(l), unname(contrast(coef(cs), month)))))
  add("btheb", "btheb_cs", month, sum(l * coef(cs)),
      sqrt(drop(t(l) %*% adjusted %*% l)), get_Lb_ddf(random, matrix(l, nrow = 1)))
  add("btheb", "btheb_cs_unadjusted", month, sum(l * fixef(random)),
      sqrt(drop(t(l) %*% as.matrix(vcov(random)) %*% l)))
}
write.csv(do.call(rbind, rows), file.path(here, "expected.csv"), row.names = FALSE)
cat(R.version.string, "nlme", as.character(packageVersion("nlme")), "lme4",
    as.character(packageVersion("lme4")), "pbkrtest", as.character(packageVersion("pbkrtest")),
    "\n")
