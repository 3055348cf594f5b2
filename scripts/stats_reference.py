#!/usr/bin/env python3
"""Generate the reference table that Verdict's statistics engine is tested against.

The Rust tests in app/src/domain/stats/ read the JSON this script writes (via include_str!), so no
Python is needed at test time. Every expected number here is computed in Python, from gbstats (the
GrowthBook stats engine that ../shared/STATISTICS.md follows), scipy and statsmodels, never taken
from the Rust output. Where gbstats is used, an independent scipy implementation of the spec's
formula checks it (the script stops if the two disagree), and where the spec deliberately differs
from gbstats (a comparison with no result is an error with null numbers, not gbstats' placeholder
0 / [0, 0] / p = 1) the script follows the spec.

How to run it (from the repository root):

    python3 -m venv /tmp/statsvenv
    /tmp/statsvenv/bin/pip install scipy statsmodels gbstats numpy pandas
    /tmp/statsvenv/bin/python scripts/stats_reference.py

It writes app/src/domain/stats/reference.json; the output is deterministic (no randomness, sorted
keys), so re-running it with the same library versions gives a byte-identical file. The versions
used are recorded in the file itself.

Conventions of the table (the Rust test reads them):
- "analyze" cases hold a section-7 request and the full expected response. A comparison with no
  result has "error" set to a code instead of the English sentence: empty_control,
  empty_treatment, zero_baseline, zero_variance_control, zero_variance_treatment (checked in this
  order, the first that applies wins). Every number of such a comparison is null.
- "invalid" cases hold a bad request and the field path its error message must start with.
"""

import importlib.metadata
import json
import math
import platform
import sys
from pathlib import Path

import numpy as np
from scipy import stats as st
from statsmodels.stats.multitest import multipletests

from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig, GaussianPrior
from gbstats.frequentist.tests import (
    FrequentistConfig,
    SequentialConfig,
    SequentialTwoSidedTTest,
    TwoSidedTTest,
)
from gbstats.models.statistics import ProportionStatistic, SampleMeanStatistic
from gbstats.utils import check_srm

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "app" / "src" / "domain" / "stats" / "reference.json"

DEFAULTS = {
    "engine": "frequentist",
    "alpha": 0.05,
    "sequential_tuning": 5000.0,
    "correction": "holm",
    "srm_threshold": 0.001,
}


def close(a, b, tol=1e-9):
    return abs(a - b) <= tol or abs(a - b) <= tol * abs(b)


def agree(label, gb, ours, tol=1e-9):
    """gbstats and the independent formula must tell the same story, or the table is wrong."""
    if not close(gb, ours, tol):
        sys.exit(f"{label}: gbstats says {gb!r}, the spec formula says {ours!r}")
    return gb


def agree_in_tail(label, gb, ours, floor):
    """Like agree, but keeps the scipy value: where gbstats computes 1 - cdf (p-values) or
    truncated-normal moments (risks) it loses digits far in a tail, below `floor` in absolute terms."""
    if not (close(gb, ours) or abs(gb - ours) < floor):
        sys.exit(f"{label}: gbstats says {gb!r}, the spec formula says {ours!r}")
    return ours


# ---------------------------------------------------------------- section 1: sample size
def z(q):
    return float(st.norm.ppf(q))


