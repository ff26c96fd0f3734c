"""The value model's maths (customers/segments/value_model.py): properties that hold for any
history, and fits that find the parameters a simulated shop was drawn from."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import hyp2f1

from customers.segments import value_model as vm

CDNOW = vm.BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426)
SPEND = vm.GammaGamma(p=6.25, q=3.74, gamma=15.44)

histories = st.tuples(
    st.integers(min_value=0, max_value=60),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0.5, max_value=400),
).map(lambda h: (h[0], 0.0 if h[0] == 0 else h[1] * h[2], h[2]))


@settings(max_examples=200, deadline=None)
@given(histories, st.floats(min_value=1, max_value=300))
def test_p_alive_is_a_probability_that_silence_only_lowers(history, more):
    x, t_x, T = history
    alive = CDNOW.p_alive(x, t_x, T)[0]
    later = CDNOW.p_alive(x, t_x, T + more)[0]
    assert 0 <= later <= alive <= 1
    if x == 0:
        assert alive == later == 1  # BG/NBD can't judge a customer without a repeat order


@settings(max_examples=200, deadline=None)
@given(histories, st.floats(min_value=1, max_value=400), st.floats(min_value=1, max_value=400))
def test_expected_orders_grow_with_the_horizon(history, t, more):
    x, t_x, T = history
    soon = CDNOW.expected_orders(t, x, t_x, T)[0]
    assert 0 <= soon <= CDNOW.expected_orders(t + more, x, t_x, T)[0]


@settings(max_examples=100, deadline=None)
@given(histories, st.floats(min_value=1, max_value=200))
def test_the_stable_form_is_the_papers_equation_10(history, t):
    """Euler's transformation changes nothing where the direct form can be computed."""
    x, t_x, T = history
    m = CDNOW
    z = t / (m.alpha + T + t)
    direct = ((m.a + m.b + x - 1) / (m.a - 1)
              * (1 - ((m.alpha + T) / (m.alpha + T + t)) ** (m.r + x)
                 * hyp2f1(m.r + x, m.b + x, m.a + m.b + x - 1, z))
              * m.p_alive(x, t_x, T)[0])
    assert m.expected_orders(t, x, t_x, T)[0] == pytest.approx(direct, rel=1e-6, abs=1e-12)


def test_a_customer_with_hundreds_of_orders_gets_a_finite_forecast():
    orders = CDNOW.expected_orders(52, 500, 52, 52)[0]  # ordering right up to now
    assert np.isfinite(orders) and 100 < orders < 1000


def test_clv_is_expected_orders_times_expected_value_discounted():
    """Over one year in days, with and without a discount rate."""
    fitted = vm.Fitted(orders=vm.BgNbd(r=0.243, alpha=30.9, a=0.793, b=2.426), spend=SPEND,
                       sample=3)
    h = vm.Histories(x=np.array([0.0, 3, 10]), t_x=np.array([0.0, 140, 210]),
                     T=np.array([210.0, 266, 273]), m=np.array([0.0, 40, 25]))

    undiscounted = vm.predict(fitted, h, horizon_years=1, discount_rate=0)
    discounted = vm.predict(fitted, h, horizon_years=1, discount_rate=0.1)

    assert undiscounted.clv == pytest.approx(
        fitted.orders.expected_orders(365, h.x, h.t_x, h.T) * SPEND.expected_value(h.x, h.m))
    assert undiscounted.orders_365 == pytest.approx(
        fitted.orders.expected_orders(365, h.x, h.t_x, h.T))
    assert np.all(discounted.clv < undiscounted.clv)
    assert np.isnan(undiscounted.p_alive[0]) and 0 < undiscounted.p_alive[1] < 1


def test_order_value_moves_from_the_shops_mean_toward_the_customers_own():
    population = SPEND.p * SPEND.gamma / (SPEND.q - 1)
    first, few, many = SPEND.expected_value([0, 2, 200], [0, 100, 100])
    assert first == pytest.approx(population)
    assert population < few < many < 100


def simulate(rng, n: int, orders: vm.BgNbd, days: float) -> vm.Histories:
    """Customers drawn from BG/NBD itself, observed for `days` each (in days)."""
    rate = rng.gamma(orders.r, 1 / orders.alpha, n)
    drop = rng.beta(orders.a, orders.b, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        t, alive = 0.0, True
        while alive:
            t += rng.exponential(1 / rate[i])
            if t > days:
                break
            x[i], t_x[i] = x[i] + 1, t
            alive = rng.random() >= drop[i]
    return vm.Histories(x=x, t_x=t_x, T=np.full(n, days), m=np.where(x > 0, 30.0, 0))


def test_a_fit_finds_the_parameters_a_shop_was_drawn_from():
    truth = vm.BgNbd(r=0.5, alpha=30.0, a=0.8, b=3.0)
    shop = simulate(np.random.default_rng(7), 8000, truth, days=540)

    found = vm.bgnbd_fit(shop.x, shop.t_x, shop.T)

    for name in ("r", "alpha", "a", "b"):
        assert getattr(found, name) == pytest.approx(getattr(truth, name), rel=0.2), name


def test_a_fit_on_a_big_shop_uses_a_sample_drawn_the_same_way_each_time(monkeypatch):
    monkeypatch.setattr(vm, "FIT_SAMPLE", 1000)
    shop = simulate(np.random.default_rng(3), 3000, vm.BgNbd(0.5, 30.0, 0.8, 3.0), days=365)
    shop = vm.Histories(x=shop.x, t_x=shop.t_x, T=shop.T,
                        m=np.where(shop.x > 0, np.random.default_rng(1).gamma(5, 8, 3000), 0))

    first, again = vm.fit(shop), vm.fit(shop)

    assert first.sample == 1000
    assert first == again


def test_a_shop_too_young_or_too_small_is_told_what_it_lacks():
    def shop(buyers, repeat, days):
        x = np.where(np.arange(buyers) < repeat, 1.0, 0.0)
        return vm.Histories(x=x, t_x=x, T=np.full(buyers, float(days)), m=x * 20)

    assert vm.history_shortfall(shop(150, 100, 400)) == vm.TooLittleHistory(
        "few_buyers", 150, 200)
    assert vm.history_shortfall(shop(500, 20, 400)) == vm.TooLittleHistory(
        "few_repeat_buyers", 20, 50)
    assert vm.history_shortfall(shop(500, 100, 90)) == vm.TooLittleHistory(
        "short_history", 90, 180)
    assert vm.history_shortfall(shop(500, 100, 180)) is None


def test_histories_count_whole_days_from_the_first_order():
    day = vm.DAY
    h = vm.Histories.from_orders(orders=[1, 3], first_t=[0, 0], last_t=[0, 10 * day + 5],
                                 repeat_net=[0, 50.0], as_of_t=30 * day - 1)
    assert h.x.tolist() == [0, 2] and h.t_x.tolist() == [0, 10] and h.T.tolist() == [29, 29]
    assert h.m.tolist() == [0, 25]


def test_data_the_model_cannot_describe_is_refused():
    with pytest.raises(vm.FitFailed):
        vm.bgnbd_fit([0, 0, 0], [0, 0, 0], [10, 20, 30])
    with pytest.raises(vm.FitFailed):
        vm.gamma_gamma_fit([1, 2], [0, -5])
