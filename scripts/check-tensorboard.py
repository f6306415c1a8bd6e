#!/usr/bin/env python3
"""Reads actlab's TensorBoard event files with the real TensorBoard and checks them.

    check-tensorboard.py SWEEP_DIR [RUN_DIR ...]

1. Every finished run under SWEEP_DIR (a directory with summary.json and tensorboard/) and
   every RUN_DIR is read with tensorboard.backend.event_processing.event_accumulator: each
   scalar tag, step and value must equal metrics.csv, diagnostics.csv and summary.json (to
   float32, the precision of a TensorBoard scalar), each tag's steps strictly increasing, and
   nothing else may be there.
2. `tensorboard --logdir SWEEP_DIR --host 127.0.0.1 --port 0` is started; its HTTP API must list
   every run and its scalar tags, and the hparams plugin must return the sweep's experiment
   (hyperparameters activation, lr, seed, hidden, backend; the metrics) and one session per run
   with its hyperparameters and its test accuracy — and, when SWEEP_DIR/report/results.json
   exists, one session per activation of the report (report/tensorboard/<activation>) whose
   metrics equal results.json: mean accuracy, Δ vs the baseline, the verdict's code, the rank.
   Then it is stopped.

Exit status 0 when everything holds; otherwise a message on stderr and status 1.
"""

import csv
import json
import math
import os
import re
import signal
import struct
import subprocess
import sys
import time
import urllib.parse
import urllib.request

from tensorboard.backend.event_processing import event_accumulator
from tensorboard.plugins.hparams import plugin_data_pb2

HPARAMS = {"activation", "lr", "seed", "hidden", "backend"}
METRICS = {"test/accuracy", "val/best_accuracy", "test/loss", "report/mean_accuracy",
           "report/delta_points", "report/verdict", "report/rank", "report/rank_high",
           "report/p_improvement"}
VERDICT_CODES = {"better": 2.0, "equivalent": 1.0, "undecided": 0.0, "worse": -1.0}


def slug(name):
    """The report session's directory for a group (actlab_format::sweep::slug)."""
    out = ""
    for c in name:
        if (c.isascii() and c.isalnum()) or c in "._":
            out += c.lower()
        elif not out.endswith("-"):
            out += "-"
    return out.strip("-")


def check_report_sessions(sweep, sessions):
    """The report's sessions against results.json; returns how many were checked."""
    path = os.path.join(sweep, "report", "results.json")
    if not os.path.isfile(path):
        return 0
    with open(path) as f:
        results = json.load(f)["results"]
    for row in results:
        name = os.path.join("report", "tensorboard", slug(row["name"]))
        if name not in sessions:
            fail(f"no report session {name}; sessions: {sorted(sessions)[:8]}…")
        hparams, session = sessions[name]
        if hparams.get("activation") != row["activation_label"] or "seed" in hparams:
            fail(f"report session {name} hparams {hparams}")
        values = {m["name"]["tag"]: m["value"] for m in session.get("metricValues", [])}
        want = {"report/mean_accuracy": f32(row["accuracy"]["mean"])}
        versus = row.get("vs_baseline")
        if versus:
            want["report/delta_points"] = f32(100.0 * versus["difference"]["mean"])
            want["report/verdict"] = VERDICT_CODES[versus["verdict"]]
        if row.get("rank"):
            want["report/rank"] = float(row["rank"]["rank"])
            want["report/rank_high"] = float(row["rank"]["high"])
        for tag, value in want.items():
            if values.get(tag) != value:
                fail(f"report session {name}: {tag} = {values.get(tag)}, results.json {value}")
    return len(results)


def fail(message):
    print(f"check-tensorboard: {message}", file=sys.stderr)
    sys.exit(1)