def sample_size_case(name, request, power_at=()):
    kind = request["kind"]
    alpha = request.get("alpha", 0.05)
    power = request.get("power", 0.8)
    arms = request.get("arms", 2)
    a = alpha / (arms - 1) if request.get("bonferroni", False) else alpha
    za, zb = z(1 - a / 2), z(power)
    m = request["mde_relative"]
    if kind == "proportion":
        p1 = request["baseline_rate"]
        p2 = p1 * (1 + m)
        pbar = (p1 + p2) / 2
        spread = math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
        n_exact = (za * math.sqrt(2 * pbar * (1 - pbar)) + zb * spread) ** 2 / (p2 - p1) ** 2

        def power_of(n):
            x = (abs(p2 - p1) * math.sqrt(n) - za * math.sqrt(2 * pbar * (1 - pbar))) / spread
            return float(st.norm.cdf(x))
    else:
        delta = request["baseline_mean"] * m
        sd = request["sd"]
        n_exact = 2 * (za + zb) ** 2 * sd**2 / delta**2

        def power_of(n):
            return float(st.norm.cdf(abs(delta) * math.sqrt(n / 2) / sd - za))

    n = math.ceil(n_exact)
    # A case whose exact n sits within rounding noise of an integer would make ceil() flaky.
    assert abs(n_exact - round(n_exact)) > 1e-6, (name, n_exact)
    response = {"n_per_arm": n, "total_users": arms * n}
    if "daily_traffic" in request:
        days = math.ceil(arms * n / request["daily_traffic"])
        response["days_needed"] = days
        response["recommended_days"] = max(7, 7 * math.ceil(days / 7))
    assert power_of(n) >= power - 1e-12
    points = sorted(set([n, max(1, n // 2), max(1, n // 4), 2 * n, *power_at]))
    return {
        "name": name,
        "request": request,
        "response": response,
        "power_at": [{"n_per_arm": k, "power": power_of(k)} for k in points],
    }


def sample_size_cases():
    p = lambda **kw: {"kind": "proportion", **kw}  # noqa: E731
    mu = lambda **kw: {"kind": "mean", **kw}  # noqa: E731
    return [
        # The worked check of the spec; 16,000 is the rule of thumb it debunks.
        sample_size_case("worked check 10% +5%", p(baseline_rate=0.1, mde_relative=0.05), [16000]),
        sample_size_case(
            "worked check with every field and traffic",
            p(baseline_rate=0.1, mde_relative=0.05, alpha=0.05, power=0.8, arms=2,
              bonferroni=False, daily_traffic=10000),
        ),
        sample_size_case("decrease of 5%", p(baseline_rate=0.1, mde_relative=-0.05)),
        sample_size_case("rare event 0.1% +10%", p(baseline_rate=0.001, mde_relative=0.1)),
        sample_size_case("near one 99% +0.5%", p(baseline_rate=0.99, mde_relative=0.005)),
        sample_size_case("near one 99.9% -0.05%", p(baseline_rate=0.999, mde_relative=-0.0005)),
        sample_size_case("strict alpha, high power", p(baseline_rate=0.3, mde_relative=0.1,
                                                      alpha=0.01, power=0.9)),
        sample_size_case("3 arms without bonferroni", p(baseline_rate=0.2, mde_relative=0.1, arms=3,
                                                       daily_traffic=3000)),
        sample_size_case("3 arms with bonferroni", p(baseline_rate=0.2, mde_relative=0.1, arms=3,
                                                    bonferroni=True, daily_traffic=3000)),
        sample_size_case("4 arms with bonferroni", p(baseline_rate=0.05, mde_relative=0.2, arms=4,
                                                    bonferroni=True, daily_traffic=2500)),
        sample_size_case("large effect fits in one week", p(baseline_rate=0.4, mde_relative=0.5,
                                                           daily_traffic=50000)),
        sample_size_case("fractional traffic", p(baseline_rate=0.12, mde_relative=0.08,
                                                daily_traffic=333.5)),
        sample_size_case("mean metric from the spec", mu(baseline_mean=2.5, sd=12.0, mde_relative=0.05)),
        sample_size_case("mean metric with traffic", mu(baseline_mean=2.5, sd=12.0, mde_relative=0.05,
                                                       daily_traffic=10000)),
        sample_size_case("mean metric, negative baseline", mu(baseline_mean=-3.0, sd=2.0,
                                                             mde_relative=0.1)),
        sample_size_case("mean metric, 4 arms bonferroni", mu(baseline_mean=40.0, sd=55.5,
                                                             mde_relative=-0.03, arms=4,
                                                             bonferroni=True, alpha=0.1, power=0.95,
                                                             daily_traffic=12345)),
        sample_size_case("mean metric, 3 arms plain", mu(baseline_mean=1.0, sd=0.5, mde_relative=0.25,
                                                        arms=3)),
    ]


# ---------------------------------------------------------------- sections 2-4: one comparison
def statistic(kind, values, users):
    if kind == "proportion":
        return ProportionStatistic(n=values.get("n", users), sum=values["conversions"])
    return SampleMeanStatistic(n=values["n"], sum=values["sum"], sum_squares=values["sum_squares"])


def arm_summary(name, s):
    if s.n == 0:
        return {"name": name, "n": 0, "mean": None, "variance": None}
    return {"name": name, "n": s.n, "mean": float(s.mean), "variance": float(s.variance)}


def no_result(a, b):
    if a.n == 0:
        return "empty_control"
    if b.n == 0:
        return "empty_treatment"
    if a.mean == 0:
        return "zero_baseline"
    if a.variance <= 0:
        return "zero_variance_control"
    if b.variance <= 0:
        return "zero_variance_treatment"
    return None


def deltas(a, b):
    ma, mb, va, vb, na, nb = a.mean, b.mean, a.variance, b.variance, a.n, b.n
    lift = (mb - ma) / ma
    var_lift = vb / (ma**2 * nb) + va * mb**2 / (ma**4 * na)
    diff = mb - ma
    var_diff = vb / nb + va / na
    dof = (vb / nb + va / na) ** 2 / (vb**2 / (nb**2 * (nb - 1)) + va**2 / (na**2 * (na - 1)))
    return lift, var_lift, diff, var_diff, dof


def welch_ours(est, var, dof, alpha):
    t = est / math.sqrt(var)
    p = 2 * float(st.t.sf(abs(t), dof))
    w = float(st.t.ppf(1 - alpha / 2, dof)) * math.sqrt(var)
    return p, est - w, est + w


def sequential_ours(est, var, n_total, alpha, tuning):
    rho = math.sqrt((-2 * math.log(alpha) + math.log(1 - 2 * math.log(alpha))) / tuning)
    nr2 = n_total * rho**2 + 1
    w = math.sqrt(n_total * var) * math.sqrt(2 * nr2 * math.log(math.sqrt(nr2) / alpha) / (n_total * rho) ** 2)
    e = math.exp(rho**2 * (est**2 * n_total / var) / (2 * nr2)) / math.sqrt(nr2)
    return min(1.0, 1.0 / e), est - w, est + w


def frequentist(a, b, alpha):
    rel = TwoSidedTTest(a, b, FrequentistConfig(alpha=alpha)).compute_result()
    ab = TwoSidedTTest(a, b, FrequentistConfig(alpha=alpha, difference_type="absolute")).compute_result()
    lift, vl, diff, vd, dof = deltas(a, b)
    p, lo, hi = welch_ours(lift, vl, dof, alpha)
    _, dlo, dhi = welch_ours(diff, vd, dof, alpha)
    return {
        "lift_relative": agree("lift", rel.expected, lift),
        "ci_low": agree("ci_low", rel.ci[0], lo),
        "ci_high": agree("ci_high", rel.ci[1], hi),
        "p_value": agree_in_tail("p", rel.p_value, p, 1e-15),
        "diff_absolute": agree("diff", ab.expected, diff),
        "diff_ci_low": agree("diff_ci_low", ab.ci[0], dlo),
        "diff_ci_high": agree("diff_ci_high", ab.ci[1], dhi),
    }


def sequential(a, b, alpha, tuning):
    cfg = dict(alpha=alpha, sequential_tuning_parameter=tuning)
    rel = SequentialTwoSidedTTest(a, b, SequentialConfig(**cfg)).compute_result()
    ab = SequentialTwoSidedTTest(a, b, SequentialConfig(**cfg, difference_type="absolute")).compute_result()
    lift, vl, diff, vd, _ = deltas(a, b)
    n_total = a.n + b.n
    p, lo, hi = sequential_ours(lift, vl, n_total, alpha, tuning)
    _, dlo, dhi = sequential_ours(diff, vd, n_total, alpha, tuning)
    return {
        "lift_relative": agree("lift", rel.expected, lift),
        "ci_low": agree("seq ci_low", rel.ci[0], lo),
        "ci_high": agree("seq ci_high", rel.ci[1], hi),
        "p_value": agree("seq p", rel.p_value, p),
        "diff_absolute": agree("diff", ab.expected, diff),
        "diff_ci_low": agree("seq diff_ci_low", ab.ci[0], dlo),
        "diff_ci_high": agree("seq diff_ci_high", ab.ci[1], dhi),
    }


def bayesian(a, b, alpha, prior, decrease):
    gp = GaussianPrior() if prior is None else GaussianPrior(
        mean=prior["mean"], variance=prior["stddev"] ** 2, proper=True)
    res = EffectBayesianABTest(a, b, EffectBayesianConfig(
        alpha=alpha, inverse=decrease, prior_effect=gp)).compute_result()
    lift, vl, diff, _, _ = deltas(a, b)
    if prior is None:
        mu, s2 = lift, vl
    else:
        tau2 = prior["stddev"] ** 2
        s2 = 1 / (1 / vl + 1 / tau2)
        mu = s2 * (lift / vl + prior["mean"] / tau2)
    s = math.sqrt(s2)
    x = mu / s
    win = float(st.norm.cdf(x))
    risk_c = mu * float(st.norm.cdf(x)) + s * float(st.norm.pdf(x))
    risk_t = s * float(st.norm.pdf(x)) - mu * float(st.norm.cdf(-x))
    if decrease:
        win, risk_c, risk_t = 1 - win, risk_t, risk_c
    zq = z(1 - alpha / 2)
    return {
        "lift_relative": agree("posterior mean", res.expected, mu),
        "ci_low": agree("cri low", res.ci[0], mu - zq * s),
        "ci_high": agree("cri high", res.ci[1], mu + zq * s),
        "chance_to_win": agree("ctw", res.chance_to_win, win),
        "risk_control": agree_in_tail("risk_control", res.risk[0], risk_c, 1e-12),
        "risk_treatment": agree_in_tail("risk_treatment", res.risk[1], risk_t, 1e-12),
        "diff_absolute": diff,
    }


NUMBERS = ["lift_relative", "ci_low", "ci_high", "p_value", "p_value_adjusted", "diff_absolute",
           "diff_ci_low", "diff_ci_high", "chance_to_win", "risk_control", "risk_treatment"]


def comparison(req, metric, a, b, name):
    # No request here carries covariates, so CUPED's theta and pre-period check are null
    # (section 9); the ratio and CUPED worked checks are tested in stats/cuped_tests.rs.
    out = {"arm": name, **{k: None for k in NUMBERS}, "theta": None, "pre_period": None,
           "error": no_result(a, b)}
    if out["error"]:
        return out
    alpha = req.get("alpha", DEFAULTS["alpha"])
    engine = req.get("engine", DEFAULTS["engine"])
    if engine == "frequentist":
        out.update(frequentist(a, b, alpha))
    elif engine == "sequential":
        out.update(sequential(a, b, alpha, req.get("sequential_tuning", DEFAULTS["sequential_tuning"])))
    else:
        out.update(bayesian(a, b, alpha, req.get("prior"), metric.get("direction") == "decrease"))
    return out


# ---------------------------------------------------------------- sections 5-6
def srm(users, weights, threshold):
    total = sum(users)
    if total == 0:
        p, chi2 = 1.0, None
    else:
        tw = sum(weights)
        chi2 = sum((o - w / tw * total) ** 2 / (w / tw * total) for o, w in zip(users, weights))
        p = float(st.chi2.sf(chi2, len(users) - 1))
        agree("srm", float(check_srm(users, weights)), p)
    if total < 8 * len(users):
        status = "not-enough-traffic"
    elif p < threshold:
        status = "unhealthy"
    else:
        status = "healthy"
    return {"p_value": p, "chi2": chi2, "status": status}


METHODS = {"holm": "holm", "bonferroni": "bonferroni", "bh": "fdr_bh"}


def adjust(p_values, correction):
    present = [p for p in p_values if p is not None]
    if correction == "none" or not present:
        return list(p_values)
    adjusted = iter(multipletests(present, method=METHODS[correction])[1].tolist())
    return [None if p is None else next(adjusted) for p in p_values]


def analyze(req):
    arms = req["arms"]
    users = [a["users"] for a in arms]
    out = {"srm": srm(users, [a.get("weight", 1.0) for a in arms],
                      req.get("srm_threshold", DEFAULTS["srm_threshold"])), "metrics": []}
    for metric in req["metrics"]:
        stats = [statistic(metric["kind"], metric["values"][a["name"]], a["users"]) for a in arms]
        out["metrics"].append({
            "name": metric["name"], "role": metric["role"], "kind": metric["kind"],
            "direction": metric.get("direction", "increase"),
            "arms": [arm_summary(a["name"], s) for a, s in zip(arms, stats)],
            "comparisons": [comparison(req, metric, stats[0], s, a["name"])
                            for a, s in zip(arms[1:], stats[1:])],
        })
    correction = req.get("correction", DEFAULTS["correction"])
    for role in ("primary", "secondary"):
        family = [c for m in out["metrics"] if m["role"] == role for c in m["comparisons"]]
        for c, adj in zip(family, adjust([c["p_value"] for c in family], correction)):
            c["p_value_adjusted"] = adj
    return out


# ---------------------------------------------------------------- the cases
def arms(*spec):
    return [{"name": n, "users": u, "weight": w} for n, u, w in spec]


def prop(name, role, conversions, direction="increase", n=None):
    values = {arm: {"conversions": c} for arm, c in conversions.items()}
    for arm, count in (n or {}).items():
        values[arm]["n"] = count
    return {"name": name, "role": role, "kind": "proportion", "direction": direction, "values": values}


def mean(name, role, values, direction="increase"):
    return {"name": name, "role": role, "kind": "mean", "direction": direction,
            "values": {arm: {"n": n, "sum": s, "sum_squares": q} for arm, (n, s, q) in values.items()}}


ENGINES = {
    "frequentist": {"engine": "frequentist"},
    "sequential": {"engine": "sequential"},
    "bayesian flat": {"engine": "bayesian"},
    "bayesian prior": {"engine": "bayesian", "prior": {"mean": 0.0, "stddev": 0.3}},
}


def analyze_case(name, arm_list, metrics, **settings):
    request = {**settings, "arms": arm_list, "metrics": metrics}
    return {"name": name, "request": request, "response": analyze(request)}


def every_engine(name, arm_list, metrics, **settings):
    return [analyze_case(f"{name} ({label})", arm_list, metrics, **{**settings, **engine})
            for label, engine in ENGINES.items()]


def analyze_cases():
    two = arms(("control", 10000, 0.5), ("B", 10000, 0.5))
    spec_example = [
        prop("signup", "primary", {"control": 1000, "B": 1100}),
        mean("revenue", "secondary", {"control": (5000, 11967.71, 924040.9),
                                      "B": (5000, 12873.4, 1003417.2)}),
    ]
    cases = []
    cases += every_engine("spec example", two, spec_example)
    cases += every_engine("small samples n=20", arms(("control", 20, 1), ("B", 20, 1)), [
        prop("signup", "primary", {"control": 3, "B": 7}),
        mean("minutes", "secondary", {"control": (20, 61.3, 260.77), "B": (20, 70.9, 301.5)}),
    ])
    cases += every_engine("rare event near 0", arms(("control", 100000, 0.5), ("B", 100000, 0.5)), [
        prop("purchase", "primary", {"control": 100, "B": 131}),
        prop("refund", "secondary", {"control": 7, "B": 3}, direction="decrease"),
    ])
    cases += every_engine("rate near 1", arms(("control", 10000, 0.5), ("B", 10000, 0.5)), [
        prop("page_loads", "primary", {"control": 9990, "B": 9996}),
        prop("crash_free", "secondary", {"control": 9985, "B": 9979}),
    ])
    cases += every_engine("ten million per arm", arms(("control", 10_000_000, 0.5), ("B", 10_000_000, 0.5)), [
        prop("signup", "primary", {"control": 1_000_000, "B": 1_003_500}),
        mean("revenue", "secondary", {"control": (10_000_000, 2.5e7, 1.5e9),
                                      "B": (10_000_000, 2.5061e7, 1.5042e9)}),
    ])
    cases += every_engine("unequal 80/20 split", arms(("control", 8000, 0.8), ("B", 2000, 0.2)), [
        prop("signup", "primary", {"control": 800, "B": 230}),
    ])
    cases += every_engine("decrease metric (bounce rate)", two, [
        prop("bounce", "primary", {"control": 4000, "B": 3850}, direction="decrease"),
        mean("load_time", "secondary", {"control": (10000, 21000.0, 52000.0),
                                        "B": (10000, 20500.0, 50500.0)}, direction="decrease"),
    ])
    three = arms(("control", 20000, 2), ("B", 10000, 1), ("C", 10050, 1))
    three_metrics = [
        prop("signup", "primary", {"control": 2000, "B": 1080, "C": 1000}),
        mean("revenue", "secondary", {"control": (20000, 48000.0, 1_250_000.0),
                                      "B": (10000, 25100.0, 640_000.0),
                                      "C": (10050, 23900.0, 610_000.0)}),
        prop("bounce", "secondary", {"control": 8000, "B": 3900, "C": 4100}, direction="decrease"),
    ]
    cases += every_engine("3 arms, weights 2:1:1", three, three_metrics)
    four = arms(("control", 5000, 1), ("B", 5000, 1), ("C", 5000, 1), ("D", 5000, 1))
    four_metrics = [
        prop("signup", "primary", {"control": 500, "B": 560, "C": 510, "D": 430}),
        prop("activation", "secondary", {"control": 250, "B": 262, "C": 300, "D": 5000}),
        mean("sessions", "secondary", {"control": (5000, 15000.0, 60000.0), "B": (5000, 15400.0, 62000.0),
                                       "C": (5000, 14800.0, 59000.0), "D": (5000, 15020.0, 60500.0)}),
    ]
    for correction in ("holm", "bonferroni", "bh", "none"):
        for engine in ("frequentist", "sequential"):
            cases.append(analyze_case(f"4 arms, {correction} ({engine})", four, four_metrics,
                                      correction=correction, engine=engine))
    cases.append(analyze_case("4 arms (bayesian, proper prior)", four, four_metrics, engine="bayesian",
                              prior={"mean": 0.02, "stddev": 0.05}))
    cases.append(analyze_case("custom alpha, tuning and threshold (sequential)", arms(
        ("control", 30000, 0.5), ("B", 30350, 0.5)), [
        prop("signup", "primary", {"control": 3000, "B": 3190}),
    ], engine="sequential", alpha=0.1, sequential_tuning=10000, srm_threshold=0.2))
    cases.append(analyze_case("custom alpha (bayesian, decrease, prior)", two, [
        prop("churn", "primary", {"control": 1200, "B": 1100}, direction="decrease"),
    ], engine="bayesian", alpha=0.2, prior={"mean": -0.01, "stddev": 0.1}))
    cases.append(analyze_case("explicit proportion n (frequentist)", two, [
        prop("checkout", "primary", {"control": 300, "B": 360}, n={"control": 2500, "B": 2600}),
    ]))
    cases.append(analyze_case("negative control mean (frequentist)", two, [
        mean("net_margin", "primary", {"control": (1000, -500.0, 9000.0), "B": (1000, -300.0, 8800.0)}),
    ]))
    # Every no-result reason, in every engine: an error with null numbers, never a 400.
    cases += every_engine("zero conversions in control", arms(("control", 1000, 1), ("B", 1000, 1)), [
        prop("signup", "primary", {"control": 0, "B": 10}),
        prop("bounce", "secondary", {"control": 300, "B": 280}),
    ])
    cases += every_engine("100% conversion", arms(("control", 1000, 1), ("B", 1000, 1), ("C", 1000, 1)), [
        prop("loaded", "primary", {"control": 500, "B": 1000, "C": 600}),
        prop("visited", "secondary", {"control": 1000, "B": 900, "C": 950}),
        prop("clicked", "secondary", {"control": 50, "B": 0, "C": 70}),
    ])
    cases += every_engine("empty treatment arm", arms(("control", 1000, 0.5), ("B", 0, 0.5)), [
        prop("signup", "primary", {"control": 100, "B": 0}),
    ])
    cases += every_engine("empty control arm", arms(("control", 0, 0.5), ("B", 1000, 0.5)), [
        prop("signup", "primary", {"control": 0, "B": 100}),
    ])
    cases += every_engine("degenerate mean metrics", arms(("control", 400, 1), ("B", 400, 1)), [
        mean("single", "primary", {"control": (1, 4.0, 16.0), "B": (400, 1000.0, 4000.0)}),
        mean("constant", "secondary", {"control": (400, 1000.0, 4000.0), "B": (5, 10.0, 20.0)}),
        mean("zero_mean", "secondary", {"control": (10, 0.0, 5.0), "B": (10, 2.0, 6.0)}),
    ])
    cases.append(analyze_case("no users at all (frequentist)", arms(("control", 0, 1), ("B", 0, 1)), [
        prop("signup", "primary", {"control": 0, "B": 0}),
    ]))
    # Sample ratio mismatch through the whole request.
    cases.append(analyze_case("srm unhealthy (frequentist)", arms(("control", 10000, 1), ("B", 10600, 1)), [
        prop("signup", "primary", {"control": 1000, "B": 1090}),
    ]))
    cases.append(analyze_case("srm not enough traffic (frequentist)", arms(("control", 5, 1), ("B", 7, 1)), [
        prop("signup", "primary", {"control": 1, "B": 3}),
    ]))
    return cases


def srm_cases():
    spec = [
        ("balanced", [10000, 10000], [0.5, 0.5], 0.001),
        ("unhealthy 10000 vs 10600", [10000, 10600], [0.5, 0.5], 0.001),
        ("weights need not sum to one", [10000, 10600], [50, 50], 0.001),
        ("healthy at 0.001, unhealthy at 0.01", [10000, 10350], [1, 1], 0.01),
        ("same split, default threshold", [10000, 10350], [1, 1], 0.001),
        ("not enough traffic", [5, 7], [1, 1], 0.001),
        ("exactly 8 per arm is enough", [8, 8], [1, 1], 0.001),
        ("no users", [0, 0], [1, 1], 0.001),
        ("3 arms 2:1:1", [20000, 10000, 10050], [2, 1, 1], 0.001),
        ("4 arms", [100, 120, 80, 110], [1, 1, 1, 1], 0.001),
        ("unequal 80/20 with a mismatch", [8000, 2300], [0.8, 0.2], 0.001),
        ("empty treatment", [1000, 0], [0.5, 0.5], 0.001),
        ("huge", [10_000_000, 10_004_000], [1, 1], 0.001),
    ]
    return [{"name": n, "users": u, "weights": w, "threshold": t, "srm": srm(u, w, t)}
            for n, u, w, t in spec]


def correction_cases():
    lists = [
        ("four p-values", [0.01, 0.04, 0.03, 0.005]),
        ("holm step-down keeps order", [0.04, 0.01, 0.03]),
        ("bh step-up lifts small ones", [0.01, 0.02, 0.03, 0.04, 0.05]),
        ("bh step-up with a large tail", [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205]),
        ("ties", [0.02, 0.02, 0.5]),
        ("clipped at one", [0.6, 0.9, 0.3]),
        ("single", [0.03]),
        ("missing ones are left out", [0.02, None, 0.5, 0.001, None]),
        ("all missing", [None, None]),
        ("empty", []),
    ]
    return [{"name": f"{n} ({c})", "correction": c, "p_values": p, "adjusted": adjust(p, c)}
            for n, p in lists for c in ("holm", "bonferroni", "bh", "none")]


def t_distribution_cases():
    """Welch's test needs the t distribution at any dof, from 1 to tens of millions."""
    dofs = [1.0, 1.5, 2.7, 10.0, 37.9, 99.5, 999.0, 1000.0, 1001.0, 5432.1, 1e5, 2e7, 1e9, 1e12]
    sf = [{"dof": d, "x": x, "sf": float(st.t.sf(x, d))}
          for d in dofs for x in (0.0, 0.3, 1.96, 2.5, 6.0, 12.0)]
    quantile = [{"dof": d, "q": q, "quantile": float(st.t.ppf(q, d))}
                for d in dofs for q in (0.6, 0.9, 0.975, 0.995, 0.9995, 0.9999995)]
    return {"sf": sf, "quantile": quantile}


def invalid_cases():
    good_arms = arms(("control", 1000, 0.5), ("B", 1000, 0.5))
    good_metric = prop("signup", "primary", {"control": 100, "B": 120})

    def req(**kw):
        return {"arms": good_arms, "metrics": [good_metric], **kw}

    analyze_bad = [
        ("conversions above n", req(metrics=[prop("signup", "primary", {"control": 100, "B": 1200})]),
         "metrics[0].values.B.conversions"),
        ("conversions above the metric's own n",
         req(metrics=[prop("signup", "primary", {"control": 50, "B": 50}, n={"B": 40})]),
         "metrics[0].values.B.conversions"),
        ("negative conversions", req(metrics=[prop("signup", "primary", {"control": -1, "B": 10})]),
         "metrics[0].values.control.conversions"),
        ("negative users", req(arms=arms(("control", 1000, 0.5), ("B", -3, 0.5))), "arms[1].users"),
        ("unknown arm", req(metrics=[prop("signup", "primary", {"control": 1, "B": 2, "C": 3})]),
         "metrics[0].values.C"),
        ("missing arm", req(metrics=[prop("signup", "primary", {"control": 1})]), "metrics[0].values.B"),
        ("alpha above one", req(alpha=1.5), "alpha"),
        ("alpha zero", req(alpha=0.0), "alpha"),
        ("srm threshold zero", req(srm_threshold=0.0), "srm_threshold"),
        ("tuning zero", req(sequential_tuning=0.0, engine="sequential"), "sequential_tuning"),
        ("prior stddev zero", req(prior={"mean": 0.0, "stddev": 0.0}, engine="bayesian"), "prior.stddev"),
        ("one arm", req(arms=arms(("control", 1000, 1)),
                        metrics=[prop("signup", "primary", {"control": 1})]), "arms"),
        ("duplicate arm", req(arms=arms(("control", 1000, 1), ("control", 1000, 1))), "arms[1].name"),
        ("zero weight", req(arms=arms(("control", 1000, 0), ("B", 1000, 1))), "arms[0].weight"),
        ("negative mean n", req(metrics=[good_metric, mean("revenue", "secondary", {
            "control": (10, 5.0, 9.0), "B": (-10, 5.0, 9.0)})]), "metrics[1].values.B.n"),
        ("mean values for a proportion metric", req(metrics=[{**good_metric, "values": {
            "control": {"conversions": 100}, "B": {"n": 10, "sum": 1.0, "sum_squares": 1.0}}}]),
         "metrics[0].values.B"),
        ("sum of squares below sum^2/n", req(metrics=[mean("revenue", "primary", {
            "control": (10, 5.0, 9.0), "B": (2, 10.0, 1.0)})]), "metrics[0].values.B.sum_squares"),
        ("negative sum of squares", req(metrics=[mean("revenue", "primary", {
            "control": (10, 5.0, 9.0), "B": (2, 0.0, -1.0)})]), "metrics[0].values.B.sum_squares"),
        ("sum without users", req(metrics=[mean("revenue", "primary", {
            "control": (10, 5.0, 9.0), "B": (0, 5.0, 25.0)})]), "metrics[0].values.B.sum"),
    ]
    p = {"kind": "proportion", "baseline_rate": 0.1, "mde_relative": 0.05}
    m = {"kind": "mean", "baseline_mean": 2.5, "sd": 12.0, "mde_relative": 0.05}
    sample_bad = [
        ("baseline rate zero", {**p, "baseline_rate": 0.0}, "baseline_rate"),
        ("baseline rate above one", {**p, "baseline_rate": 1.2}, "baseline_rate"),
        ("treated rate above one", {**p, "baseline_rate": 0.9, "mde_relative": 0.2}, "mde_relative"),
        ("treated rate zero", {**p, "mde_relative": -1.0}, "mde_relative"),
        ("mde zero", {**p, "mde_relative": 0.0}, "mde_relative"),
        ("mde too small to plan", {**m, "mde_relative": 1e-12}, "mde_relative"),
        ("sd zero", {**m, "sd": 0.0}, "sd"),
        ("sd negative", {**m, "sd": -1.0}, "sd"),
        ("baseline mean zero", {**m, "baseline_mean": 0.0}, "baseline_mean"),
        ("alpha one", {**p, "alpha": 1.0}, "alpha"),
        ("power zero", {**p, "power": 0.0}, "power"),
        ("power one", {**m, "power": 1.0}, "power"),
        ("one arm", {**p, "arms": 1}, "arms"),
        ("zero traffic", {**p, "daily_traffic": 0.0}, "daily_traffic"),
        ("negative traffic", {**m, "daily_traffic": -5.0}, "daily_traffic"),
    ]
    return ([{"name": n, "endpoint": "analyze", "request": r, "field": f} for n, r, f in analyze_bad]
            + [{"name": n, "endpoint": "sample_size", "request": r, "field": f} for n, r, f in sample_bad])


def main():
    versions = {pkg: importlib.metadata.version(pkg)
                for pkg in ("gbstats", "scipy", "statsmodels", "numpy", "pandas")}
    versions["python"] = platform.python_version()
    table = {
        "about": "Expected values for Verdict's statistics engine, computed by "
                 "scripts/stats_reference.py with gbstats, scipy and statsmodels. Do not edit by hand.",
        "versions": versions,
        "sample_size": sample_size_cases(),
        "analyze": analyze_cases(),
        "srm": srm_cases(),
        "corrections": correction_cases(),
        "t_distribution": t_distribution_cases(),
        "invalid": invalid_cases(),
    }
    text = json.dumps(table, indent=1, sort_keys=True, allow_nan=False)
    OUT.write_text(text + "\n")
    counts = {k: len(v) for k, v in table.items() if isinstance(v, list)}
    counts["t_distribution"] = sum(len(v) for v in table["t_distribution"].values())
    print(f"wrote {OUT.relative_to(ROOT)}: {counts}, {sum(counts.values())} cases")


if __name__ == "__main__":
    np.seterr(all="raise")
    main()
