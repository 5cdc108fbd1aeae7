#!/bin/sh
# rs-test-timeout: 7200
# References left behind by OOM-killed users of rust_shmem (issue 6), and unloading the module
# right after its last user went. Guest runner entry (installed as /tests/bin/oom_refs by the
# top-level Makefile); busybox sh.
#
# First, twice (a /dev/rust_shmem_zero mapping, a SysV segment in a private IPC namespace): a
# process holding a big object is killed, and rmmod runs the moment the refcount allows. Files of
# the internal mount give their module reference back before __fput evicts their inode and puts
# the mount: without the wait for them in module exit, the kernel oopses in that eviction (the
# address_space operations or the inode cache are gone).
#
# Then rounds of memory pressure that end in OOM kills (and SIGBUS at full mounts), after each of
# which nothing of ours may stay alive. Each round mounts rust_shmem on /dev/shm (without size=,
# i.e. half of RAM, or with size=256m) and on $base (size=25%), and runs one workload until its
# time is up:
#   hogs      /tests/bin/oom_hog (tests/oom_hog.c): shared mappings of /dev/rust_shmem_zero, SysV
#             segments (also in private IPC namespaces), unlinked files and O_TMPFILEs in
#             /dev/shm, written, preallocated, mapped private, forked and split, plus churners of
#             small objects and of mounts, all restarted as the OOM killer ends them;
#   stress    stress-ng --dev-shm, --shm and --mmap --mmap-file --temp-path $base.
# Then, with every process of the workload reaped:
#   - no process of the workload is left, and both mounts unmount (not lazily);
#   - /sys/module/rust_shmem/refcnt is back to the baseline taken with nothing of ours alive (0:
#     the suite unmounts init's /dev/shm first and mounts it again at the end), within
#     RS_OOM_SETTLE seconds; the time it took is printed, and what still holds anything of ours
#     (/proc/*/maps, /proc/*/fd) when it does not;
#   - rmmod rust_shmem succeeds, and insmod again;
#   - on a kernel with kmemleak, two scans find nothing allocated through rust_shmem.
# Each round's TAP line gives the number of OOM kills it caused (the checks hold without any).
#
# Environment: RS_OOM_KINDS (the rounds, comma-separated workload:options of /dev/shm; default
# "hogs:,hogs:size=256m"; "stress:,stress:size=256m" adds stress-ng), RS_OOM_ROUND_SECS
# (workload time per round, default 15: enough for OOM kills in the plain guest, not in the
# debug one, whose page faults are far slower: give it 150 s and RUST_SHMEM_MEM=1G), RS_OOM_SECS
# (repeat the rounds until that many seconds are spent; default 0, one pass), RS_OOM_WORKERS
# (stress-ng workers per stressor, default 2), RS_OOM_SETTLE (seconds the refcount may take to
# come back, default 30), RS_OOM_ROLES (oom_hog's roles, comma-separated; default all). E.g.
#   make check TESTS=oom_refs RUST_SHMEM_APPEND='RS_OOM_SECS=900 RS_OOM_KINDS=hogs:,stress:'

SNG=${RS_STRESS_NG:-stress-ng}
HOG=${RS_OOM_HOG:-/tests/bin/oom_hog}
BUDGET=${RS_OOM_SECS:-0}
ROUND=${RS_OOM_ROUND_SECS:-15}
N=${RS_OOM_WORKERS:-2}
SETTLE=${RS_OOM_SETTLE:-30}
KO=${RUST_SHMEM_KO:-/lib/modules/rust_shmem.ko}
MOD=rust_shmem
base=/mnt/oom_refs
work=$(mktemp -d /tmp/oom_refs.XXXXXX) || exit 2
kmemleak=/sys/kernel/debug/kmemleak

echo "TAP version 13"

# Centiseconds since boot.
cs() {
	awk '{ printf "%d\n", $1 * 100 }' /proc/uptime
}
secs_since() { # $1 = centiseconds
	awk -v a="$1" '{ printf "%.1f\n", $1 - a / 100 }' /proc/uptime
}
refcnt() {
	cat /sys/module/$MOD/refcnt 2>/dev/null || echo -1
}
shm_ours() { # rust_shmem mounts on /dev/shm
	awk -v t=$MOD '$2 == "/dev/shm" && $3 == t { n++ } END { print n + 0 }' /proc/mounts
}
# OOM kills so far: the kernel's count, or without vmstat events the log's reports (its ring may
# have wrapped).
ooms() {
	awk '$1 == "oom_kill" { print $2; found = 1 } END { exit !found }' /proc/vmstat ||
		dmesg | grep -c 'Out of memory: Killed process'
}

