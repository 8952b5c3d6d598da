#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
# It provides what the tests need: the differential test's independent IAM
# evaluator (npm, test-time only, never shipped) is installed into tests/peer.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f tests/peer/node_modules/.package-lock.json ] \
   || [ tests/peer/package-lock.json -nt tests/peer/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/peer --no-audit --no-fund --loglevel=error
fi

cargo fmt --all -- --check
cargo clippy --locked --all-targets -- -D warnings
cargo test --locked
