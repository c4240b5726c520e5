#!/bin/sh
# Downloads the newest Debian cloud kernels of the two series the VM tests and the canary job
# use (6.1 from bookworm, 6.12 from bookworm-security) into a cache directory, with
# `apt-get download` (no root needed for the download itself, nothing is installed).
#
# Usage: ci/fetch-kernels.sh [CACHE_DIR] [RANGE...]   (default dir: $KCANARY_TEST_KERNELS or ./kernels)
#   RANGE: SERIES:FIRST-LAST, every cloud kernel of a series in a range, for `kcanary history`:
#     6.1:47-57      linux-image-6.1.0-47-cloud-amd64 ... -57 (Debian's ABI numbers)
#     6.12:107-117   linux-image-6.12.107+deb12-cloud-amd64 ... 6.12.117 (patch levels)
#   Numbers the apt sources do not offer (6.12 skips some) are reported and skipped.
#   Without RANGE: the newest kernel of each series, as the VM tests need.
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

shift $(( $# > 0 ? 1 : 0 ))

# The package name of kernel NUMBER of SERIES.
package_of() {
    case "$1" in
        6.1) echo "linux-image-6.1.0-$2-cloud-amd64" ;;
        6.12) echo "linux-image-6.12.$2+deb12-cloud-amd64" ;;
        *) echo "fetch-kernels: unknown series '$1' (6.1 or 6.12)" >&2; exit 2 ;;
    esac
}

wanted=""
if [ $# -eq 0 ]; then
    for pattern in '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$' \
                   '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64$'; do
        package=$(newest "$pattern")
        if [ -z "$package" ]; then
            echo "fetch-kernels: no package matches $pattern in the configured apt sources" >&2
            exit 3
        fi
        wanted="$wanted $package"
    done
else
    for range in "$@"; do
        series=${range%%:*}
        first=${range#*:}; first=${first%-*}
        last=${range##*-}
        case "$first$last" in
            ''|*[!0-9]*) echo "fetch-kernels: bad range '$range' (expected SERIES:FIRST-LAST, e.g. 6.1:47-57)" >&2; exit 2 ;;
        esac
        found=0
        n=$first
        while [ "$n" -le "$last" ]; do
            package=$(package_of "$series" "$n") || exit 2
            if apt-cache show "$package" >/dev/null 2>&1; then
                wanted="$wanted $package"
                found=$((found + 1))
            else
                echo "fetch-kernels: $package is not in the configured apt sources: skipped" >&2
            fi
            n=$((n + 1))
        done
        if [ "$found" -eq 0 ]; then
            echo "fetch-kernels: no kernel of $range in the configured apt sources" >&2
            exit 3
        fi
    done
fi

for package in $wanted; do
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
