#!/usr/bin/env bash
# Run a sweep as a Slurm job array: each array task trains one deterministic slice of the grid
# (`actlab compare --shard i/N`), and a last job, started when every task has ended, merges the
# run directories with `actlab report`.
#
#   scripts/sweep-slurm.sh configs/sweep.toml 8        # 8 tasks
#
# Assumptions: the repository (with target/release/actlab built) is on a shared file system at
# the same path on every node, and so is the dataset (run `actlab data fetch fashion-mnist` once,
# or install dataset-fashion-mnist on the nodes). Tasks write to runs/<sweep>/<point>/; a task
# that is killed or preempted leaves checkpoints, and resubmitting resumes them.
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
actlab=$PWD/target/release/actlab
[ -x "$actlab" ] || { echo "build first: cargo build --release" >&2; exit 1; }
name=$(basename "$sweep" .toml)
mkdir -p "runs/$name/slurm"

array=$(sbatch --parsable "$@" \
  --job-name="actlab-$name" \
  --array="1-$tasks" \
  --cpus-per-task=2 \
  --output="runs/$name/slurm/%A_%a.log" \
  --wrap="cd '$PWD' && '$actlab' compare '$sweep' --shard auto --quiet")
echo "submitted array job $array ($tasks tasks)"

merge=$(sbatch --parsable "$@" \
  --job-name="actlab-$name-report" \
  --dependency="afterany:$array" \
  --output="runs/$name/slurm/report.log" \
  --wrap="cd '$PWD' && '$actlab' report 'runs/$name' --out 'runs/$name/report'")
echo "submitted report job $merge (runs after every task ends): runs/$name/report/report.md"
