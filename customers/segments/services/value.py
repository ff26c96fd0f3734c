"""The value model applied to the shop: fitted to everybody's orders at each segments
recompute, recorded with its backtest (`ValueModelFit`), and used to score customers, all at
once in the recompute and a few at a time as their orders arrive.

The maths is customers/segments/value_model.py; which stage P(alive) means is rules.py's.
"""

import datetime as dt
import time
from decimal import Decimal

import numpy as np

from customers.models import SegmentSettings, ValueModelFit
from customers.segments import value_model as vm
from customers.segments.selectors import value_model_latest
from kernel.bulk import columns_read, columns_write

VALUE_COLUMNS = ("customer_id bigint, p_alive double precision, orders_90 double precision, "
                 "orders_365 double precision, order_value_cents double precision, "
                 "clv_cents double precision")
FITTED_PARAMETERS = ("r", "alpha", "a", "b", "p", "q", "gamma")
CENT = Decimal("0.01")


def _predict(fitted: vm.Fitted, histories: vm.Histories, settings: SegmentSettings
             ) -> vm.Predictions:
    return vm.predict(fitted, histories, horizon_years=float(settings.clv_horizon_years),
                      discount_rate=float(settings.clv_discount_rate) / 100)


def _cents(values: np.ndarray) -> np.ndarray:
    """Money rounded to whole cents (both paths round here, so they agree to the cent)."""
    return np.rint(values * 100)


def value_model_fit(*, as_of: dt.datetime, settings: SegmentSettings,
                    calibration_end_t: int) -> ValueModelFit:
    """Fit the value model to the counted orders summarised in the recompute's
    `segments_stats`, write every buyer's predictions to its `segments_value`, run the
    backtest (fit up to `calibration_end_t`, predict the weeks after) and record it all.
    Without enough history, or with the model turned off, nothing is written to
    segments_value and the record says why: the rules predict."""
    started = time.perf_counter()
    # Money is subtracted exactly in SQL, then turned into floats, as an arriving order's
    # refresh does; rows in customer order, so the same orders draw the same sample.
    rows = columns_read(
        sql="SELECT customer_id, n, first_t, last_t, net - first_net AS repeat_net, cal_n, "
            "cal_last_t, cal_net - first_net AS cal_repeat_net, net - cal_net AS holdout_net, "
            "cal_net FROM segments_stats",
        columns={"customer_id": int, "n": int, "first_t": int, "last_t": int,
                 "repeat_net": float, "cal_n": int, "cal_last_t": int, "cal_repeat_net": float,
                 "holdout_net": float, "cal_net": float})
    by_customer = np.argsort(rows["customer_id"], kind="stable")
    rows = {name: column[by_customer] for name, column in rows.items()}
    histories = vm.Histories.from_orders(
        orders=rows["n"], first_t=rows["first_t"], last_t=rows["last_t"],
        repeat_net=rows["repeat_net"], as_of_t=int(as_of.timestamp()))
    record = ValueModelFit(as_of=as_of, buyers=len(histories),
                           repeat_buyers=int(np.count_nonzero(histories.x > 0)))
    shortfall = vm.history_shortfall(histories)
    if not settings.value_model_enabled:
        record.status = ValueModelFit.Status.OFF
    elif shortfall:
        record.status = ValueModelFit.Status.TOO_LITTLE_HISTORY
        record.detail = {"reason": shortfall.reason, "have": shortfall.have,
                         "need": shortfall.need}
    else:
        try:
            fitted = vm.fit(histories)
        except vm.FitFailed as exc:
            record.status, record.detail = ValueModelFit.Status.FAILED, {"error": str(exc)}
        else:
            record.status, record.sample = ValueModelFit.Status.FITTED, fitted.sample
            for name in FITTED_PARAMETERS[:4]:
                setattr(record, name, getattr(fitted.orders, name))
            for name in FITTED_PARAMETERS[4:]:
                setattr(record, name, getattr(fitted.spend, name))
            predictions = _predict(fitted, histories, settings)
            columns_write(table="segments_value", columns={
                "customer_id": rows["customer_id"], "p_alive": predictions.p_alive,
                "orders_90": predictions.orders_90, "orders_365": predictions.orders_365,
                "order_value_cents": _cents(predictions.order_value),
                "clv_cents": _cents(predictions.clv)})
            record.backtest = _backtest(rows, calibration_end_t=calibration_end_t,
                                        days=settings.backtest_weeks * 7)
    record.seconds = time.perf_counter() - started
    record.save()
    return record


def _backtest(rows: dict[str, np.ndarray], *, calibration_end_t: int, days: float) -> dict:
    known = rows["cal_n"] > 0  # ordered by the end of the calibration period
    calibration = vm.Histories.from_orders(
        orders=rows["cal_n"][known], first_t=rows["first_t"][known],
        last_t=rows["cal_last_t"][known], repeat_net=rows["cal_repeat_net"][known],
        as_of_t=calibration_end_t)
    try:
        return vm.backtest(
            calibration, calibration_net=rows["cal_net"][known],
            holdout_orders=(rows["n"] - rows["cal_n"])[known].astype(np.float64),
            holdout_spend=rows["holdout_net"][known], days=days)
    except vm.FitFailed as exc:
        return {"error": str(exc)}


def _fitted(fit: ValueModelFit | None) -> vm.Fitted | None:
    if fit is None or not fit.is_fitted:
        return None
    r, alpha, a, b, p, q, gamma = fit.r, fit.alpha, fit.a, fit.b, fit.p, fit.q, fit.gamma
    # A fitted row has every parameter (value_model_fit writes them together); one without
    # them could not score anybody, so it counts as not fitted.
    if (r is None or alpha is None or a is None or b is None or p is None or q is None
            or gamma is None):
        return None
    return vm.Fitted(orders=vm.BgNbd(r=r, alpha=alpha, a=a, b=b),
                     spend=vm.GammaGamma(p=p, q=q, gamma=gamma), sample=fit.sample)


def customers_value_predict(*, histories: list[tuple[int, int, int, Decimal]], as_of_t: int,
                            settings: SegmentSettings) -> list[dict] | None:
    """The latest fitted model's predictions for these customers, each given as (orders,
    first and last order in epoch seconds, net of all orders but the first): the same
    numbers the recompute writes. None when the rules predict (no fitted model, or the model
    turned off)."""
    fitted = _fitted(value_model_latest()) if settings.value_model_enabled else None
    if fitted is None or not histories:
        return None
    orders, first_t, last_t, repeat_net = zip(*histories, strict=True)
    predicted = _predict(fitted, vm.Histories.from_orders(
        orders=np.array(orders), first_t=np.array(first_t), last_t=np.array(last_t),
        repeat_net=np.array([float(net) for net in repeat_net]), as_of_t=as_of_t), settings)
    value_cents, clv_cents = _cents(predicted.order_value), _cents(predicted.clv)
    return [{
        "p_alive": None if np.isnan(predicted.p_alive[i]) else float(predicted.p_alive[i]),
        "expected_orders_90d": float(predicted.orders_90[i]),
        "expected_orders_365d": float(predicted.orders_365[i]),
        "expected_order_value": Decimal(int(value_cents[i])) * CENT,
        "clv_predicted": Decimal(int(clv_cents[i])) * CENT,
    } for i in range(len(histories))]
