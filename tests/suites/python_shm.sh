#!/bin/sh
# CPython 3.11's own shared-memory tests (Debian's libpython3.11-testsuite, installed on the host by
# qemu/deps.sh, run from the host root over 9p) on rust_shmem and on tmpfs in the same guest: the
# WithProcessesTestSharedMemory cases of test_multiprocessing_fork (multiprocessing.shared_memory:
# SharedMemory, ShareableList, SharedMemoryManager over AF_UNIX, the resource tracker), plus
# RS_PY_VARIANTS (default "forkserver": test_multiprocessing_forkserver's same class). Guest runner
# entry (installed as /tests/bin/python_shm by the top-level Makefile); busybox sh.
#
# TAP per side and variant: the run completed with every case ok; then one test per variant that
# both sides gave each case the same outcome; and one per side that a SharedMemory object made by
# Python lives on that side's file system (fstatfs magic of its /dev/shm file, from Python itself).
# rs-test-timeout: 1800

PY=/usr/bin/python3.11
VARIANTS="fork ${RS_PY_VARIANTS-forkserver}"
RUST_SHMEM_MAGIC=1381190984 # 0x52534d48
TMPFS_MAGIC=16914836        # 0x01021994
work=$(mktemp -d /tmp/python_shm.XXXXXX) || exit 2

umount_shm() {
	while grep -q ' /host/dev/shm ' /proc/mounts; do umount /host/dev/shm || return 1; done
}
cleanup() {
	umount_shm
	rm -rf "$work"
}
trap cleanup EXIT

. /tests/lib/tap_lib.sh

echo "TAP version 13"
if ! grep -q ' /host 9p ' /proc/mounts || [ ! -f /host/usr/lib/python3.11/test/_test_multiprocessing.py ]; then
	echo "1..1"
	tap 1 "python_available # no host root on /host or no CPython test suite in it (qemu/init, qemu/deps.sh)"
	tap_totals
	exit 1
fi
nv=0
for v in $VARIANTS; do nv=$((nv + 1)); done
echo "1..$((3 * nv + 2))"
echo "# $(host-run $PY --version), variants: $VARIANTS"

# The magic of the file system a new multiprocessing.shared_memory.SharedMemory lives on.
probe='
import ctypes, os, sys
from multiprocessing import shared_memory
class StatFs(ctypes.Structure):
    _fields_ = [("f_type", ctypes.c_long), ("rest", ctypes.c_long * 15)]
libc = ctypes.CDLL(None, use_errno=True)
m = shared_memory.SharedMemory(create=True, size=1 << 20)
try:
    m.buf[:5] = b"hello"
    fd = os.open("/dev/shm/" + m.name.lstrip("/"), os.O_RDONLY)
    st = StatFs()
    if libc.fstatfs(fd, ctypes.byref(st)) != 0:
        sys.exit("fstatfs: " + os.strerror(ctypes.get_errno()))
    print(m.name, st.f_type)
finally:
    m.close()
    m.unlink()
'

for side in rust_shmem tmpfs; do
	umount_shm
	mount -t "$side" -o mode=1777 "py_$side" /host/dev/shm || { echo "# cannot mount $side"; exit 1; }
	want=$RUST_SHMEM_MAGIC
	[ "$side" = rust_shmem ] || want=$TMPFS_MAGIC
	set -- $(host-run -e PYTHONDONTWRITEBYTECODE=1 $PY -c "$probe" 2>"$work/probe.err")
	[ "${2:-}" = "$want" ]
	tap $? "${side}_shared_memory_object # SharedMemory ${1:-?} on f_type ${2:-?} (want $want)"
	[ -s "$work/probe.err" ] && sed 's/^/#   /' "$work/probe.err"

	for v in $VARIANTS; do
		start=$(date +%s)
		host-run -e PYTHONDONTWRITEBYTECODE=1 -e TMPDIR=/tmp $PY -m test -v \
			"test_multiprocessing_$v" -m WithProcessesTestSharedMemory >"$work/$side.$v.out" 2>&1
		rc=$?
		# Case lines: "test_x (test._test_multiprocessing.WithProcessesTestSharedMemory.test_x) ... ok"
		sed -n 's/^\(test_[a-zA-Z0-9_]*\) (.*) \.\.\. \(.*\)$/\1 \2/p' "$work/$side.$v.out" |
			sort >"$work/$side.$v.res"
		cases=$(wc -l <"$work/$side.$v.res")
		oks=$(grep -c ' ok$' "$work/$side.$v.res")
		ran=$(sed -n 's/^Ran \([0-9]*\) tests\{0,1\}.*/\1/p' "$work/$side.$v.out" | tail -n 1)
		r=1
		[ "$rc" = 0 ] && [ "$cases" -gt 0 ] && [ "$oks" = "$cases" ] && [ "$ran" = "$cases" ] && r=0
		[ "$r" = 0 ] || grep -vE ' \.\.\. ok$' "$work/$side.$v.out" | tail -n 30 | sed 's/^/#   /'
		tap "$r" "${side}_$v # $oks of $cases cases ok (Ran ${ran:-?}), exit status $rc, $(($(date +%s) - start))s"
	done
done
umount_shm

for v in $VARIANTS; do
	if cmp -s "$work/rust_shmem.$v.res" "$work/tmpfs.$v.res" && [ -s "$work/tmpfs.$v.res" ]; then
		tap 0 "same_outcomes_$v # $(wc -l <"$work/tmpfs.$v.res") cases"
	else
		diff "$work/tmpfs.$v.res" "$work/rust_shmem.$v.res" | sed 's/^/#   /'
		tap 1 "same_outcomes_$v"
	fi
done
tap_totals
[ "$fail" = 0 ]
