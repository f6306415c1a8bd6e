#!/usr/bin/env bash
# Rebuilds every published report under docs/results/ that has its runs (runs.tar.gz) from
# those runs alone, with this build's `actlab report`, and says which files changed.
#   scripts/rebuild-results.sh [--check]    # --check: change nothing, exit 1 if any differs
set -euo pipefail
cd "$(dirname "$0")/.."
actlab="${ACTLAB:-target/release/actlab}"
check=false
[ "${1:-}" = "--check" ] && check=true
changed=0
for archive in $(find docs/results -name runs.tar.gz | sort); do
  dir="$(dirname "$archive")"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  mkdir "$tmp/runs"
  tar xzf "$dir/runs.tar.gz" -C "$tmp/runs"
  "$actlab" report "$tmp/runs" --out "$tmp/report" > "$tmp/log" 2>&1 || { cat "$tmp/log"; exit 2; }
  for f in report.md results.csv results.json pairs.csv; do
    if ! cmp -s "$tmp/report/$f" "$dir/$f"; then
      changed=1
      echo "$dir/$f: differs"
      $check || cp "$tmp/report/$f" "$dir/$f"
    fi
  done
  rm -rf "$tmp"
  trap - EXIT
done
if [ "$changed" = 0 ]; then echo "every report rebuilds byte for byte from its runs"; fi
if $check; then exit "$changed"; fi
