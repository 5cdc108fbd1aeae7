#!/usr/bin/env bash
# Boots the test kernel with the initramfs from qemu/image.sh and reports the guest's result.
#
# Usage: boot.sh -k BZIMAGE [-i INITRAMFS] [-m run|check|shell] [-t a,b] [-o OUTDIR]
#   -k  kernel image (arch/x86/boot/bzImage of the dir qemu/kernel.sh prints)
#   -i  initramfs (default build/initramfs.cpio.gz)
#   -m  guest mode: run (the demo), check (the tests), bench (tests/bench.c), shell (interactive);
#       default run. RUST_SHMEM_MEM sets the guest memory (default 2G; bench: 4G)
#   -t  comma-separated subset of test binaries (check mode)
#   -o  directory for console.log, tests.tap and result (default build)
# Environment:
#   RUST_SHMEM_TIMEOUT    wall-clock limit in seconds (default 1800 check, 300 run, none for shell)
#   RUST_SHMEM_KVM        0 = never use KVM, 1 = try KVM even without vmx/svm in /proc/cpuinfo;
#                         default: KVM only if /proc/cpuinfo has vmx or svm and /dev/kvm opens
#   RUST_SHMEM_KVM_PROBE  seconds a KVM guest gets to reach /init before falling back to TCG (30)
#   RUST_SHMEM_NO_MODULE  1 = the image has no module; the guest uses tmpfs (machinery tests only)
#   RUST_SHMEM_APPEND     extra kernel command line
#   RUST_SHMEM_FLAVOUR    kernel flavour, plain or debug (the Makefile's FLAVOUR): the guest checks
#                         that a debug kernel's checkers stayed on, and the hung-task limit differs
#   RUST_SHMEM_HOSTROOT   0 = do not share the host root with the guest (default 1: read-only 9p)
#
# Serial ports: ttyS0 = kernel console -> OUTDIR/console.log (shown live in run mode, on stdio in
# shell mode), ttyS1 = test TAP -> OUTDIR/tests.tap (shown live in check mode), ttyS2 = the guest's
# RUST_SHMEM_RESULT=<status> line -> OUTDIR/result. The exit status is the guest's status; a missing
# result line (timeout, panic, hang) or a kernel splat in the console log is a failure.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=qemu/common.sh
. "$here/common.sh"

kernel=
initrd=$repo/build/initramfs.cpio.gz
mode=run
tests=
outdir=$repo/build
while getopts 'k:i:m:t:o:h' opt; do
	case $opt in
	k) kernel=$OPTARG ;;
	i) initrd=$OPTARG ;;
	m) mode=$OPTARG ;;
	t) tests=$OPTARG ;;
	o) outdir=$OPTARG ;;
	*) sed -n '2,23s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
[ -n "$kernel" ] || die "boot.sh: -k BZIMAGE is required"
[ -f "$kernel" ] || die "kernel image not found: $kernel"
[ -f "$initrd" ] || die "initramfs not found: $initrd (run 'make image')"
case $mode in run | check | bench | shell) ;; *) die "unknown mode '$mode' (run, check, bench or shell)" ;; esac
# The subset travels on the kernel command line: keep it to plain names.
[[ "$tests" =~ ^[A-Za-z0-9_,-]*$ ]] || die "bad test list '$tests' (comma-separated names)"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing: run qemu/deps.sh"

case $mode in
check) timeout_s=${RUST_SHMEM_TIMEOUT:-1800} ;;
bench) timeout_s=${RUST_SHMEM_TIMEOUT:-2400} ;;
run) timeout_s=${RUST_SHMEM_TIMEOUT:-300} ;;
shell) timeout_s=${RUST_SHMEM_TIMEOUT:-0} ;;
esac
mem=${RUST_SHMEM_MEM:-2G}
[ "$mode" != bench ] || mem=${RUST_SHMEM_MEM:-4G}
[[ "$timeout_s" =~ ^[0-9]+$ ]] || die "RUST_SHMEM_TIMEOUT must be a number of seconds"

mkdir -p "$outdir"
console=$outdir/console.log
tap=$outdir/tests.tap
result=$outdir/result

flavour=${RUST_SHMEM_FLAVOUR:-plain}
case $flavour in plain | debug) ;; *) die "RUST_SHMEM_FLAVOUR must be plain or debug" ;; esac

