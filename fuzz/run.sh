#!/bin/sh
# Runs one cargo-fuzz target for SECONDS (default 300), starting from its checked-in seeds
# (fuzz/corpus/<target>, plus configs/ for the config readers). What it learns goes to
# fuzz/corpus-work/<target> (not committed); a crash is saved in fuzz/artifacts/<target>/.
#
#   fuzz/run.sh experiment 300        # targets: idx experiment sweep diagnose state image expr run_files predictions
set -eu
target=${1:?usage: fuzz/run.sh TARGET [SECONDS]}
seconds=${2:-300}
cd "$(dirname "$0")"
work=corpus-work/$target
mkdir -p "$work"
case $target in
    experiment | sweep | diagnose) seeds="corpus/$target ../configs" ;;
    *) seeds="corpus/$target" ;;
esac
# shellcheck disable=SC2086 # $seeds is a list of directories
exec cargo +nightly fuzz run "$target" "$work" $seeds -- \
    -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
