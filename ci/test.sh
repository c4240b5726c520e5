#!/usr/bin/env bash
# The test command: installs what the tests need (Debian packages, the Debian kernels the VM
# tests boot), then runs the whole test suite against the real kernel. Run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
ci/setup.sh --tests
if [ -x ci/fetch-kernels.sh ]; then
  export KCANARY_TEST_KERNELS="${KCANARY_TEST_KERNELS:-/var/cache/kcanary/kernels}"
  ci/fetch-kernels.sh "$KCANARY_TEST_KERNELS"
fi
# The ipset conformance test (tests/ipset_conformance.rs) reads ipset 7.17's own test material.
export KCANARY_IPSET_SOURCE="${KCANARY_IPSET_SOURCE:-/var/cache/kcanary/ipset-7.17}"
ci/fetch-ipset-tests.sh "$KCANARY_IPSET_SOURCE"
# The VM tests boot kernels whose init is this build's target/release/kcanary (dynamically
# linked: the initramfs carries its loader and libraries).
cargo build --release --all-targets --locked
cargo test --release --locked --no-fail-fast -- --test-threads=2
