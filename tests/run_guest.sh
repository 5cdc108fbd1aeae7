#!/bin/sh
# Guest test runner (busybox sh), installed as /tests/run_guest.sh by qemu/image.sh and started by
# /init in check mode with rust_shmem mounted on /dev/shm. Usable by hand in `make shell`.
#
# Every executable file in /tests/bin is a kselftest binary, except shm_demo and the helper programs
# named in /tests/bin/.not-tests (one per line). They run in name order, except `lifecycle`, which
# runs last: before it the runner unmounts /dev/shm, because lifecycle unloads and reloads the module
# (path in RUST_SHMEM_KO) and needs no other user of it. Then two extra tests read dmesg: kunit takes
# the module's KUnit suites (rust_shmem_*), which run each time the module loads, and
# kernel_log_clean checks for splats (patterns in /tests/splat.match, exceptions in
# /tests/splat.ignore).
#
# Output: a TAP stream; each binary's own kselftest TAP is nested (indented by four spaces) under a
# top-level "ok/not ok N name" line. Counting: pass+xfail = passed, fail+xpass+error = failed,
# skip = skipped, from the binary's "# Totals:" line; a binary that has no Totals line, is killed by
# a signal, times out (RS_TEST_TIMEOUT seconds, default 300; a script entry may raise its own limit
# with a "# rs-test-timeout: SECONDS" line among its first 30 lines) or exits non-zero with no
# failure counted adds one failure. The last line is exactly "N passed, N failed" (", N skipped"
# appended when N > 0); the exit status is non-zero if anything failed or no test binary ran.
#
# Every test case's run time (from the harness's "#  RUN" line to its result line) follows its
# result as "# case_time: SECONDS NAME", so timeouts can be sized from measured times.
#
# Slow or stuck: when a binary outruns its limit, or the harness reports a case "terminated by
# timeout", the runner asks the kernel for the blocked tasks and every task's stack (sysrq w and t)
# and puts them in the TAP, with the test's processes still alive. Tasks stuck in the kernel
# survive the SIGKILL of a timeout, so they show there; the hung-task detector (qemu/boot.sh sets
# its limit) reports them too, which kernel_log_clean counts.
#
# After the tests: kernel_untainted fails on any taint but O (our out-of-tree modules), K (our
# takeover livepatch) and N (our KUnit suites ran), naming the first taint's cause; on the debug kernel (RS_FLAVOUR=debug) debug_checkers_on fails unless lock
# debugging is still on and KASAN, KFENCE and kmemleak are active: a run in which a checker
# switched itself off is no debug run.
#
# Environment: RS_TESTS=a,b (subset; unknown names are an error), RS_TEST_TIMEOUT, RS_TEST_BIN
# (default /tests/bin), RUST_SHMEM_KO (default /lib/modules/rust_shmem.ko), RS_SUMMARY (a file
# that also gets the final line), RS_FLAVOUR (plain or debug, from the kernel command line).

BIN=${RS_TEST_BIN:-/tests/bin}
TIMEOUT=${RS_TEST_TIMEOUT:-300}
FLAVOUR=${RS_FLAVOUR:-plain}
SPLAT_DIR=${RS_SPLAT_DIR:-/tests}
export RUST_SHMEM_KO="${RUST_SHMEM_KO:-/lib/modules/rust_shmem.ko}"

work=$(mktemp -d /tmp/run_guest.XXXXXX) || exit 2
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
skipped=0
ran=0

is_not_test() {
	[ "$1" = shm_demo ] && return 0
	[ -f "$BIN/.not-tests" ] && grep -qxF "$1" "$BIN/.not-tests"
}

# --- which tests, in which order --------------------------------------------------------------------
all=
last=
for f in "$BIN"/*; do
	if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
	n=${f##*/}
	is_not_test "$n" && continue
	if [ "$n" = lifecycle ]; then last=lifecycle; else all="$all $n"; fi
