#!/usr/bin/env bash
# Fuzzes the model loader (tests/fuzz/fuzz_loader.cpp) with libFuzzer.
#   scripts/fuzz.sh smoke      a short deterministic run (fixed seed and run count), part of make test
#   scripts/fuzz.sh [SECONDS]  a longer run (default 600 s); new inputs go to build-fuzz/corpus
# Seeds: the shipped models, the bad-input reproducers and everything under
# tests/fuzz/corpus (inputs that once escaped the error path). A dictionary of
# every field name comes from `drsim explain`, so mutations reach the model and
# not only the JSON parser. A finding is written to build-fuzz/finding-* and
# the script exits non-zero: keep it under tests/fuzz/corpus with the fix.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
CLI=${DRSIM_CLI:-build/bin/drsim}
mode=${1:-600}

if [ ! -f "$FUZZ_BUILD/CMakeCache.txt" ]; then
  CC=clang-14 CXX=clang++-14 cmake -S . -B "$FUZZ_BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DDRSIM_BUILD_FUZZ=ON -DDRSIM_BUILD_TESTS=OFF -DDRSIM_BUILD_CLI=OFF -DDRSIM_INSTALL=OFF >/dev/null
fi
cmake --build "$FUZZ_BUILD" -j "${JOBS:-$(nproc)}" --target drsim_fuzz_loader

dict="$FUZZ_BUILD/model.dict"
{
  for token in '{' '}' '[' ']' ':' ',' '"' 'true' 'false' 'null' '1e400' '-1' '0' 's"' 'ms"' 'm"' 'h"' 'd"' '/s"' '%"'; do
    printf '"%s"\n' "$(printf '%s' "$token" | sed 's/\\/\\\\/g; s/"/\\"/g')"
  done
  if [ -x "$CLI" ]; then
    "$CLI" explain | awk '{print $1}' | tr '.' '\n' | sed 's/\[.*//' | sort -u | grep -v '^$' | sed 's/.*/"\\"&\\""/'
  fi
} > "$dict"

mkdir -p "$FUZZ_BUILD/corpus"
seeds=()
for dir in models tests/models/repro tests/models/bad tests/fuzz/corpus; do
  [ -d "$dir" ] && seeds+=("$dir")
done
common=(-timeout=10 -rss_limit_mb=2048 -max_len=16384 -dict="$dict" -artifact_prefix="$FUZZ_BUILD/finding-")
if [ "$mode" = smoke ]; then
  # Fixed seed and run count: the same inputs every time, a few seconds.
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  log="$FUZZ_BUILD/smoke.log"
  if ! "$FUZZ_BUILD/drsim_fuzz_loader" "${common[@]}" -seed=1 -runs="${FUZZ_RUNS:-20000}" -print_final_stats=1 \
      "$scratch" "${seeds[@]}" >"$log" 2>&1; then
    tail -n 40 "$log"
    echo "fuzz smoke failed (log above; a finding's input is in $FUZZ_BUILD/finding-*)" >&2
    exit 1
  fi
  echo "fuzz smoke: $(grep -E '^Done' "$log")"
  exit 0
fi
exec "$FUZZ_BUILD/drsim_fuzz_loader" "${common[@]}" -max_total_time="$mode" -print_final_stats=1 \
  "$FUZZ_BUILD/corpus" "${seeds[@]}"
