#!/usr/bin/env bash
# actlab's one test command: what CI runs (.ci/run calls it) and what you run before pushing.
#
# 1. installs what the tests need on a fresh Debian machine (apt-get, only when missing);
# 2. cargo fmt --check;
# 3. mdbook build docs/book (the book; its contents are checked by cargo test's `book` tests);
# 4. clippy with -D warnings on every target;
# 5. cargo test --workspace --release (with the real TensorBoard and Chromium as clients);
# 6. scripts/test-slurm.sh: a sweep through a real one-node Slurm cluster.
#
# Everything is built once, in the release profile: clippy lints our crates while the test
# build compiles them (RUSTC_WORKSPACE_WRAPPER=clippy-driver), so Burn's several hundred
# dependencies are compiled a single time. Set ACTLAB_SEPARATE_CLIPPY=1 to run a plain
# `cargo clippy` instead.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '==> %s\n' "$*" >&2; }
# Mesa's lavapipe warns on every start without a runtime directory; harmless, but noisy.
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"
start=$(date +%s)

# --- system packages -------------------------------------------------------------------------
# Debian package → a file that shows it is installed.
declare -A packages=(
  # The real Fashion-MNIST (the data tests check its counts, balance and checksums).
  [dataset-fashion-mnist]=/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz
  # Mesa's lavapipe: Vulkan on the CPU, so the wgpu backend runs in CI without a GPU.
  [mesa-vulkan-drivers]=/usr/share/vulkan/icd.d/lvp_icd.x86_64.json
  # dpkg-deb, for the Debian-package fallback's test (present on every Debian).
  [dpkg]=/usr/bin/dpkg-deb
  # Headless Chromium and its WebDriver: the test that opens report.html in a real browser.
  [chromium]=/usr/bin/chromium
  [chromium-driver]=/usr/bin/chromedriver
)
missing=()
for pkg in "${!packages[@]}"; do
  [ -e "${packages[$pkg]}" ] || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- Python: the real clients the tests check our files with --------------------------------
# A venv with TensorBoard (reads our event files), Selenium (drives Chromium over report.html)
# and Pillow (looks at its screenshots), pinned to the versions the tests were written against,
# cached next to the build and made only when missing.
venv="${XDG_CACHE_HOME:-$HOME/.cache}/actlab/venv"
if ! "$venv/bin/python" -c 'import tensorboard, selenium, PIL' >/dev/null 2>&1; then
  log "creating $venv (tensorboard, selenium, pillow from PyPI)"
  python3 -m venv "$venv" || {
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq python3-venv
    python3 -m venv "$venv"
  }
  "$venv/bin/pip" install -q --disable-pip-version-check \
    tensorboard==2.21.0 selenium==4.51.0 pillow==13.0.0
fi
export ACTLAB_PYTHON="$venv/bin/python"

# --- Rust components --------------------------------------------------------------------------
for tool in rustfmt clippy-driver; do
  if ! command -v "$tool" >/dev/null 2>&1 && ! rustup which "$tool" >/dev/null 2>&1; then
    log "installing the Rust component for $tool"
    rustup component add "${tool%-driver}"
  fi
done

# --- mdBook: the book in docs/book/ is built on every run --------------------------------------
# Installed with cargo into a cache of its own (not the target directory), only when missing or
# another version: without its web server and file watcher, which the build does not need
# (~1 min on 2 cores, once).
mdbook_version=0.5.4
tools="${XDG_CACHE_HOME:-$HOME/.cache}/actlab/tools"
mdbook="$tools/bin/mdbook"
if [ "$("$mdbook" --version 2>/dev/null)" != "mdbook v$mdbook_version" ]; then
  log "installing mdbook $mdbook_version into $tools"
  cargo install mdbook --locked --version "$mdbook_version" --no-default-features \
    --features search --root "$tools" --target-dir "$tools/build" --quiet
  rm -rf "$tools/build"
fi

# cargo test, then one closing line with the totals over every test binary. A test that cannot
# run here (no dataset installed, a flag not set) appends a line to $ACTLAB_SKIP_LOG and returns:
# cargo counts it as passed, this line counts it as skipped.
run_tests() {
  local log_file skip_log
  log_file=$(mktemp)
  skip_log=$(mktemp)
  set +e
  ACTLAB_SKIP_LOG="$skip_log" cargo test --workspace --release --all-targets 2>&1 | tee "$log_file"
  local status=${PIPESTATUS[0]}
  set -e
  local passed failed skipped
  read -r passed failed < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
       END { printf "%d %d\n", p, f }' "$log_file")
  skipped=$(wc -l < "$skip_log")
  if [ "$skipped" -gt 0 ]; then
    printf 'skipped: %s\n' "$(sort "$skip_log" | paste -sd ';' -)" >&2
  fi
  printf 'tests: %d passed, %d failed, %d skipped\n' $((passed - skipped)) "$failed" "$skipped"
  rm -f "$log_file" "$skip_log"
  return "$status"
}

# --- checks -----------------------------------------------------------------------------------
log "cargo fmt --check"
cargo fmt --all -- --check

# The book builds (its TOML blocks, command lines and links are checked by the `book` tests of
# crates/actlab/src/book/, which run with the others below).
log "mdbook build docs/book"
"$mdbook" build docs/book 2>&1 | sed 's/^/    /'   # → docs/book/book/ (git-ignored)

if [ "${ACTLAB_SEPARATE_CLIPPY:-0}" = 1 ]; then
  log "cargo clippy (separate pass)"
  cargo clippy --workspace --all-targets --release -- -D warnings
  run_tests
else
  clippy_driver=$(rustup which clippy-driver 2>/dev/null || command -v clippy-driver)
  log "cargo test --workspace --release, our crates compiled by clippy-driver with -D warnings"
  # clippy-driver reads its lint flags from CLIPPY_ARGS, separated by __CLIPPY_HACKERY__ (what
  # `cargo clippy -- -D warnings` hands it). The wrapper applies to workspace crates only, so
  # dependencies are built exactly as a plain `cargo test --release` builds them.
  export RUSTC_WORKSPACE_WRAPPER="$clippy_driver"
  export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
  run_tests
fi

# --- Slurm, for real ----------------------------------------------------------------------------
# A one-node cluster on this machine runs scripts/sweep-slurm.sh (needs root or sudo; uses the
# release binary the tests built). ACTLAB_SKIP_SLURM=1 leaves it out (say so when you do).
if [ "${ACTLAB_SKIP_SLURM:-0}" = 1 ]; then
  log "scripts/test-slurm.sh skipped (ACTLAB_SKIP_SLURM=1)"
else
  log "scripts/test-slurm.sh"
  scripts/test-slurm.sh
fi

log "done in $(( $(date +%s) - start )) s"
