# Expected values for tests/stats/test_mmrm.py, from nlme::gls (REML).
# Run from the project root:  Rscript tests/reference/mmrm/make_reference.R
# Reads complete.csv and dropout.csv (written by make_mmrm_data.py) and writes expected.csv,
# one row per (dataset, covariance, quantity, contrast, visit) with the value.
#
# LS means are the fitted model averaged over the analysed rows with arm and visit set
# (covariates at their observed values: emmeans' weights = "proportional"); their SEs
# come from vcov(fit). Differences are isotretinoin - comparator at each visit.
# logLik(gls, REML) omits +log|X'X|/2, so it depends on how X is coded; half_logdet_xtx
# (for R's treatment-coded X) is written too: logLik + half_logdet_xtx is invariant.
# covariance rows: getVarCov() for a subject observed at every visit, upper triangle.
# df_satterthwaite rows: see satterthwaite_rows() below.
# expected.csv was produced with R 4.2.2 and nlme 3.1-162 (Debian r-cran-nlme).
suppressPackageStartupMessages(library(nlme))
here <- "tests/reference/mmrm"
control <- glsControl(maxIter = 500, msMaxIter = 500, tolerance = 1e-10,
                      msTol = 1e-12, returnObject = FALSE)

fit_one <- function(d, covariance, rhs) {
  correlation <- switch(covariance,
    unstructured = corSymm(form = ~ vidx | subject),
    heterogeneous_cs = corCompSymm(form = ~ 1 | subject),
    ar1 = corAR1(form = ~ vidx | subject),
    toeplitz = corARMA(form = ~ vidx | subject, p = nlevels(d$visitf) - 1),
    compound_symmetry = corCompSymm(form = ~ 1 | subject))
  weights <- switch(covariance,
    unstructured = varIdent(form = ~ 1 | visitf),
    heterogeneous_cs = varIdent(form = ~ 1 | visitf),
    ar1 = NULL, toeplitz = NULL, compound_symmetry = NULL)
  gls(as.formula(paste("inflammatory ~", rhs)), data = d, correlation = correlation,
      weights = weights, method = "REML", control = control)
}

contrast_rows <- function(fit, d, rhs, dataset, covariance) {
  terms_rhs <- delete.response(terms(as.formula(paste("inflammatory ~", rhs))))
  beta <- coef(fit)
  covb <- vcov(fit)
  out <- list()
  for (v in levels(d$visitf)) {
    rows <- list()
    for (a in c("comparator", "isotretinoin")) {
      nd <- d
      nd$arm <- factor(a, levels = levels(d$arm))
      nd$visitf <- factor(v, levels = levels(d$visitf))
      rows[[a]] <- colMeans(model.matrix(terms_rhs, nd))
    }
    rows[["isotretinoin - comparator"]] <- rows[["isotretinoin"]] - rows[["comparator"]]
    for (name in names(rows)) {
      l <- rows[[name]]
      out[[length(out) + 1]] <- data.frame(
        dataset = dataset, covariance = covariance, contrast = name, visit = as.numeric(v),
        estimate = sum(l * beta), se = sqrt(drop(t(l) %*% covb %*% l)))
    }
  }
  do.call(rbind, out)
}

