# Reference values for the published-data tests of tests/stats/test_ordinal.py.
# Run from the repository root:  Rscript tests/reference/ordinal_published/ordinal_published_reference.R
# Needs: ordinal, geepack, nlme (Debian: r-cran-ordinal, r-cran-geepack, r-cran-nlme).
# Writes the published data sets and expected_*.csv beside this script:
#   wine.csv       ordinal::wine, bitterness of wine rated 1-5 by 9 judges
#                  (Randall 1989, Stat Med 8:1127-1136), by temperature and skin contact.
#   koch.csv       geepack::koch, an ordinal response (1-3) of 72 subjects on days 3, 7, 10, 14
#                  in two treatment groups (Koch et al. 1989 / Stokes et al.).
#   bodyweight_grades.csv  nlme::BodyWeight, three diets, weeks 43 and 64, the percent weight
#                  gain since week 1 graded <4 %, 4-9 %, >=9 % (a three-arm ordinal outcome).
suppressPackageStartupMessages({library(ordinal); library(geepack); library(nlme)})
here <- "tests/reference/ordinal_published"

# ---- 1. wine: proportional odds with two categorical covariates; the Brant test ----------
wine <- ordinal::wine
write.csv(data.frame(judge = wine$judge, bottle = wine$bottle, temp = wine$temp,
                     contact = wine$contact, rating = as.integer(as.character(wine$rating))),
          file.path(here, "wine.csv"), row.names = FALSE)
fit <- clm(rating ~ temp + contact, data = wine, control = clm.control(gradTol = 1e-10))
write.csv(data.frame(term = names(coef(fit)), estimate = coef(fit),
                     se = sqrt(diag(vcov(fit))), row.names = NULL),
          file.path(here, "expected_wine_clm.csv"), row.names = FALSE)
# Brant (1990): one logit per cut.  No warm wine is rated 1 and no cold wine 5: the logits of
# cuts 1|2 and 4|5 are quasi-separated (a temperature slope near 19 with a standard error
# near 3000, whatever the iteration happens to stop at), so the statistic computed from them
# (written in the last row, "note") means nothing.
y <- as.integer(as.character(wine$rating))
X <- cbind(1, wine$temp == "warm", wine$contact == "yes")
cuts <- sort(unique(y))[-length(unique(y))]
fits <- lapply(cuts, function(j) suppressWarnings(
  glm(as.numeric(y > j) ~ temp + contact, family = binomial, data = wine)))
per_cut <- do.call(rbind, lapply(seq_along(cuts), function(k) {
  s <- summary(fits[[k]])$coefficients
  data.frame(cut = cuts[k], term = rownames(s), estimate = s[, 1], se = s[, 2],
             row.names = NULL)
}))
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
outcome <- tryCatch({
  Db <- D %*% betas
  stat <- drop(t(Db) %*% solve(D %*% V %*% t(D), Db))
  sprintf("statistic %.6g", stat)
}, error = function(e) conditionMessage(e))
per_cut <- rbind(per_cut, data.frame(cut = NA, term = "brant", estimate = NA, se = NA))
per_cut$note <- c(rep("", nrow(per_cut) - 1), outcome)
write.csv(per_cut, file.path(here, "expected_wine_brant.csv"), row.names = FALSE)

# ---- 2. koch: ordinal GEE, independence and global odds ratio ----------------------------
koch <- geepack::koch
write.csv(koch, file.path(here, "koch.csv"), row.names = FALSE)
koch <- koch[order(koch$id, koch$day), ]
koch$treated <- as.numeric(koch$trt == 1)
# Independence: the pooled cumulative-logit ML fit (its score equations are the ordinal GEE
# with independent observations and the exact multinomial covariance within an observation).
pooled <- clm(ordered(y) ~ factor(day) + factor(day):treated, data = koch,
              control = clm.control(gradTol = 1e-10))

