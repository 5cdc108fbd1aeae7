#!/bin/sh
# pjdfstest (crates.io `pjdfstest`, installed by qemu/deps.sh, carried into the image as
# /usr/bin/pjdfstest) on a fresh tmpfs and a fresh rust_shmem mount in the same guest. The test is
# that both give the same outcome (ok, FAILED, skipped, ...) for every case. Guest runner entry
# (installed as /tests/bin/pjdfstest by the top-level Makefile); busybox sh.
#
# TAP: one test per run (it completed; its numbers), one that both ran the same cases, and one per
# pjdfstest area (chmod, chown, ..., the first part of the case name) comparing the outcomes of its
# cases. Every case whose outcome differs is printed with both outcomes and pjdfstest's message.
# Environment: RS_PJDFSTEST (the program, default pjdfstest from PATH), RS_PJDFSTEST_ARGS (extra
# arguments of the main run, e.g. case name patterns: only those cases run; the EROFS cases always
# run). From the host: make check TESTS=pjdfstest RUST_SHMEM_APPEND=RS_PJDFSTEST_ARGS=truncate

PJD=${RS_PJDFSTEST:-pjdfstest}
export NO_COLOR=1
base=/mnt/pjdfstest
work=$(mktemp -d /tmp/pjdfstest.XXXXXX) || exit 2

cleanup() {
	for m in "$base/tmpfs" "$base/rust_shmem" "$base/second"; do
		grep -q " $m " /proc/mounts && umount "$m"
	done
	rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"
if ! command -v "$PJD" >/dev/null; then
	echo "1..0 # SKIP $PJD is not in the image (qemu/deps.sh installs it, the Makefile adds it)"
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	exit 4
fi
echo "# $("$PJD" --version)"

# Enabled: every opt-in feature Linux has. The dummy users are the image's (qemu/image.sh). The
# EXDEV cases get a third, separate tmpfs as the other filesystem.
cat >"$work/main.toml" <<'TOML'
[features]
posix_fallocate = {}
rename_ctime = {}
utime_now = {}
utimensat = {}

[settings]
naptime = 0.01
allow_remount = false

[dummy_auth]
entries = [["nobody", "nogroup"], ["tester", "tester"]]
TOML
# The EROFS cases remount the mount under test read-only and back (it is our own fresh mount). They
# run in a second pjdfstest process: cases of the main run leave descriptors open for writing
# (pjdfstest 0.2.2 does not close every file it opens), which makes the read-only remount fail with
# EBUSY on any filesystem once those cases have run.
sed 's/^allow_remount = false$/allow_remount = true/' "$work/main.toml" >"$work/erofs.toml"

# Parses pjdfstest's output $1 into sorted "case outcome" lines on stdout. Its lines are
# "name<spaces>outcome", outcomes ok, FAILED, skipped, failed as expected, PASSED UNEXPECTEDLY
# (recorded as ok, FAILED, skipped, xfail, xpass).
outcomes() {
	awk '/^[a-z0-9_:]+ +(ok|FAILED|skipped|failed as expected|PASSED UNEXPECTEDLY)$/ {
		o = $2
		if ($2 == "failed") o = "xfail"
		if ($2 == "PASSED") o = "xpass"
		print $1, o
	}' "$1" | sort
}

# Runs pjdfstest on a fresh mount of type $1 at $base/$1: all cases but the EROFS ones ("main"),
# then the EROFS ones ("erofs"). Leaves $work/$1.{main,erofs}.{out,rc} (output, exit status),
# $work/$1.res (sorted "case outcome" lines: the erofs run's outcome for its cases, the main run's
# for the others) and $work/$1.secs.
run_on() {
	fs=$1
	mnt=$base/$fs
	mkdir -p "$mnt" "$base/second"
	if ! grep -q " $base/second " /proc/mounts; then
		mount -t tmpfs -o mode=0755 second "$base/second" || return 1
	fi
	mount -t "$fs" -o mode=0755 "pjdfstest_$fs" "$mnt" || return 1
	start=$(date +%s)
	for run in main erofs; do
		pat=${RS_PJDFSTEST_ARGS:-}
		[ "$run" = main ] || pat=erofs
		# shellcheck disable=SC2086 # the patterns are a word list
		"$PJD" -c "$work/$run.toml" -p "$mnt" -s "$base/second" $pat </dev/null \
			>"$work/$fs.$run.out" 2>&1
		echo $? >"$work/$fs.$run.rc"
		outcomes "$work/$fs.$run.out" >"$work/$fs.$run.res"
	done
	echo $(($(date +%s) - start)) >"$work/$fs.secs"
	umount "$mnt" || echo "# warning: umount $mnt failed"
	awk 'FNR == NR { e[$1] = $2; print; next } !($1 in e)' "$work/$fs.erofs.res" "$work/$fs.main.res" |
		sort >"$work/$fs.res"
	return 0
}

