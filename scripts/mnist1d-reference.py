#!/usr/bin/env python3
"""Writes crates/actlab-data/tests/data/mnist1d-reference.json: what the reference MNIST-1D
generator (PyPI `mnist1d` 0.0.2.post1, Greydanus 2020) produces with its published defaults
(seed 42) — the templates, every label, the first and last samples of each split and the
dataset's statistics — for actlab's Rust generator to be checked against
(crates/actlab-data/tests/mnist1d.rs).

    python3 -m venv /tmp/m1d && /tmp/m1d/bin/pip install mnist1d==0.0.2.post1 numpy scipy matplotlib requests
    /tmp/m1d/bin/python scripts/mnist1d-reference.py
"""
import json
import pathlib
import sys

import numpy as np
import scipy
import mnist1d
from mnist1d.data import get_dataset_args, get_templates, make_dataset

out = pathlib.Path(__file__).resolve().parent.parent / "crates/actlab-data/tests/data/mnist1d-reference.json"
args = get_dataset_args()
data = make_dataset(args)
templates = get_templates()
rows = lambda a: [[float(v) for v in row] for row in a]
reference = {
    "generator": "mnist1d 0.0.2.post1 (make_dataset, get_dataset_args defaults)",
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "python": sys.version.split()[0],
    "seed": args.seed,
    "templates": rows(templates["x"]),
    "template_t": [float(v) for v in templates["t"]],
    "t": [float(v) for v in data["t"]],
    "y": [int(v) for v in data["y"]],
    "y_test": [int(v) for v in data["y_test"]],
    "x_first": rows(data["x"][:8]),
    "x_last": rows(data["x"][-4:]),
    "x_test_first": rows(data["x_test"][:4]),
    "x_sum": float(data["x"].sum()),
    "x_sum_squares": float((data["x"] ** 2).sum()),
    "x_test_sum": float(data["x_test"].sum()),
}
out.write_text(json.dumps(reference, indent=1) + "\n")
print(f"wrote {out}")
