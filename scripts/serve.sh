#!/usr/bin/env bash
# Sets up and runs hybridserve in one command: installs the Debian/Ubuntu dependencies (skip with
# HYBRIDSERVE_SKIP_DEPS=1), builds the server (Release, in build/), then runs it with the given
# flags. With no --model it serves the bundled default model (models/default).
#   scripts/serve.sh                          # OpenAI HTTP on :8000, gRPC on :50051
#   scripts/serve.sh --model /path/to/hf/checkpoint --http-port 8080
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${HYBRIDSERVE_SKIP_DEPS:-0}" != 1 ]; then
  scripts/install_deps.sh
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j "$(nproc)" --target hybridserve
exec build/server/hybridserve "$@"
