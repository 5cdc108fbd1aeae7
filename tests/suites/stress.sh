#!/bin/sh
# stress-ng (Debian's, installed by qemu/deps.sh, carried into the image as /usr/bin/stress-ng) with
# its filesystem, mmap and shared-memory stressors all at once, with --verify, --temp-path on a
# fresh rust_shmem mount and /dev/shm on rust_shmem; then the same run on tmpfs as the control.
# Then stress-ng --shm-sysv through the LD_PRELOAD shim on /dev/rust_shmem_sysv (every segment
# must show in our listing and none in the kernel's), and on the kernel's SysV as the control.
# Guest runner entry (installed as /tests/bin/stress by the top-level Makefile); busybox sh.
#
# A run passes when stress-ng reports "successful run completed" and exits 0: a stressor that
# finds wrong data (--verify), fails a call it should not, or dies makes stress-ng exit non-zero.
# The rust_shmem run is the test; the tmpfs run shows the guest can run the set at all (it is
# reported, and a stressor failing on both is a guest limitation, printed as such).
#
# Environment: RS_STRESS_SECS (seconds per run, default 20), RS_STRESS_WORKERS (workers per
# stressor, default 1), RS_STRESS_EXCLUDE (stressors left out, default "dev-shm": stress-ng
# 0.15.06's dev-shm worker fails its own bogo-op counter check, "3 vs 2" or "4 vs 3", and leaves
# its child running after stress-ng returned, on tmpfs and rust_shmem alike, once the guest has
# two CPUs or is as slow as the debug kernel's; oom_refs and pressure fill /dev/shm instead;
# RS_STRESS_EXCLUDE= puts it back). From the host, e.g.
#   make check TESTS=stress RUST_SHMEM_APPEND='RS_STRESS_SECS=300'
# rs-test-timeout: 1800

SNG=${RS_STRESS_NG:-stress-ng}
SECS=${RS_STRESS_SECS:-20}
N=${RS_STRESS_WORKERS:-1}
base=/mnt/stress
work=$(mktemp -d /tmp/stress.XXXXXX) || exit 2
shm_mounts=$(awk '$2 == "/dev/shm" { n++ } END { print n + 0 }' /proc/mounts)

