#!/usr/bin/env bash
# Installs what kcanary and its tests need on a Debian 12 machine (run as root). Idempotent.
#   ci/setup.sh            packages for running the suite on this machine
#   ci/setup.sh --tests    also what the tests and benchmarks use (ipset tool, QEMU, kernels)
set -euo pipefail
cd "$(dirname "$0")/.."

# Rust >= 1.86 (edition 2024, criterion 0.8). Debian 12's own `cargo` is 1.65; its
# `cargo-web`/`rustc-web` packages (bookworm-security) are current and install /usr/bin/cargo.
rust_minor() { cargo --version 2>/dev/null | sed -n 's/^cargo 1\.\([0-9]*\).*/\1/p'; }
if [ "$(rust_minor)" = "" ] || [ "$(rust_minor)" -lt 86 ]; then
  echo "ci/setup.sh: no Rust >= 1.86 found: installing Debian's cargo-web and rustc-web"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends cargo-web rustc-web >/dev/null
  hash -r
  if [ "$(rust_minor)" = "" ] || [ "$(rust_minor)" -lt 86 ]; then
    echo "ci/setup.sh: still no cargo >= 1.86 on PATH (found: $(cargo --version 2>&1))" >&2
    exit 1
  fi
fi

# netbase: /etc/protocols and /etc/services, where replay (like ipset) finds protocol and
# service names. gcc, libc6-dev: cargo links with cc against glibc (Debian's rustc-web pulls
# them in; a rustup toolchain does not).
packages=(iproute2 util-linux netbase gcc libc6-dev)
if [ "${1:-}" = "--tests" ]; then
  # ipset: golden-bytes capture and the replay-vs-ipset benchmark; qemu + dpkg + xz/zstd:
  # the VM runner and its tests; fonts-dejavu-core is not needed (the font is embedded).
  packages+=(ipset qemu-system-x86 dpkg xz-utils zstd strace)
  # cpio: the initramfs writer's tests compare with it; kmod: modinfo checks the module
  # dependencies kcanary reads itself; bzip2: ci/fetch-ipset-tests.sh unpacks ipset's
  # .tar.bz2 (priority "standard": not in minimal images).
  packages+=(cpio kmod bzip2)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "ci/setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
