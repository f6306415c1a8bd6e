#!/usr/bin/env bash
# Run a sweep as a Slurm job array: each array task trains one deterministic slice of the grid
# (`actlab compare --shard auto`: the slice from SLURM_ARRAY_TASK_ID), and a last job, started
# when every task has ended, merges the run directories with `actlab report`.
#
#   scripts/sweep-slurm.sh configs/sweep.toml 8        # 8 tasks
#
# Assumptions: the repository (with target/release/actlab built) is on a shared file system at
# the same path on every node, and so is the dataset (run `actlab data fetch fashion-mnist` once,
# or install dataset-fashion-mnist on the nodes). Tasks write to runs/<sweep>/<point>/ (or
# $ACTLAB_OUT/<point>/); the binary is $ACTLAB if set; $ACTLAB_COMPARE_ARGS goes to every
# task's compare (e.g. "--pack auto" on GPU nodes, with `--gres=gpu:1` among the sbatch
# options; each task packs its own slice). A task that is killed or preempted leaves
# checkpoints, and resubmitting resumes them.
#
# Without Slurm the same slices run anywhere, e.g. two machines sharing runs/:
#   machine A: actlab compare configs/sweep.toml --shard 1/2
#   machine B: actlab compare configs/sweep.toml --shard 2/2
#   then:      actlab report runs/sweep
# or copy the run directories from several machines into one place and run `actlab report` on it.
set -euo pipefail

sweep=${1:?usage: $0 SWEEP.toml TASKS [extra sbatch options…]}
tasks=${2:?usage: $0 SWEEP.toml TASKS [extra sbatch options…]}
shift 2
cd "$(dirname "$0")/.."
# The binary: $ACTLAB, else cargo's release build (honouring CARGO_TARGET_DIR).
target=${CARGO_TARGET_DIR:-target}
case $target in /*) ;; *) target=$PWD/$target ;; esac
actlab=${ACTLAB:-$target/release/actlab}
[ -x "$actlab" ] || { echo "build first: cargo build --release (or set ACTLAB)" >&2; exit 1; }
name=$(basename "$sweep" .toml)
# Where the runs go: $ACTLAB_OUT, else runs/<file stem>. A sweep whose file sets `name` or
# `[output] dir` must be given that directory in ACTLAB_OUT (the tasks and the report job must
# agree on it, so it is always passed to compare as --out).
out=${ACTLAB_OUT:-runs/$name}
mkdir -p "$out/slurm"

array=$(sbatch --parsable "$@" \
  --job-name="actlab-$name" \
  --array="1-$tasks" \
  --cpus-per-task=2 \
  --output="$out/slurm/%A_%a.log" \
  --wrap="cd '$PWD' && '$actlab' compare '$sweep' --out '$out' --shard auto --quiet ${ACTLAB_COMPARE_ARGS:-}")
echo "submitted array job $array ($tasks tasks)"

merge=$(sbatch --parsable "$@" \
  --job-name="actlab-$name-report" \
  --dependency="afterany:$array" \
  --output="$out/slurm/report.log" \
  --wrap="cd '$PWD' && '$actlab' report '$out' --out '$out/report'")
echo "submitted report job $merge (runs after every task ends): $out/report/report.md"
