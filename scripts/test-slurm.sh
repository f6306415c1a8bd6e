#!/usr/bin/env bash
# scripts/sweep-slurm.sh against a real Slurm: a one-node cluster on this machine.
#
# 1. installs Debian's slurmctld, slurmd, slurm-client and munge when missing;
# 2. starts munged (as the munge user) unless one is running, and slurmctld + slurmd from a
#    generated slurm.conf (this node's real CPUs and memory, from `slurmd -C`;
#    proctrack/linuxproc, task/none, select/cons_tres), all state in a temporary directory;
# 3. runs `scripts/sweep-slurm.sh configs/sweep-quick.toml 2` (a job array of 2 `compare
#    --shard auto` tasks, with ACTLAB_COMPARE_ARGS="--pack auto" — checked in their logs —
#    then the report job) and waits for the report job;
# 4. runs the same sweep locally with `actlab compare` and checks that the two results.csv are
#    identical but for the timing column (training is deterministic);
# 5. stops every daemon it started and removes its files.
#
# Needs root (or sudo) for apt-get and the daemons. Run by scripts/test.sh after the cargo tests
# (it uses the release binary they built); on its own: `scripts/test-slurm.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
log() { printf '==> test-slurm: %s\n' "$*" >&2; }
fail() { printf 'test-slurm: FAILED: %s\n' "$*" >&2; exit 1; }

target=${CARGO_TARGET_DIR:-target}
case $target in /*) ;; *) target=$root/$target ;; esac
export ACTLAB=${ACTLAB:-$target/release/actlab}
[ -x "$ACTLAB" ] || fail "no release binary at $ACTLAB (cargo build --release first)"
[ -d /usr/share/datasets/fashion-mnist ] || fail "the dataset is missing (apt-get install dataset-fashion-mnist)"

sudo_cmd=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || fail "needs root or sudo to install and start Slurm"
  sudo_cmd="sudo"
fi

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null \
   || ! command -v sbatch >/dev/null || ! command -v munged >/dev/null; then
  log "installing slurmctld slurmd slurm-client munge"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
fi

work=$(mktemp -d /tmp/actlab-slurm.XXXXXX)
chmod 755 "$work"
started_munge=""
cleanup() {
  local status=$?
  for daemon in slurmd slurmctld; do
    if [ -f "$work/$daemon.pid" ]; then
      $sudo_cmd kill "$(cat "$work/$daemon.pid")" 2>/dev/null || true
    fi
  done
  if [ -n "$started_munge" ] && [ -f /run/munge/munged.pid ]; then
    $sudo_cmd kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
  fi
  sleep 1
  if [ $status -ne 0 ]; then
    for f in "$work"/*.log "$work"/out/slurm/*.log; do
      [ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; } >&2
    done
  fi
  $sudo_cmd rm -rf "$work"
  exit $status
}
trap cleanup EXIT

# --- munge --------------------------------------------------------------------------------------
if ! pgrep -x munged >/dev/null; then
  log "starting munged"
  if [ ! -s /etc/munge/munge.key ]; then
    $sudo_cmd mkdir -p /etc/munge
    $sudo_cmd dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
  fi
  $sudo_cmd chown munge:munge /etc/munge /etc/munge/munge.key
  $sudo_cmd chmod 0700 /etc/munge
  $sudo_cmd chmod 0400 /etc/munge/munge.key
  $sudo_cmd mkdir -p /run/munge /var/lib/munge /var/log/munge
  $sudo_cmd chown munge:munge /run/munge /var/lib/munge /var/log/munge
  $sudo_cmd chmod 0755 /run/munge
  $sudo_cmd runuser -u munge -- /usr/sbin/munged
  started_munge=1
fi
munge -n | unmunge >/dev/null || fail "munge does not work"

# --- the cluster ----------------------------------------------------------------------------------
node=$(slurmd -C | head -n 1)       # NodeName=<host> CPUs=… RealMemory=… (what slurmd will find)
host=$(printf '%s\n' "$node" | sed -n 's/^NodeName=\([^ ]*\).*/\1/p')
[ -n "$host" ] || fail "slurmd -C said: $node"
export SLURM_CONF=$work/slurm.conf
cat > "$SLURM_CONF" <<EOF
ClusterName=actlab-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
SlurmctldPort=6917
SlurmdPort=6918
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
ReturnToService=2
MpiDefault=none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
$node State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
mkdir -p "$work/state" "$work/spool"
log "starting slurmctld and slurmd ($node)"
$sudo_cmd env SLURM_CONF="$SLURM_CONF" slurmctld -f "$SLURM_CONF"
$sudo_cmd env SLURM_CONF="$SLURM_CONF" slurmd -f "$SLURM_CONF"
for _ in $(seq 120); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || fail "the node did not come up (state: ${state:-none})"

# --- the sweep under Slurm --------------------------------------------------------------------------
export ACTLAB_OUT=$work/out
# Extra compare flags reach every task: `--pack auto` logs its choice (on flex: none packed,
# so the numbers stay those of the local compare below).
export ACTLAB_COMPARE_ARGS="--pack auto"
log "scripts/sweep-slurm.sh configs/sweep-quick.toml 2 → $ACTLAB_OUT"
submitted=$(scripts/sweep-slurm.sh configs/sweep-quick.toml 2)
printf '%s\n' "$submitted" >&2
report_job=$(printf '%s\n' "$submitted" | sed -n 's/^submitted report job \([0-9]*\).*/\1/p')
[ -n "$report_job" ] || fail "no report job id in: $submitted"
start=$(date +%s)
while squeue -h -j "$report_job" 2>/dev/null | grep -q .; do
  [ $(( $(date +%s) - start )) -lt 1200 ] || fail "the report job did not end within 20 minutes"
  sleep 2
done
log "Slurm finished the sweep in $(( $(date +%s) - start )) s"
slurm_csv=$ACTLAB_OUT/report/results.csv
[ -s "$slurm_csv" ] || fail "no $slurm_csv (see the logs above)"
tasks=$(ls "$ACTLAB_OUT"/slurm/*_[12].log 2>/dev/null | wc -l)
[ "$tasks" -eq 2 ] || fail "expected the logs of 2 array tasks, found $tasks"
grep -q "shard 1/2" "$ACTLAB_OUT"/slurm/*_1.log || fail "task 1 did not run shard 1/2"
grep -q "shard 2/2" "$ACTLAB_OUT"/slurm/*_2.log || fail "task 2 did not run shard 2/2"
for t in 1 2; do
  grep -q "packing: --pack auto on flex" "$ACTLAB_OUT"/slurm/*_$t.log \
    || fail "task $t did not get ACTLAB_COMPARE_ARGS"
done

# --- the same sweep locally, and the comparison -----------------------------------------------------
log "the same sweep locally"
"$ACTLAB" compare configs/sweep-quick.toml --out "$work/local" --quiet >/dev/null 2>&1 \
  || fail "the local compare failed"
# Every column but the measured epoch time.
strip() {
  python3 -c 'import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
drop = rows[0].index("epoch_seconds")
for r in rows: print(",".join(c for i, c in enumerate(r) if i != drop))' "$1"
}
if ! diff <(strip "$slurm_csv") <(strip "$work/local/report/results.csv") >&2; then
  fail "results.csv under Slurm differs from the local compare"
fi
log "ok: results.csv under Slurm equals the local compare ($(($(wc -l < "$slurm_csv") - 1)) activations)"
