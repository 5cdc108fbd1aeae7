# shellcheck shell=sh
# The takeover livepatch (src/takeover/rust_shmem_takeover.ko) from the guest's shell: loading,
# unloading, and where a process's shared mappings live. Sourced by tests/suites/takeover_mode.sh,
# postgres.sh, pgbench_bench.sh and qemu/init's demo; installed as /tests/lib/takeover_lib.sh.
# busybox sh.
#   takeover_on          insmod (unless loaded), then wait until the transition is over (0, or 1
#                        after 60 s)
#   takeover_off         disable through sysfs, wait for the livepatch to go, rmmod (0 or 1)
#   mod_refcount NAME    the module's reference count, -1 if it is not loaded
#   map_magics PID ERE   "magic start-end path" for each mapping of PID whose line matches ERE:
#                        the statfs magic (hex) of the file behind it, via /proc/PID/map_files

TAKEOVER_KO=/lib/modules/rust_shmem_takeover.ko
TAKEOVER_KLP=/sys/kernel/livepatch/rust_shmem_takeover

mod_refcount() {
	awk -v m="$1" '$1 == m { print $3; f = 1 } END { if (!f) print -1 }' /proc/modules
}

# Waits up to $2 seconds for the shell condition $1.
takeover_wait() {
	i=0
	while ! eval "$1"; do
		i=$((i + 1))
		[ "$i" -gt $(($2 * 10)) ] && return 1
		sleep 0.1
	done
}

takeover_on() {
	[ "$(mod_refcount rust_shmem_takeover)" != -1 ] || insmod "$TAKEOVER_KO" || return 1
	takeover_wait "[ \"\$(cat $TAKEOVER_KLP/transition 2>/dev/null)\" = 0 ]" 60 &&
		[ "$(cat "$TAKEOVER_KLP/enabled")" = 1 ]
}

takeover_off() {
	[ -d "$TAKEOVER_KLP" ] && echo 0 >"$TAKEOVER_KLP/enabled" 2>/dev/null
	takeover_wait "[ ! -d $TAKEOVER_KLP ]" 60 || return 1
	# The livepatch core drops its module reference just after the directory goes.
	takeover_wait "rmmod rust_shmem_takeover 2>/dev/null || [ \$(mod_refcount rust_shmem_takeover) = -1 ]" 10
}

map_magics() {
	grep -E "$2" "/proc/$1/maps" | while read -r range _perms _off _dev _ino path; do
		echo "$(stat -f -L -c %t "/proc/$1/map_files/$range" 2>/dev/null || echo none) $range $path"
	done
}
