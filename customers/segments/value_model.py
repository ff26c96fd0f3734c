"""The value model: how many orders a customer will place, whether they are still a customer,
and what those orders are worth. Pure maths on NumPy arrays, no database: callers pass every
customer's history as arrays and get arrays back (customers/segments/services/value.py feeds it).

- BG/NBD (Fader, Hardie and Lee, "Counting your customers the easy way", Marketing Science
  24(2), 2005): while alive, a customer orders at their own Poisson rate (gamma-distributed
  over customers: r, alpha); after each repeat order they may leave for good with their own
  probability (beta-distributed: a, b).
- Gamma-Gamma (Fader and Hardie, "The Gamma-Gamma model of monetary value", 2013): each
  customer's orders vary around their own mean value, gamma-distributed over customers
  (p, q, gamma), independent of how often they order.

A customer's history, in any time unit (the same for everybody; Flywheel uses days):
  x    repeat orders: orders after the first (the first tells that they exist);
  t_x  when the last order was placed, counted from the first (0 when x = 0);
  T    how long they have been a customer: from the first order to now;
  m    the average value of the repeat orders (only read where x > 0).

The fits maximise the closed-form likelihoods with L-BFGS-B and analytic gradients, on log
parameters (so they stay positive) and on times scaled to a maximum of 10 (so days and weeks
converge alike). Scoring is vectorised: a million customers cost a few array passes.
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1

ArrayLike = np.ndarray | float | int


class FitFailed(ValueError):
    """The likelihood could not be maximised (too little data, or data the model can't
    describe); the message says why."""


@dataclass(frozen=True)
class BgNbd:
    r: float
    alpha: float
    a: float
    b: float

    def p_alive(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
        """P(still a customer | history). Always 1 for x = 0: in BG/NBD a customer can only
        leave right after a repeat order, so the model can't tell about one-order customers.
        """
        x, t_x, T = _floats(x, t_x, T)
        return expit(-self._log_odds_dead(x, t_x, T))

    def _log_odds_dead(self, x, t_x, T) -> np.ndarray:
        # log of a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x), for x > 0
        repeat = x > 0
        odds = np.full(x.shape, -np.inf)
        xr = x[repeat]
        odds[repeat] = (np.log(self.a) - np.log(self.b + xr - 1) + (self.r + xr) * (
            np.log(self.alpha + T[repeat]) - np.log(self.alpha + t_x[repeat])))
        return odds

    def expected_orders(self, t: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
                        ) -> np.ndarray:
        """E[orders in the next t | history] (FHL 2005, eq. 10)."""
        x, t_x, T = _floats(x, t_x, T)
        return self.orders_if_alive([t], x, T)[0] * self.p_alive(x, t_x, T)

    def orders_if_alive(self, times, x: ArrayLike, T: ArrayLike) -> list[np.ndarray]:
        """For each t in `times`, the orders expected in the next t from a customer still
        alive: eq. 10 without its P(alive) factor, which depends on t_x alone.

        The hypergeometric term is taken through Euler's transformation,
        2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1-r-x) 2F1(a+b-1-r, a-1; a+b+x-1; z), which
        cancels the ((alpha+T)/(alpha+T+t))^(r+x) beside it: the series that is left has
        small, fixed upper parameters and stays accurate for customers with hundreds of
        orders, where the direct form overflows. It is evaluated once per distinct (x, T):
        with times in whole days, a million customers share a few tens of thousands."""
        x, T = _floats(x, T)
        (x, T), inverse = _distinct(x, T)
        a = self.a if abs(self.a - 1) > 1e-9 else 1 + 1e-9  # the a = 1 limit, numerically
        c = a + self.b + x - 1
        found = []
        for t in times:
            if t <= 0:
                found.append(np.zeros(inverse.shape))
                continue
            z = t / (self.alpha + T + t)
            tail = (1 - z) ** (a - 1) * hyp2f1(a + self.b - 1 - self.r, a - 1, c, z)
            found.append((c / (a - 1) * (1 - tail))[inverse])
        return found

    def log_likelihood(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> np.ndarray:
        """Each customer's log-likelihood (FHL 2005, eq. 6)."""
        x, t_x, T = _floats(x, t_x, T)
        return _bgnbd_terms(np.log([self.r, self.alpha, self.a, self.b]), x, t_x, T,
                            gradient=False)[0]