done
[ -z "$last" ] || all="$all $last"

selected=$all
if [ -n "${RS_TESTS:-}" ]; then
	wanted=$(echo "$RS_TESTS" | tr ',' ' ')
	for w in $wanted; do
		case " $all kunit kernel_log_clean " in
		*" $w "*) ;;
		*)
			echo "TAP version 13"
			echo "Bail out! unknown test '$w' in RS_TESTS (known:$all kunit kernel_log_clean)"
			echo "0 passed, 1 failed"
			exit 2
			;;
		esac
	done
	selected=
	for n in $all; do
		for w in $wanted; do
			if [ "$n" = "$w" ]; then selected="$selected $n"; break; fi
		done
	done
fi

count=0
for n in $selected; do count=$((count + 1)); done

extra=3
[ "$FLAVOUR" = debug ] && extra=4
echo "TAP version 13"
echo "1..$((count + extra))"
# What the guest platform came up with (qemu/boot.sh decides it; these lines show it held).
echo "# guest: kernel $(uname -r) ($FLAVOUR), $(grep -c '^processor' /proc/cpuinfo) CPUs online," \
	"clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource 2>/dev/null)," \
	"5-level paging $(grep -qw la57 /proc/cpuinfo && echo on || echo off)"
dmesg | grep -E 'APIC timer disabled|Unable to calibrate|Marking clocksource|TSC.*unstable|smp: Brought up' |
	sed 's/^\[[^]]*\] */# guest: /'

# --- slow or stuck ----------------------------------------------------------------------------------
# Writes the kernel's list of blocked tasks and every task's stack (sysrq w, t) to file $2, between
# two kmsg markers naming $1 (qemu/splat-filter.awk leaves the dump out of the splat checks: the
# timeout itself is the failure). Needs root and CONFIG_MAGIC_SYSRQ.
dump_tasks() { # $1 = what timed out, $2 = output file
	[ -w /proc/sysrq-trigger ] || { echo "(no /proc/sysrq-trigger: no task dump)" >"$2"; return; }
	echo "rust_shmem-runner: task dump for $1 begins" >/dev/kmsg
	echo w >/proc/sysrq-trigger
	echo t >/proc/sysrq-trigger
	echo "rust_shmem-runner: task dump for $1 ends" >/dev/kmsg
	dmesg | sed -n "/rust_shmem-runner: task dump for $1 begins/,/rust_shmem-runner: task dump for $1 ends/p" |
		sed 's/^\[[^]]*\] *//' | head -n 3000 >"$2"
}
# The processes of session $1 (ps -o pid,stat,args), for the report of a timeout.
session_procs() {
	for d in /proc/[0-9]*; do
		[ "$(cut -d' ' -f6 "$d/stat" 2>/dev/null)" = "$1" ] || continue
		echo "${d#/proc/} $(cut -d' ' -f3 "$d/stat") $(tr '\0' ' ' <"$d/cmdline" | cut -c1-100)"
	done
}

# --- running one binary -------------------------------------------------------------------------------
# The binary runs in its own session/process group so that a timeout, and the clean-up afterwards,
# reach every process it forked (kselftest_harness forks one child per test case).
run_one() { # $1 = binary, $2 = file prefix for .rc and .timeout, $3 = time limit in seconds
	setsid "$1" </dev/null &
	pid=$!
	(
		sleep "$3"
		: >"$2.timeout"
		{
			echo "processes of the test (pid, state, command):"
			session_procs "$pid"
		} >"$2.procs"
		dump_tasks "${2##*/}" "$2.dump"
		kill -TERM -"$pid"
		sleep 5
		kill -KILL -"$pid"
	) >/dev/null 2>&1 &
	wd=$!
	wait "$pid"
	rc=$?
	kill "$wd" 2>/dev/null
	kill -KILL -"$pid" 2>/dev/null
	echo "$rc" >"$2.rc"
}

