"""Reference values for actlab's statistics tests, from independent implementations:
statsmodels' TOST (ttost_paired, ttost_ind) and scipy's t for crates/actlab-eval/src/verdict/
tests.rs; scipy's binomtest and mannwhitneyu for crates/actlab-eval/src/bootstrap/tests.rs;
statsmodels' two-way ANOVA for crates/actlab-eval/src/report/sources.rs; scipy's spearmanr and
exact permutation_test for crates/actlab-eval/src/search/rank.rs.

    python3 -m venv /tmp/sv && /tmp/sv/bin/pip install scipy statsmodels pandas
    /tmp/sv/bin/python scripts/stats-reference.py
"""
import numpy as np
import scipy
import statsmodels
from scipy import stats
from statsmodels.stats.weightstats import ttost_ind, ttost_paired

print("scipy", scipy.__version__, "statsmodels", statsmodels.__version__)
a = np.array([0.8861, 0.8874, 0.8840, 0.8869, 0.8852])
b = np.array([0.8850, 0.8866, 0.8851, 0.8848, 0.8849])
for margin in (0.003, 0.002, 0.001):
    p, _, _ = ttost_paired(a, b, -margin, margin)
    print(f"paired margin {margin}: tost p = {p:.12g}")
c = np.array([0.8720, 0.8790, 0.8805, 0.8711])
for margin in (0.02, 0.01, 0.005):
    p, _, _ = ttost_ind(a, c, -margin, margin, usevar="unequal")
    print(f"welch margin {margin}: tost p = {p:.12g}")
# Bonferroni's simultaneous 95% interval over m = 12 at 4 df, and Holm's first step for power.
print("t(1 - 0.05/24, 4) =", repr(stats.t.ppf(1 - 0.05 / 24, 4)))
print("t(1 - 0.05/12, 4) + t(0.8, 4) =", repr(stats.t.ppf(1 - 0.05 / 12, 4) + stats.t.ppf(0.8, 4)))

# McNemar's exact test: scipy's two-sided binomial test of the discordant counts.
for b, c in [(3, 12), (40, 60), (0, 5), (7, 7), (150, 210)]:
    print(f"mcnemar {b} {c}: p = {stats.binomtest(b, b + c, 0.5).pvalue!r}")
# Probability of improvement: Mann-Whitney U / (n m).
u = stats.mannwhitneyu([0.1, 0.3, 0.5, 0.5], [0.2, 0.5, 0.4]).statistic
print(f"P(A > B) = U/(n m) = {u / 12!r}")
# Variance sources: a two-way ANOVA without replication (initialisation x data seed).
import pandas as pd
import statsmodels.formula.api as smf
from statsmodels.stats.anova import anova_lm
y = [[0.881, 0.884, 0.879, 0.886], [0.877, 0.880, 0.878, 0.883], [0.885, 0.889, 0.884, 0.888]]
frame = pd.DataFrame([dict(i=i, d=j, y=y[i][j]) for i in range(3) for j in range(4)])
table = anova_lm(smf.ols("y ~ C(i) + C(d)", frame).fit(), typ=2)
for name, value in table["sum_sq"].items():
    print(f"anova sum of squares {name}: {float(value)!r}")

# Spearman's rho and its exact permutation p-value (every pairing), as search/rank.rs computes.
for x, y in [
    ([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 4, 3, 6, 5, 8, 7]),
    ([0.85, 0.847, 0.845, 0.8386, 0.8278, 0.8538, 0.843, 0.8582],
     [0.88, 0.87, 0.87, 0.86, 0.85, 0.881, 0.875, 0.879]),
    ([1, 2, 3, 4, 5], [5, 4, 3, 2, 1]),
    ([3, 1, 4, 1, 5, 9, 2], [2, 7, 1, 8, 2, 8, 1]),
]:
    rho = stats.spearmanr(x, y).statistic
    exact = stats.permutation_test((y,), lambda y_: stats.spearmanr(x, y_).statistic,
                                   permutation_type="pairings", n_resamples=np.inf)
    print(f"spearman {x}: rho = {rho!r}, exact p = {exact.pvalue!r}")
