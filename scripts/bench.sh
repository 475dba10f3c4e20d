#!/usr/bin/env bash
# The parser benchmarks (criterion). Figures are recorded in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -p nydus-overlay-tests --bench parse -- --warm-up-time 1 --measurement-time 3
