#!/usr/bin/env bash
# The main job on the bundled example: plans the qsym-like project and builds
# every cell this machine can build, leaving wheels, manifest.json and the
# summary in wheelhouse/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
source scripts/embedded-pythons.sh
node_modules/.bin/node dist/cli.js run --working-directory test/fixtures/qsym-like --out "$PWD/wheelhouse"
