#!/bin/sh
# Make sure the Debian packages buftrace needs to build and test are present.
# As root, installs what is missing; otherwise prints the exact command and fails.
# Usage: scripts/deps.sh [extra-package ...]
set -e
pkgs="gcc g++ make pkg-config libunwind-dev libdw-dev libelf-dev libzstd-dev zstd \
python3 clang libclang-rt-14-dev binutils elfutils libvulkan-dev $*"
missing=""
for p in $pkgs; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
	echo "buftrace: installing missing Debian packages:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2 || true
	apt-get install -y -qq --no-install-recommends $missing >&2
	exit 0
fi
echo "buftrace: missing Debian packages; run:" >&2
echo "  sudo apt-get install -y$missing" >&2
exit 1
