# Reference values for tests/stats/test_ordinal.py.
# Run from the repository root:  Rscript tests/reference/ordinal/ordinal_reference.R
# Needs: ordinal, MASS. Writes expected_*.csv beside this script.
suppressPackageStartupMessages({library(ordinal); library(MASS)})
here <- "tests/reference/ordinal"
d <- read.csv(file.path(here, "ordinal_data.csv"))
d$iso <- as.numeric(d$arm == "isotretinoin")
d12 <- d[d$month == 12, ]
d12$grade <- factor(d12$scar_grade, ordered = TRUE)
fit <- clm(grade ~ iso + baseline_grade, data = d12, link = "logit",
           control = clm.control(gradTol = 1e-10))
polr_fit <- polr(grade ~ iso + baseline_grade, data = d12, Hess = TRUE)
se <- sqrt(diag(vcov(fit)))
out <- data.frame(term = names(coef(fit)), estimate = coef(fit), se = se,
                  polr = c(polr_fit$zeta, coef(polr_fit))[names(coef(fit))], row.names = NULL)
write.csv(out, file.path(here, "expected_clm.csv"), row.names = FALSE)

# Brant (1990) test, written out from its formula: one logit per cut, stacked covariance.
X <- cbind(1, d12$iso, d12$baseline_grade)
y <- d12$scar_grade
cuts <- sort(unique(y))[-length(unique(y))]
fits <- lapply(cuts, function(j) glm(as.numeric(y > j) ~ iso + baseline_grade,
                                      family = binomial, data = d12))
pis <- sapply(fits, fitted)
betas <- unlist(lapply(fits, function(f) coef(f)[-1]))
p <- 2; J <- length(cuts)
V <- matrix(0, J * p, J * p)
inv <- lapply(1:J, function(j) solve(t(X) %*% (X * (pis[, j] * (1 - pis[, j])))))
for (j in 1:J) for (k in j:J) {
  block <- (inv[[j]] %*% (t(X) %*% (X * (pis[, k] - pis[, j] * pis[, k]))) %*% inv[[k]])[-1, -1]
  V[(j - 1) * p + 1:p, (k - 1) * p + 1:p] <- block
  V[(k - 1) * p + 1:p, (j - 1) * p + 1:p] <- t(block)
}
D <- matrix(0, (J - 1) * p, J * p)
for (k in 2:J) { D[(k - 2) * p + 1:p, 1:p] <- diag(p); D[(k - 2) * p + 1:p, (k - 1) * p + 1:p] <- -diag(p) }
wald <- function(rows) {
  Db <- D[rows, , drop = FALSE] %*% betas
  stat <- drop(t(Db) %*% solve(D[rows, , drop = FALSE] %*% V %*% t(D[rows, , drop = FALSE]), Db))
  c(stat, length(rows), pchisq(stat, length(rows), lower.tail = FALSE))
}
brant <- rbind(wald(seq_len(nrow(D))), wald(seq(1, nrow(D), p)), wald(seq(2, nrow(D), p)))
write.csv(data.frame(test = c("omnibus", "iso", "baseline_grade"), statistic = brant[, 1],
                     df = brant[, 2], p_value = brant[, 3]),
          file.path(here, "expected_brant.csv"), row.names = FALSE)
cat(R.version.string, "ordinal", as.character(packageVersion("ordinal")), "\n")
