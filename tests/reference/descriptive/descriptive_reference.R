# Reference values for acne_outcomes.stats.descriptive and acne_outcomes.stats.ancova.
# Run from this folder:  Rscript descriptive_reference.R
# (R 4.2 from Debian: apt-get install r-base-core). It writes the three datasets it uses,
# all from R's datasets package (Student's sleep data, Anderson's iris, Henderson & Velleman's
# mtcars), and the expected values; the tests read these files and never need R.
options(digits = 17)
write.csv(sleep, "sleep.csv", row.names = FALSE)
write.csv(iris, "iris.csv", row.names = FALSE)
write.csv(mtcars[, c("mpg", "am", "wt")], "mtcars.csv", row.names = FALSE)

rows <- list()
add <- function(analysis, term, estimate, se, low, high, p, df) {
  rows[[length(rows) + 1]] <<- data.frame(analysis = analysis, term = term, estimate = estimate,
                                          se = se, ci_low = low, ci_high = high, p_value = p,
                                          df = df)
}

# paired t-test: drug 1 - drug 2 within patient
x1 <- sleep$extra[sleep$group == 1]; x2 <- sleep$extra[sleep$group == 2]
paired <- t.test(x2, x1, paired = TRUE)
add("paired_t", "group 2 - group 1", unname(paired$estimate), unname(paired$stderr),
    paired$conf.int[1], paired$conf.int[2], paired$p.value, unname(paired$parameter))
# one-sample t-test of group 1 against 0, 90% interval
one <- t.test(x1, conf.level = 0.9)
add("one_sample_t_90", "group 1", unname(one$estimate), unname(one$stderr), one$conf.int[1],
    one$conf.int[2], one$p.value, unname(one$parameter))
# Student's two-sample t-test (pooled variance): group 1 - group 2
two <- t.test(x1, x2, var.equal = TRUE)
add("two_sample_t", "group 1 - group 2", unname(two$estimate[1] - two$estimate[2]),
    unname(two$stderr), two$conf.int[1], two$conf.int[2], two$p.value, unname(two$parameter))
# means with t-intervals and quartiles (type 7, numpy's default) per species
for (species in levels(iris$Species)) {
  values <- iris$Sepal.Length[iris$Species == species]
  mean_t <- t.test(values)
  add("mean_ci", species, mean(values), unname(mean_t$stderr), mean_t$conf.int[1],
      mean_t$conf.int[2], NA, length(values) - 1)
  q <- unname(quantile(values, c(0.25, 0.5, 0.75), type = 7))
  add("median_iqr", species, q[2], NA, q[1], q[3], NA, NA)
}

# ANCOVA, three arms: Sepal.Length ~ Species + Petal.Width (setosa the reference)
fit <- lm(Sepal.Length ~ Species + Petal.Width, data = iris)
ci <- confint(fit)
for (term in c("Speciesversicolor", "Speciesvirginica")) {
  s <- summary(fit)$coefficients[term, ]
  add("ancova_iris_difference", sub("Species", "", term), s[["Estimate"]], s[["Std. Error"]],
      ci[term, 1], ci[term, 2], s[["Pr(>|t|)"]], fit$df.residual)
}
# adjusted means: each species at the mean petal width of the analysed flowers
grid <- data.frame(Species = levels(iris$Species), Petal.Width = mean(iris$Petal.Width))
predicted <- predict(fit, grid, se.fit = TRUE, interval = "confidence")
for (i in seq_len(nrow(grid))) {
  add("ancova_iris_mean", grid$Species[i], predicted$fit[i, "fit"], predicted$se.fit[i],
      predicted$fit[i, "lwr"], predicted$fit[i, "upr"], NA, fit$df.residual)
}
# ANCOVA, two arms: mpg ~ am + wt (automatic = 0 the reference)
cars <- lm(mpg ~ factor(am) + wt, data = mtcars)
s <- summary(cars)$coefficients["factor(am)1", ]
ci <- confint(cars)["factor(am)1", ]
add("ancova_mtcars_difference", "1", s[["Estimate"]], s[["Std. Error"]], ci[1], ci[2],
    s[["Pr(>|t|)"]], cars$df.residual)

write.csv(do.call(rbind, rows), "expected_descriptive.csv", row.names = FALSE)