# Everything that holds something of ours: mappings and open files on our mounts, of our
# devices, SysV attachments and zero mappings (unlinked files of the internal mount), and
# anything else named like our objects; plus the kernel's view (module holders, SysV listing).
holders() {
	for d in /proc/[0-9]*; do
		p=${d#/proc/}
		m=$(grep -E "/dev/shm|$base|rust_shmem|/dev/zero|SYSV" "$d/maps" 2>/dev/null | head -n 5)
		f=$(for l in "$d"/fd/*; do
			t=$(readlink "$l" 2>/dev/null) || continue
			case $t in
			*/dev/shm* | *$base* | *rust_shmem* | *SYSV* | */dev/zero*) echo "fd ${l##*/} -> $t" ;;
			esac
		done | head -n 5)
		if [ -n "$m$f" ]; then
			echo "#   pid $p ($(cat "$d/comm" 2>/dev/null), state $(awk '{ print $3 }' "$d/stat" 2>/dev/null))"
			[ -n "$m" ] && echo "$m" | sed 's/^/#     map /'
			[ -n "$f" ] && echo "$f" | sed 's/^/#     /'
		fi
	done
	echo "#   module holders: $(ls /sys/module/$MOD/holders 2>/dev/null | tr '\n' ' ')"
	echo "#   /dev/rust_shmem_sysv: $(($(wc -l </dev/rust_shmem_sysv 2>/dev/null || echo 1) - 1)) segment(s)"
	echo "#   mounts: $(awk -v t=$MOD '$3 == t { printf "%s ", $2 }' /proc/mounts)"
}

# Processes of a workload still alive (by name).
leftovers() {
	for d in /proc/[0-9]*; do
		c=$(cat "$d/comm" 2>/dev/null) || continue
		case $c in
		oom_hog | stress-ng*) echo "${d#/proc/} $c" ;;
		esac
	done
}

# kmemleak: a scan now (objects must be unreferenced for two scans to be reported).
kmemleak_clear() {
	[ -w $kmemleak ] || return 0
	echo scan >$kmemleak
	echo clear >$kmemleak
}

. /tests/lib/tap_lib.sh

# --- set-up: nothing of ours alive ------------------------------------------------------------------
init_shm=$(shm_ours)
restore() {
	grep -q " $base " /proc/mounts && umount -l "$base"
	# After the set-up, every rust_shmem mount on /dev/shm is a round's.
	while [ "$(shm_ours)" -gt 0 ]; do
		umount -l /dev/shm || break
	done
	grep -q "^$MOD " /proc/modules || insmod "$KO"
	# init's /dev/shm, as qemu/init mounts it.
	if [ "$init_shm" -gt 0 ] && [ "$(shm_ours)" -lt "$init_shm" ]; then
		mount -t $MOD -o mode=1777 none /dev/shm
	fi
	rm -rf "$work"
}
trap restore EXIT
# The OOM killer must take the workload, never this script.
echo -1000 >/proc/self/oom_score_adj

i=0
while [ "$i" -lt "$init_shm" ]; do
	umount /dev/shm || { echo "# cannot unmount init's /dev/shm"; break; }
	i=$((i + 1))
done
baseline=$(refcnt)
echo "# $MOD refcnt with nothing of ours mounted: $baseline"
if [ "$baseline" != 0 ]; then
	holders
fi
kmemleak_clear
mkdir -p "$base"

