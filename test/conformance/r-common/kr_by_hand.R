## Satterthwaite and Kenward-Roger computed directly from the formulas, with full n x n matrices,
## for models no R package fits with KR (R-side structures fitted by nlme::gls).
## Kenward & Roger (1997), Biometrics 53:983-997; pbkrtest's vcovAdj / .KR_adjust; lmerTest's contestMD.
## Validated in r-orthodont-kr/reference.R against pbkrtest + lmerTest on a model both can fit.
##
## X: n x p full-rank fixed design; V: n x n; dV: list of dV/dtheta_k; d2V: list of lists of
## d2V/dtheta_k dtheta_l (NULL entries = 0) or NULL.
kr_parts <- function(X, V, dV, d2V = NULL) {
  Vi <- solve(V)
  Phi <- solve(t(X) %*% Vi %*% X)
  K <- length(dV)
  A <- Vi %*% X
  P <- lapply(dV, function(D) -t(A) %*% D %*% A)
  Q <- lapply(1:K, function(k) lapply(1:K, function(l) t(A) %*% dV[[k]] %*% Vi %*% dV[[l]] %*% A))
  R <- lapply(1:K, function(k) lapply(1:K, function(l) {
    D2 <- if (is.null(d2V)) NULL else d2V[[k]][[l]]
    if (is.null(D2)) matrix(0, ncol(X), ncol(X)) else t(A) %*% D2 %*% A }))
  ## expected REML information of -2l: tr(Pi V_k Pi V_l), Pi = V^-1 - V^-1 X Phi X' V^-1
  Pi <- Vi - A %*% Phi %*% t(A)
  IE <- outer(1:K, 1:K, Vectorize(function(k, l) sum(diag(Pi %*% dV[[k]] %*% Pi %*% dV[[l]]))))
  list(Phi = Phi, P = P, Q = Q, R = R, IE = IE, K = K)
}
## Phi_A = Phi + 2 Phi Lambda Phi, Lambda = sum_kl W_kl (Q_kl - P_k Phi P_l - R_kl / 4)
kr_phiA <- function(pt, W, second = TRUE) {
  Lam <- matrix(0, nrow(pt$Phi), ncol(pt$Phi))
  for (k in 1:pt$K) for (l in 1:pt$K)
    Lam <- Lam + W[k, l] * (pt$Q[[k]][[l]] - pt$P[[k]] %*% pt$Phi %*% pt$P[[l]] - if (second) pt$R[[k]][[l]] / 4 else 0)
  pt$Phi + 2 * pt$Phi %*% Lam %*% pt$Phi
}
## KR df m and F scaling lambda of H0: L beta = 0 (L full row rank), as pbkrtest .KR_adjust
kr_test <- function(pt, W, L) {
  L <- rbind(L); q <- qr(L)$rank; Phi <- pt$Phi
  Theta <- t(L) %*% solve(L %*% Phi %*% t(L), L)
  u <- lapply(pt$P, function(P) Theta %*% Phi %*% P %*% Phi)
  A1 <- 0; A2 <- 0
  for (k in 1:pt$K) for (l in 1:pt$K) {
    A1 <- A1 + W[k, l] * sum(diag(u[[k]])) * sum(diag(u[[l]]))
    A2 <- A2 + W[k, l] * sum(diag(u[[k]] %*% u[[l]]))
  }
  B <- (A1 + 6 * A2) / (2 * q); g <- ((q + 1) * A1 - (q + 4) * A2) / ((q + 2) * A2)
  c1 <- g / (3 * q + 2 * (1 - g)); c2 <- (q - g) / (3 * q + 2 * (1 - g)); c3 <- (q + 2 - g) / (3 * q + 2 * (1 - g))
  rho <- (1 / q) * ((1 - A2 / q) / (1 - c2 * B))^2 * (1 + c1 * B) / (1 - c3 * B)
  m <- 4 + (q + 2) / (q * rho - 1)
  lambda <- if (abs(m - 2) < 1e-2) 1 else m * (1 - A2 / q) / (m - 2)
  list(q = q, df = m, lambda = lambda, A1 = A1, A2 = A2)
}
## Satterthwaite df of H0: L beta = 0: per eigen-direction t df, combined as lmerTest get_Fstat_ddf.
## A: asymptotic covariance of theta (2 H^-1, observed information)
satt_df <- function(pt, A, L) {
  L <- rbind(L); Phi <- pt$Phi
  e <- eigen(L %*% Phi %*% t(L), symmetric = TRUE)
  pos <- e$values > max(sqrt(.Machine$double.eps) * e$values[1], 0)
  rows <- t(e$vectors[, pos, drop = FALSE]) %*% L
  nu <- vapply(seq_len(nrow(rows)), function(m) {
    a <- Phi %*% rows[m, ]
    g <- vapply(pt$P, function(P) -drop(t(a) %*% P %*% a), 0)
    2 * e$values[pos][m]^2 / drop(t(g) %*% A %*% g)
  }, 0)
  if (length(nu) == 1) return(nu)
  if (all(abs(diff(nu)) < 1e-8)) return(mean(nu))
  if (any(nu <= 2)) return(2)
  E <- sum(nu / (nu - 2)); 2 * E / (E - length(nu))
}
## t / F tables from the pieces. Cov: covariance of beta to use (Phi or Phi_A); dff(L) -> df; lam(L) -> F scaling
t_rows <- function(b, Cov, Ls, dff) lapply(names(Ls), function(nm) {
  L <- Ls[[nm]]; est <- sum(L * b); se <- sqrt(drop(t(L) %*% Cov %*% L)); df <- dff(L); tt <- est / se
  list(term = nm, estimate = est, se = se, df = df, t = tt, p = 2 * pt(-abs(tt), df))
})
f_rows <- function(b, Cov, Lt, dff, lam = function(L) 1) lapply(names(Lt), function(nm) {
  L <- rbind(Lt[[nm]]); q <- qr(L)$rank; Lb <- L %*% b
  F <- drop(t(Lb) %*% solve(L %*% Cov %*% t(L), Lb)) / q * lam(L); df <- dff(L)
  list(effect = nm, numdf = q, dendf = df, F = F, p = pf(F, q, df, lower.tail = FALSE))
})
lsm_rows <- function(b, Cov, linfct, labels, effect, dff) lapply(seq_len(nrow(linfct)), function(i) {
  L <- linfct[i, ]; est <- sum(L * b); se <- sqrt(drop(t(L) %*% Cov %*% L))
  list(effect = effect, level = labels[i], estimate = est, se = se, df = dff(L))
})
