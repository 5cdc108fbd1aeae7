#!/usr/bin/env bash
# Fetches linux-source-7.3 from trixie-backports with a private apt configuration (sources list,
# lists directory, bookworm keyring) so the machine's own apt setup is never touched, and unpacks it
# into the cache. Prefers the version pinned in kernel-version; any 7.3.x is accepted with a warning.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=qemu/common.sh
. "$here/common.sh"

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.fetch.lock"
flock 9
[ -f "$KSRC_STAMP" ] && exit 0
log "fetching linux-source-7.3 from trixie-backports"
aptdir="$CACHE_DIR/apt"
mkdir -p "$aptdir/lists/partial" "$aptdir/archives/partial" "$aptdir/etc"
echo "deb http://deb.debian.org/debian trixie-backports main" >"$aptdir/etc/sources.list"
aptopts=(-o "Dir::Etc::SourceList=$aptdir/etc/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
	 -o "Dir::State::Lists=$aptdir/lists" -o "Dir::Cache=$aptdir"
	 -o "Dir::Etc::Trusted=/usr/share/keyrings/debian-archive-keyring.gpg"
	 -o "APT::Get::List-Cleanup=0" -o "APT::Sandbox::User=root" -o "Debug::NoLocking=1")
apt-get "${aptopts[@]}" update -qq
want=$(grep -v '^#' "$here/kernel-version" | head -1)
avail=$(apt-cache "${aptopts[@]}" madison linux-source-7.3 | awk '{print $3}')
ver=$(echo "$avail" | grep -m1 "^$want" || true)
if [ -z "$ver" ]; then
	ver=$(echo "$avail" | head -1)
	[ -n "$ver" ] || die "linux-source-7.3 is not in trixie-backports"
	warn "linux-source $want is gone from the archive; using $ver instead"
fi
(cd "$aptdir/archives" && apt-get "${aptopts[@]}" download "linux-source-7.3=$ver" >/dev/null)
deb=$(ls "$aptdir"/archives/linux-source-7.3_*.deb | head -1)
rm -rf "$KSRC_DIR.tmp" && mkdir -p "$KSRC_DIR.tmp"
dpkg-deb -x "$deb" "$KSRC_DIR.tmp/pkg"
tarball=$(ls "$KSRC_DIR.tmp"/pkg/usr/src/linux-source-7.3.tar.* | head -1)
tar -C "$KSRC_DIR.tmp" -xf "$tarball"
rm -rf "$KSRC_DIR" && mv "$KSRC_DIR.tmp/linux-source-7.3" "$KSRC_DIR"
rm -rf "$KSRC_DIR.tmp" "$deb"
echo "$ver" >"$KSRC_STAMP"
