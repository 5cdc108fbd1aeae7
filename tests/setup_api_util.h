/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rust_shmem's kernel API (include/linux/rust_shmem.h), driven through the test module
 * rust_shmem_consumer.ko (tests/consumer/), which uses each exported function the way in-tree
 * users use mm/shmem.c's: DRM GEM objects, XFS's xfile, ipc/shm.c, /dev/zero.
 *
 * The "api" fixture runs per setup function (file_setup, kernel_file_setup, file_setup_with_mnt
 * on the consumer's own kernel-internal mount and on a user mount): create, kernel I/O through
 * the page cache, mapping into this process, resize, sizes, naming, backing filesystem, commit
 * accounting and what pins the module. The "with_mnt" fixture (both mounts) covers which mounts
 * file_setup_with_mnt takes, the "user_mount" fixture what only a user mount has: its inode
 * limit, its lifetime and idmapped clones of it. The "zero" fixture covers
 * rust_shmem_zero_setup(vma) and rust_shmem_zero_setup_desc(desc). The kernel's own shmem is
 * the reference in the same test where user space can reach it: memfd_create()
 * (shmem_file_setup with VMA_NORESERVE_BIT), MAP_SHARED|MAP_ANONYMOUS (shmem_zero_setup,
 * charged), and ftruncate() through /proc/self/map_files of such a mapping (shmem_setattr's
 * re-accounting).
 *
 * Binaries: setup_api_files (the "api" fixture), setup_api_mounts ("with_mnt" and "user_mount")
 * and setup_api_zero ("zero", then the consumer's unload). Each loads the consumer module if it
 * is not loaded (RSC_KO, default /lib/modules/rust_shmem_consumer.ko) and unloads it at the end
 * (unload_at_exit(); setup_api_zero in its last test).
 *
 * Sizes: on 64-bit, MAX_LFS_FILESIZE is LLONG_MAX, so no loff_t is larger; "too large" can only
 * be tested as negative sizes, and LLONG_MAX itself is valid.
 *
 * This header holds what they share: loading the consumer, its ioctls, the overcommit sysctls,
 * the references, the fixtures' set-up and the unload. Header only: each setup_api_* binary
 * includes it once.
 */
#ifndef RUST_SHMEM_SETUP_API_UTIL_H
#define RUST_SHMEM_SETUP_API_UTIL_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "map_util.h"
#include "fs_fixture.h"
#include "rust_shmem_consumer.h"

#define CONSUMER_KO		"/lib/modules/" RSC_MODULE_NAME ".ko"
#define CONSUMER_DEV		"/dev/" RSC_DEV_NAME
#define CONSUMER_DESC_DEV	"/dev/" RSC_DESC_DEV_NAME
#define RUST_SHMEM_MODULE	"rust_shmem"

/* Committed_AS moves a little on its own (other processes, per-CPU batching). */
#define SLACK_KB		2048

/*
 * Measured in the harness's parent before any test ran (the tests run in forked children):
 * whether the consumer was loaded already, and rust_shmem's refcount without it.
 */
static bool consumer_preloaded;
static int rust_shmem_baseline = -1;
static pid_t harness_pid;

__attribute__((constructor)) static void record_baseline(void)
{
	harness_pid = getpid();
	consumer_preloaded = module_refcount(RSC_MODULE_NAME) >= 0;
	if (!consumer_preloaded)
		rust_shmem_baseline = module_refcount(RUST_SHMEM_MODULE);
}

static inline const char *consumer_ko(void)
{
	const char *p = getenv("RSC_KO");

	return p && *p ? p : CONSUMER_KO;
}

/* Loads the consumer unless it is loaded; 0 or -errno. */
static inline int load_consumer(void)
{
	int fd, ret, err;

	if (module_refcount(RSC_MODULE_NAME) >= 0)
		return 0;
	fd = open(consumer_ko(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, "", 0);
	err = errno;
	close(fd);
	return ret && err != EEXIST ? -err : 0;
}

/* Opens a device node of the consumer (devtmpfs makes it as the device registers). */
static inline int open_dev(const char *path)
{
	int i, fd = -1;

	for (i = 0; i < 100 && fd < 0; i++) {
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT)
			usleep(10 * 1000);
		else
			break;
	}
	return fd;
}

/* ----------------------------------------------------------- ioctl wrappers */

static inline long rsc_ioctl(int dev, unsigned long cmd, void *arg)
{
	return ioctl(dev, cmd, arg) == -1 ? -errno : 0;
}

static inline long rsc_create(int dev, unsigned int setup, int mnt_fd, const char *name, int64_t size,
		       unsigned int flags, struct rsc_create *req)
{
	memset(req, 0, sizeof(*req));
	req->setup = setup;
	req->flags = flags;
	req->size = size;
	req->mnt_fd = mnt_fd;
	strncpy(req->name, name, sizeof(req->name) - 1);
	return rsc_ioctl(dev, RSC_IOC_CREATE, req);
}

static inline long rsc_release(int dev, uint32_t handle)
{
	return rsc_ioctl(dev, RSC_IOC_RELEASE, &handle);
}

/* Kernel write/read: the byte count or -errno. */
static inline long rsc_rw(int dev, bool write, uint32_t handle, int64_t off, void *buf, uint64_t len)
{
	struct rsc_io io = {
		.handle = handle, .offset = off, .buf = (uintptr_t)buf, .len = len,
	};
	long ret = ioctl(dev, write ? RSC_IOC_WRITE : RSC_IOC_READ, &io);

	return ret < 0 ? -errno : ret;
}

static inline long rsc_resize(int dev, uint32_t handle, int64_t size)
{
	struct rsc_resize rs = { .handle = handle, .size = size };

	return rsc_ioctl(dev, RSC_IOC_RESIZE, &rs);
}

static inline long rsc_info(int dev, uint32_t handle, struct rsc_info *info)
{
	memset(info, 0, sizeof(*info));
	info->handle = handle;
	return rsc_ioctl(dev, RSC_IOC_INFO, info);
}

/* ------------------------------------------------------ overcommit sysctls */

struct vm_sysctls {
	char mode[32], ratio[32], kbytes[32];
	bool saved;
};

static inline int read_sysctl(const char *name, char *buf, size_t size)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static inline int write_sysctl(const char *name, const char *val)
{
	char path[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/sys/vm/%s", name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -EIO;
}

/*
 * Strict overcommit (mode 2) with a commit limit of Committed_AS + @headroom_kb: the limit is
 * set through overcommit_kbytes (the guest has no swap), which is overcommit_ratio's exact
 * twin. @saved gets what to restore.
 */
static inline int set_strict_overcommit(struct vm_sysctls *saved, long headroom_kb)
{
	char val[32];
	long committed;
	int ret;

	if (!saved->saved) {
		if (read_sysctl("overcommit_memory", saved->mode, sizeof(saved->mode)) ||
		    read_sysctl("overcommit_ratio", saved->ratio, sizeof(saved->ratio)) ||
		    read_sysctl("overcommit_kbytes", saved->kbytes, sizeof(saved->kbytes)))
			return -EIO;
		saved->saved = true;
	}
	committed = meminfo_kb("Committed_AS");
	if (committed < 0)
		return -EIO;
	snprintf(val, sizeof(val), "%ld", committed + headroom_kb);
	ret = write_sysctl("overcommit_kbytes", val);
	return ret ? ret : write_sysctl("overcommit_memory", "2");
}

static inline void restore_overcommit(struct vm_sysctls *saved)
{
	if (!saved->saved)
		return;
	write_sysctl("overcommit_memory", saved->mode);
	/* Writing one of ratio/kbytes zeroes the other: write the one that was in use. */
	if (strcmp(saved->kbytes, "0"))
		write_sysctl("overcommit_kbytes", saved->kbytes);
	else
		write_sysctl("overcommit_ratio", saved->ratio);
	saved->saved = false;
}

/* ------------------------------------------------------------ references */

/* A memfd (the kernel's shmem_file_setup, NORESERVE) of @size bytes, or -1. */
static inline int ref_memfd(const char *name, off_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd >= 0 && ftruncate(fd, size)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---------------------------------------------------------------- fixtures */

/* Loads the consumer unless it is loaded and opens its device: the fd in *@dev. */
static inline void open_consumer(struct __test_metadata *_metadata, int *dev)
{
	ASSERT_EQ(0, load_consumer()) {
		TH_LOG("loading %s: %s", consumer_ko(), strerror(-load_consumer()));
	}
	*dev = open_dev(CONSUMER_DEV);
	ASSERT_GE(*dev, 0) {
		TH_LOG("open %s: %s", CONSUMER_DEV, strerror(errno));
	}
}

/* The user mount's inode limit (the root directory takes one). */
/* The user mount's inode limit (the root directory takes one). */
#define USER_MOUNT_INODES	16

/*
 * The user mount of the with_mnt tests: in a private mount namespace of the test, rust_shmem
 * with nr_inodes=USER_MOUNT_INODES on a new directory, whose path goes to @mnt (SCRATCH_LEN
 * bytes) and an fd of whose root goes to *@mnt_fd. The mount dies with the test's mount
 * namespace; the directory stays for the parent to remove (remove_mount_dir).
 */
static inline void make_user_mount(struct __test_metadata *_metadata, char *mnt, int *mnt_fd)
{
	char opts[64];

	ASSERT_EQ(0, enter_private_mntns());
	snprintf(opts, sizeof(opts), "mode=0755,nr_inodes=%d", USER_MOUNT_INODES);
	mount_scratch(_metadata, mnt, "setup_api", RUST_SHMEM_FSTYPE, opts);
	*mnt_fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(*mnt_fd, 0);
}
/* In the parent, after the test: the user mount's directory (its mount went with the child). */
static inline void remove_mount_dir(const char *mnt)
{
	if (mnt[0])
		rmdir(mnt);
}

/* ------------------------------------------------------------------ unload */

/*
 * delete_module() of the consumer, retried while the harness's children may still be closing
 * their descriptors: 0, or -1 with errno.
 */
static inline int delete_consumer(void)
{
	int i, ret = -1;

	for (i = 0; i < 200; i++) {
		ret = syscall(__NR_delete_module, RSC_MODULE_NAME, O_NONBLOCK);
		if (!ret || errno != EWOULDBLOCK)
			break;
		usleep(10 * 1000);
	}
	return ret;
}

/*
 * The last case of setup_api_zero, the last setup_api_* binary by name, unloads the consumer
 * (unload.consumer). Any other binary that loaded it unloads it when its harness exits, with the
 * same check (rust_shmem's refcount back where it was), so that each binary leaves the module
 * as it found it, also when run alone; a failure there makes the exit status KSFT_FAIL, which
 * the guest runner counts as a failure.
 */
__attribute__((destructor)) static void unload_at_exit(void)
{
	int refs;

	if (getpid() != harness_pid || consumer_preloaded || module_refcount(RSC_MODULE_NAME) < 0)
		return;
	if (delete_consumer()) {
		printf("# unloading %s at exit: %s\n", RSC_MODULE_NAME, strerror(errno));
		fflush(stdout);
		_exit(KSFT_FAIL);
	}
	refs = module_refcount(RUST_SHMEM_MODULE);
	if (rust_shmem_baseline >= 0 && refs != rust_shmem_baseline) {
		printf("# after unloading %s: %s refcount %d, %d before\n", RSC_MODULE_NAME,
		       RUST_SHMEM_MODULE, refs, rust_shmem_baseline);
		fflush(stdout);
		_exit(KSFT_FAIL);
	}
}

#endif /* RUST_SHMEM_SETUP_API_UTIL_H */
