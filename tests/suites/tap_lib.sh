# shellcheck shell=sh
# TAP helpers for the guest suites (tests/suites/*.sh), installed as /tests/lib/tap_lib.sh; busybox sh.
#   tap STATUS DESCRIPTION...   one numbered test: "ok" if STATUS is 0, else "not ok"
#   tap_totals                  the kselftest "# Totals:" line the guest runner counts
# The counters are $n, $pass and $fail.
n=0 pass=0 fail=0
tap() {
	r=$1
	shift
	n=$((n + 1))
	if [ "$r" = 0 ]; then echo "ok $n $*"; pass=$((pass + 1)); else echo "not ok $n $*"; fail=$((fail + 1)); fi
}
tap_totals() {
	echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
}
