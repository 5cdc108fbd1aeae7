#!/bin/sh
# make bench's real-client row: pgbench on PostgreSQL 15 with its shared memory on rust_shmem
# (/dev/shm and SysV through the shim) and on tmpfs + the kernel's SysV, the same cluster, scale,
# clients and duration on each side, sides alternating, best of RS_BENCH_REPS (default 3). Prints
# one line in tests/bench.c's format, ratio = rust_shmem tps / reference tps. Not a test. Installed
# as /tests/tools/pgbench_bench; busybox sh.
#
# Environment: RS_PG_SECS (default 15), RS_PG_CLIENTS (default 4), RS_PG_SCALE (default 2),
# RS_BENCH_REPS, RS_BENCH_ONLY (the rows to run, comma-separated; all by default).
#
# pgbench_takeover: the kernel's own entry points on both sides (no shim, shared_memory_type=mmap,
# the main area a shared anonymous mapping): tmpfs, and rust_shmem with the takeover livepatch
# loaded around each of its runs (tests/suites/takeover_lib.sh). Left out without the livepatch.

. /tests/lib/pg_lib.sh
. /tests/lib/takeover_lib.sh
SECS=${RS_PG_SECS:-15}
CLIENTS=${RS_PG_CLIENTS:-4}
SCALE=${RS_PG_SCALE:-2}
REPS=${RS_BENCH_REPS:-3}
work=$(mktemp -d /tmp/pgbench.XXXXXX) || exit 2
trap 'takeover_off; pg_umount_side; rm -rf "$work" "/host$PG_ROOT"' EXIT

pg_have || { echo "# pgbench: no PostgreSQL in the host root on /host; row left out"; exit 0; }
pg_prepare || exit 1
PG_SIDE=kernel
pg_mount_side kernel
pg_initdb "$PG_ROOT/template" "$work/initdb.out" || { cat "$work/initdb.out"; exit 1; }
pg_start "$PG_ROOT/template" && pg_run pgbench -i -q -s "$SCALE" postgres >/dev/null 2>&1 &&
	pg_stop "$PG_ROOT/template" || { echo "# pgbench: could not load the template cluster"; exit 1; }

# One timed run on side $1: prints its tps.
one() {
	PG_SIDE=$1
	case $1 in
	takeover_*) takeover_on || return 1 ;;
	*) takeover_off || return 1 ;;
	esac
	pg_mount_side "$1" || return 1
	rm -rf "/host$PG_ROOT/run" "/host$PG_ROOT/run.log"
	cp -a "/host$PG_ROOT/template" "/host$PG_ROOT/run"
	pg_start "$PG_ROOT/run" || return 1
	pg_run pgbench -c "$CLIENTS" -j 2 -T "$SECS" postgres >"$work/out" 2>&1
	pg_stop "$PG_ROOT/run"
	pg_umount_side
	pg_tps "$work/out"
}

# Whether row $1 runs: every row, or those RS_BENCH_ONLY names.
wanted() {
	[ -z "${RS_BENCH_ONLY:-}" ] && return 0
	case ",$RS_BENCH_ONLY," in *",$1,"*) return 0 ;; esac
	return 1
}

# A row: $1 = name, $2 = server settings (tests/suites/pg_lib.sh), $3 and $4 = the reference and
# our side (pg_lib.sh), $5 and $6 = their labels.
row() {
	wanted "$1" || return 0
	best_ours=0
	best_ref=0
	PG_OPTS=$2
	r=0
	while [ "$r" -lt "$REPS" ]; do
		if [ $((r % 2)) = 0 ]; then order="$3 $4"; else order="$4 $3"; fi
		for side in $order; do
			t=$(one "$side")
			[ -n "$t" ] || { echo "# pgbench: run on $side failed"; tail -n 5 "$work/out"; exit 1; }
			if [ "$side" = "$4" ]; then
				best_ours=$(echo "$best_ours $t" | awk '{ print ($2 > $1) ? $2 : $1 }')
			else
				best_ref=$(echo "$best_ref $t" | awk '{ print ($2 > $1) ? $2 : $1 }')
			fi
		done
		r=$((r + 1))
	done
	echo "$best_ref $best_ours" | awk -v name="$1" -v ref="$5" -v ours="$6" '{
		printf "%-20s %-22s %10.1f %s   %-22s %10.1f %s   ratio %.2f\n",
		name, ref, $1, "tps", ours, $2, "tps", $2 / $1 }'
}

echo "# pgbench: PostgreSQL 15, scale $SCALE, $CLIENTS clients, ${SECS}s, best of $REPS;" \
	"main area SysV (shim on our side), DSM on /dev/shm; _parallel: parallel query forced (a DSM segment per query)"
row pgbench "$PG_OPTS_BASE" kernel ours tmpfs+SysV rust_shmem+shim
row pgbench_parallel "$PG_OPTS_BASE $PG_OPTS_PARALLEL" kernel ours tmpfs+SysV rust_shmem+shim
if [ -f "$TAKEOVER_KO" ]; then
	row pgbench_takeover "$PG_OPTS_BASE" kernel_mmap takeover_mmap "mmap (tmpfs)" "mmap (takeover)"
fi
