#!/bin/sh
# fsx (crates.io `fsx`, installed by qemu/deps.sh, carried into the image as /usr/bin/fsx) on fresh
# rust_shmem mounts, and with the first seed on a fresh tmpfs mount as the control. Guest runner
# entry (installed as /tests/bin/fsx by the top-level Makefile); busybox sh.
#
# Every operation fsx has is enabled: pread/pwrite, mmap reads and writes (msync), truncate,
# posix_fallocate (mode 0), hole punching (PUNCH_HOLE|KEEP_SIZE), msync(MS_INVALIDATE), fsync,
# fdatasync, copy_file_range, sendfile (to a Unix socket pair), posix_fadvise, close/reopen;
# unaligned offsets and sizes. fsx has no fallocate(FALLOC_FL_KEEP_SIZE) preallocation
# (fs_basic_files covers it).
# A run passes when fsx exits 0 after all its operations (it stops at the first miscompare, wrong
# size or failed call, and dumps its operation log, printed here).
#
# Runs: rust_shmem with the first seed for RS_FSX_OPS operations (default 100000), rust_shmem with
# each further seed, tmpfs with the first seed (the control: same operation sequence), and
# rust_shmem with huge=always and huge=within_size (large folios) for RS_FSX_SHORT_OPS (default
# 20000). Under TCG fsx does about 750 operations a second, so the defaults take about 4 minutes.
#
# Environment: RS_FSX (the program, default fsx from PATH), RS_FSX_OPS, RS_FSX_SHORT_OPS,
# RS_FSX_SEEDS (default "1 2"). From the host, e.g.
#   make check TESTS=fsx RUST_SHMEM_APPEND='RS_FSX_OPS=1000000 RS_FSX_SEEDS=7'
# rs-test-timeout: 900

FSX=${RS_FSX:-fsx}
OPS=${RS_FSX_OPS:-100000}
SHORT_OPS=${RS_FSX_SHORT_OPS:-20000}
SEEDS=${RS_FSX_SEEDS:-1 2}
export NO_COLOR=1
base=/mnt/fsx
work=$(mktemp -d /tmp/fsx.XXXXXX) || exit 2

cleanup() {
	for m in "$base"/*; do
		grep -q " $m " /proc/mounts && umount "$m"
	done
	rm -rf "$work"
}
trap cleanup EXIT

echo "TAP version 13"
if ! command -v "$FSX" >/dev/null; then
	echo "1..0 # SKIP $FSX is not in the image (qemu/deps.sh installs it, the Makefile adds it)"
	echo "# Totals: pass:0 fail:0 xfail:0 xpass:0 skip:1 error:0"
	exit 4
fi

cat >"$work/fsx.toml" <<'TOML'
# Maximum file size (fsx's classic 256 KiB); operations up to 64 KiB at any byte offset.
flen = 262144

[opsize]
min = 0
max = 65536
align = 1

[weights]
read = 10
write = 10
mapread = 10
mapwrite = 10
truncate = 10
posix_fallocate = 5
punch_hole = 5
sendfile = 2
copy_file_range = 2
posix_fadvise = 1
invalidate = 1
fsync = 1
fdatasync = 1
close_open = 1
TOML

# Runs as filesystem:seed:operations.
runs=
for s in $SEEDS; do
	if [ -z "$runs" ]; then
		first=$s
		runs="rust_shmem:$s:$OPS"
	else
		runs="$runs rust_shmem:$s:$SHORT_OPS"
	fi
done
runs="$runs tmpfs:$first:$SHORT_OPS"
# Large folios: every truncate and punch splits or zeroes part of one (fs:seed:ops:huge policy).
runs="$runs rust_shmem:$first:$SHORT_OPS:always rust_shmem:$first:$SHORT_OPS:within_size"
nruns=0
for r in $runs; do nruns=$((nruns + 1)); done

echo "# $("$FSX" --version); runs (filesystem:seed:operations[:huge=]):$runs"
echo "# config: $(sed -n 's/^\([a-z_]*\) = \([0-9]*\)$/\1=\2/p' "$work/fsx.toml" | tr '\n' ' ')"
echo "1..$nruns"

# One run: $1 = filesystem, $2 = seed, $3 = operations, $4 = name, $5 = huge= policy. Leaves
# $work/$4.{log,rc,secs}.
run_one() {
	mnt=$base/$4
	mkdir -p "$mnt" "$work/$4"
	if ! mount -t "$1" -o "mode=0755,huge=$5" "fsx_$1" "$mnt"; then
		echo "could not mount $1 on $mnt" >"$work/$4.log"
		echo 255 >"$work/$4.rc"
		echo 0 >"$work/$4.secs"
		return
	fi
	t0=$(date +%s)
	"$FSX" -f "$work/fsx.toml" -N "$3" -S "$2" -P "$work/$4" "$mnt/fsx.file" \
		</dev/null >"$work/$4.log" 2>&1
	echo $? >"$work/$4.rc"
	echo $(($(date +%s) - t0)) >"$work/$4.secs"
	# On failure fsx saves the contents it expects (binary): compare them with the file's.
	if [ -f "$work/$4/fsx.file.fsxgood" ]; then
		echo "offset (from 1) expected actual (octal)" >"$work/$4.cmp"
		cmp -l "$work/$4/fsx.file.fsxgood" "$mnt/fsx.file" 2>&1 | head -n 16 >>"$work/$4.cmp"
	fi
	umount "$mnt" || echo "umount $mnt failed" >>"$work/$4.log"
}

# fs:seed:ops[:huge] -> fsx_fs[_huge_policy]_seed_N
name_of() {
	echo "$1" | awk -F: '{ print "fsx_" $1 ($4 == "" ? "" : "_huge_" $4) "_seed_" $2 }'
}

# Field $2 (from 1) of run $1.
field() {
	echo "$1" | cut -d: -f"$2"
}

for r in $runs; do
	huge=$(field "$r" 4)
	run_one "$(field "$r" 1)" "$(field "$r" 2)" "$(field "$r" 3)" "$(name_of "$r")" "${huge:-never}"
done

n=0 pass=0 fail=0
for r in $runs; do
	name=$(name_of "$r")
	ops=$(field "$r" 3)
	n=$((n + 1))
	rc=$(cat "$work/$name.rc" 2>/dev/null || echo 255)
	secs=$(cat "$work/$name.secs" 2>/dev/null || echo 0)
	if [ "$rc" = 0 ] && grep -q '^All operations completed A-OK!$' "$work/$name.log"; then
		echo "ok $n $name # $ops operations in ${secs}s"
		pass=$((pass + 1))
	else
		# fsx prints what went wrong (miscompare offsets, good and bad bytes, the failed call),
		# then "LOG DUMP" and its last operations.
		echo "# $name: exit status $rc after ${secs}s; fsx said:"
		sed -n '1,/LOG DUMP/p' "$work/$name.log" | tail -n 30 | sed 's/^/#   /'
		echo "#   ... the last operations:"
		sed '1,/LOG DUMP/d' "$work/$name.log" | tail -n 40 | sed 's/^/#   /'
		if [ -s "$work/$name.cmp" ]; then
			echo "#   expected file (fsx's .fsxgood) against the file, first differing bytes:"
			sed 's/^/#   /' "$work/$name.cmp"
		fi
		echo "not ok $n $name # exit status $rc"
		fail=$((fail + 1))
	fi
done

echo "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:0 error:0"
[ "$fail" = 0 ]
