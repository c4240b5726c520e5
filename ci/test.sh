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
cargo build --release --all-targets --locked
# The VM tests boot kernels whose init is a static kcanary (target/x86_64-unknown-linux-gnu/
# release/kcanary, found next to the test binaries).
RUSTFLAGS="-C target-feature=+crt-static" \
  cargo build --release --locked --target x86_64-unknown-linux-gnu --bin kcanary
cargo test --release --locked -- --test-threads=2
