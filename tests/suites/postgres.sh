#!/bin/sh
# rs-test-timeout: 1800
# PostgreSQL 15 (Debian's, installed on the host by qemu/deps.sh, run from the host root over 9p)
# on rust_shmem, with the same run on tmpfs and the kernel's SysV as the reference. Guest runner
# entry (installed as /tests/bin/postgres by the top-level Makefile); busybox sh.
#
# One initdb; then for each side (tests/suites/pg_lib.sh: "ours" = rust_shmem on /dev/shm and SysV
# through the LD_PRELOAD shim, "kernel" = tmpfs and the kernel's SysV) a copy of that cluster is
# started with shared_memory_type=sysv and parallel query forced, loaded with pgbench -i and run
# with pgbench (RS_PG_CLIENTS clients, RS_PG_TX transactions each), and stopped. Checked on each side:
#   - where each segment lives: the dynamic shared memory control segment that the postmaster maps
#     (/dev/shm/PostgreSQL.*) has the side's statfs magic; the main shared memory area is a SysV
#     segment of the postgres user listed in /dev/rust_shmem_sysv and absent from
#     /proc/sysvipc/shm on our side, the other way round on the kernel's, with the size the server
#     reports in pg_shmem_allocations at least;
#   - parallel query really ran (EXPLAIN ANALYZE: workers launched) and pgbench completed every
#     client's transactions with no failure;
#   - statistics views answer sanely (pg_stat_database commits, pg_shmem_allocations);
#   - a clean stop: the server exits, its segments and /dev/shm files are gone, /dev/shm unmounts;
#   - no ERROR, FATAL or PANIC in the server log.
# Then the same on the two takeover sides (pg_lib.sh), with the takeover livepatch loaded for the
# side's run and unloaded after it: no shim, the kernel's SysV and shared anonymous memory; there
# each SysV segment and shared anonymous mapping of the postmaster must be rust_shmem's (statfs
# magic through /proc/PID/map_files), the segments listed in /proc/sysvipc/shm and none on
# /dev/rust_shmem_sysv, and the main area (SysV segment or "/dev/zero" mapping) as large as
# pg_shmem_allocations.
# The tps of each side is printed; make bench compares them (tests/suites/pgbench_bench.sh).
#
# Environment: RS_PG_SIDES (comma-separated, default ours,kernel,takeover_sysv,takeover_mmap),
# RS_PG_TX (transactions per client, default 30), RS_PG_CLIENTS (default 4),
# RS_PG_SCALE (default 1). A count, not a duration: on a slow or loaded guest (the debug kernel
# beside other guests) a 5 s run once completed no transaction at all.

. /tests/lib/pg_lib.sh
. /tests/lib/takeover_lib.sh
SIDES=$(echo "${RS_PG_SIDES:-ours,kernel,takeover_sysv,takeover_mmap}" | tr ',' ' ')
TX=${RS_PG_TX:-30}
CLIENTS=${RS_PG_CLIENTS:-4}
SCALE=${RS_PG_SCALE:-1}
work=$(mktemp -d /tmp/postgres.XXXXXX) || exit 2

cleanup() {
	for d in $SIDES; do
		[ -f "/host$PG_ROOT/$d/postmaster.pid" ] && PG_SIDE=$d pg_stop "$PG_ROOT/$d" 2>/dev/null
	done
	takeover_off
	pg_umount_side
	rm -rf "$work" "/host$PG_ROOT"
}
trap cleanup EXIT

. /tests/lib/tap_lib.sh

echo "TAP version 13"
if ! pg_have; then
	# Not a skip: make check boots with the host root; a guest without it cannot run this suite.
	echo "1..1"
	tap 1 "postgres_available # no host root on /host or no $PG_BIN/postgres in it (qemu/init, qemu/deps.sh)"
	tap_totals
	exit 1
fi
nsides=0
for side in $SIDES; do nsides=$((nsides + 1)); done
echo "1..$((1 + 5 * nsides))"
echo "# $(host-run "$PG_BIN/postgres" --version); pgbench: scale $SCALE, $CLIENTS clients, $TX transactions each per side"

