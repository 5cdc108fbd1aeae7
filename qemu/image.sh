#!/usr/bin/env bash
# Builds the guest's initramfs: a gzip'd newc cpio with static busybox (+ applet symlinks), /init
# (qemu/init), the module at /lib/modules/rust_shmem.ko (+ extra modules), the test binaries in
# /tests/bin, the guest runner at /tests/run_guest.sh and the kernel-splat patterns at /tests/splat.*.
# Prints the path of the image on stdout; log lines go to stderr.
#
# Usage: image.sh [-m MODULE.ko] [-k EXTRA.ko]... [-t TESTDIR] [-b HOSTBIN[:GUESTPATH]]... [OUT]
#   -m  the module (default: ./rust_shmem.ko of the checkout); RUST_SHMEM_NO_MODULE=1 lets it be
#       missing (only for testing the image/boot machinery: the guest then uses tmpfs on /dev/shm)
#   -k  an extra module, copied to /lib/modules/ (repeatable)
#   -t  directory whose contents become /tests/bin (default: build/tests; missing = empty, warned)
#   -b  a host program carried into the guest with its shared libraries (repeatable; also taken from
#       the space-separated RUST_SHMEM_HOST_BINS). GUESTPATH defaults to the host path.
#   OUT default: build/initramfs.cpio.gz
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=qemu/common.sh
. "$here/common.sh"

module=$repo/rust_shmem.ko
testdir=$repo/build/tests
extra_kos=()
host_bins=()
while getopts 'm:k:t:b:h' opt; do
	case $opt in
	m) module=$OPTARG ;;
	k) extra_kos+=("$OPTARG") ;;
	t) testdir=$OPTARG ;;
	b) host_bins+=("$OPTARG") ;;
	*) sed -n '2,16s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
out=${1:-$repo/build/initramfs.cpio.gz}
# shellcheck disable=SC2206 # word splitting is the documented format of the variable
[ -z "${RUST_SHMEM_HOST_BINS:-}" ] || host_bins+=(${RUST_SHMEM_HOST_BINS})

command -v cpio >/dev/null || die "cpio missing: run qemu/deps.sh"
busybox=/bin/busybox
[ -x "$busybox" ] || die "$busybox missing: install busybox-static (qemu/deps.sh)"
# The guest has no C library: busybox must be the static one from busybox-static.
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked: install busybox-static (qemu/deps.sh)"
fi

mkdir -p "$(dirname "$out")"
out=$(cd "$(dirname "$out")" && pwd)/$(basename "$out")
root=$(mktemp -d "$(dirname "$out")/.initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

# --- skeleton --------------------------------------------------------------------------------------
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,run,mnt,root,var/tmp,lib/modules,tests/bin}
chmod 1777 "$root/tmp" "$root/var/tmp"
chmod 0700 "$root/root"
# The kernel's built-in initramfs already provides /dev/console (usr/default_cpio_list); adding it here
# too covers kernels built with their own INITRAMFS_SOURCE. Only root can mknod; that is fine to skip.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true

# --- busybox ---------------------------------------------------------------------------------------
# Applet links are made here (from `busybox --list-full`, which gives each applet's canonical path),
# not by `busybox --install` in the guest, so the image is complete before it boots.
cp "$busybox" "$root/bin/busybox"
while IFS= read -r applet; do
	if [ -n "$applet" ] && [ ! -e "$root/$applet" ]; then
		ln -s /bin/busybox "$root/$applet"
	fi
done < <("$busybox" --list-full)

# --- host programs with their shared libraries -----------------------------------------------------
# Most host programs run from the host root that the guest mounts read-only over virtio-9p
# (qemu/init, qemu/host-run): PostgreSQL and Python are never copied. Copied here, with everything
# `ldd` lists (same paths, symlinks resolved) and the dynamic loader, are only the programs that must
# run in the guest's own root: the test suites' tools (pjdfstest, fsx, stress-ng), which the runner
# and tests start directly and which also run where the guest has no host root
# (RUST_SHMEM_HOSTROOT=0), and the LD_PRELOAD test with its shim.
add_host_bin() {
	local spec src dst lib
	for spec in "$@"; do
		src=${spec%%:*}
		dst=${spec#*:}
		[ "$spec" != "$src" ] || dst=$src
		if [[ "$src" != */* ]]; then
			src=$(command -v "$src") || die "host program not found: $spec"
			[ "$spec" != "${spec%%:*}" ] || dst=$src
		fi
		[ -f "$src" ] || die "host program not found: $src"
		[[ "$dst" == /* ]] || die "guest path must be absolute: $dst"
		mkdir -p "$root$(dirname "$dst")"
		rm -f "$root$dst"
		cp -L "$src" "$root$dst"
		chmod 0755 "$root$dst"
		# ldd prints "name => /path (addr)" and "/path/ld-linux... (addr)"; a static binary has none.
		while IFS= read -r lib; do
			if [ -e "$root$lib" ]; then continue; fi
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done < <(ldd "$src" 2>/dev/null | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }')
		log "image: + $dst"
	done
}
((${#host_bins[@]} == 0)) || add_host_bin "${host_bins[@]}"

# --- users -----------------------------------------------------------------------------------------
# root, two unprivileged test users (1000, 1001: owner vs. other in permission tests) and nobody.
cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
tester:x:1000:1000:rust_shmem test user:/tmp:/bin/sh
tester2:x:1001:1001:rust_shmem second test user:/tmp:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
tester:x:1000:
tester2:x:1001:
nogroup:x:65534:
EOF
echo rust-shmem >"$root/etc/hostname"
cat >"$root/etc/profile" <<'EOF'
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PS1='rust_shmem:\w# '
EOF

# --- init, runner, module, tests -------------------------------------------------------------------
install -m 0755 "$here/init" "$root/init"
install -m 0755 "$here/host-run" "$root/usr/sbin/host-run"
install -m 0755 "$repo/tests/run_guest.sh" "$root/tests/run_guest.sh"
install -m 0644 "$here/splat.match" "$root/tests/splat.match"
install -m 0644 "$here/splat.ignore" "$root/tests/splat.ignore"
install -m 0644 "$here/splat-filter.awk" "$root/tests/splat-filter.awk"

if [ -f "$module" ]; then
	install -m 0644 "$module" "$root/lib/modules/rust_shmem.ko"
elif [ "${RUST_SHMEM_NO_MODULE:-0}" = 1 ]; then
	warn "image: no module ($module); RUST_SHMEM_NO_MODULE=1, the guest will use tmpfs"
else
	die "module not found: $module (run 'make module')"
fi
for ko in "${extra_kos[@]}"; do
	[ -f "$ko" ] || die "extra module not found: $ko"
	install -m 0644 "$ko" "$root/lib/modules/$(basename "$ko")"
done

if [ -d "$testdir" ]; then
	cp -a "$testdir/." "$root/tests/bin/"
else
	warn "image: test directory $testdir missing; /tests/bin is empty"
fi

# --- pack ------------------------------------------------------------------------------------------
# Sorted names, owner root, no gzip timestamp: the same inputs give the same image.
(cd "$root" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --quiet --null -o -H newc -R 0:0 --reproducible) | gzip -6n >"$out.tmp"
mv "$out.tmp" "$out"
log "image: $out ($(du -h "$out" | cut -f1))"
echo "$out"
