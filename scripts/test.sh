#!/usr/bin/env bash
# Everything CI checks, in one place. `make test` runs it; `.ci/run` runs `make test`.
# Every step must pass: a missing tool or privilege is a failure, never a skip.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "format, lints, docs, no_std build"
make --no-print-directory check

step "unit, table, fixture, property and allocation tests"
cargo test --workspace