# --- the guest platform: CPU, clock and interrupt set-up (decided here and nowhere else) ----------
# - CPU: qemu's `max` model (TCG) or the host's (KVM) without LA57, so the guest runs 4-level
#   paging. With LA57, an interrupt that arrives while identify_cpu() (arch/x86/kernel/cpu/common.c)
#   has zeroed boot_cpu_data.x86_capability sees pgtable_l5_enabled() (X86_FEATURE_LA57, tested
#   dynamically until alternatives are patched) false, so KASAN_SHADOW_START (asm/kasan.h) is the
#   4-level one and every direct-map address of the 5-level layout (0xff11...) fails
#   addr_has_metadata() (mm/kasan/kasan.h): a false "BUG: KASAN: wild-memory-access" at boot that
#   taints the kernel and turns lockdep off for the whole run. Without LA57 the bit is 0 before,
#   during and after that window, so the shadow bounds never change.
# - ACPI (qemu/kernel.config) for QEMU's MADT, HPET and PM timer: without it the kernel took its CPUs
#   from SeaBIOS's MP table, which listed one CPU of two on a loaded host, and calibrated the TSC
#   and the local APIC timer against the PIT alone, which failed under load (TSC marked unstable,
#   "APIC timer disabled", jiffies as the clocksource). pci=noacpi: PCI interrupts come from the
#   PIRQ table as before, not from the DSDT's _PRT, whose AML loop ran into the interpreter's
#   30 s loop timeout on the debug kernel (AE_AML_LOOP_TIMEOUT, then no IRQ for virtio-9p).
# - no_timer_check: check_timer() (arch/x86/kernel/apic/io_apic.c) busy-waits ~10 ticks and panics
#   "IO-APIC + timer doesn't work!" if jiffies did not move; under TCG on a loaded host the timer
#   thread may not run within that window. The emulated PIT/APIC timer works; the probe is skipped.
cpu_flags=la57=off
# loglevel=5: the console gets KERN_WARNING and worse (WARN_ON splats are KERN_WARNING, which
# `quiet`/loglevel=4 would hide) and none of the boot chatter. panic=-1: a panic reboots at once,
# which -no-reboot turns into a qemu exit, instead of waiting for the wall-clock timeout.
append="console=ttyS0 loglevel=5 panic=-1 log_buf_len=4M no_timer_check pci=noacpi"
# The hung-task detector reports a task blocked this long (the debug guest is several times
# slower); tests/run_guest.sh fails the run on the report.
hung_task_secs=60
[ "$flavour" = plain ] || hung_task_secs=120
append+=" sysctl.kernel.hung_task_timeout_secs=$hung_task_secs RS_MODE=$mode RS_FLAVOUR=$flavour"
[ -z "$tests" ] || append+=" RS_TESTS=$tests"
for v in RS_BENCH_MB RS_BENCH_FILES RS_BENCH_REPS; do
	[ -z "${!v:-}" ] || append+=" $v=${!v}"
done
[ "${RUST_SHMEM_NO_MODULE:-0}" != 1 ] || append+=" RS_NOMOD=1"
[ -z "${RUST_SHMEM_APPEND:-}" ] || append+=" $RUST_SHMEM_APPEND"

kvm_usable() {
	case ${RUST_SHMEM_KVM:-auto} in
	0) return 1 ;;
	1) ;;
	*) grep -qwE 'vmx|svm' /proc/cpuinfo || return 1 ;;
	esac
	{ : <>/dev/kvm; } 2>/dev/null
}

