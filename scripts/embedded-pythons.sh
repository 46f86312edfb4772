# shellcheck shell=bash
# Sourced by scripts/test.sh and scripts/example.sh: makes the CPythons that
# scripts/install-deps.sh extracted into .cache/python findable. Linux ones are
# appended to PATH (their bin/ has a python3 too, which must not shadow the
# system's); NATIVE_MATRIX_PYTHONS is where native-matrix looks for the
# interpreters of other platforms (Windows under wine, arm64 under qemu-user).
for dir in "$PWD"/.cache/python/linux-"$(uname -m)"-*/bin; do
  [[ -d $dir ]] && PATH="$PATH:$dir"
done
export PATH
export NATIVE_MATRIX_PYTHONS="$PWD/.cache/python"
