#!/bin/sh
# Install every Debian package nmemd needs to build, run and test.
#
# Idempotent and quiet when nothing is missing: it asks dpkg which packages
# are absent and only then runs apt-get (with sudo when not root). Safe to run
# with no terminal (CI=true, no stdin).
set -eu

PACKAGES="
build-essential pkg-config
libuv1-dev libsqlite3-dev sqlite3 libjansson-dev node-llhttp
libicu-dev libssl-dev libpcre2-dev libzstd-dev
libcriterion-dev
python3 curl wrk valgrind
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo -n"
		[ -t 0 ] && SUDO="sudo"
	else
		echo "install-deps: not root and no sudo; install as root:$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
# A fresh image has no package lists; refresh them when the install fails.
$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing </dev/null ||
	{ $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update </dev/null &&
	  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing </dev/null; }
