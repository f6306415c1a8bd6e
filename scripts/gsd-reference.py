"""Reference boundaries for actlab's group-sequential tests (crates/actlab-eval/src/sequential/
tests.rs), from an independent method: scipy's multivariate normal CDF (Genz's quasi-Monte Carlo
integration) of the looks' joint law, Corr(Z_i, Z_j) = sqrt(t_i / t_j), solved look by look with
brentq. actlab integrates the same law by recursive numerical integration (Armitage, McPherson &
Rowe 1969), so agreement checks the method, not a shared formula.

    python3 -m venv /tmp/sv && /tmp/sv/bin/pip install scipy
    /tmp/sv/bin/python scripts/gsd-reference.py
"""
import numpy as np
import scipy
from scipy import optimize, stats
from scipy.stats import multivariate_normal

print("scipy", scipy.__version__)
RNG = np.random.default_rng(20261205)


def corr(fractions):
    t = np.asarray(fractions)
    return np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))


def stay(bounds, fractions, two_sided):
    """P(no crossing at any of the looks)."""
    k = len(bounds)
    upper = np.asarray(bounds, dtype=float)
    lower = -upper if two_sided else np.full(k, -np.inf)
    if k == 1:
        return stats.norm.cdf(upper[0]) - (stats.norm.cdf(lower[0]) if two_sided else 0.0)
    mvn = multivariate_normal(mean=np.zeros(k), cov=corr(fractions[:k]), maxpts=300_000 * k,
                              abseps=2e-6, releps=1e-6)
    return mvn.cdf(upper, lower_limit=lower, rng=RNG)


def spent(kind, alpha, t, two_sided=False):
    """The spending function of a one-sided test at alpha; a two-sided test spends alpha/2 on
    each side (the convention of the published tables)."""
    if two_sided:
        return 2 * spent(kind, alpha / 2, t)
    if kind == "obf":
        return 2 - 2 * stats.norm.cdf(stats.norm.ppf(1 - alpha / 2) / np.sqrt(t))
    return alpha * np.log(1 + (np.e - 1) * t)


def spending_bounds(kind, alpha, fractions, two_sided):
    bounds = []
    for k, t in enumerate(fractions):
        target = spent(kind, alpha, t, two_sided)
        before = 1 - stay(bounds, fractions, two_sided) if bounds else 0.0
        f = lambda c: (1 - stay(bounds + [c], fractions, two_sided)) - before - (target - before)
        bounds.append(optimize.brentq(f, 0.5, 12, xtol=1e-6))
    return bounds


def constant(shape, alpha, k_looks):
    """Classic designs: c_k = C * shape(k), C such that the total crossing probability is alpha."""
    fractions = [(k + 1) / k_looks for k in range(k_looks)]
    f = lambda c: (1 - stay([c * shape(k, k_looks) for k in range(k_looks)], fractions, True)) - alpha
    return optimize.brentq(f, 1.5, 4, xtol=1e-6)


for looks in (5, 8):  # 8: 5, 10, ..., 40 seeds
    fractions = [(k + 1) / looks for k in range(looks)]
    for kind in ("obf", "pocock"):
        for two_sided, alpha in ((True, 0.05), (False, 0.05), (True, 0.05 / 12)):
            b = spending_bounds(kind, alpha, fractions, two_sided)
            side = "two-sided" if two_sided else "one-sided"
            print(f"K={looks} {kind} {side} alpha={alpha:.6g}: " + ", ".join(f"{x:.4f}" for x in b))
for k_looks in (2, 5, 10):
    pocock = constant(lambda k, K: 1.0, 0.05, k_looks)
    obf = constant(lambda k, K: np.sqrt(K / (k + 1)), 0.05, k_looks)
    print(f"classic K={k_looks}: Pocock C_P = {pocock:.4f}, O'Brien-Fleming C_B = {obf:.4f}")
