#!/bin/sh
# Downloads the newest Debian cloud kernels of the two series the VM tests and the canary job
# use (6.1 from bookworm, 6.12 from bookworm-security) into a cache directory, with
# `apt-get download` (no root needed for the download itself, nothing is installed).
#
# Usage: ci/fetch-kernels.sh [CACHE_DIR]      (default: $KCANARY_TEST_KERNELS or ./kernels)
# Needs: apt package lists (`apt-get update` first; the script runs it when it is root and
# the lists do not name any cloud kernel yet).
set -eu

cache_dir=${1:-${KCANARY_TEST_KERNELS:-kernels}}
mkdir -p "$cache_dir"

# Newest package matching an extended regex, picked from what the configured sources offer.
newest() {
    apt-cache search --names-only "$1" | awk '{print $1}' | sort -V | tail -n 1
}

if [ -z "$(newest '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$')" ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq
    else
        echo "fetch-kernels: no cloud kernels in the apt lists; run 'apt-get update' as root" >&2
        exit 3
    fi
fi

for pattern in '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' \
               '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64$'; do
    package=$(newest "$pattern")
    if [ -z "$package" ]; then
        echo "fetch-kernels: no package matches $pattern in the configured apt sources" >&2
        exit 3
    fi
    if ls "$cache_dir/${package}_"*.deb >/dev/null 2>&1; then
        echo "fetch-kernels: $package already in $cache_dir"
        continue
    fi
    echo "fetch-kernels: downloading $package"
    # apt-get download writes into the current directory; _apt must be able to write there
    # when run as root, so download into a temporary dir we chmod and move from there.
    tmp=$(mktemp -d)
    chmod 777 "$tmp"
    (cd "$tmp" && apt-get download -q "$package")
    mv "$tmp"/*.deb "$cache_dir"/
    rmdir "$tmp"
done
ls -l "$cache_dir"/linux-image-*.deb
