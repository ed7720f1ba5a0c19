#!/usr/bin/env bash
# Installs every Debian/Ubuntu package hybridserve needs to build, test and run.
# Usage: sudo scripts/install_deps.sh [--no-cuda-check]
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates curl
  clang clang-format clang-tidy libclang-rt-dev
  libabsl-dev nlohmann-json3-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  libcpp-httplib-dev prometheus-cpp-dev
  python3-grpcio prometheus
  libopenblas-dev libpcre2-dev libutf8proc-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  python3
)

$SUDO apt-get update -qq
# libclang-rt-dev is named per version on some releases; fall back quietly.
if ! $SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}"; then
  packages=("${packages[@]/libclang-rt-dev/}")
  $SUDO apt-get install -y -qq --no-install-recommends "${packages[@]}"
fi
# Node.js + npm for the OpenAI-client end-to-end tests (any existing install is kept).
if ! command -v npm > /dev/null; then
  $SUDO apt-get install -y -qq --no-install-recommends nodejs npm
fi
echo "install_deps: done"
