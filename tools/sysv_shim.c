// SPDX-License-Identifier: GPL-2.0
/*
 * librust_shmem_sysv.so: shmget(2), shmat(2), shmdt(2) and shmctl(2) on /dev/rust_shmem_sysv,
 * for LD_PRELOAD:
 *
 *	LD_PRELOAD=librust_shmem_sysv.so program
 *
 * Every call becomes one ioctl (include/uapi/linux/rust_shmem_sysv.h) and returns what the system
 * call would, errno included. The device is opened on first use and kept open (close-on-exec).
 *
 * Built with RUST_SHMEM_SYSV_SHIM_PREFIX defined (e.g. to rs_), the functions are named
 * rs_shmget & co. instead and are static: that is how tests/sysv.c runs the same experiments on
 * the kernel's calls and on these in one static binary.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/uio.h>

#include <linux/rust_shmem_sysv.h>

#ifdef RUST_SHMEM_SYSV_SHIM_PREFIX
#define SHIM_CAT2(a, b) a##b
#define SHIM_CAT(a, b) SHIM_CAT2(a, b)
#define SHIM(name) SHIM_CAT(RUST_SHMEM_SYSV_SHIM_PREFIX, name)
#define SHIM_API static __attribute__((unused))
#else
#define SHIM(name) name
#define SHIM_API __attribute__((visibility("default")))
#endif

static int shim_fd = -1;

/* The device, opened once; -1 with errno set if it cannot be. */
static int shim_dev(void)
{
	int fd = __atomic_load_n(&shim_fd, __ATOMIC_ACQUIRE);
	int expected = -1;

	if (fd >= 0)
		return fd;
	fd = open(RUST_SHMEM_SYSV_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!__atomic_compare_exchange_n(&shim_fd, &expected, fd, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		close(fd);
		fd = expected;
	}
	return fd;
}

/*
 * The caller's buffer is read and written with process_vm_readv/writev on ourselves, which fail
 * with EFAULT on a bad address as the kernel's copy_{from,to}_user would, instead of faulting.
 */
static int shim_copy(void *to, const void *from, size_t len, bool out)
{
	struct iovec local = { .iov_base = out ? (void *)from : to, .iov_len = len };
	struct iovec remote = { .iov_base = out ? to : (void *)from, .iov_len = len };
	ssize_t done = out ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0) :
			     process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	if (done == (ssize_t)len)
		return 0;
	errno = EFAULT;
	return -1;
}

SHIM_API int SHIM(shmget)(key_t key, size_t size, int shmflg)
{
	struct rust_shmem_sysv_get get = {
		.size = sizeof(get), .key = key, .segsz = size, .shmflg = shmflg,
	};
	int fd = shim_dev();

	return fd < 0 ? -1 : ioctl(fd, RUST_SHMEM_SYSV_GET, &get);
}

SHIM_API void *SHIM(shmat)(int shmid, const void *shmaddr, int shmflg)
{
	struct rust_shmem_sysv_at at = {
		.size = sizeof(at), .shmid = shmid, .shmaddr = (uintptr_t)shmaddr, .shmflg = shmflg,
	};
	int fd = shim_dev();

	if (fd < 0 || ioctl(fd, RUST_SHMEM_SYSV_AT, &at) < 0)
		return (void *)-1;
	return (void *)(uintptr_t)at.addr;
}

SHIM_API int SHIM(shmdt)(const void *shmaddr)
{
	struct rust_shmem_sysv_dt dt = { .size = sizeof(dt), .shmaddr = (uintptr_t)shmaddr };
	int fd = shim_dev();

	return fd < 0 ? -1 : ioctl(fd, RUST_SHMEM_SYSV_DT, &dt);
}

SHIM_API int SHIM(shmctl)(int shmid, int cmd, struct shmid_ds *buf)
{
	struct rust_shmem_sysv_ctl ctl = { .size = sizeof(ctl), .shmid = shmid, .cmd = cmd };
	union {
		struct shmid_ds ds;
		struct shminfo info;
		struct shm_info shm_info;
	} out;
	size_t out_len;
	int fd = shim_dev();
	int ret;

	if (fd < 0)
		return -1;
	if (cmd == IPC_SET) {
		/* The kernel copies the buffer in before anything else. */
		struct shmid_ds in;

		if (shim_copy(&in, buf, sizeof(in), false))
			return -1;
		ctl.ds.uid = in.shm_perm.uid;
		ctl.ds.gid = in.shm_perm.gid;
		ctl.ds.mode = in.shm_perm.mode;
	}
	ret = ioctl(fd, RUST_SHMEM_SYSV_CTL, &ctl);
	if (ret < 0)
		return ret;
	memset(&out, 0, sizeof(out));
	switch (cmd) {
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY:
		out.ds.shm_perm.__key = ctl.ds.key;
		out.ds.shm_perm.uid = ctl.ds.uid;
		out.ds.shm_perm.gid = ctl.ds.gid;
		out.ds.shm_perm.cuid = ctl.ds.cuid;
		out.ds.shm_perm.cgid = ctl.ds.cgid;
		out.ds.shm_perm.mode = ctl.ds.mode;
		out.ds.shm_perm.__seq = ctl.ds.seq;
		out.ds.shm_segsz = ctl.ds.segsz;
		out.ds.shm_atime = ctl.ds.atime;
		out.ds.shm_dtime = ctl.ds.dtime;
		out.ds.shm_ctime = ctl.ds.ctime;
		out.ds.shm_cpid = ctl.ds.cpid;
		out.ds.shm_lpid = ctl.ds.lpid;
		out.ds.shm_nattch = ctl.ds.nattch;
		out_len = sizeof(out.ds);
		break;
	case IPC_INFO:
		out.info.shmmax = ctl.info.shmmax;
		out.info.shmmin = ctl.info.shmmin;
		out.info.shmmni = ctl.info.shmmni;
		out.info.shmseg = ctl.info.shmseg;
		out.info.shmall = ctl.info.shmall;
		out_len = sizeof(out.info);
		break;
	case SHM_INFO:
		out.shm_info.used_ids = (int)ctl.info.used_ids;
		out.shm_info.shm_tot = ctl.info.shm_tot;
		out.shm_info.shm_rss = ctl.info.shm_rss;
		out.shm_info.shm_swp = ctl.info.shm_swp;
		out.shm_info.swap_attempts = ctl.info.swap_attempts;
		out.shm_info.swap_successes = ctl.info.swap_successes;
		out_len = sizeof(out.shm_info);
		break;
	default:
		return ret;
	}
	/* As in the kernel, a bad buffer fails the copy-out after the command has run. */
	return shim_copy(buf, &out, out_len, true) ? -1 : ret;
}