@dataclass(frozen=True)
class GammaGamma:
    p: float
    q: float
    gamma: float

    def expected_value(self, x: ArrayLike, m: ArrayLike) -> np.ndarray:
        """E[the value of a future order | x repeat orders averaging m]: the population mean
        p*gamma/(q-1) for x = 0, moving toward the customer's own average with each order.
        Needs q > 1 (otherwise the mean order value is infinite; the fit refuses it)."""
        x, m = _floats(x, m)
        m = np.where(x > 0, np.maximum(m, 0), 0)
        return self.p * (self.gamma + x * m) / (self.p * x + self.q - 1)

    def log_likelihood(self, x: ArrayLike, m: ArrayLike) -> np.ndarray:
        x, m = _floats(x, m)
        return _gamma_gamma_terms(np.log([self.p, self.q, self.gamma]), x, m,
                                  gradient=False)[0]


def _floats(*arrays: ArrayLike) -> tuple[np.ndarray, ...]:
    return tuple(np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in arrays)


def _distinct(*columns: np.ndarray) -> tuple[tuple[np.ndarray, ...], np.ndarray]:
    """The distinct rows of these columns, and for each original row the index of its own."""
    if not columns[0].size:
        return columns, np.zeros(0, dtype=np.int64)
    order = np.lexsort(columns[::-1])
    ordered = [column[order] for column in columns]
    new = np.ones(order.size, dtype=bool)
    new[1:] = np.any([column[1:] != column[:-1] for column in ordered], axis=0)
    inverse = np.empty(order.size, dtype=np.int64)
    inverse[order] = np.cumsum(new) - 1
    return tuple(column[new] for column in ordered), inverse


def _bgnbd_terms(log_params, x, t_x, T, *, gradient=True):
    r, alpha, a, b = np.exp(log_params)
    repeat = x > 0
    rx = r + x
    head = (gammaln(rx) - gammaln(r) + r * np.log(alpha)
            + gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x))
    left = -rx * np.log(alpha + T)
    right = np.full(x.shape, -np.inf)
    right[repeat] = (np.log(a) - np.log(b + x[repeat] - 1)
                     - rx[repeat] * np.log(alpha + t_x[repeat]))
    tail = np.logaddexp(left, right)
    ll = head + tail
    if not gradient:
        return ll, None
    w_left, w_right = np.exp(left - tail), np.exp(right - tail)
    log_alpha_t_x = np.log(alpha + t_x)
    d_r = (digamma(rx) - digamma(r) + np.log(alpha) - w_left * np.log(alpha + T)
           - w_right * log_alpha_t_x)
    d_alpha = r / alpha - w_left * rx / (alpha + T) - w_right * rx / (alpha + t_x)
    d_a = digamma(a + b) - digamma(a + b + x) + w_right / a
    b_x_1 = np.where(repeat, b + x - 1, 1.0)
    d_b = (digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x)
           - w_right / b_x_1)
    # d/d(log theta) = theta * d/d(theta)
    grads = np.stack([r * d_r, alpha * d_alpha, a * d_a, b * d_b])
    return ll, grads


def _gamma_gamma_terms(log_params, x, m, *, gradient=True):
    p, q, gamma = np.exp(log_params)
    px = p * x
    log_spend = np.log(gamma + x * m)
    ll = (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(gamma)
          + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * log_spend)
    if not gradient:
        return ll, None
    d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - log_spend)
    d_q = digamma(px + q) - digamma(q) + np.log(gamma) - log_spend
    d_gamma = q / gamma - (px + q) / (gamma + x * m)
    return ll, np.stack([p * d_p, q * d_q, gamma * d_gamma])


