#!/usr/bin/env bash
# Installs what native-matrix's tests and the bundled example need on a
# Debian/Ubuntu machine: the system packages, then the npm dependencies
# (including Node 24 from the npm registry, which every npm script runs on).
set -euo pipefail
cd "$(dirname "$0")/.."

# ShellCheck for the lint; libgmp-dev, m4, patchelf: Linux builds; util-linux: unshare for the proof of
# bundling; mingw-w64 and wine: Windows cross-builds and their smoke tests;
# the aarch64 cross gcc with its libc headers and start files (only a
# Recommends of gcc-aarch64-linux-gnu, which --no-install-recommends drops)
# and qemu-user: linux-aarch64 cross-builds.
packages=(shellcheck libgmp-dev m4 patchelf unzip util-linux gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 wine wine64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
sudo=()
if [[ $(id -u) -ne 0 ]]; then sudo=(sudo); fi
# The arm64 package lists: the linux-aarch64 wheel test unpacks Debian's arm64
# CPython from them (nothing arm64 is installed). Debian's mirrors carry every
# arch; Ubuntu's arm64 packages live on its ports mirror, which must be added
# to the apt sources by hand first.
update=false
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  "${sudo[@]}" dpkg --add-architecture arm64
  update=true
fi
# Stale lists name package versions the mirrors may have dropped since.
if [[ -z $(find /var/lib/apt/lists -maxdepth 1 -name '*_binary-arm64_Packages*' -mtime -1 -print -quit) ]]; then
  update=true
fi
if ((${#missing[@]} > 0)) || [[ $update == true ]]; then
  "${sudo[@]}" apt-get update -qq
fi
if ((${#missing[@]} > 0)); then
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

for tool in cargo go python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "error: $tool not found; install it (Rust for cargo, Go for the actionlint build, CPython 3.10+) and run this again" >&2
    exit 1
  fi
done

# nektos/act, for the whole-workflow runs, built from the Go module proxy.
if [[ ! -x .cache/bin/act ]]; then
  GOBIN="$PWD/.cache/bin" go install github.com/nektos/act@v0.2.89
fi

# A local PyPI-compatible index and twine for the whole-workflow runs: the
# release's pypi job uploads to it, and the test installs from it.
pypi_venv=.cache/pypi-venv
if [[ ! -x "$pypi_venv/bin/pypi-server" || ! -x "$pypi_venv/bin/twine" ]]; then
  python3 -m venv "$pypi_venv"
  "$pypi_venv/bin/python" -m pip install --quiet --disable-pip-version-check pypiserver==2.4.2 twine==7.0.0
fi

npm ci --no-audit --no-fund