cleanup() {
	grep -q " $base " /proc/mounts && umount "$base"
	while [ "$(awk '$2 == "/dev/shm" { n++ } END { print n + 0 }' /proc/mounts)" -gt "$shm_mounts" ]; do
		umount /dev/shm || break
	done
	rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"
if ! command -v "$SNG" >/dev/null; then
	echo "1..0 # SKIP $SNG is not in the image (qemu/deps.sh installs it, the Makefile adds it)"
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	exit 4
fi
echo "1..4"
echo "# $("$SNG" --version), $SECS s per run, $N worker(s) per stressor"

# Sizes fit a 2 GiB guest: every file-writing stressor gets 16 MiB instead of stress-ng's 1 GiB
# (copy-file: its minimum, 128 MiB).
stressors="--shm $N --shm-bytes 4M --dev-shm $N --mmap $N --mmap-file --mmap-bytes 16M
	--hdd $N --hdd-bytes 16M --iomix $N --iomix-bytes 16M --fallocate $N --fallocate-bytes 16M
	--fpunch $N --seek $N --seek-size 16M --copy-file $N --copy-file-bytes 128M --dir $N
	--rename $N --link $N --symlink $N --xattr $N --chmod $N --utime $N --msync $N
	--msync-bytes 16M --sendfile $N --splice $N --readahead $N --readahead-bytes 16M --fstat $N
	--getdent $N --filename $N --madvise $N --mremap $N --sync-file $N --sync-file-bytes 16M
	--inode-flags $N --file-ioctl $N --flock $N --lockf $N --fcntl $N"

for x in ${RS_STRESS_EXCLUDE-dev-shm}; do
	stressors=$(echo "$stressors" | sed "s/--$x $N\( \|\$\)/\1/")
	echo "# left out: --$x"
done

# The pids of stress-ng processes alive now.
stress_procs() {
	for d in /proc/[0-9]*; do
		[ "$(cut -c1-9 "$d/comm" 2>/dev/null)" = stress-ng ] && echo "${d#/proc/}"
	done
}
# Pid, name, state, wait channel and kernel stack of each process named.
show_procs() {
	for p in "$@"; do
		echo "#   $p $(cat "/proc/$p/comm" 2>/dev/null) state $(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" \
			"wchan $(cat "/proc/$p/wchan" 2>/dev/null)"
		sed 's/^/#     /' "/proc/$p/stack" 2>/dev/null
	done
}

# Runs the stressors with --temp-path and /dev/shm both on a fresh mount of type $1; output in
# $work/$1.out; status 0 when the run completed successfully.
run_on() {
	fs=$1
	mkdir -p "$base"
	mount -t "$fs" -o mode=1777 "stress_$fs" "$base" || return 1
	# /dev/shm of the type under test for --shm and --dev-shm, over what init mounted there.
	# --dev-shm fills /dev/shm: at the default half of RAM the OOM killer ends its workers in
	# the debug guest (on tmpfs alike), which stress-ng reports as corrupted metrics.
	mount -t "$fs" -o mode=1777,size=256m "shm_$fs" /dev/shm || return 1
	start=$(date +%s)
	# shellcheck disable=SC2086 # the stressor list is split into words on purpose
	"$SNG" --temp-path "$base" --verify --timeout "${SECS}s" --metrics-brief \
		$stressors >"$work/$fs.out" 2>&1
	rc=$?
	echo "# $fs: stress-ng exit status $rc after $(($(date +%s) - start)) s"
	# Workers still there once stress-ng returned: stress-ng 0.15.06 can leave its dev-shm child
	# running in user space (state R) when the guest is slow (seen on tmpfs under host load), so
	# they get 10 s to go and then SIGKILL. One that survives SIGKILL for 30 s is stuck in the
	# kernel: that fails the run, with its kernel stack.
	stray=$(stress_procs)
	waited=0
	while [ -n "$stray" ] && [ "$waited" -lt 10 ]; do
		sleep 1
		waited=$((waited + 1))
		stray=$(stress_procs)
	done
	if [ -n "$stray" ]; then
		echo "# $fs: stress-ng processes left 10 s after the run (killed with SIGKILL):"
		show_procs $stray
		kill -KILL $stray 2>/dev/null
		waited=0
		while [ -n "$(stress_procs)" ] && [ "$waited" -lt 30 ]; do
			sleep 1
			waited=$((waited + 1))
		done
		left=$(stress_procs)
		if [ -n "$left" ]; then
			echo "# $fs: stress-ng processes that survived SIGKILL for 30 s (stuck in the kernel):"
			show_procs $left
			rc=99
		fi
	fi
	umount /dev/shm
	umount "$base"
	if [ "$rc" != 0 ]; then
		echo "# $fs: last lines of stress-ng's output:"
		tail -n 15 "$work/$fs.out" | sed 's/^/#   /'
	fi
	[ "$rc" = 0 ] && grep -q 'successful run completed' "$work/$fs.out"
}

# stress-ng --shm-sysv, with LD_PRELOAD=$SHIM (our device, tools/sysv_shim.c) or without (the
# kernel's SysV, "kernel"); output in $work/sysv-$1.out. While it runs, the segments are counted
# every second in our listing and in the kernel's: the most seen in each go to $work/sysv-$1.seen
# as "ours kernel". Status 0 when the run completed successfully.
SHIM=/usr/lib/librust_shmem_sysv.so
run_sysv() {
	# Segments that exist before the run are not stress-ng's: show them (and whose they are).
	if [ "$(wc -l </dev/rust_shmem_sysv)" -gt 1 ] || [ "$(wc -l </proc/sysvipc/shm)" -gt 1 ]; then
		echo "# shm-sysv ($1): segments before the run:"
		sed 's/^/#   ours:   /' /dev/rust_shmem_sysv
		sed 's/^/#   kernel: /' /proc/sysvipc/shm
	fi
	if [ "$1" = kernel ]; then
		"$SNG" --shm-sysv "$N" --verify --timeout "${SECS}s" --metrics-brief \
			>"$work/sysv-$1.out" 2>&1 &
	else
		LD_PRELOAD=$SHIM "$SNG" --shm-sysv "$N" --verify --timeout "${SECS}s" --metrics-brief \
			>"$work/sysv-$1.out" 2>&1 &
	fi
	pid=$!
	ours=0
	kern=0
	while kill -0 "$pid" 2>/dev/null; do
		o=$(($(wc -l </dev/rust_shmem_sysv) - 1))
		k=$(($(wc -l </proc/sysvipc/shm) - 1))
		[ "$o" -gt "$ours" ] && ours=$o
		[ "$k" -gt "$kern" ] && kern=$k
		sleep 1
	done
	wait "$pid"
	rc=$?
	echo "$ours $kern" >"$work/sysv-$1.seen"
	echo "# shm-sysv ($1): stress-ng exit status $rc; most segments seen: $ours on" \
		"/dev/rust_shmem_sysv, $kern in /proc/sysvipc/shm"
	if [ "$rc" != 0 ]; then
		tail -n 15 "$work/sysv-$1.out" | sed 's/^/#   /'
	fi
	[ "$rc" = 0 ] && grep -q 'successful run completed' "$work/sysv-$1.out"
}

. /tests/lib/tap_lib.sh
run_on tmpfs
tmpfs_ok=$?
run_on rust_shmem
ours_ok=$?
# The bogo-op counts of both runs, side by side (not a measure of speed under TCG).
echo "# stressor, bogo ops on rust_shmem / tmpfs:"
awk '/ metrc: .* [0-9]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+$/ {
	print FILENAME, $4, $5 }' "$work/rust_shmem.out" "$work/tmpfs.out" |
	awk '{ n = split($1, p, "/"); fs = p[n]; sub(/\.out$/, "", fs); ops[$2, fs] = $3; names[$2] = 1 }
	END { for (s in names) printf "#   %-12s %10s / %s\n", s, ops[s, "rust_shmem"], ops[s, "tmpfs"] }' |
	sort