def _maximise(terms, start, *args, bounded_is_failure: bool = True) -> np.ndarray:
    count = len(args[0])

    def negative(log_params):
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            ll, grads = terms(log_params, *args)
        value = -ll.sum() / count
        if not np.isfinite(value):
            return np.inf, np.zeros_like(log_params)
        return value, -grads.sum(axis=1) / count

    found = minimize(negative, start, jac=True, method="L-BFGS-B",
                     bounds=[(-12.0, 12.0)] * len(start), options={"maxiter": 500})
    if not np.all(np.isfinite(found.x)) or not np.isfinite(found.fun):
        raise FitFailed(f"the likelihood could not be maximised ({found.message})")
    if bounded_is_failure and np.any(np.abs(found.x) >= 11.99):
        raise FitFailed("a parameter ran off to its bound: the data can't pin the model down")
    return np.exp(found.x)


def bgnbd_fit(x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> BgNbd:
    """The BG/NBD parameters that make these histories most likely."""
    x, t_x, T = _floats(x, t_x, T)
    if x.size == 0 or not np.any(x > 0):
        raise FitFailed("nobody has ordered twice")
    if np.any(T <= 0) or np.any(t_x < 0) or np.any(t_x > T) or np.any(x < 0):
        raise FitFailed("histories need 0 <= t_x <= T and T > 0")
    scale = 10.0 / T.max()
    r, alpha, a, b = _maximise(_bgnbd_terms, np.zeros(4), x, t_x * scale, T * scale)
    return BgNbd(r=float(r), alpha=float(alpha / scale), a=float(a), b=float(b))


def gamma_gamma_fit(x: ArrayLike, m: ArrayLike) -> GammaGamma:
    """The Gamma-Gamma parameters for customers with repeat orders (x > 0) of positive
    average value m; the others are left out."""
    x, m = _floats(x, m)
    kept = (x > 0) & (m > 0)
    if not np.any(kept):
        raise FitFailed("nobody has a repeat order of positive value")
    x, m = x[kept], m[kept]
    scale = 10.0 / m.max()
    # Customers whose average orders don't differ at all send q and gamma off together
    # (the limit is one mean value for everybody); the bound then stands for it, and the
    # expected value, p * gamma / (q - 1) moving toward the customer's own, stays finite.
    p, q, gamma = _maximise(_gamma_gamma_terms, np.zeros(3), x, m * scale,
                            bounded_is_failure=False)
    if q <= 1:
        raise FitFailed("order values are too spread out for a finite mean (q <= 1)")
    return GammaGamma(p=float(p), q=float(q), gamma=float(gamma / scale))


# The shop's side: histories in whole days, when there is enough of them, the fit on a
# sample, everyone's predictions, and the backtest staff read.

DAY = 86_400
MIN_BUYERS = 200
MIN_REPEAT_BUYERS = 50
MIN_HISTORY_DAYS = 180
FIT_SAMPLE = 50_000


@dataclass(frozen=True)
class Histories:
    """Customers' histories in whole days (floored, like "days since the last order"): x,
    t_x, T and m as in the module docstring."""

    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray
    m: np.ndarray

    @classmethod
    def from_orders(cls, *, orders: np.ndarray, first_t: np.ndarray, last_t: np.ndarray,
                    repeat_net: np.ndarray, as_of_t: int) -> "Histories":
        """From each customer's counted orders (at least one), the epoch seconds of their
        first and last, the net value of all but the first, and the time now."""
        orders, first_t, last_t = (np.asarray(a, dtype=np.int64)
                                   for a in (orders, first_t, last_t))
        x = (orders - 1).astype(np.float64)
        m = np.asarray(repeat_net, dtype=np.float64) / np.maximum(x, 1)
        return cls(x=x, t_x=((last_t - first_t) // DAY).astype(np.float64),
                   T=((as_of_t - first_t) // DAY).astype(np.float64), m=np.where(x > 0, m, 0))

    def __len__(self) -> int:
        return len(self.x)

    def take(self, rows: np.ndarray) -> "Histories":
        return Histories(x=self.x[rows], t_x=self.t_x[rows], T=self.T[rows], m=self.m[rows])


@dataclass(frozen=True)
class TooLittleHistory:
    """Why the shop's orders can't support the model yet: `reason` is a code
    (few_buyers, few_repeat_buyers, short_history), `have` falls short of `need`."""

    reason: str
    have: int
    need: int


def history_shortfall(histories: Histories) -> TooLittleHistory | None:
    buyers, repeat = len(histories), int(np.count_nonzero(histories.x > 0))
    span = int(histories.T.max()) if buyers else 0
    if buyers < MIN_BUYERS:
        return TooLittleHistory("few_buyers", buyers, MIN_BUYERS)
    if repeat < MIN_REPEAT_BUYERS:
        return TooLittleHistory("few_repeat_buyers", repeat, MIN_REPEAT_BUYERS)
    if span < MIN_HISTORY_DAYS:
        return TooLittleHistory("short_history", span, MIN_HISTORY_DAYS)
    return None


@dataclass(frozen=True)
class Fitted:
    orders: BgNbd
    spend: GammaGamma
    sample: int


def _sample(rows: np.ndarray, seed: int) -> np.ndarray:
    """At most FIT_SAMPLE of these row numbers, drawn with a fixed seed (so the same orders
    give the same fit), in their order."""
    if rows.size <= FIT_SAMPLE:
        return rows
    return np.sort(np.random.default_rng(seed).choice(rows, FIT_SAMPLE, replace=False))


def fit(histories: Histories, *, seed: int = 0) -> Fitted:
    """Both models on a sample of at most FIT_SAMPLE customers; customers of less than a day
    tell nothing and are left out. Raises FitFailed."""
    known = _sample(np.flatnonzero(histories.T > 0), seed)
    sample = histories.take(known)
    return Fitted(orders=bgnbd_fit(sample.x, sample.t_x, sample.T),
                  spend=gamma_gamma_fit(sample.x, sample.m), sample=int(known.size))


@dataclass(frozen=True)
class Predictions:
    """Per customer: P(alive) (NaN for a single order: BG/NBD always says 1 there), orders
    expected in the next 90 and 365 days, the expected order value and the CLV."""

    p_alive: np.ndarray
    orders_90: np.ndarray
    orders_365: np.ndarray
    order_value: np.ndarray
    clv: np.ndarray


def predict(fitted: Fitted, histories: Histories, *, horizon_years: float,
            discount_rate: float) -> Predictions:
    """Everyone's predictions; CLV over `horizon_years` in monthly steps, discounted at
    `discount_rate` a year (0.1 for 10 %)."""
    h, model = histories, fitted.orders
    months = max(1, round(horizon_years * 12))
    p_alive = model.p_alive(h.x, h.t_x, h.T)
    in_90, in_365, *monthly = model.orders_if_alive(
        [90, 365, *(horizon_years * 365 * k / months for k in range(1, months + 1))], h.x, h.T)
    value = fitted.spend.expected_value(h.x, h.m)
    discount = (1 + discount_rate) ** (1 / 12)
    clv, before = np.zeros(len(h)), np.zeros(len(h))
    for month, upto in enumerate(monthly, start=1):
        clv += (upto - before) / discount ** month
        before = upto
    return Predictions(p_alive=np.where(h.x > 0, p_alive, np.nan),
                       orders_90=in_90 * p_alive, orders_365=in_365 * p_alive,
                       order_value=value, clv=clv * p_alive * value)


def run_rate(amount: np.ndarray, tenure_days: np.ndarray, days: float) -> np.ndarray:
    """Today's rules projected over `days`: so much per year so far (tenure counted as at
    least a year, as customers/segments/rules.py's `clv` does)."""
    return amount * days / np.maximum(365, tenure_days)


def _ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their average rank."""
    order = np.argsort(values, kind="stable")
    ordered = values[order]
    new = np.ones(values.size, dtype=bool)
    new[1:] = ordered[1:] != ordered[:-1]
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:], values.size)
    ranks = np.empty(values.size)
    ranks[order] = ((starts + ends + 1) / 2)[np.cumsum(new) - 1]
    return ranks


def rank_correlation(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman's rho (the correlation of the ranks); None when either side is constant."""
    if len(a) < 3 or np.all(a == a[0]) or np.all(b == b[0]):
        return None
    return float(np.corrcoef(_ranks(np.asarray(a, float)), _ranks(np.asarray(b, float)))[0, 1])


GROUPS = 8  # calibration groups: 0, 1, ... 6 repeat orders, and 7 or more


def backtest(calibration: Histories, *, calibration_net: np.ndarray,
             holdout_orders: np.ndarray, holdout_spend: np.ndarray, days: float,
             seed: int = 0) -> dict:
    """Fit on the calibration histories (everybody who had ordered by its end; a sample of
    FIT_SAMPLE of them in a big shop), predict the `days` after it, and score against what
    happened: mean absolute error per customer of
    orders and of spend for the model and two naive baselines (the same value for everyone,
    the holdout's real mean, which no forecast could know; and today's run rate), predicted
    and real totals, the rank correlation of predicted and real spend, and calibration:
    predicted and real orders by number of repeat orders in the calibration period.
    Raises FitFailed; returns {"shortfall": ...} when the calibration period is too short."""
    shortfall = history_shortfall(calibration)
    if shortfall:
        return {"shortfall": {"reason": shortfall.reason, "have": shortfall.have,
                              "need": shortfall.need}}
    rows = _sample(np.arange(len(calibration)), seed)
    h = calibration.take(rows)
    calibration_net, holdout_orders, holdout_spend = (
        calibration_net[rows], holdout_orders[rows], holdout_spend[rows])
    fitted = fit(h, seed=seed)
    orders = fitted.orders.expected_orders(days, h.x, h.t_x, h.T)
    predicted = {
        "orders": {"model": orders, "same_for_everyone": np.full(len(h), holdout_orders.mean()),
                   "run_rate": run_rate(h.x + 1, h.T, days)},
        "spend": {"model": orders * fitted.spend.expected_value(h.x, h.m),
                  "same_for_everyone": np.full(len(h), holdout_spend.mean()),
                  "run_rate": run_rate(calibration_net, h.T, days)},
    }
    actual = {"orders": holdout_orders, "spend": holdout_spend}
    group = np.minimum(h.x, GROUPS - 1).astype(np.int64)
    counts = np.bincount(group, minlength=GROUPS)

    def mean_by_group(values):
        return np.bincount(group, weights=values, minlength=GROUPS) / np.maximum(counts, 1)

    by_group = {name: mean_by_group(values) for name, values in (
        ("actual", holdout_orders), ("model", orders),
        ("run_rate", predicted["orders"]["run_rate"]))}
    return {
        "days": days, "customers": len(calibration), "sample": len(h),
        "parameters": {"r": fitted.orders.r, "alpha": fitted.orders.alpha,
                       "a": fitted.orders.a, "b": fitted.orders.b, "p": fitted.spend.p,
                       "q": fitted.spend.q, "gamma": fitted.spend.gamma},
        "mae": {what: {name: float(np.abs(values - actual[what]).mean())
                       for name, values in methods.items()}
                for what, methods in predicted.items()},
        "total": {what: {"actual": float(actual[what].sum()),
                         **{name: float(values.sum()) for name, values in methods.items()}}
                  for what, methods in predicted.items()},
        "spearman_spend": rank_correlation(predicted["spend"]["model"], holdout_spend),
        "groups": [{"repeat_orders": g, "or_more": g == GROUPS - 1, "customers": int(counts[g]),
                    **{name: float(means[g]) for name, means in by_group.items()}}
                   for g in range(GROUPS) if counts[g]],
    }