pg_prepare || { echo "# could not prepare /host$PG_ROOT"; exit 1; }
PG_SIDE=ours
pg_mount_side ours
start=$(date +%s)
pg_initdb "$PG_ROOT/template" "$work/initdb.out"
rc=$?
[ "$rc" = 0 ] || sed 's/^/#   /' "$work/initdb.out" | tail -n 20
tap "$rc" "initdb # on rust_shmem, $(($(date +%s) - start))s"

# Segments of the postgres user in a /proc/sysvipc/shm-style listing $1: "count bytes".
segments_of() {
	awk -v uid="$(pg_ids | cut -d: -f1)" \
		'NR > 1 && $8 == uid { n++; b += $4 } END { print n + 0, b + 0 }' "$1"
}

# Whether process $1 is still running; a zombie has exited (the guest's init reaps it when it
# next waits).
running() { [ -d "/proc/$1" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# Everything for side $1.
run_side() {
	side=$1
	PG_SIDE=$side
	dir=$PG_ROOT/$side
	log=/host$dir.log
	why=
	case $side in
	takeover_*) takeover_on || why="the takeover livepatch did not load" ;;
	esac
	if [ -n "$why" ]; then
		:
	elif ! pg_mount_side "$side"; then
		why="could not mount /dev/shm"
	elif ! cp -a "/host$PG_ROOT/template" "/host$dir" || ! pg_start "$dir"; then
		why="the server did not start"
		tail -n 20 "$log" | sed 's/^/#   /'
	fi
	if [ -n "$why" ]; then
		for t in segments pgbench queries clean_stop log_clean; do tap 1 "${side}_$t # $why"; done
		takeover_off
		return
	fi
	pid=$(pg_postmaster "$dir")

	# Where the segments are.
	magic=$RUST_SHMEM_MAGIC
	[ "$side" = kernel ] && magic=$TMPFS_MAGIC
	dsm=$(grep -o '/dev/shm/PostgreSQL\.[0-9]*' "/proc/$pid/maps" | head -n 1)
	got=$( [ -n "$dsm" ] && stat -f -c %t "/host$dsm")
	cat /dev/rust_shmem_sysv >"$work/ours.list"
	cat /proc/sysvipc/shm >"$work/kernel.list"
	set -- $(segments_of "$work/ours.list")
	o_n=$1 o_b=$2
	set -- $(segments_of "$work/kernel.list")
	k_n=$1 k_b=$2
	shmem=$(pg_sql "select sum(allocated_size) from pg_shmem_allocations")
	if [ "$side" = ours ]; then s_n=$o_n s_b=$o_b x_n=$k_n; else s_n=$k_n s_b=$k_b x_n=$o_n; fi
	taken=
	case $side in
	takeover_*)
		# The kernel's segments and shared anonymous mappings, each on rust_shmem.
		map_magics "$pid" ' /SYSV[0-9a-f]+ | /dev/zero ' >"$work/$side.maps"
		sed 's/^/#   postmaster: /' "$work/$side.maps"
		n_maps=$(wc -l <"$work/$side.maps")
		n_ours=$(grep -c "^$RUST_SHMEM_MAGIC " "$work/$side.maps")
		taken=" postmaster's SysV and shared anonymous mappings on rust_shmem: $n_ours of $n_maps;"
		[ "$n_maps" -ge 1 ] && [ "$n_ours" = "$n_maps" ] || got="$got, not all taken over"
		if [ "$side" = takeover_mmap ]; then
			# The main area: the largest "/dev/zero" mapping.
			s_b=$(grep ' /dev/zero ' "$work/$side.maps" | while read -r _m range _p; do
				echo $((0x${range#*-} - 0x${range%-*})); done | sort -n | tail -n 1)
		fi
		;;
	esac
	r=1
	[ "$got" = "$magic" ] && [ "$s_n" -ge 1 ] && [ "$x_n" = 0 ] && [ "${s_b:-0}" -ge "${shmem:-0}" ] &&
		[ "${shmem:-0}" -gt 0 ] && r=0
	tap "$r" "${side}_segments # DSM $dsm magic $got (want $magic);$taken postgres SysV segments:" \
		"$o_n ($o_b bytes) in /dev/rust_shmem_sysv, $k_n ($k_b bytes) in /proc/sysvipc/shm;" \
		"main area $s_b bytes, pg_shmem_allocations $shmem bytes"

	# pgbench: load, then a timed run with parallel query forced.
	r=0
	pg_run pgbench -i -q -s "$SCALE" postgres >"$work/$side.init" 2>&1 || r=1
	pg_run pgbench -c "$CLIENTS" -j 2 -t "$TX" postgres >"$work/$side.bench" 2>&1 || r=1
	tps=$(pg_tps "$work/$side.bench")
	failed_tx=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/$side.bench")
	[ -n "$tps" ] && [ "${failed_tx:-1}" = 0 ] || r=1
	[ "$r" = 0 ] || tail -n 15 "$work/$side.init" "$work/$side.bench" | sed 's/^/#   /'
	tap "$r" "${side}_pgbench # tps $tps, $(sed -n 's/^number of transactions actually processed: //p' "$work/$side.bench") transactions, ${failed_tx:-?} failed"
	echo "# ${side} tps: $tps"

	workers=$(pg_sql "explain (analyze, costs off, timing off) select count(*) from pgbench_accounts" |
		sed -n 's/.*Workers Launched: \([0-9]*\).*/\1/p' | head -n 1)
	commits=$(pg_sql "select xact_commit from pg_stat_database where datname = 'postgres'")
	accounts=$(pg_sql "select count(*) from pgbench_accounts")
	allocs=$(pg_sql "select count(*) from pg_shmem_allocations where allocated_size > 0")
	r=1
	[ "${workers:-0}" -ge 1 ] && [ "${commits:-0}" -gt 0 ] && [ "$accounts" = $((SCALE * 100000)) ] &&
		[ "${allocs:-0}" -gt 10 ] && r=0
	tap "$r" "${side}_queries # $workers parallel workers launched, $commits commits, $accounts accounts, $allocs shared memory allocations"

	pg_stop "$dir"
	r=$?
	# pg_ctl returns once postmaster.pid is gone, which the postmaster removes before its exit
	# has torn down its memory: up to 30 s for that (seconds on the debug kernel under load).
	waited=0
	while running "$pid" && [ "$waited" -lt 300 ]; do
		sleep 0.1
		waited=$((waited + 1))
	done
	left=0
	running "$pid" && left=1
	set -- $(segments_of /dev/rust_shmem_sysv)
	seg_left=$1
	set -- $(segments_of /proc/sysvipc/shm)
	seg_left=$((seg_left + $1))
	files=$(ls /host/dev/shm | grep -c '^PostgreSQL\.')
	pg_umount_side
	um=$?
	[ "$r" = 0 ] && [ "$left" = 0 ] && [ "$seg_left" = 0 ] && [ "$files" = 0 ] && [ "$um" = 0 ] || r=1
	case $side in
	takeover_*) takeover_off || r=1 ;;
	esac
	tap "$r" "${side}_clean_stop # pg_ctl stop, postmaster gone $([ $left = 0 ] && echo yes || echo no), $seg_left segments and $files /dev/shm files left, umount status $um"

	# An autovacuum worker that the fast stop catches is ended with a FATAL by design
	# (ProcessInterrupts in src/backend/tcop/postgres.c); seen on the slow debug guest.
	grep -E '(ERROR|FATAL|PANIC): ' "$log" |
		grep -v 'FATAL:  terminating autovacuum process due to administrator command' >"$work/$side.errors"
	errors=$(wc -l <"$work/$side.errors")
	[ "$errors" = 0 ] || head -n 10 "$work/$side.errors" | sed 's/^/#   /'
	tap "$([ "$errors" = 0 ] && echo 0 || echo 1)" "${side}_log_clean # $errors ERROR/FATAL/PANIC lines"
}

for side in $SIDES; do run_side "$side"; done
echo "# tps: $(for side in $SIDES; do printf '%s %s, ' "$side" "$(pg_tps "$work/$side.bench")"; done)(one run each: not a benchmark; make bench compares)"
tap_totals
[ "$fail" = 0 ]