qemu_cmd() { # $1 = kvm|tcg
	local accel_args=(-accel tcg -cpu "max,$cpu_flags")
	[ "$1" = tcg ] || accel_args=(-accel kvm -cpu "host,$cpu_flags")
	# The host root, read-only, for host programs in the guest (qemu/init mounts it on /host).
	local share=()
	if [ "${RUST_SHMEM_HOSTROOT:-1}" = 1 ]; then
		share=(-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap")
	fi
	local con=(-chardev "file,id=con,path=$console,append=on" -serial chardev:con)
	if [ "$mode" = shell ]; then
		# Console on the terminal (Ctrl-A X quits qemu, Ctrl-A C the monitor), also logged.
		# shellcheck disable=SC2054 # the commas are qemu's option syntax
		con=(-chardev "stdio,id=con,mux=on,signal=off,logfile=$console"
			-serial chardev:con -mon chardev=con,mode=readline)
	fi
	qemu=(qemu-system-x86_64 -M pc "${accel_args[@]}" -m "$mem" -smp 2 -nodefaults -nographic -no-reboot
		-kernel "$kernel" -initrd "$initrd" -append "$append" "${share[@]}"
		"${con[@]}"
		-chardev "file,id=tap,path=$tap,append=on" -serial chardev:tap
		-chardev "file,id=res,path=$result,append=on" -serial chardev:res)
}

qpid=
spid=
# shellcheck disable=SC2317 # called from the trap
cleanup() {
	[ -z "$qpid" ] || kill "$qpid" 2>/dev/null || true
	[ -z "$spid" ] || kill "$spid" 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts qemu in the background under the wall-clock timeout, streaming $1 (a file) live if given.
start_guest() { # $1 = kvm|tcg, $2 = file to stream or ""
	: >"$console"
	: >"$tap"
	: >"$result"
	qemu_cmd "$1"
	if ((timeout_s > 0)); then
		timeout -k 10 "$timeout_s" "${qemu[@]}" </dev/null &
	else
		"${qemu[@]}" </dev/null &
	fi
	qpid=$!
	spid=
	if [ -n "$2" ]; then
		# Strip CRs and SeaBIOS's terminal escapes and banner from the live view (the files keep all).
		tail -n +1 -s 0.2 -f --pid="$qpid" "$2" |
			sed -u -e 's/\r$//' -e 's/\x1bc//g' -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' \
				-e '/^SeaBIOS (version/d' -e 's/^Booting from ROM\.\.//' &
		spid=$!
	fi
}

# Waits for the guest; sets qrc to qemu's (or timeout's) exit status.
wait_guest() {
	qrc=0
	wait "$qpid" || qrc=$?
	qpid=
	if [ -n "$spid" ]; then
		wait "$spid" || true
		spid=
	fi
}

accel=tcg
if kvm_usable; then accel=kvm; fi
stream=
case $mode in run) stream=$console ;; check | bench) stream=$tap ;; esac

t0=$(date +%s)
if [ "$mode" = shell ]; then
	log "boot: $accel, shell mode (Ctrl-A X quits)"
	qemu_cmd "$accel"
	qrc=0
	if ((timeout_s > 0)); then
		timeout --foreground "$timeout_s" "${qemu[@]}" || qrc=$?
	else
		"${qemu[@]}" || qrc=$?
	fi
else
	log "boot: $accel, $mode mode, timeout ${timeout_s}s (console: $console)"
	start_guest "$accel" "$stream"
	if [ "$accel" = kvm ]; then
		# Some hosts expose /dev/kvm but KVM guests hang before printing anything, or qemu fails
		# to set up the vCPU: give KVM a short time to reach /init, else start over under TCG.
		probe=${RUST_SHMEM_KVM_PROBE:-30}
		for ((i = 0; i < probe * 5; i++)); do
			grep -q 'rust_shmem-init: started' "$console" && break
			kill -0 "$qpid" 2>/dev/null || break
			sleep 0.2
		done
		if ! grep -q 'rust_shmem-init: started' "$console"; then
			warn "boot: KVM guest did not reach /init within ${probe}s; retrying under TCG"
			kill "$qpid" 2>/dev/null || true
			wait_guest
			accel=tcg
			start_guest "$accel" "$stream"
		fi
	fi
	wait_guest
fi
elapsed=$(($(date +%s) - t0))

status=$(tr -d '\r' <"$result" | grep -ao 'RUST_SHMEM_RESULT=[0-9]*' | tail -n 1 || true)
if [ -z "$status" ]; then
	# No ttyS2 in the guest: init also prints the line on the console.
	status=$(tr -d '\r' <"$console" | grep -ao 'RUST_SHMEM_RESULT=[0-9]*' | tail -n 1 || true)
fi

rc=0
why=
if [ -n "$status" ]; then
	rc=${status#RUST_SHMEM_RESULT=}
	((rc <= 255)) || rc=1
elif ((qrc == 124 || qrc == 137)); then
	why="guest killed after the ${timeout_s}s timeout (RUST_SHMEM_TIMEOUT)"
	rc=1
else
	why="the guest ended without a RUST_SHMEM_RESULT line (qemu exit status $qrc; panic or crash?)"
	rc=1
fi
[ -z "$why" ] || warn "boot: $why"

# A guest that died mid-run leaves the TAP without its summary line: close the stream with a
# bail-out and a summary of what did finish, plus one failure for the run that did not.
if [ "$mode" = check ] && ! tr -d '\r' <"$tap" | tail -n 1 | grep -qE '^[0-9]+ passed, [0-9]+ failed'; then
	{
		echo "Bail out! ${why:-the guest runner did not finish (status $rc)}"
		tr -d '\r' <"$tap" | awk '
			/^    # Totals: / { for (i = 3; i <= NF; i++) { split($i, kv, ":"); c[kv[1]] += kv[2] } }
			END {
				printf "%d passed, %d failed", c["pass"] + c["xfail"], c["fail"] + c["xpass"] + c["error"] + 1
				if (c["skip"] > 0) printf ", %d skipped", c["skip"]
				printf "\n"
			}'
	} | tee -a "$tap"
	[ "$rc" != 0 ] || rc=1
fi

splats=$(tr -d '\r' <"$console" | awk -f "$here/splat-filter.awk" | grep -aE -f <(grep -vE '^(#|$)' "$here/splat.match") |
	grep -avE -f <(grep -vE '^(#|$)' "$here/splat.ignore" || echo '^$') || true)
if [ -n "$splats" ]; then
	warn "boot: kernel splat in the console log ($console):"
	head -n 40 <<<"$splats" | sed 's/^/  /' >&2
	[ "$rc" != 0 ] || rc=1
fi

if [ "$rc" != 0 ] && [ "$mode" != shell ]; then
	warn "boot: last console lines ($console):"
	tr -d '\r' <"$console" | tail -n 25 | sed 's/^/  | /' >&2
fi
log "boot: guest finished in ${elapsed}s ($accel), status $rc"
exit "$rc"