# The time limit of entry $1: RS_TEST_TIMEOUT, or the larger one a script asks for.
limit_of() {
	l=$TIMEOUT
	if [ "$(head -c 2 "$1")" = '#!' ]; then
		own=$(head -n 30 "$1" | sed -n 's/^# rs-test-timeout: \([0-9][0-9]*\)$/\1/p' | head -n 1)
		[ -n "$own" ] && [ "$own" -gt "$l" ] && l=$own
	fi
	echo "$l"
}

# Value of field $1 ("pass", "fail", ...) in a "# Totals: pass:5 fail:0 ..." line $2 (0 if absent).
field() {
	v=$(echo "$2" | sed -n "s/.* $1:\([0-9][0-9]*\).*/\1/p")
	echo "${v:-0}"
}

i=0
for n in $selected; do
	i=$((i + 1))
	if [ "$n" = lifecycle ] && grep -q ' /dev/shm ' /proc/mounts; then
		echo "# unmounting /dev/shm before lifecycle"
		umount /dev/shm || echo "# warning: umount /dev/shm failed; lifecycle may fail"
	fi
	echo "# selftest: $n"
	log=$work/$n.log
	start=$(date +%s)
	limit=$(limit_of "$BIN/$n")
	run_one "$BIN/$n" "$work/$n" "$limit" 2>&1 | {
		case_start=
		while IFS= read -r line || [ -n "$line" ]; do
			printf '%s\n' "$line" >&4
			printf '    %s\n' "$line"
			case $line in
			"#  RUN "*)
				read -r case_start _ </proc/uptime
				;;
			"ok "[0-9]* | "not ok "[0-9]*)
				if [ -n "$case_start" ]; then
					read -r now _ </proc/uptime
					name=${line#ok }
					name=${name#not ok }
					name=${name#* }
					printf '    # case_time: %s %s\n' \
						"$(echo "$case_start $now" | awk '{ printf "%.2f", $2 - $1 }')" "${name%% #*}"
					case_start=
				fi
				;;
			"# "*": Test terminated by timeout")
				# The harness has just SIGKILLed the case: what is left is stuck in the kernel.
				dump_tasks "$n" "$work/$n.case-dump"
				echo "    # task dump after the harness's timeout (tasks that survived SIGKILL are stuck):"
				sed 's/^/    #   /' "$work/$n.case-dump"
				;;
			esac
		done
	} 4>"$log"
	secs=$(($(date +%s) - start))
	rc=$(cat "$work/$n.rc" 2>/dev/null || echo 255)
	ran=$((ran + 1))

	tot=$(grep '^# Totals: ' "$log" | tail -n 1)
	p=$(($(field pass "$tot") + $(field xfail "$tot")))
	f=$(($(field fail "$tot") + $(field xpass "$tot") + $(field error "$tot")))
	s=$(field skip "$tot")
	why=
	if [ -f "$work/$n.timeout" ]; then
		why="timed out after ${limit}s"
		echo "# $n timed out after ${limit}s; before the kill:"
		sed 's/^/#   /' "$work/$n.procs" 2>/dev/null
		echo "# blocked tasks and all stacks (sysrq w, t):"
		sed 's/^/#   /' "$work/$n.dump" 2>/dev/null
	elif [ -z "$tot" ] && [ "$rc" -ge 128 ]; then
		why="no Totals line: killed by signal $((rc - 128))"
	elif [ -z "$tot" ]; then
		why="no Totals line (exit status $rc)"
	elif [ "$rc" -ge 128 ]; then
		why="killed by signal $((rc - 128))"
	elif [ "$f" = 0 ] && [ "$rc" != 0 ] && [ "$rc" != 4 ]; then
		why="exit status $rc with no failure reported"
	fi
	[ -n "$why" ] && f=$((f + 1))
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))

	echo "# $n: pass $p, fail $f, skip $s, exit status $rc, ${secs}s"
	if [ "$f" != 0 ]; then
		echo "not ok $i $n${why:+ # $why}"
	elif [ "$p" = 0 ] && [ "$s" != 0 ]; then
		echo "ok $i $n # SKIP all test cases skipped"
	else
		echo "ok $i $n"
	fi
