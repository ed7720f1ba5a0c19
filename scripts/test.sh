#!/usr/bin/env bash
# Builds hybridserve and runs its test suite.
#   scripts/test.sh                      normal build in build/, all tests
#   scripts/test.sh --sanitize address   ASan+UBSan build of the CPU-only configuration in build-asan/
#   scripts/test.sh --sanitize thread    TSan build in build-tsan/
#   scripts/test.sh --fuzz SECONDS       also build the fuzzers with clang and run each for SECONDS
#   --targets "a b"  build only these targets;  --tests REGEX  run only the ctest tests matching
set -euo pipefail
cd "$(dirname "$0")/.."

sanitize=""
fuzz_seconds=0
targets=""
tests=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sanitize) sanitize="$2"; shift 2 ;;
    --fuzz) fuzz_seconds="$2"; shift 2 ;;
    --targets) targets="$2"; shift 2 ;;
    --tests) tests="$2"; shift 2 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "test.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

jobs=$(nproc)
if [ -n "$sanitize" ]; then
  case "$sanitize" in
    address) build=build-asan ;;
    thread) build=build-tsan ;;
    *) echo "test.sh: --sanitize takes address or thread" >&2; exit 2 ;;
  esac
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DHYBRIDSERVE_CUDA=OFF \
    -DHYBRIDSERVE_SANITIZE="$sanitize" -DHYBRIDSERVE_BUILD_BENCHMARKS=OFF
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
  export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  export TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1
  # OpenBLAS's own threads are not instrumented; keep BLAS single-threaded in sanitizer runs.
  export OPENBLAS_NUM_THREADS=1
else
  build=build
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release
fi
# shellcheck disable=SC2086
cmake --build "$build" -j "$jobs" ${targets:+--target $targets}
# The gpu label (tests/cuda) needs a GPU: scripts/gpu_suite.sh runs it on one.
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout 900 -LE gpu ${tests:+-R "$tests"}

if [ "$fuzz_seconds" -gt 0 ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DHYBRIDSERVE_CUDA=OFF -DHYBRIDSERVE_BUILD_FUZZERS=ON -DHYBRIDSERVE_BUILD_TESTS=OFF \
    -DHYBRIDSERVE_BUILD_BENCHMARKS=OFF
  cmake --build build-fuzz -j "$jobs" --target fuzzers
  for fuzzer in build-fuzz/tests/fuzz/*_fuzz; do
    echo "fuzzing $(basename "$fuzzer") for ${fuzz_seconds}s"
    # Seeds and dictionary: tests/fuzz/corpus/<name>/ and tests/fuzz/<name>.dict, where <name> is
    # the fuzzer's name without _fuzz, or its first word (openai_request_fuzz -> openai).
    name=$(basename "$fuzzer" _fuzz)
    corpus="" dict=""
    for candidate in "$name" "${name%%_*}"; do
      if [ -z "$corpus" ] && [ -d "tests/fuzz/corpus/$candidate" ]; then
        corpus="tests/fuzz/corpus/$candidate"
      fi
      if [ -z "$dict" ] && [ -f "tests/fuzz/$candidate.dict" ]; then
        dict="tests/fuzz/$candidate.dict"
      fi
    done
    mkdir -p "build-fuzz/corpus-$(basename "$fuzzer")"
    "$fuzzer" -max_total_time="$fuzz_seconds" -rss_limit_mb=2048 \
      ${dict:+"-dict=$dict"} "build-fuzz/corpus-$(basename "$fuzzer")" ${corpus:+"$corpus"}
  done
fi
