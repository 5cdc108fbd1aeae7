#!/usr/bin/env bash
# Repeats a guest run and summarises every test's outcome across the runs, for hunting flakes.
#
# Usage: soak.sh -n RUNS [-o OUTDIR] -- BOOT-COMMAND...
#   BOOT-COMMAND is a qemu/boot.sh check-mode command line writing to build/ (the Makefile's
#   `make soak` passes its own); after each run its tests.tap and console.log are kept as
#   OUTDIR/run-K.tap and OUTDIR/run-K.console (default OUTDIR: build/soak).
# Output: one line per run (status, summary, seconds), then per test binary and per test case
# that did not pass every time: "name: P passed, F failed of N runs (runs ...)"; last line
# "soak: R runs, G green, B red". Exit status: 0 if every run was green.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=qemu/common.sh
. "$here/common.sh"

runs=
outdir=$repo/build/soak
while getopts 'n:o:h' opt; do
	case $opt in
	n) runs=$OPTARG ;;
	o) outdir=$OPTARG ;;
	*) sed -n '2,12s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || die "soak.sh: -n RUNS (a positive number) is required"
[ "${1:-}" = -- ] && shift
(($# > 0)) || die "soak.sh: no boot command"

rm -rf "$outdir"
mkdir -p "$outdir"
green=0
for ((k = 1; k <= runs; k++)); do
	t0=$SECONDS
	rc=0
	rm -f "$repo/build/tests.tap" "$repo/build/console.log"
	# env: the command may start with VAR=value words (the Makefile's BOOT does).
	env "$@" >"$outdir/run-$k.log" 2>&1 || rc=$?
	cp "$repo/build/tests.tap" "$outdir/run-$k.tap" 2>/dev/null || : >"$outdir/run-$k.tap"
	cp "$repo/build/console.log" "$outdir/run-$k.console" 2>/dev/null || true
	sum=$(tr -d '\r' <"$outdir/run-$k.tap" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1 || true)
	((rc != 0)) || green=$((green + 1))
	printf 'soak: run %d/%d: exit status %d, %s, %ds\n' "$k" "$runs" "$rc" "${sum:-no summary}" $((SECONDS - t0))
done

# Top-level lines ("ok 3 sysv") and the nested harness lines ("    ok 12 global.concurrent_churn"),
# by name, across runs.
for ((k = 1; k <= runs; k++)); do
	tr -d '\r' <"$outdir/run-$k.tap" | awk -v run="$k" '
		/^(not )?ok [0-9]+ / { top = $0; sub(/^(not )?ok [0-9]+ /, "", top); sub(/ #.*/, "", top)
			print run, (/^not/ ? "fail" : "pass"), top; bin = top; next }
		/^    # selftest: / { bin = $3 }
		/^    (not )?ok [0-9]+ / { c = $0; sub(/^    (not )?ok [0-9]+ /, "", c)
			if (c ~ / # SKIP/) next
			sub(/ #.*/, "", c); print run, (/^    not/ ? "fail" : "pass"), bin "/" c }'
done >"$outdir/outcomes"
awk '{ n[$3]++; if ($2 == "fail") { f[$3]++; r[$3] = r[$3] " " $1 } }
	END { for (t in n) if (f[t] > 0) printf "%s: %d passed, %d failed of %d runs (runs%s)\n", t, n[t] - f[t], f[t], n[t], r[t] }' \
	"$outdir/outcomes" | sort >"$outdir/flaky"
if [ -s "$outdir/flaky" ]; then
	echo "soak: tests that failed at least once:"
	sed 's/^/  /' "$outdir/flaky"
else
	echo "soak: every test passed in every run ($(awk '{ print $3 }' "$outdir/outcomes" | sort -u | wc -l) tests and cases)"
fi
echo "soak: $runs runs, $green green, $((runs - green)) red"
((green == runs))
