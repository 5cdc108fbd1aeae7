# shellcheck shell=sh
# PostgreSQL 15 in the guest, from the host root (qemu/init mounts it on /host; qemu/host-run runs
# programs in it). Sourced by tests/suites/postgres.sh and tests/suites/pgbench_bench.sh; installed
# as /tests/lib/pg_lib.sh. busybox sh.
#
# A "side" is what backs PostgreSQL's shared memory:
#   ours    rust_shmem on /dev/shm (dynamic shared memory, shm_open) and SysV through the
#           LD_PRELOAD shim on /dev/rust_shmem_sysv (shared_memory_type=sysv: the main area, which
#           is also the interlock segment)
#   kernel  tmpfs on /dev/shm and the kernel's SysV: the reference
#   takeover_sysv, takeover_mmap
#           rust_shmem on /dev/shm and no shim: the kernel's own SysV and shared anonymous memory,
#           sent to rust_shmem by the takeover livepatch (the caller loads it, takeover_lib.sh),
#           with shared_memory_type=sysv or =mmap (the main area a MAP_SHARED|MAP_ANONYMOUS
#           mapping, a small SysV segment as the interlock)
#   kernel_mmap
#           as kernel, with shared_memory_type=mmap: the reference for takeover_mmap
# The data directory lives on the guest's tmpfs /host/tmp; the server listens on the socket in
# /run/postgresql only (listen_addresses='').

PG_BIN=/usr/lib/postgresql/15/bin
PG_SHIM=/run/rust_shmem/librust_shmem_sysv.so
PG_ROOT=/tmp/pg
RUST_SHMEM_MAGIC=52534d48
TMPFS_MAGIC=1021994

# Server settings: PG_OPTS_BASE for every run; PG_OPTS_PARALLEL forces parallel query onto every
# parallel-safe query, so each pgbench SELECT and each scan runs in workers that share a dynamic
# shared memory segment (shm_open, ftruncate, mmap and unlink on /dev/shm per query). pg_start uses
# PG_OPTS, both by default.
PG_OPTS_BASE="-c listen_addresses='' -c jit=off -c dynamic_shared_memory_type=posix
	-c shared_memory_type=sysv -c log_min_messages=warning -c logging_collector=off"
PG_OPTS_PARALLEL="-c force_parallel_mode=on -c max_parallel_workers_per_gather=2
	-c min_parallel_table_scan_size=0 -c parallel_setup_cost=0 -c parallel_tuple_cost=0"
PG_OPTS="$PG_OPTS_BASE $PG_OPTS_PARALLEL"

pg_have() {
	grep -q ' /host 9p ' /proc/mounts && [ -x "/host$PG_BIN/postgres" ]
}

# Mounts side $1's file system on the host root's /dev/shm (unmounting what was there).
pg_mount_side() {
	pg_umount_side
	case $1 in
	ours | takeover_*) mount -t rust_shmem -o mode=1777 pg_ours /host/dev/shm ;;
	kernel*) mount -t tmpfs -o mode=1777 pg_kernel /host/dev/shm ;;
	esac
}
pg_umount_side() {
	while grep -q ' /host/dev/shm ' /proc/mounts; do umount /host/dev/shm || return 1; done
}

# Runs a PostgreSQL program ($1, from $PG_BIN) as the postgres user on side $PG_SIDE.
pg_run() {
	p=$1
	shift
	if [ "$PG_SIDE" = ours ]; then
		host-run -u postgres -e LD_PRELOAD=$PG_SHIM "$PG_BIN/$p" "$@"
	else
		host-run -u postgres "$PG_BIN/$p" "$@"
	fi
}

# The postgres user's "uid:gid" in the host's /etc/passwd.
pg_ids() {
	awk -F: '$1 == "postgres" { print $3 ":" $4 }' /host/etc/passwd
}

# Prepares the host root for PostgreSQL: its data root, its socket directory (as Debian's package
# sets it up) and the SysV shim where host programs see it.
pg_prepare() {
	mkdir -p /host/run/rust_shmem /host/run/postgresql "/host$PG_ROOT" || return 1
	chmod 2775 /host/run/postgresql || return 1
	cp /usr/lib/librust_shmem_sysv.so "/host$PG_SHIM" || return 1
	chown "$(pg_ids)" /host/run/postgresql "/host$PG_ROOT"
}

# initdb of data directory $1 (under $PG_ROOT), output in $2.
pg_initdb() {
	pg_run initdb -D "$1" --no-locale -E UTF8 -A trust -U postgres >"$2" 2>&1
}

# Starts the server of data directory $1, its log in $1.log (host path); the *_mmap sides put the
# main area in shared anonymous memory (a later -c wins).
pg_start() {
	opts=$PG_OPTS
	case $PG_SIDE in *_mmap) opts="$opts -c shared_memory_type=mmap" ;; esac
	# shellcheck disable=SC2086 # the options are a word list
	pg_run pg_ctl -D "$1" -l "$1.log" -w -t 300 -o "$(echo $opts)" start >/dev/null
}

pg_stop() {
	pg_run pg_ctl -D "$1" -m fast -w -t 300 stop >/dev/null
}

# One query, unaligned rows without headers.
pg_sql() {
	pg_run psql -X -q -A -t -v ON_ERROR_STOP=1 -d postgres -c "$1"
}

# The postmaster's pid of data directory $1.
pg_postmaster() {
	head -n 1 "/host$1/postmaster.pid" 2>/dev/null
}

# pgbench's tps from its output file $1 ("tps = 123.4 (without initial connection time)").
pg_tps() {
	sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$1" | tail -n 1
}
