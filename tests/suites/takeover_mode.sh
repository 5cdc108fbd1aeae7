#!/bin/sh
# The kernel's own shared memory on rust_shmem: loads the takeover livepatch
# (/lib/modules/rust_shmem_takeover.ko, src/takeover/), runs unmodified programs through the
# kernel's entry points (shmget, mmap of /dev/zero, mmap MAP_SHARED|MAP_ANONYMOUS), then disables
# and unloads it. Guest runner entry (/tests/bin/takeover_mode); busybox sh.
#
#   1-3  devzero_rw, devzero_map and sysv, the kselftests, with RS_TAKEOVER=1: the kernel's side
#        of each test must give the same results as before and its mappings and segments must be
#        rust_shmem's (the statfs magic of /proc/self/map_files/<range>), so a run in which the
#        livepatch did not take fails them.
#   4    stress-ng --shm-sysv with no shim: its segments are the kernel's (/proc/sysvipc/shm) and
#        it adds none on /dev/rust_shmem_sysv, while rust_shmem's module refcount shows their files.
#   5    stress-ng --mmapfork, --mmapmany, --zero and --msync (plus --dev-shm when
#        RS_STRESS_EXCLUDE does not name it, see stress.sh) with the takeover on: stress-ng's own
#        shared state is a shared anonymous mapping, so each run lives on rust_shmem.
#   6    the livepatch disables and unloads cleanly, and rust_shmem's refcount is back where it
#        was before the load.
#
# Environment: RS_STRESS_SECS (seconds per stress-ng run, default 20), RS_STRESS_EXCLUDE.
# rs-test-timeout: 1800

. /tests/lib/tap_lib.sh
. /tests/lib/takeover_lib.sh
BIN=${RS_TEST_BIN:-/tests/bin}
SNG=stress-ng
SECS=${RS_STRESS_SECS:-20}
work=$(mktemp -d /tmp/takeover.XXXXXX) || exit 2
trap 'takeover_off; rm -rf "$work"' EXIT

echo "TAP version 13"
echo "1..6"
base=$(mod_refcount rust_shmem)
if ! takeover_on; then
	echo "Bail out! the takeover livepatch did not load and complete its transition"
	echo "# Totals: pass:0 fail:1 xfail:0 xpass:0 skip:0 error:0"
	exit 1
fi
echo "# takeover on: rust_shmem refcount $base before, $(mod_refcount rust_shmem) with it"

# Runs a kselftest binary with the takeover flag; its TAP nested one level deeper.
for t in devzero_rw devzero_map sysv; do
	RS_TAKEOVER=1 "$BIN/$t" >"$work/$t.tap" 2>&1
	rc=$?
	sed 's/^/    /' "$work/$t.tap"
	totals=$(grep '^# Totals:' "$work/$t.tap")
	case "$totals" in
	*" fail:0 "*) [ "$rc" = 0 ]; tap $? "$t (kernel side taken over)" ;;
	*) tap 1 "$t (kernel side taken over)" ;;
	esac
done

# stress-ng with no shim: its SysV calls go to the kernel's ipc/shm.c, which now asks rust_shmem
# for each segment's file. Samples every second: most segments in the kernel's listing and in
# ours, and the highest rust_shmem refcount.
run_sampled() { # $1 = name, then stress-ng's arguments
	name=$1
	shift
	"$SNG" "$@" --verify --timeout "${SECS}s" --metrics-brief >"$work/$name.out" 2>&1 &
	pid=$!
	kern=0 ours=0 top=0
	while kill -0 "$pid" 2>/dev/null; do
		k=$(($(wc -l </proc/sysvipc/shm) - 1))
		o=$(($(wc -l </dev/rust_shmem_sysv) - 1))
		r=$(mod_refcount rust_shmem)
		[ "$k" -gt "$kern" ] && kern=$k
		[ "$o" -gt "$ours" ] && ours=$o
		[ "$r" -gt "$top" ] && top=$r
		sleep 1
	done
	wait "$pid"
	rc=$?
	echo "# $name: stress-ng exit status $rc; most segments seen: $kern in /proc/sysvipc/shm," \
		"$ours on /dev/rust_shmem_sysv; rust_shmem refcount up to $top (with the livepatch: $with)"
	if [ "$rc" != 0 ] || ! grep -q 'successful run completed' "$work/$name.out"; then
		tail -n 15 "$work/$name.out" | sed 's/^/#   /'
		return 1
	fi
}
with=$(mod_refcount rust_shmem)

# Segments of other users before the run (none, unless an earlier test left some) are not
# stress-ng's: the run must add none on our device.
ours_before=$(($(wc -l </dev/rust_shmem_sysv) - 1))
run_sampled shm-sysv --shm-sysv 1
ok=$?
[ "$ok" = 0 ] && [ "$kern" -gt 0 ] && [ "$ours" = "$ours_before" ] && [ "$top" -gt "$with" ]
tap $? "stress-ng --shm-sysv through the kernel's SysV, segments on rust_shmem"

mmap_set="--mmapfork 1 --mmapmany 1 --zero 1 --msync 1 --msync-bytes 16M"
case " ${RS_STRESS_EXCLUDE-dev-shm} " in
*" dev-shm "*) echo "# left out: --dev-shm (RS_STRESS_EXCLUDE)" ;;
*) mmap_set="$mmap_set --dev-shm 1" ;;
esac
# shellcheck disable=SC2086 # the stressor list is split into words on purpose
run_sampled mmap $mmap_set
ok=$?
[ "$ok" = 0 ] && [ "$top" -gt "$with" ]
tap $? "stress-ng $mmap_set with shared anonymous memory on rust_shmem"

takeover_off
off=$?
after=$(mod_refcount rust_shmem)
echo "# takeover off: rust_shmem refcount $after (was $base before the load)"
[ "$off" = 0 ] && [ "$(mod_refcount rust_shmem_takeover)" = -1 ] && [ "$after" = "$base" ]
tap $? "takeover disabled and unloaded, rust_shmem refcount back to $base"
tap_totals
[ "$fail" = 0 ]
