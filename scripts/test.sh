#!/usr/bin/env bash
# The test command: installs what the tests need, then runs them all
# (typecheck, dist check, unit tests, real-build integration tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
npm test
