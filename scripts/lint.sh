#!/usr/bin/env bash
# Lints the workflows (the copyable ones in workflows/ and the repository's
# own), action.yml, and every shell script: actionlint built from the Go
# module proxy and zizmor from PyPI, both pinned and kept in .cache/
# and ShellCheck from the system. zizmor runs as its auditor persona, which
# also asks for named jobs and a comment on every permission. Then the
# TypeScript and JavaScript: ESLint with typescript-eslint's type-aware rules
# (eslint.config.mjs) and Prettier's check of the formatting (.prettierrc;
# `npm run format` applies it), both from node_modules/ (npm ci).
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
for tool in eslint prettier; do
  if [[ ! -x node_modules/.bin/$tool ]]; then
    echo "error: node_modules/.bin/$tool not found; run npm ci first" >&2
    exit 1
  fi
done
echo "eslint: the TypeScript and JavaScript (eslint.config.mjs)"
node_modules/.bin/eslint --max-warnings 0 .
echo "prettier: the code and JSON (.prettierignore says what not)"
node_modules/.bin/prettier --check --log-level warn .
echo "lint: no findings"