# Global odds ratio GEE (Lipsitz, Kim & Zhao 1994), written out: the indicators 1[y > c_j]
# of a subject, E[Z_a Z_b] = min(mu_a, mu_b) within an observation and the Plackett
# probability with odds ratio psi between observations; psi by the moment rule
# psi <- psi * crude / pooled(expected), the crude odds ratio pooled (inverse-variance
# weighted log odds ratios) over the cut-point pairs (k2 <= k1) of every pair of
# observations (later, earlier) of a subject.
ordinal_gee <- function(y, X, id, psi_fixed = NULL, tol = 1e-12) {
  levels <- sort(unique(y)); cuts <- levels[-length(levels)]; J <- length(cuts)
  rows <- rep(seq_along(y), each = J)
  Z <- as.numeric(y[rows] > cuts[rep(seq_len(J), length(y))])
  W <- cbind(kronecker(rep(1, length(y)), diag(J)), X[rows, , drop = FALSE])
  cluster <- id[rows]
  groups <- split(seq_along(Z), cluster)
  plackett <- function(m, psi) {
    s <- outer(m, m, "+"); q <- outer(m, m)
    if (abs(psi - 1) < 1e-15) return(q)
    (1 + s * (psi - 1) - sqrt((1 + s * (psi - 1))^2 + 4 * psi * (1 - psi) * q)) / (2 * (psi - 1))
  }
  joint <- function(m, psi) {
    E <- plackett(m, psi)
    n_obs <- length(m) / J
    for (o in seq_len(n_obs)) {
      k <- (o - 1) * J + seq_len(J)
      E[k, k] <- outer(m[k], m[k], pmin)
    }
    E
  }
  pairs_of <- function(n_obs) {  # (later, earlier) observation pairs, cut pairs k2 <= k1
    out <- list()
    if (n_obs < 2) return(out)
    for (i1 in 2:n_obs) for (i2 in 1:(i1 - 1)) for (k1 in 1:J) for (k2 in 1:k1)
      out[[length(out) + 1]] <- c((i1 - 1) * J + k1, (i2 - 1) * J + k2, k2, k1)
    out
  }
  pooled_or <- function(tables) {
    tables <- Filter(function(t) all(t > 0), tables)  # an empty cell: weight 0 (the limit)
    if (length(tables) == 0) return(1)
    lor <- sapply(tables, function(t) log(t[4]) + log(t[1]) - log(t[3]) - log(t[2]))
    w <- 1 / sapply(tables, function(t) sum(1 / t))
    exp(sum(w * lor) / sum(w))
  }
  tabulate_pairs <- function(E11, m) {  # tables[[key]] = c(n00, n10, n01, n11)
    tables <- list()
    for (g in seq_along(groups)) {
      k <- groups[[g]]
      e11 <- E11[[g]]; mu <- m[[g]]
      for (pr in pairs_of(length(k) / J)) {
        key <- paste(pr[3], pr[4])
        a <- pr[1]; b <- pr[2]
        cell <- c(1 - mu[a] - mu[b] + e11[a, b], mu[a] - e11[a, b], mu[b] - e11[a, b], e11[a, b])
        tables[[key]] <- if (is.null(tables[[key]])) cell else tables[[key]] + cell
      }
    }
    tables
  }
  observed <- lapply(groups, function(k) outer(Z[k], Z[k]))
  crude <- pooled_or(tabulate_pairs(observed, lapply(groups, function(k) Z[k])))
  psi <- if (is.null(psi_fixed)) crude else psi_fixed
  beta <- c(-qlogis(cumsum(table(y))[seq_len(J)] / length(y)) * 0, rep(0, ncol(X)))
  beta[seq_len(J)] <- qlogis(1 - cumsum(table(y))[seq_len(J)] / length(y))
  for (iteration in 1:500) {
    mu <- plogis(drop(W %*% beta))
    B <- 0; U <- 0
    for (k in groups) {
      m <- mu[k]; D <- W[k, , drop = FALSE] * (m * (1 - m))
      Vi <- joint(m, psi) - outer(m, m)
      A <- solve(Vi, D)
      B <- B + crossprod(D, A); U <- U + crossprod(A, Z[k] - m)
    }
    step <- solve(B, U)
    beta <- beta + drop(step)
    if (is.null(psi_fixed)) {
      mu <- plogis(drop(W %*% beta))
      expected <- lapply(groups, function(k) joint(mu[k], psi))
      psi <- psi * crude / pooled_or(tabulate_pairs(expected, lapply(groups, function(k) mu[k])))
    }
    if (sqrt(sum(step^2)) < tol) break
  }
  mu <- plogis(drop(W %*% beta))
  B <- 0; M <- 0
  for (k in groups) {
    m <- mu[k]; D <- W[k, , drop = FALSE] * (m * (1 - m))
    A <- solve(joint(m, psi) - outer(m, m), D)
    B <- B + crossprod(D, A)
    s <- crossprod(A, Z[k] - m); M <- M + s %*% t(s)
  }
  robust <- solve(B) %*% M %*% solve(B)
  list(beta = beta, robust = robust, psi = psi, iterations = iteration)
}
days <- sort(unique(koch$day))
X <- cbind(sapply(days[-1], function(d) as.numeric(koch$day == d)),
           sapply(days, function(d) koch$treated * (koch$day == d)))