# The message pjdfstest printed after case $2 on filesystem $1 (the tab-indented lines below it),
# from the run that decided its outcome (the last one that printed it).
detail() {
	awk -v c="$2" '$1 == c { on = 1; n = 0; next }
		on && /^\t/ { if (n < 6) m[n++] = $0; next }
		{ on = 0 }
		END { for (i = 0; i < n; i++) print m[i] }' "$work/$1.main.out" "$work/$1.erofs.out" |
		sed 's/^\t/#       /'
}

n=0 pass=0 fail=0
tap() { # $1 = ok|not ok, $2 = description
	n=$((n + 1))
	echo "$1 $n $2"
	if [ "$1" = ok ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
}

for fs in tmpfs rust_shmem; do
	if ! run_on "$fs"; then
		echo "# could not mount $fs (or the secondary tmpfs)"
		for run in main erofs; do
			: >"$work/$fs.$run.out"
			echo 255 >"$work/$fs.$run.rc"
		done
		: >"$work/$fs.res"
		echo 0 >"$work/$fs.secs"
	fi
done

# Areas: the first component of the case names, over both runs.
areas=$(cat "$work/tmpfs.res" "$work/rust_shmem.res" | sed 's/::.*//; s/ .*//' | sort -u)
nareas=0
for a in $areas; do nareas=$((nareas + 1)); done
echo "1..$((nareas + 3))"

for fs in tmpfs rust_shmem; do
	total=$(wc -l <"$work/$fs.res")
	counts=$(cut -d' ' -f2 "$work/$fs.res" | sort | uniq -c |
		awk '{ printf "%s%s %s", sep, $1, $2; sep = ", " }')
	# pjdfstest exits 1 when a case fails; anything else (or no summary) means it did not complete.
	why=
	for run in main erofs; do
		rc=$(cat "$work/$fs.$run.rc")
		if ! grep -q '^Summary: ' "$work/$fs.$run.out" || { [ "$rc" != 0 ] && [ "$rc" != 1 ]; }; then
			why="${why:+$why; }$run run: exit status $rc, no summary"
			tail -n 20 "$work/$fs.$run.out" | sed 's/^/#   /'
		fi
	done
	[ "$total" -gt 0 ] || why="${why:+$why; }no cases"
	if [ -z "$why" ]; then
		tap ok "pjdfstest_ran_on_$fs # $total cases ($(wc -l <"$work/$fs.erofs.res") in the EROFS run) in $(cat "$work/$fs.secs")s: $counts"
	else
		tap "not ok" "pjdfstest_ran_on_$fs # $why"
	fi
done

# All cases: "case tmpfs-outcome rust_shmem-outcome", "-" where a run lacks the case.
awk 'FNR == NR { t[$1] = $2; next } { r[$1] = $2 }
	END {
		for (c in t) print c, t[c], (c in r) ? r[c] : "-"
		for (c in r) if (!(c in t)) print c, "-", r[c]
	}' "$work/tmpfs.res" "$work/rust_shmem.res" | sort >"$work/all"
if awk '$2 == "-" || $3 == "-" { bad = 1 } END { exit bad }' "$work/all"; then
	tap ok "same_cases_on_both"
else
	awk '$3 == "-" { print "#   only on tmpfs: " $1 }
		$2 == "-" { print "#   only on rust_shmem: " $1 }' "$work/all"
	tap "not ok" "same_cases_on_both"
fi

# Per area: every case's outcome on rust_shmem must be its outcome on tmpfs. The test kernel has
# AF_UNIX (CONFIG_UNIX), so the cases that bind sockets in the file system run too.
ndiff=0
for a in $areas; do
	awk -v a="$a" '{ g = $1; sub(/::.*/, "", g) } g == a' "$work/all" >"$work/a.all"
	cases=$(wc -l <"$work/a.all")
	awk '$2 != $3' "$work/a.all" >"$work/a.diff"
	# Cases failing or skipped on both: not a difference, but worth seeing (with the first line of
	# rust_shmem's message).
	awk '$2 == $3 && ($2 == "FAILED" || $2 == "skipped") { print $1, $2 }' "$work/a.all" |
		while read -r c o; do
			echo "#   $c: $o on both:$(detail rust_shmem "$c" | head -n 1 | sed 's/^#  *//; s/^./ &/')"
		done
	if [ -s "$work/a.diff" ]; then
		while read -r c t r; do
			echo "#   $c: tmpfs $t, rust_shmem $r"
			[ "$r" = FAILED ] && detail rust_shmem "$c"
			[ "$t" = FAILED ] && detail tmpfs "$c"
		done <"$work/a.diff"
		d=$(wc -l <"$work/a.diff")
		ndiff=$((ndiff + d))
		tap "not ok" "$a # $d of $cases cases differ from tmpfs"
	else
		tap ok "$a # $cases cases, same outcomes as tmpfs"
	fi
done
[ "$ndiff" = 0 ] || echo "# $ndiff cases differ between tmpfs and rust_shmem"

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
