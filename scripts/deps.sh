#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need on a fresh Debian 12 machine;
# `scripts/deps.sh mutants` also what `make mutants` needs (cargo-mutants, python3).
# Idempotent: it only installs what is missing. Needs root for apt-get.
set -euo pipefail
for_mutants=false
case ${1:-} in
  "") ;;
  mutants) for_mutants=true ;;
  *) echo "deps: unknown argument $1 (none, or mutants)" >&2; exit 2 ;;
esac

CBINDGEN_VERSION=0.29.4
CARGO_FUZZ_VERSION=0.13.2
CARGO_MUTANTS_VERSION=27.1.0

apt_pkgs=(fuse3 golang-go clang valgrind pkg-config hyperfine libclang-rt-14-dev make gcc util-linux strace musl-tools time binutils
  groff-base mandoc man-db  # man pages: groff -ww, mandoc -T lint, man -w
  dpkg-dev lintian  # make deb (dpkg-shlibdeps, dpkg-architecture), its lint
  attr  # getfattr for cli/tests/volatile.rs
  golang-1.22-go)  # log/slog (Go >= 1.21) for the Go package's slog tests; from bookworm-backports
$for_mutants && apt_pkgs+=(python3)  # scripts/mutants.sh scores the runs with it
missing=()
for p in "${apt_pkgs[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  grep -q "install ok installed" <<<"$status" || missing+=("$p")
done
# golang-1.22-go is in bookworm-backports only. Backports are pinned at priority 100, so
# enabling them upgrades nothing else; a package found only there is installed from there.
backports=/etc/apt/sources.list.d/bookworm-backports.sources
backports_text='Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg'
# Written only when a package is missing and no other source lists the suite (a second entry
# for it with another Signed-By would stop apt).
if [ ${#missing[@]} -gt 0 ] && [ "$(cat "$backports" 2>/dev/null)" != "$backports_text" ] &&
  ! grep -rqs --exclude="$(basename "$backports")" bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
  printf '%s\n' "$backports_text" >"$backports"
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
fi

rustup component add clippy rustfmt >/dev/null
rustup target add thumbv7em-none-eabihf x86_64-unknown-linux-musl >/dev/null
if grep -q '^nightly' <<<"$(rustup toolchain list)"; then :; else rustup toolchain install nightly --profile minimal; fi
rustup component add miri rust-src llvm-tools-preview --toolchain nightly >/dev/null  # llvm-tools: make fuzz-coverage

if ! grep -q "$CBINDGEN_VERSION" <<<"$(cbindgen --version 2>/dev/null)"; then
  cargo install --locked cbindgen --version "$CBINDGEN_VERSION"
fi
if ! grep -q "$CARGO_FUZZ_VERSION" <<<"$(cargo fuzz --version 2>/dev/null)"; then
  cargo install --locked cargo-fuzz --version "$CARGO_FUZZ_VERSION"
fi
if $for_mutants && ! grep -q "$CARGO_MUTANTS_VERSION" <<<"$(cargo mutants --version 2>/dev/null)"; then
  cargo install --locked cargo-mutants --version "$CARGO_MUTANTS_VERSION"
fi