def f32(x):
    return struct.unpack("f", struct.pack("f", float(x)))[0]


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def expected_scalars(run):
    """(tag, step) -> value, from the run's own files."""
    want = {}
    for row in rows(os.path.join(run, "metrics.csv")):
        step = int(row["epoch"])
        for tag, column in [
            ("train/loss", "train_loss"),
            ("train/accuracy", "train_acc"),
            ("val/loss", "val_loss"),
            ("val/accuracy", "val_acc"),
            ("lr", "lr"),
        ]:
            if row[column] != "":
                want[(tag, step)] = float(row[column])
    with open(os.path.join(run, "summary.json")) as f:
        summary = json.load(f)
    learned = {"prelu": "prelu_slope", "swish": "swish_beta"}.get(
        summary["activation"], "learned_mean"
    )
    diagnostics = os.path.join(run, "diagnostics.csv")
    if os.path.exists(diagnostics):
        for row in rows(diagnostics):
            step, layer = int(row["epoch"]), row["layer"]
            for tag, column in [
                ("grad_norm", "grad_norm"),
                ("dead_fraction", "dead_fraction"),
                ("saturated_fraction", "saturated_fraction"),
                (learned, "learned_mean"),
                ("inactive_fraction", "inactive_fraction"),
            ]:
                # inactive_fraction: absent from files written before it was measured.
                if row.get(column, "") != "":
                    want[(f"{tag}/layer_{layer}", step)] = float(row[column])
    last = summary["epochs"]
    want[("test/accuracy", last)] = summary["test_accuracy"]
    want[("test/loss", last)] = summary["test_loss"]
    if summary.get("best_val_accuracy") is not None:
        want[("val/best_accuracy", last)] = summary["best_val_accuracy"]
    return want, summary


def check_events(run):
    """Checks one run's events against its files; returns (tags, summary)."""
    want, summary = expected_scalars(run)
    acc = event_accumulator.EventAccumulator(
        os.path.join(run, "tensorboard"), size_guidance={event_accumulator.SCALARS: 0}
    )
    acc.Reload()
    got = {}
    for tag in acc.Tags()["scalars"]:
        steps = [e.step for e in acc.Scalars(tag)]
        if any(b <= a for a, b in zip(steps, steps[1:])):
            fail(f"{run}: {tag} steps not strictly increasing: {steps}")
        for e in acc.Scalars(tag):
            got[(tag, e.step)] = e.value
    if set(got) != set(want):
        missing = sorted(set(want) - set(got))
        extra = sorted(set(got) - set(want))
        fail(f"{run}: missing {missing[:5]} extra {extra[:5]}")
    for key, value in want.items():
        if got[key] != f32(value):
            fail(f"{run}: {key} is {got[key]!r} in the events, {value!r} in the run's files")
    content = acc.PluginTagToContent("hparams")
    if "_hparams_/session_start_info" not in content:
        fail(f"{run}: no hparams session start")
    start = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/session_start_info"]
    ).session_start_info
    hparams = {k: v.WhichOneof("kind") and getattr(v, v.WhichOneof("kind"))
               for k, v in start.hparams.items()}
    if set(hparams) != HPARAMS or hparams["seed"] != summary["seed"] \
            or hparams["lr"] != summary["lr"] or hparams["backend"] != summary["backend"] \
            or hparams["activation"] != summary["activation_label"]:
        fail(f"{run}: session hparams {hparams} do not match summary.json")
    return {t for t, _ in want}, summary


def runs_under(sweep):
    found = []
    for root, dirs, files in os.walk(sweep):
        dirs.sort()
        if "summary.json" in files and "tensorboard" in dirs:
            found.append(root)
    return found


