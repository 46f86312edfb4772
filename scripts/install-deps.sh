#!/usr/bin/env bash
# Installs what native-matrix's tests and the bundled example need on a
# Debian/Ubuntu machine: the system packages, then the npm dependencies
# (including Node 24 from the npm registry, which every npm script runs on).
set -euo pipefail
cd "$(dirname "$0")/.."

# ShellCheck for the lint; jq for the workflows' plan job (run by act); libgmp-dev, m4, patchelf: Linux builds; util-linux: unshare for the proof of
# bundling; mingw-w64 and wine: Windows cross-builds and their smoke tests;
# the aarch64 cross gcc with its libc headers and start files (only a
# Recommends of gcc-aarch64-linux-gnu, which --no-install-recommends drops)
# and qemu-user: linux-aarch64 cross-builds; pkg-config: gmp-mpfr-sys's
# use-system-libs for MinGW; binutils: readelf for the ELF checks;
# debootstrap and Debian's keyring: an older glibc userland for the imports;
# build-essential (cc, c++, make, libc headers): the host toolchain of "host"
# builds, Rust's linker and build scripts, GMP from source and the Makefile
# fixture; git: the commit time and the test checkouts; xz-utils: GMP's
# source tarballs; bsdutils: script, the pseudo-terminal of the progress-line
# test; libmpfr-dev and libmpc-dev: the real projects' tests build gmpy2,
# which links MPFR and MPC besides GMP, with the system's; llvm (llvm-nm,
# llvm-objdump) and patch: GMP for macOS cross-built with zig.
packages=(build-essential bsdutils git xz-utils shellcheck jq pkg-config binutils libgmp-dev libmpfr-dev libmpc-dev m4 patchelf unzip util-linux gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 wine wine64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user debootstrap debian-archive-keyring llvm patch)
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

for tool in cargo rustup go python3; do
  if ! command -v "$tool" >/dev/null; then
    echo "error: $tool not found; install it (Rust with rustup for cargo, Go for the actionlint build, CPython 3.10+) and run this again" >&2
    exit 1
  fi
done

# rustup's standard library for the Apple targets: the macOS test cross-builds
# with maturin --zig for them (the engine adds a cell's own target itself).
rustup target add aarch64-apple-darwin x86_64-apple-darwin

# nektos/act, for the whole-workflow runs, built from the Go module proxy.
if [[ ! -x .cache/bin/act ]]; then
  GOBIN="$PWD/.cache/bin" go install github.com/nektos/act@v0.2.89
fi

# Real CPythons that no package source here has, from the Go module
# github.com/kluctl/go-embed-python (python-build-standalone distributions),
# extracted by scripts/embedded-python into .cache/python/<platform>-<version>:
# Linux 3.14 (pyenv's stop at 3.13 on some machines), Windows 3.14 for the
# smoke tests of Windows wheels under wine, and arm64 Linux 3.14 for those of
# linux-aarch64 wheels under qemu-user (Debian 12's arm64 packages stop at
# 3.11). The Windows extractor itself runs under wine, which lacks bcryptprimitives.dll (Go's runtime and Rust's std import
# ProcessPrng from it; every Windows 10+ has it): its prefix gets a stand-in
# built from src/platforms/bcryptprimitives-shim.c (as the engine does for its prefixes).
embedded_python() {
  local version=$1 goos=$2 goarch=$3 dir=.cache/python/$4-$1
  [[ -e $dir/.complete ]] && return
  local extractor=.cache/bin/embedded-python-$version-$goos-$goarch
  [[ $goos == windows ]] && extractor+=.exe
  # go.mod pins the module version of 3.14; older versions have a module file each (go-3.10.mod).
  local modfile=go.mod
  [[ -e scripts/embedded-python/go-$version.mod ]] && modfile=go-$version.mod
  (cd scripts/embedded-python && GOOS=$goos GOARCH=$goarch go build -modfile="$modfile" -o "../../$extractor" .)
  rm -rf "$dir"
  if [[ $goos == windows ]]; then
    local prefix=.cache/wine-embedded-python
    if [[ ! -e $prefix/drive_c/windows/system32/bcryptprimitives.dll ]]; then
      WINEPREFIX="$PWD/$prefix" WINEDEBUG=-all WINEDLLOVERRIDES='mscoree,mshtml=' wine wineboot --init
      WINEPREFIX="$PWD/$prefix" wineserver --wait
      x86_64-w64-mingw32-gcc -O2 -shared -s -nostdlib -o "$prefix/drive_c/windows/system32/bcryptprimitives.dll" \
        src/platforms/bcryptprimitives-shim.c src/platforms/bcryptprimitives-shim.def -ladvapi32 -lkernel32
    fi
    # Drive Z: is the root; piped, as wine gives a program whose output is a regular file an invalid handle.
    local target="Z:$PWD/$dir"
    WINEPREFIX="$PWD/$prefix" WINEDEBUG=-all wine "$extractor" "${target//\//\\}" | cat
  elif [[ $goarch == arm64 ]]; then
    # A static Go program: qemu-user runs it without a sysroot.
    qemu-aarch64 "$extractor" "$PWD/$dir"
  else
    "$extractor" "$PWD/$dir"
  fi
  touch "$dir/.complete"
}
if [[ $(uname -m) == x86_64 ]]; then
  embedded_python 3.14 linux amd64 linux-x86_64
  embedded_python 3.14 windows amd64 windows-x86_64
  # The floor of abi3-py310 wheels and the other versions the module carries:
  # Windows wheels are imported in each under wine.
  embedded_python 3.10 windows amd64 windows-x86_64
  embedded_python 3.11 windows amd64 windows-x86_64
  embedded_python 3.14 linux arm64 linux-aarch64
  # And arm64 Linux 3.10 and 3.11, for the linux-aarch64 cells that ask for
  # them when apt's arm64 CPython is another version.
  embedded_python 3.10 linux arm64 linux-aarch64
  embedded_python 3.11 linux arm64 linux-aarch64
fi

# An older glibc userland: Debian 11 (glibc 2.31, Python 3.9), the oldest
# release Debian's mirror still serves. The manylinux tests import wheels in
# its Python (and python-build-standalone's) through its own dynamic loader,
# so that its glibc, not the host's, is the one they link against.
# When Debian moves the release to its archive, the second mirror has it.
old_userland=.cache/debian-bullseye
if [[ ! -e $old_userland/.complete ]]; then
  for mirror in http://deb.debian.org/debian http://archive.debian.org/debian; do
    "${sudo[@]}" rm -rf "$old_userland"
    if "${sudo[@]}" debootstrap --variant=minbase --include=python3 bullseye "$old_userland" "$mirror"; then
      "${sudo[@]}" touch "$old_userland/.complete"
      break
    fi
  done
  if [[ ! -e $old_userland/.complete ]]; then
    echo "error: debootstrap of Debian 11 failed from every mirror; see its output above" >&2
    exit 1
  fi
fi

# A local PyPI-compatible index and twine for the whole-workflow runs: the
# release's pypi job uploads to it, and the test installs from it.
pypi_venv=.cache/pypi-venv
if [[ ! -x "$pypi_venv/bin/pypi-server" || ! -x "$pypi_venv/bin/twine" ]]; then
  python3 -m venv "$pypi_venv"
  "$pypi_venv/bin/python" -m pip install --quiet --disable-pip-version-check pypiserver==2.4.2 twine==7.0.0
fi

npm ci --no-audit --no-fund