colnames(X) <- c(paste0("day", days[-1]), paste0("treated:day", days))
gee_rows <- function(fit, model) {
  J <- length(fit$beta) - ncol(X)
  index <- J + length(days) - 1 + seq_along(days)
  average <- rep(0, length(fit$beta)); average[index] <- 1 / length(days)
  data.frame(model = model, term = c(paste0("day", days), "average", "global_odds_ratio"),
             estimate = c(fit$beta[index], sum(average * fit$beta), fit$psi),
             robust_se = c(sqrt(diag(fit$robust))[index],
                           sqrt(drop(t(average) %*% fit$robust %*% average)), NA))
}
global <- ordinal_gee(koch$y, X, koch$id)
independent <- ordinal_gee(koch$y, X, koch$id, psi_fixed = 1)
pooled_rows <- data.frame(model = "clm_pooled", term = paste0("day", days),
                          estimate = coef(pooled)[paste0("factor(day)", days, ":treated")],
                          robust_se = NA, row.names = NULL)
cut_rows <- data.frame(model = "clm_pooled", term = names(coef(pooled))[1:2],
                       estimate = coef(pooled)[1:2], robust_se = NA, row.names = NULL)
write.csv(rbind(gee_rows(global, "global_odds_ratio"), gee_rows(independent, "independence"),
                pooled_rows, cut_rows),
          file.path(here, "expected_koch.csv"), row.names = FALSE)

# ---- 3. three arms: per-visit n counts the two compared arms ------------------------------
bw <- as.data.frame(nlme::BodyWeight)
bw$Rat <- as.integer(as.character(bw$Rat))
bw$Diet <- as.integer(as.character(bw$Diet))
start <- bw[bw$Time == 1, c("Rat", "weight")]; names(start)[2] <- "week1"
bw <- merge(bw[bw$Time %in% c(43, 64), ], start)
bw$grade <- cut(100 * (bw$weight / bw$week1 - 1), c(-Inf, 4, 9, Inf), right = FALSE,
                labels = FALSE)
bw <- bw[order(bw$Rat, bw$Time), c("Rat", "Time", "Diet", "grade")]
write.csv(bw, file.path(here, "bodyweight_grades.csv"), row.names = FALSE)
bw$diet2 <- as.numeric(bw$Diet == 2); bw$diet3 <- as.numeric(bw$Diet == 3)
three <- clm(ordered(grade) ~ factor(Time) + factor(Time):diet2 + factor(Time):diet3, data = bw,
             control = clm.control(gradTol = 1e-10))
terms <- grep(":diet", names(coef(three)), value = TRUE)
n_rows <- do.call(rbind, lapply(c(2, 3), function(diet) data.frame(
  model = "n", term = paste0(diet, " / 1 at ", c(43, 64)),
  estimate = as.numeric(table(bw$Time[bw$Diet %in% c(1, diet)])), robust_se = NA)))
write.csv(rbind(data.frame(model = "clm_pooled", term = terms, estimate = coef(three)[terms],
                           robust_se = NA, row.names = NULL), n_rows),
          file.path(here, "expected_bodyweight_grades.csv"), row.names = FALSE)
cat(R.version.string, "ordinal", as.character(packageVersion("ordinal")), "\n")
