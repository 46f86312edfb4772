#!/usr/bin/env bash
# The test command: installs what the tests need, then runs them all
# (typecheck, dist check, unit tests, real-build integration tests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
# The CPythons the install step extracted: Linux 3.14 (appended, so that its
# python3 shadows nothing) and the Windows ones for wine.
source scripts/embedded-pythons.sh
npm test
