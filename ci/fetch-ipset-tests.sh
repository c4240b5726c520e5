#!/usr/bin/env bash
# Fetches ipset 7.17's upstream source (Debian's ipset_7.17.orig.tar.bz2, through a private APT
# configuration with a deb-src line: /etc/apt is not touched) and unpacks what the conformance
# test reads: tests/ (the fixtures), src/ipset.8 (the man page) and COPYING (GPL-2, the fixtures'
# licence). Idempotent.
#   ci/fetch-ipset-tests.sh [DIR]     default DIR: /var/cache/kcanary/ipset-7.17
set -euo pipefail
dir="${1:-/var/cache/kcanary/ipset-7.17}"
if [ -f "$dir/tests/restore.t" ] && [ -f "$dir/src/ipset.8" ] && [ -f "$dir/COPYING" ]; then
  exit 0
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/archives/partial"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main" \
  >"$work/sources.list"
cat >"$work/apt.conf" <<CONF
Dir::Etc::SourceList "$work/sources.list";
Dir::Etc::SourceParts "/nonexistent";
Dir::State::Lists "$work/lists";
Dir::Cache::Archives "$work/archives";
CONF
export APT_CONFIG="$work/apt.conf"
apt-get -o APT::Sandbox::User=root update -qq
(cd "$work" && apt-get -o APT::Sandbox::User=root source --download-only -qq ipset=7.17-1)
tarball="$work/ipset_7.17.orig.tar.bz2"
[ -f "$tarball" ] || { echo "ci/fetch-ipset-tests.sh: no $tarball downloaded" >&2; exit 1; }
mkdir -p "$dir"
tar -xjf "$tarball" -C "$dir" --strip-components=1 \
  ipset-7.17/tests ipset-7.17/src/ipset.8 ipset-7.17/COPYING
echo "ci/fetch-ipset-tests.sh: ipset 7.17 tests in $dir"