# --- one round ---------------------------------------------------------------------------------------
# $1 = hogs|stress, $2 = mount options of /dev/shm ("" = none: half of RAM).
round() {
	kind=$1
	opts=$2
	what="$kind, /dev/shm ${opts:-without size=}"
	ok=0
	oom0=$(ooms)
	# A hog's segment in the initial IPC namespace lives from shmget to its IPC_RMID (oom_hog.c
	# map_new): an OOM kill in between leaves it orphaned, as it would on the kernel's SysV. As
	# with the kernel's kernel.shm_rmid_forced=1, the rounds destroy such segments (at the next
	# operation on the device, which the wait for the refcount below makes); without it the
	# orphan would rightly keep the module pinned.
	echo 1 >/sys/module/$MOD/parameters/shm_rmid_forced
	mount -t $MOD -o mode=1777${opts:+,$opts} oom_shm /dev/shm || { tap 1 "$what: mount /dev/shm"; return; }
	# A quarter of RAM at most for --temp-path, so that what named files pin stays below RAM.
	mount -t $MOD -o mode=1777,size=25% oom_base "$base" || { umount /dev/shm; tap 1 "$what: mount $base"; return; }
	t0=$(cs)
	if [ "$kind" = hogs ]; then
		"$HOG" "$ROUND" /dev/shm >"$work/out" 2>&1
		rc=$?
		cat "$work/out"
	else
		# stress-ng decides its workers' oom_score_adj itself, from a neutral start.
		# Sizes past what fits: dev-shm fills /dev/shm and copies it into private memory.
		(echo 0 >/proc/self/oom_score_adj && exec "$SNG" --temp-path "$base" \
			--timeout "${ROUND}s" --dev-shm $((2 * N)) --shm "$N" --shm-bytes 32M \
			--mmap "$N" --mmap-file --mmap-bytes 384M) >"$work/out" 2>&1
		rc=$?
		echo "# stress-ng exit status $rc; its report:"
		grep -E 'dispatching|OOM|oom|killed|signal|fail|error|completed' "$work/out" |
			head -n 20 | sed 's/^/#   /'
		# OOM kills make stress-ng report failures of its own; only what is left matters here.
		rc=0
	fi
	[ "$rc" = 0 ] || { echo "# workload exit status $rc"; ok=1; }
	echo "# workload done after $(secs_since "$t0") s; OOM-killer reports: $(($(ooms) - oom0))"

	# No process of the workload may be left (they were all reaped: none may even exist).
	left=$(leftovers)
	if [ -n "$left" ]; then
		echo "# processes left after the workload:"
		echo "$left" | while read -r p c; do
			echo "#   $p $c state $(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null) wchan $(cat "/proc/$p/wchan" 2>/dev/null)"
			sed 's/^/#     /' "/proc/$p/stack" 2>/dev/null
		done
		ok=1
	fi

	# Both mounts go, not lazily: nothing may still use them.
	for m in /dev/shm "$base"; do
		t1=$(cs)
		while ! umount "$m" 2>"$work/umount"; do
			if [ "$(secs_since "$t1" | cut -d. -f1)" -ge "$SETTLE" ]; then
				echo "# umount $m: $(cat "$work/umount")"
				holders
				umount -l "$m"
				ok=1
				break
			fi
			sleep 1
		done
		w=$(secs_since "$t1")
		[ "${w%.*}" -lt 1 ] || echo "# umount $m: busy for $w s"
	done

	# The refcount comes back to the baseline.
	t1=$(cs)
	r=$(refcnt)
	while [ "$r" != "$baseline" ]; do
		if [ "$(secs_since "$t1" | cut -d. -f1)" -ge "$SETTLE" ]; then
			break
		fi
		sleep 0.1
		cat /dev/rust_shmem_sysv >/dev/null 2>&1
		r=$(refcnt)
	done
	echo 0 >/sys/module/$MOD/parameters/shm_rmid_forced
	echo "# refcnt $r (baseline $baseline) $(secs_since "$t1") s after the unmounts"
	if [ "$r" != "$baseline" ]; then
		echo "# refcnt did not come back; what holds anything of ours:"
		holders
		ok=1
	elif [ "$baseline" = 0 ]; then
		# Unloading works, and loading again.
		if ! rmmod $MOD 2>"$work/rmmod"; then
			echo "# rmmod: $(cat "$work/rmmod") (refcnt $(refcnt))"
			holders
			ok=1
		elif grep -q "^$MOD " /proc/modules; then
			echo "# rmmod returned but $MOD is still loaded"
			ok=1
		elif ! insmod "$KO"; then
			echo "# insmod $KO failed"
			ok=1
		fi
	fi

	# kmemleak: two scans (an object is reported once it stayed unreferenced through a scan).
	if [ -w $kmemleak ]; then
		echo scan >$kmemleak
		echo scan >$kmemleak
		cat $kmemleak >"$work/leaks"
		if [ -s "$work/leaks" ]; then
			echo "# kmemleak: $(grep -c 'unreferenced object' "$work/leaks") new unreferenced object(s)"
			if grep -q "$MOD" "$work/leaks"; then
				echo "# ... allocated through $MOD:"
				ok=1
			fi
			sed -n '1,60p' "$work/leaks" | sed 's/^/#   /'
		else
			echo "# kmemleak: clean"
		fi
		echo clear >$kmemleak
	fi
	tap "$ok" "$what: $(($(ooms) - oom0)) OOM kill(s), refcnt back to $baseline, rmmod/insmod"
}

