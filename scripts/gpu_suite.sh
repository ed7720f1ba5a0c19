#!/usr/bin/env bash
# The whole GPU suite in one go, for a machine with an NVIDIA GPU: op tests (CUDA op == CPU op),
# compute-sanitizer memcheck on them, model tests (every family against the transformers reference
# data, batched == alone), `hybridtool logits --device cuda` against the reference data, the server
# on --device cuda answering an OpenAI completion and a gRPC stream, and the benchmarks. Writes a
# report (markdown) and the raw logs.
#
#   scripts/gpu_suite.sh [--build DIR] [--out DIR] [--skip-bench] [--skip-memcheck] [--only-bench]
#
# STEP_TIMEOUT (seconds, default 600) bounds each step. The binaries know the source tree's
# absolute path (test data, the bundled default model): run them from a checkout at that path.
# --build DIR: a build configured with -DHYBRIDSERVE_CUDA=ON (default build-gpu/, built here
#   with cmake when its binaries are missing). Binaries built on another machine may be carried
#   here: put the shared libraries they need (ldd) in DIR/lib; the script adds it to
#   LD_LIBRARY_PATH.
# --out DIR: where the report (gpu_report.md) and logs go (default gpu-report/).
set -uo pipefail
cd "$(dirname "$0")/.."

build=build-gpu
out=gpu-report
bench=1
memcheck=1
only_bench=0
while [ $# -gt 0 ]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    --skip-bench) bench=0; shift ;;
    --skip-memcheck) memcheck=0; shift ;;
    --only-bench) only_bench=1; memcheck=0; shift ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "gpu_suite.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
report="$out/gpu_report.md"
export NCCL_NVLS_ENABLE=0
[ -d "$build/lib" ] && export LD_LIBRARY_PATH="$PWD/$build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
[ -d /usr/local/cuda/lib64 ] && export LD_LIBRARY_PATH="${LD_LIBRARY_PATH:+$LD_LIBRARY_PATH:}/usr/local/cuda/lib64"
# NCCL: the CUDA toolkit's, else the one PyTorch's wheels bring.
if ! ldconfig -p | grep -q libnccl.so.2 && [ ! -e /usr/local/cuda/lib64/libnccl.so.2 ]; then
  nccl_dir=$(python3 -c 'import nvidia.nccl, os; print(os.path.join(list(nvidia.nccl.__path__)[0], "lib"))' 2> /dev/null || true)
  [ -n "$nccl_dir" ] && export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$nccl_dir"
fi
export NCCL_NVLS_ENABLE=0
# Each step is stopped after this many seconds (a hung kernel must not take the whole run).
step_timeout="${STEP_TIMEOUT:-600}"

if [ ! -x "$build/weights_tools/hybridtool" ]; then
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHYBRIDSERVE_CUDA=ON || exit 1
  cmake --build "$build" -j "$(nproc)" || exit 1
fi

failures=0
{
  echo "# GPU suite report"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  if [ -s "$build/COMMIT" ]; then
    echo "- commit: $(cat "$build/COMMIT") (the bundle's build; checkout $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
  else
    echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  fi
  echo "- GPU: $(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null)"
  echo "- CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo
  echo "| step | result | seconds |"
  echo "|---|---|---|"
} > "$report"

# step NAME COMMAND...: runs COMMAND, logs to $out/NAME.log, adds a row to the report.
step() {
  local name="$1"
  shift
  local start=$SECONDS
  echo "== $name: $*"
  if timeout "$step_timeout" "$@" > "$out/$name.log" 2>&1; then
    echo "| $name | ok | $((SECONDS - start)) |" >> "$report"
    tail -n 3 "$out/$name.log"
  else
    echo "| $name | **FAILED** | $((SECONDS - start)) |" >> "$report"
    failures=$((failures + 1))
    tail -n 40 "$out/$name.log"
  fi
}

for test in "$build"/tests/cuda/*_test; do
  [ -x "$test" ] && [ "$only_bench" = 0 ] || continue
  step "$(basename "$test")" "$test"
done

if [ "$memcheck" = 1 ] && command -v compute-sanitizer > /dev/null; then
  for test in "$build"/tests/cuda/*_test; do
    name=$(basename "$test")
    case "$name" in cuda_model_golden_test|cuda_engine_equivalence_test|cuda_tensor_parallel_test) continue ;; esac
    step "memcheck_$name" compute-sanitizer --tool memcheck --error-exitcode 1 "$test"
  done
fi

[ "$only_bench" = 0 ] && step cli_logits_cuda_f32 python3 tests/golden/compare_logits.py --tool-arg=--device=cuda \
  --tool-arg=--dtype=f32 --hybridtool "$build/weights_tools/hybridtool" tests/golden/data
[ "$only_bench" = 0 ] && step cli_logits_cuda_f32_chunked python3 tests/golden/compare_logits.py --prefill-chunk 5 \
  --tool-arg=--device=cuda --tool-arg=--dtype=f32 --hybridtool "$build/weights_tools/hybridtool" \
  tests/golden/data

if [ -x "$build/server/hybridserve" ] && [ "$only_bench" = 0 ]; then
  step server_cuda python3 tests/cuda/server_smoke.py --hybridserve "$build/server/hybridserve" \
    --descriptor-set "$build/proto/hybridserve_v1.pb"
fi

# Tensor parallelism over real GPUs, when the machine has two.
gpus=$(nvidia-smi -L 2> /dev/null | wc -l)
if [ "$gpus" -ge 2 ] && [ "$only_bench" = 0 ]; then
  step cli_logits_cuda_tp2 python3 tests/golden/compare_logits.py --tool-arg=--device=cuda \
    --tool-arg=--dtype=f32 --tool-arg=--tensor-parallel-size=2 \
    --hybridtool "$build/weights_tools/hybridtool" tests/golden/data
  [ -x "$build/server/hybridserve" ] && step server_cuda_tp2 python3 tests/cuda/server_smoke.py \
    --hybridserve "$build/server/hybridserve" --descriptor-set "$build/proto/hybridserve_v1.pb" \
    --server-arg=--tensor-parallel-size=2
fi

if [ "$bench" = 1 ]; then
  for b in "$build"/benchmarks/cuda_*_bench; do
    [ -x "$b" ] || continue
    name=$(basename "$b")
    if [ "$name" = cuda_model_bench ]; then
      step "$name" "$b" --json "$out/cuda_model_bench.json"
      if [ "$gpus" -ge 2 ]; then
        step "${name}_tp2_nemotron" "$b" --configs nemotron_h_8b --tp 2 --json "$out/cuda_model_bench_tp2.json"
      fi
    else
      step "$name" "$b"
    fi
  done
fi

{
  echo
  echo "Failed steps: $failures. Logs: one <step>.log each beside this report."
} >> "$report"
cat "$report"
exit $((failures > 0))
