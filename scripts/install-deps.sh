#!/bin/sh
# Install every Debian package nmemd needs to build, run and test, then the
# npm packages of the browser UI and its test.
#
# Idempotent and quiet when nothing is missing: it asks dpkg which packages
# are absent and only then runs apt-get (with sudo when not root); npm runs
# only when a node_modules is missing or older than its package-lock.json.
# Safe to run with no terminal (CI=true, no stdin).
#
# npm part (no CDN, no browser download):
#   server/ui      npm ci, then the files the pages load and each package's
#                  licence are copied into server/ui/vendor/ (served under
#                  /static/vendor/; not committed)
#   tests/browser  npm ci (playwright-core, which drives Debian's chromium)
# Install scripts are off (--ignore-scripts): none of these packages needs
# one, and swagger-ui-dist's dependency would otherwise phone home.
#
# postgresql is there for its server binaries: the tests start throwaway
# servers of their own (tests/pg/pgtmp.py) and never use the cluster the
# package makes; nginx is for the cluster scripts. Whether apt-get starts
# their services (in a container, policy-rc.d decides) does not matter.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)

PACKAGES="
build-essential pkg-config
libuv1-dev libsqlite3-dev sqlite3 libjansson-dev node-llhttp
libicu-dev libssl-dev libpcre2-dev libzstd-dev
libcriterion-dev
postgresql libpq-dev
clang libclang-rt-dev
python3 curl wrk valgrind
chromium nginx
"

missing=""
for p in $PACKAGES; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# Node.js may come from elsewhere than Debian (its npm then comes with it):
# ask for the commands, not the packages.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
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
fi

# npm ci in $1 when node_modules is missing or older than the lock file
# (npm ci writes node_modules/.package-lock.json last, so its age is the
# install's).
npm_ci() {
	if [ ! -f "$1/node_modules/.package-lock.json" ] ||
	   [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; then
		echo "install-deps: npm ci in ${1#"$ROOT"/}" >&2
		(cd "$1" && CI=true npm ci --no-audit --no-fund --ignore-scripts --loglevel=error </dev/null >&2)
	fi
}

# Copy $1 to $2 when $2 is missing or older.
vendor() {
	if [ ! -f "$2" ] || [ "$1" -nt "$2" ]; then
		mkdir -p "$(dirname "$2")"
		cp "$1" "$2"
	fi
}

# Concatenate the licence files $3... (relative to node_modules $1) into $2
# when it is missing or older than the first of them.
vendor_licence() {
	nm=$1 out=$2
	shift 2
	[ -f "$out" ] && [ ! "$nm/$1" -nt "$out" ] && return 0
	mkdir -p "$(dirname "$out")"
	: >"$out.tmp"
	for f in "$@"; do
		printf '==== %s ====\n\n' "$f" >>"$out.tmp"
		cat "$nm/$f" >>"$out.tmp"
		printf '\n' >>"$out.tmp"
	done
	mv "$out.tmp" "$out"
}

UI="$ROOT/server/ui"
npm_ci "$UI"
npm_ci "$ROOT/tests/browser"

NM="$UI/node_modules"
V="$UI/vendor"
# vis-network's standalone UMD build bundles its peer packages; their
# licences follow its own in vis-network.LICENSE.
vendor "$NM/vis-network/standalone/umd/vis-network.min.js" "$V/vis-network.min.js"
vendor_licence "$NM" "$V/vis-network.LICENSE" \
	vis-network/LICENSE-MIT vis-network/LICENSE-APACHE-2.0 \
	vis-data/LICENSE-MIT vis-util/LICENSE-MIT \
	@egjs/hammerjs/LICENSE.md component-emitter/license keycharm/LICENSE-MIT uuid/LICENSE.md
for f in swagger-ui-bundle.js swagger-ui.css LICENSE NOTICE swagger-ui-bundle.js.LICENSE.txt; do
	vendor "$NM/swagger-ui-dist/$f" "$V/swagger-ui/$f"
done
