#!/usr/bin/env bash
# Lints the workflows (the copyable ones in workflows/ and the repository's
# own), action.yml, and every shell script: actionlint built from the Go
# module proxy and zizmor from PyPI, both pinned and kept in .cache/
# and ShellCheck from the system. zizmor runs as its auditor persona, which
# also asks for named jobs and a comment on every permission.
set -euo pipefail
cd "$(dirname "$0")/.."

bin=$PWD/.cache/bin
venv=.cache/lint-venv
if [[ ! -x "$bin/actionlint" ]]; then
  GOBIN="$bin" go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
fi
if [[ ! -x "$venv/bin/zizmor" ]]; then
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check zizmor==1.32.0
fi

shopt -s nullglob
own=(.github/workflows/*.yml)
copyable=(workflows/*.yml)
scripts=(scripts/*.sh .ci/run)

echo "actionlint: ${own[*]} ${copyable[*]}"
"$bin/actionlint" -shellcheck "$(command -v shellcheck)" "${own[@]}" "${copyable[@]}"
echo "zizmor: ${own[*]} ${copyable[*]} action.yml"
"$venv/bin/zizmor" --offline --quiet --persona auditor --config .github/zizmor.yml "${own[@]}" "${copyable[@]}" action.yml
echo "shellcheck: ${scripts[*]}"
shellcheck "${scripts[@]}"
echo "lint: no findings"