done

# --- kunit -----------------------------------------------------------------------------------------------
# Each suite prints "# <suite>: pass:P fail:F skip:S total:T" when the module loads. The cases of the
# first load count; any failure in a later load (lifecycle reloads the module) fails the test too.
i=$((i + 1))
dmesg | sed -n 's/^\[[^]]*\] *//; /^# rust_shmem_[a-z0-9_]*: pass:/p' >"$work/kunit"
if [ ! -s "$work/kunit" ]; then
	echo "# no KUnit results from rust_shmem in dmesg"
	echo "not ok $i kunit"
	failed=$((failed + 1))
else
	kp=0 kf=0 ks=0
	for suite in $(sed 's/^# \([^:]*\):.*/\1/' "$work/kunit" | sort -u); do
		first=$(grep "^# $suite: " "$work/kunit" | head -n 1)
		kp=$((kp + $(field pass "$first")))
		ks=$((ks + $(field skip "$first")))
		echo "# kunit $first"
	done
	kf=$(sed -n 's/.* fail:\([0-9][0-9]*\).*/\1/p' "$work/kunit" | awk '{ s += $1 } END { print s + 0 }')
	passed=$((passed + kp))
	failed=$((failed + kf))
	skipped=$((skipped + ks))
	if [ "$kf" != 0 ]; then
		dmesg | grep -E 'not ok|# rust_shmem_' | sed 's/^/#   /'
		echo "not ok $i kunit"
	else
		echo "ok $i kunit"
	fi
fi

# One of the runner's own tests: $1 = 0 (ok) or not, $2 = name, $3 (optional) = what the line says
# after "#".
own_test() {
	i=$((i + 1))
	if [ "$1" = 0 ]; then
		echo "ok $i $2${3:+ # $3}"
		passed=$((passed + 1))
	else
		echo "not ok $i $2${3:+ # $3}"
		failed=$((failed + 1))
	fi
}

# --- kernel_log_clean ------------------------------------------------------------------------------------
grep -vE '^(#|$)' "$SPLAT_DIR/splat.match" >"$work/match" 2>/dev/null
if [ ! -s "$work/match" ]; then
	printf '%s\n' 'BUG:' 'WARNING:' 'Oops' 'panicked' 'KASAN' 'KFENCE' 'possible circular locking' \
		'lockdep' 'kmemleak' 'Call Trace' >"$work/match"
fi
grep -vE '^(#|$)' "$SPLAT_DIR/splat.ignore" >"$work/ignore" 2>/dev/null
if [ -f "$SPLAT_DIR/splat-filter.awk" ]; then
	dmesg | awk -f "$SPLAT_DIR/splat-filter.awk" >"$work/dmesg"
else
	dmesg >"$work/dmesg"
fi
if [ -s "$work/ignore" ]; then
	grep -E -f "$work/match" "$work/dmesg" | grep -vE -f "$work/ignore" >"$work/splats"
else
	grep -E -f "$work/match" "$work/dmesg" >"$work/splats"
fi
# kmemleak (debug kernel): scan now; a leak whose backtrace goes through our code is a splat.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak 2>/dev/null
	cat /sys/kernel/debug/kmemleak >"$work/kmemleak" 2>/dev/null
	if grep -q 'rust_shmem' "$work/kmemleak"; then
		echo "kmemleak: leaks through rust_shmem code:" >>"$work/splats"
		grep -B2 -A20 'unreferenced object' "$work/kmemleak" >>"$work/splats"
	elif [ -s "$work/kmemleak" ]; then
		echo "# kmemleak reports objects not allocated through rust_shmem (not counted):"
		grep -c 'unreferenced object' "$work/kmemleak" | sed 's/^/#   /'
	fi