# --- unloading right after the last user --------------------------------------------------------------
# A file of the internal mount (a zero mapping's, a SysV segment's) gives its module reference back
# (fops_put in __fput) before it lets go of its dentry, inode and mount: the module's inode eviction
# and RCU free, and the mount's teardown, still run after the refcount reached 0. rmmod at that
# moment must wait for them. A big object makes the eviction (truncating its pages) long: a process
# holding one (as much of a third of RAM as it touches in 5 s) is killed and the module unloaded
# the moment the refcount allows. Without the wait, the kernel oopses in the eviction.
hold_mb=$(awk '$1 == "MemTotal:" { print int($2 / 1024 / 3) }' /proc/meminfo)
# Lines of the kernel log that show a module torn down under its users.
bad_unload() {
	dmesg | grep -cE 'Objects remaining|still has objects|BUG|Oops|general protection'
}
unload_race() { # $1 = zero|sysv-ns
	ok=0
	bad0=$(bad_unload)
	"$HOG" hold "$1" "$hold_mb" 5 >"$work/hold" 2>&1 &
	pid=$!
	t1=$(cs)
	while ! grep -q ready "$work/hold" && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
	done
	if ! grep -q ready "$work/hold"; then
		echo "# oom_hog hold $1 $hold_mb: $(cat "$work/hold")"
		tap 1 "unload right after the last user of a big $1 object: set-up"
		return
	fi
	echo "# $1 object of up to $hold_mb MiB ready after $(secs_since "$t1") s"
	kill -KILL "$pid"
	t1=$(cs)
	# No wait for the process nor for the kernel's work: as soon as the refcount is 0.
	while read -r rc </sys/module/$MOD/refcnt && [ "$rc" != 0 ]; do
		[ "$(secs_since "$t1" | cut -d. -f1)" -lt "$SETTLE" ] || break
	done
	if ! rmmod $MOD 2>"$work/rmmod"; then
		echo "# rmmod: $(cat "$work/rmmod") (refcnt $(refcnt) $(secs_since "$t1") s after the kill)"
		holders
		ok=1
	else
		echo "# unloaded $(secs_since "$t1") s after the kill"
	fi
	wait "$pid"
	grep -q "^$MOD " /proc/modules || insmod "$KO" || ok=1
	sleep 1
	if [ "$(bad_unload)" != "$bad0" ]; then
		echo "# the kernel log after the unload:"
		dmesg | grep -E 'Objects remaining|still has objects|BUG|Oops|general protection' |
			tail -n 5 | sed 's/^/#   /'
		ok=1
	fi
	tap "$ok" "unload right after the last user of a big $1 object"
}
if [ "$baseline" = 0 ]; then
	unload_race zero
	unload_race sysv-ns
fi

# --- the rounds -----------------------------------------------------------------------------------------
kinds=$(echo "${RS_OOM_KINDS:-hogs:,hogs:size=256m}" | tr ',' ' ')
if ! command -v "$SNG" >/dev/null; then
	kinds=$(echo "$kinds" | tr ' ' '\n' | grep -v '^stress' | tr '\n' ' ')
	echo "# $SNG is not in the image: hogs only"
fi
echo "# rounds of ${ROUND} s (${kinds% }), repeated for ${BUDGET} s"
start=$(date +%s)
rounds=0
while :; do
	for k in $kinds; do
		rounds=$((rounds + 1))
		echo "# round $rounds: ${k%%:*} ${k#*:}"
		round "${k%%:*}" "${k#*:}"
	done
	[ $(($(date +%s) - start)) -lt "$BUDGET" ] || break
done
echo "# $rounds rounds in $(($(date +%s) - start)) s"
echo "1..$n"
tap_totals
[ "$fail" = 0 ]
