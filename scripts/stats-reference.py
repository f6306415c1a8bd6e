"""Reference values for actlab's verdict tests (crates/actlab-eval/src/verdict/tests.rs), from
an independent implementation: statsmodels' TOST (ttost_paired, ttost_ind) and scipy's t.

    python3 -m venv /tmp/sv && /tmp/sv/bin/pip install scipy statsmodels
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