# Satterthwaite df of every LS mean and difference (unstructured model only):
# df = 2 v^2 / (g' H^{-1} g), v = l' A(p)^{-1} l, g = dv/dp by central differences, H the
# negative Hessian of the REML log-likelihood by stats::optimHess (central differences,
# step 1e-4). p are nlme's "natural" parameters at the estimate, attr(fit$apVar, "Pars"):
# log((1+r)/(1-r)) of each correlation, log SD ratios of varIdent, log sigma. The REML
# log-likelihood and A(p) are written out below and checked against logLik(fit) and
# vcov(fit) at the estimate. nlme's own apVar is not used for H: its fdHess Hessian is
# too coarse (df off by up to about 2 %, checked against optimHess and hand-coded second
# differences). emmeans(mode = "satterthwaite"), lmerTest and pbkrtest are not installed.
satterthwaite_rows <- function(fit, d, rhs, dataset) {
  pars <- attr(fit$apVar, "Pars")
  stopifnot(isTRUE(attr(fit$apVar, "natural")))
  stopifnot(identical(attr(fit$modelStruct$varStruct, "groupNames"), levels(d$visitf)))
  n_visits <- nlevels(d$visitf)
  X <- model.matrix(as.formula(paste("~", rhs)), d)
  y <- d$inflammatory
  subjects <- split(seq_len(nrow(d)), d$subject)
  upper <- which(upper.tri(diag(n_visits)), arr.ind = TRUE)
  upper <- upper[order(upper[, 1], upper[, 2]), ]  # corSymm order: r12, r13, ..., r23, ...
  n_cor <- nrow(upper)
  reml <- function(p) {
    z <- p[seq_len(n_cor)]
    corr <- diag(n_visits)
    corr[upper] <- (exp(z) - 1) / (exp(z) + 1)
    corr[upper[, 2:1]] <- corr[upper]
    sd <- exp(p[length(p)]) * c(1, exp(p[n_cor + seq_len(n_visits - 1)]))
    sigma <- corr * outer(sd, sd)
    A <- matrix(0, ncol(X), ncol(X))
    b <- numeric(ncol(X))
    log_det <- 0
    weights <- list()
    for (k in seq_along(subjects)) {
      rows <- subjects[[k]]
      idx <- d$vidx[rows]
      weights[[k]] <- solve(sigma[idx, idx, drop = FALSE])
      log_det <- log_det + as.numeric(determinant(sigma[idx, idx, drop = FALSE])$modulus)
      Xi <- X[rows, , drop = FALSE]
      A <- A + crossprod(Xi, weights[[k]] %*% Xi)
      b <- b + crossprod(Xi, weights[[k]] %*% y[rows])
    }
    beta <- solve(A, b)
    quadratic <- 0
    for (k in seq_along(subjects)) {
      r <- y[subjects[[k]]] - X[subjects[[k]], , drop = FALSE] %*% beta
      quadratic <- quadratic + drop(crossprod(r, weights[[k]] %*% r))
    }
    loglik <- -0.5 * ((nrow(X) - ncol(X)) * log(2 * pi) + log_det +
                        as.numeric(determinant(A)$modulus) + quadratic)
    list(A = A, loglik = loglik)
  }
  stopifnot(abs(reml(pars)$loglik / as.numeric(logLik(fit)) - 1) < 1e-9)
  hessian <- optimHess(pars, function(p) reml(p)$loglik,
                       control = list(ndeps = rep(1e-4, length(pars))))
  terms_rhs <- delete.response(terms(as.formula(paste("inflammatory ~", rhs))))
  out <- list()
  for (v in levels(d$visitf)) {
    rows <- list()
    for (a in c("comparator", "isotretinoin")) {
      nd <- d
      nd$arm <- factor(a, levels = levels(d$arm))
      nd$visitf <- factor(v, levels = levels(d$visitf))
      rows[[a]] <- colMeans(model.matrix(terms_rhs, nd))
    }
    rows[["isotretinoin - comparator"]] <- rows[["isotretinoin"]] - rows[["comparator"]]
    for (name in names(rows)) {
      l <- rows[[name]]
      variance <- function(p) drop(t(l) %*% solve(reml(p)$A, l))
      stopifnot(abs(variance(pars) / drop(t(l) %*% vcov(fit) %*% l) - 1) < 1e-8)
      gradient <- sapply(seq_along(pars), function(j) {
        h <- 1e-5 * max(1, abs(pars[[j]]))
        step <- replace(numeric(length(pars)), j, h)
        (variance(pars + step) - variance(pars - step)) / (2 * h)
      })
      df <- 2 * variance(pars)^2 / drop(t(gradient) %*% solve(-hessian, gradient))
      out[[length(out) + 1]] <- data.frame(
        dataset = dataset, covariance = "unstructured", quantity = "df_satterthwaite",
        contrast = name, visit = as.numeric(v), value = df)
    }
  }
  do.call(rbind, out)
}

results <- list()
specs <- list(
  list(dataset = "complete", rhs = "arm * visitf + age + baseline * visitf",
       covariances = c("unstructured", "heterogeneous_cs", "ar1", "toeplitz",
                       "compound_symmetry")),
  list(dataset = "dropout", rhs = "arm * visitf + age + sex + baseline * visitf",
       covariances = c("unstructured", "heterogeneous_cs", "ar1", "toeplitz",
                       "compound_symmetry")))
for (spec in specs) {
  d <- read.csv(file.path(here, paste0(spec$dataset, ".csv")))
  d <- d[!is.na(d$inflammatory), ]
  d$arm <- factor(d$arm, levels = c("comparator", "isotretinoin"))
  d$sex <- factor(d$sex)
  months <- sort(unique(d$month))
  d$visitf <- factor(d$month, levels = months)
  d$vidx <- match(d$month, months)
  d <- d[order(d$subject, d$vidx), ]
  for (covariance in spec$covariances) {
    fit <- fit_one(d, covariance, spec$rhs)
    design <- model.matrix(as.formula(paste("~", spec$rhs)), d)
    half_logdet_xtx <- 0.5 * as.numeric(determinant(crossprod(design))$modulus)
    est <- contrast_rows(fit, d, spec$rhs, spec$dataset, covariance)
    long <- rbind(
      data.frame(dataset = spec$dataset, covariance = covariance, quantity = "estimate",
                 contrast = est$contrast, visit = est$visit, value = est$estimate),
      data.frame(dataset = spec$dataset, covariance = covariance, quantity = "se",
                 contrast = est$contrast, visit = est$visit, value = est$se),
      data.frame(dataset = spec$dataset, covariance = covariance, quantity = "loglik",
                 contrast = "", visit = NA, value = as.numeric(logLik(fit))),
      data.frame(dataset = spec$dataset, covariance = covariance, quantity = "half_logdet_xtx",
                 contrast = "", visit = NA, value = half_logdet_xtx))
    full_subject <- names(which(table(d$subject) == length(months)))[1]
    sigma <- as.matrix(getVarCov(fit, individual = full_subject))
    idx <- which(upper.tri(sigma, diag = TRUE), arr.ind = TRUE)
    long <- rbind(long, data.frame(
      dataset = spec$dataset, covariance = covariance, quantity = "covariance",
      contrast = paste(months[idx[, 1]], months[idx[, 2]], sep = ","), visit = NA,
      value = sigma[idx]))
    results[[length(results) + 1]] <- long
    if (covariance == "unstructured") {
      results[[length(results) + 1]] <- satterthwaite_rows(fit, d, spec$rhs, spec$dataset)
    }
  }
}
out <- do.call(rbind, results)
write.csv(out, file.path(here, "expected.csv"), row.names = FALSE)
cat(R.version.string, "; nlme", as.character(packageVersion("nlme")), "\n")