fi
if [ -s "$work/splats" ]; then
	echo "# kernel log contains splats:"
	sed 's/^/#   /' "$work/splats"
fi
own_test "$([ -s "$work/splats" ] && echo 1 || echo 0)" kernel_log_clean

# --- kernel_untainted -------------------------------------------------------------------------------
# /proc/sys/kernel/tainted, bit by bit (include/linux/panic.h, Documentation/admin-guide/tainted-
# kernels.rst): only O (an out-of-tree module: ours), K (a livepatch was applied: our takeover,
# tests/suites/takeover_mode.sh and tests/takeover.c) and N (KUnit tests ran: our suites run when
# the module loads) are expected.
taint_letters=PFSRMBUDAWCIOELKXTNJ
tainted=$(cat /proc/sys/kernel/tainted)
bad=
b=0
while [ "$b" -lt 20 ]; do
	if [ $(((tainted >> b) & 1)) = 1 ] && [ "$b" != 12 ] && [ "$b" != 15 ] && [ "$b" != 18 ]; then
		bad="$bad$(echo "$taint_letters" | cut -c$((b + 1)))"
	fi
	b=$((b + 1))
done
if [ -n "$bad" ]; then
	echo "# the kernel is tainted $tainted (flags $bad besides O, K and N); the first taint's cause in the log:"
	dmesg | grep -E 'BUG:|WARNING:|Oops|taints kernel|Disabling lock debugging|soft lockup|blocked for more than|Kernel panic' |
		grep -vE 'out-of-tree module taints|command line' | head -n 5 | sed 's/^/#   /'
fi
own_test "$([ -z "$bad" ] && echo 0 || echo 1)" kernel_untainted "taint $tainted${bad:+, flags $bad besides O, K and N}"

# --- debug_checkers_on (debug kernel) ----------------------------------------------------------------
# Each checker of the debug flavour (qemu/kernel-debug.config) must still be running at the end.
if [ "$FLAVOUR" = debug ]; then
	off=
	grep -qE '^ *debug_locks: +1$' /proc/lockdep_stats 2>/dev/null ||
		off="$off lockdep(debug_locks=$(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats 2>/dev/null))"
	# (After its first report generic KASAN reports nothing more: that report fails
	# kernel_log_clean and taints B, which kernel_untainted fails.)
	dmesg | grep -q 'KernelAddressSanitizer initialized' || off="$off KASAN(not initialized)"
	grep -qE '^enabled: +1$' /sys/kernel/debug/kfence/stats 2>/dev/null || off="$off KFENCE"
	if [ -r /sys/kernel/debug/kmemleak ] && ! dmesg | grep -q 'kmemleak: Kernel memory leak detector disabled'; then
		dmesg | grep -q 'kmemleak: Kernel memory leak detector initialized' || off="$off kmemleak(not initialized)"
		[ -f "$work/kmemleak" ] || off="$off kmemleak(no scan)"
	else
		off="$off kmemleak(disabled)"
	fi
	if [ -n "$off" ]; then
		echo "# debug checkers off at the end:$off"
		dmesg | grep -nE 'Disabling lock debugging|turning off the locking correctness validator|kmemleak.*disabl|kfence.*disabl' |
			head -n 5 | sed 's/^/#   /'
	fi
	own_test "$([ -z "$off" ] && echo 0 || echo 1)" debug_checkers_on \
		"${off:+off:$off}${off:-lockdep, KASAN, KFENCE, kmemleak on at the end}"
fi

if [ "$ran" = 0 ]; then
	echo "# no test binary ran (none in $BIN or none selected)"
fi
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
if [ -n "${RS_SUMMARY:-}" ]; then echo "$summary" >"$RS_SUMMARY"; fi
[ "$failed" = 0 ] && [ "$ran" -gt 0 ]
