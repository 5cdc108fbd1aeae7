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
# Environment: RS_TESTS=a,b (subset; unknown names are an error), RS_TEST_TIMEOUT, RS_TEST_BIN
# (default /tests/bin), RUST_SHMEM_KO (default /lib/modules/rust_shmem.ko), RS_SUMMARY (a file
# that also gets the final line).

BIN=${RS_TEST_BIN:-/tests/bin}
TIMEOUT=${RS_TEST_TIMEOUT:-300}
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

echo "TAP version 13"
echo "1..$((count + 2))"

# --- running one binary -------------------------------------------------------------------------------
# The binary runs in its own session/process group so that a timeout, and the clean-up afterwards,
# reach every process it forked (kselftest_harness forks one child per test case).
run_one() { # $1 = binary, $2 = file prefix for .rc and .timeout, $3 = time limit in seconds
	setsid "$1" </dev/null &
	pid=$!
	(
		sleep "$3"
		: >"$2.timeout"
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
		while IFS= read -r line || [ -n "$line" ]; do
			printf '%s\n' "$line" >&4
			printf '    %s\n' "$line"
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

# --- kernel_log_clean ------------------------------------------------------------------------------------
i=$((i + 1))
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
	echo "not ok $i kernel_log_clean"
	failed=$((failed + 1))
else
	echo "ok $i kernel_log_clean"
	passed=$((passed + 1))
fi

if [ "$ran" = 0 ]; then
	echo "# no test binary ran (none in $BIN or none selected)"
fi
summary="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && summary="$summary, $skipped skipped"
echo "$summary"
if [ -n "${RS_SUMMARY:-}" ]; then echo "$summary" >"$RS_SUMMARY"; fi
[ "$failed" = 0 ] && [ "$ran" -gt 0 ]