for fs in rust_shmem tmpfs; do
	if grep -qE ' (fail|error):|FAILED|[Ff]ailed' "$work/$fs.out"; then
		echo "# $fs: stress-ng reported:"
		grep -E ' (fail|error):|FAILED|[Ff]ailed' "$work/$fs.out" | head -n 30 | sed 's/^/#   /'
	fi
done


[ "$ours_ok" = 0 ] || [ "$tmpfs_ok" = 0 ] || echo "# (the tmpfs control failed too: see above)"
tap "$ours_ok" "stress-ng on rust_shmem"
tap "$tmpfs_ok" "stress-ng on tmpfs (control)"

# SysV through the shim: it must pass, and every segment must be ours, none the kernel's; the
# kernel's run the other way round.
if [ -r /dev/rust_shmem_sysv ] && [ -f "$SHIM" ]; then
	run_sysv kernel
	kernel_ok=$?
	run_sysv shim
	shim_ok=$?
	read -r ours kern <"$work/sysv-shim.seen"
	[ "$shim_ok" = 0 ] && [ "$ours" -gt 0 ] && [ "$kern" = 0 ]
	tap $? "stress-ng --shm-sysv through $SHIM on rust_shmem"
	read -r ours kern <"$work/sysv-kernel.seen"
	[ "$kernel_ok" = 0 ] && [ "$kern" -gt 0 ] && [ "$ours" = 0 ]
	tap $? "stress-ng --shm-sysv on the kernel's SysV (control)"
else
	tap 1 "stress-ng --shm-sysv: /dev/rust_shmem_sysv or $SHIM missing"
	tap 1 "stress-ng --shm-sysv control: not run"
fi
tap_totals
[ "$fail" = 0 ]
