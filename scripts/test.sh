#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run calls this script).
# It provides what the tests need: the differential test's independent IAM
# evaluator (npm, test-time only, never shipped) is installed into tests/peer,
# moto's AWS emulator (PyPI, test-time only) into the venv tests/.venv, and cargo-deny
# (crates.io) into tests/.tools.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -f tests/peer/node_modules/.package-lock.json ] \
   || [ tests/peer/package-lock.json -nt tests/peer/node_modules/.package-lock.json ]; then
  npm ci --prefix tests/peer --no-audit --no-fund --loglevel=error
fi

# The AWS tests run against moto's server on loopback (tests/support/moto.rs finds it in
# tests/.venv). Re-installed when the pinned requirements change.
if [ ! -x tests/.venv/bin/moto_server ] \
   || [ tests/moto-requirements.txt -nt tests/.venv/bin/moto_server ]; then
  rm -rf tests/.venv
  python3 -m venv tests/.venv
  tests/.venv/bin/pip install --quiet --disable-pip-version-check -r tests/moto-requirements.txt
  touch tests/.venv/bin/moto_server
fi

# The supply-chain policy (deny.toml): licences, banned crates, registries. cargo-deny is
# built from crates.io once into tests/.tools (pinned, --locked; a debug build, ~3 min).
# `advisories` needs the RustSec database from GitHub, which this environment cannot
# reach: run `cargo deny check advisories` where the network allows.
CARGO_DENY_VERSION=0.20.2
if ! tests/.tools/bin/cargo-deny --version 2>/dev/null | grep -qx "cargo-deny $CARGO_DENY_VERSION"; then
  cargo install --locked --quiet --debug cargo-deny --version "$CARGO_DENY_VERSION" --root tests/.tools
fi

cargo fmt --all -- --check
tests/.tools/bin/cargo-deny check --hide-inclusion-graph licenses bans sources
cargo clippy --locked --all-targets -- -D warnings
# Each fuzz target runs its 8,000 deterministic rounds and then on along the same stream
# until 20 s have passed (tests/fuzz.rs).
OIDC_DOCTOR_FUZZ_SECONDS=20 cargo test --locked
# The slim build without the AWS SDK (`--no-default-features`): it builds clippy-clean, and
# the tests of what it keeps pass (check without AWS, the version line, simulate, the library's own).
cargo clippy --locked --no-default-features --lib --bins -- -D warnings
cargo test --locked --no-default-features --lib --test check --test distribution --test simulate
