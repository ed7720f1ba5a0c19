#!/usr/bin/env bash
# Packs what scripts/gpu_suite.sh runs from a CUDA build into a folder that can be copied to a GPU
# machine without our build dependencies: the GPU tests, hybridtool, hybridserve, the GPU
# benchmarks and the proto descriptor set, stripped, in the build's layout, plus every shared
# library they load that is not part of the C runtime, the NVIDIA driver or the CUDA toolkit (in
# lib/, which gpu_suite.sh puts on LD_LIBRARY_PATH); the GPU machine needs the CUDA 13 runtime,
# cuBLAS and NCCL 2 (gpu_suite.sh also finds the NCCL of a PyTorch installation).
#
#   scripts/bundle_gpu_build.sh BUILD_DIR OUT_DIR
#   (there)  scripts/gpu_suite.sh --build OUT_DIR
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,9p' "$0"; exit 2; }
build="$1"
out="$2"
rm -rf "$out"
mkdir -p "$out/lib"
files=()
for f in "$build"/tests/cuda/*_test "$build"/weights_tools/hybridtool "$build"/server/hybridserve \
         "$build"/benchmarks/cuda_*_bench "$build"/proto/hybridserve_v1.pb; do
  [ -e "$f" ] && files+=("$f")
done
for f in "${files[@]}"; do
  rel="${f#"$build"/}"
  mkdir -p "$out/$(dirname "$rel")"
  cp "$f" "$out/$rel"
  case "$rel" in *.pb) continue ;; esac
  strip --strip-unneeded "$out/$rel" 2> /dev/null || true
  # Shared libraries outside glibc and the driver travel along.
  ldd "$f" | awk '/=> \// {print $3}' | while read -r lib; do
    case "$(basename "$lib")" in
      libc.so*|libm.so*|libpthread.so*|libdl.so*|librt.so*|ld-linux*|libgcc_s.so*) ;;
      libcuda.so*|libcudart.so*|libcublas.so*|libcublasLt.so*|libnccl.so*) ;;
      *) [ -e "$out/lib/$(basename "$lib")" ] || cp -L "$lib" "$out/lib/" ;;
    esac
  done
done
# The commit the binaries were built from, for gpu_suite.sh's report (the GPU machine's checkout
# may be another).
git rev-parse --short HEAD > "$out/COMMIT" 2> /dev/null || true
du -sh "$out"