def get(base, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data)
    if data is not None:
        request.add_header("Content-Type", "application/json")
        request.add_header("X-XSRF-Protected", "1")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def check_server(sweep, runs):
    tensorboard = os.path.join(os.path.dirname(sys.executable), "tensorboard")
    server = subprocess.Popen(
        [tensorboard, "--logdir", sweep, "--host", "127.0.0.1", "--port", "0",
         "--load_fast", "false", "--reload_interval", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )
    try:
        base = None
        lines = []
        deadline = time.time() + 120
        while base is None and time.time() < deadline:
            line = server.stderr.readline()
            if not line:
                fail(f"tensorboard exited: {''.join(lines)[-2000:]}")
            lines.append(line)
            m = re.search(r"(http://127\.0\.0\.1:\d+)/", line)
            if m:
                base = m.group(1)
        if base is None:
            fail("tensorboard did not say where it serves")
        expected_runs = {os.path.relpath(os.path.join(r, "tensorboard"), sweep) for r in runs}
        # Loading is asynchronous: wait until every run and its test accuracy are in.
        while True:
            listed = set(get(base, "/data/runs"))
            tags = get(base, "/data/plugin/scalars/tags")
            loaded = all("test/accuracy" in tags.get(r, {}) for r in expected_runs)
            if expected_runs <= listed and loaded:
                break
            if time.time() > deadline:
                fail(f"tensorboard lists {sorted(listed)[:5]}…, expected {sorted(expected_runs)[:5]}…")
            time.sleep(0.5)
        for run in runs:
            name = os.path.relpath(os.path.join(run, "tensorboard"), sweep)
            want, _ = expected_scalars(run)
            if set(tags[name]) != {t for t, _ in want}:
                fail(f"HTTP scalar tags of {name}: {sorted(tags[name])}")
            query = urllib.parse.urlencode({"run": name, "tag": "train/loss"})
            series = get(base, f"/data/plugin/scalars/scalars?{query}")
            steps = [point[1] for point in series]
            if steps != sorted(s for t, s in want if t == "train/loss"):
                fail(f"HTTP train/loss steps of {name}: {steps}")

        experiment = get(base, "/data/plugin/hparams/experiment", {"experimentName": ""})
        names = {h["name"] for h in experiment.get("hparamInfos", [])}
        if names != HPARAMS:
            fail(f"hparams experiment has hyperparameters {sorted(names)}")
        metrics = {m["name"]["tag"] for m in experiment.get("metricInfos", [])}
        if metrics != METRICS:
            fail(f"hparams experiment has metrics {sorted(metrics)}")
        groups = get(base, "/data/plugin/hparams/session_groups", {
            "experimentName": "", "startIndex": 0, "sliceSize": 10000,
            "allowedStatuses": ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE",
                                "STATUS_RUNNING"],
        })
        sessions = {}
        for group in groups.get("sessionGroups", []):
            for session in group["sessions"]:
                sessions[session["name"]] = (group["hparams"], session)
        for run in runs:
            name = os.path.relpath(os.path.join(run, "tensorboard"), sweep)
            if name not in sessions:
                fail(f"no hparams session for {name}; sessions: {sorted(sessions)[:5]}…")
            hparams, session = sessions[name]
            with open(os.path.join(run, "summary.json")) as f:
                summary = json.load(f)
            # A group shows one member's seed; the rest is the group's.
            same = hparams.get("activation") == summary["activation_label"] \
                and hparams.get("backend") == summary["backend"]
            if set(hparams) != HPARAMS or not same:
                fail(f"session {name} hparams {hparams}")
            if not math.isclose(hparams["lr"], summary["lr"], rel_tol=1e-12):
                fail(f"session {name}: lr {hparams['lr']} vs {summary['lr']}")
            values = {m["name"]["tag"]: m["value"] for m in session.get("metricValues", [])}
            if values.get("test/accuracy") != f32(summary["test_accuracy"]):
                fail(f"session {name}: metrics {values}, test accuracy {summary['test_accuracy']}")
            if session.get("status") != "STATUS_SUCCESS":
                fail(f"session {name}: status {session.get('status')}")
        reports = check_report_sessions(sweep, sessions)
        return len(expected_runs), len(sessions), reports
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def main():
    if len(sys.argv) < 2:
        fail("usage: check-tensorboard.py SWEEP_DIR [RUN_DIR ...]")
    sweep, extra = sys.argv[1], sys.argv[2:]
    runs = runs_under(sweep)
    if not runs:
        fail(f"no finished runs with tensorboard/ under {sweep}")
    tags = set()
    for run in runs + extra:
        t, _ = check_events(run)
        tags |= t
    served, sessions, reports = check_server(sweep, runs)
    print(
        f"tensorboard: {len(runs) + len(extra)} runs' events equal their files "
        f"({len(tags)} distinct tags); the server lists {served} runs, "
        f"the hparams plugin {sessions} sessions ({reports} report sessions equal "
        f"results.json); tags: {' '.join(sorted(tags))}"
    )


if __name__ == "__main__":
    main()
