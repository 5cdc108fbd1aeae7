// SPDX-License-Identifier: GPL-2.0
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
 * The test loads the consumer module if it is not loaded (RSC_KO, default
 * /lib/modules/rust_shmem_consumer.ko) and unloads it in its last test.
 *
 * Sizes: on 64-bit, MAX_LFS_FILESIZE is LLONG_MAX, so no loff_t is larger; "too large" can only
 * be tested as negative sizes, and LLONG_MAX itself is valid.
 */
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

__attribute__((constructor)) static void record_baseline(void)
{
	consumer_preloaded = module_refcount(RSC_MODULE_NAME) >= 0;
	if (!consumer_preloaded)
		rust_shmem_baseline = module_refcount(RUST_SHMEM_MODULE);
}

static const char *consumer_ko(void)
{
	const char *p = getenv("RSC_KO");

	return p && *p ? p : CONSUMER_KO;
}

/* Loads the consumer unless it is loaded; 0 or -errno. */
static int load_consumer(void)
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
static int open_dev(const char *path)
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

static long rsc_ioctl(int dev, unsigned long cmd, void *arg)
{
	return ioctl(dev, cmd, arg) == -1 ? -errno : 0;
}

static long rsc_create(int dev, unsigned int setup, int mnt_fd, const char *name, int64_t size,
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

static long rsc_release(int dev, uint32_t handle)
{
	return rsc_ioctl(dev, RSC_IOC_RELEASE, &handle);
}

/* Kernel write/read: the byte count or -errno. */
static long rsc_rw(int dev, bool write, uint32_t handle, int64_t off, void *buf, uint64_t len)
{
	struct rsc_io io = {
		.handle = handle, .offset = off, .buf = (uintptr_t)buf, .len = len,
	};
	long ret = ioctl(dev, write ? RSC_IOC_WRITE : RSC_IOC_READ, &io);

	return ret < 0 ? -errno : ret;
}

static long rsc_resize(int dev, uint32_t handle, int64_t size)
{
	struct rsc_resize rs = { .handle = handle, .size = size };

	return rsc_ioctl(dev, RSC_IOC_RESIZE, &rs);
}

static long rsc_info(int dev, uint32_t handle, struct rsc_info *info)
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

static int read_sysctl(const char *name, char *buf, size_t size)
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

static int write_sysctl(const char *name, const char *val)
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
static int set_strict_overcommit(struct vm_sysctls *saved, long headroom_kb)
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

static void restore_overcommit(struct vm_sysctls *saved)
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
static int ref_memfd(const char *name, off_t size)
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
static void open_consumer(struct __test_metadata *_metadata, int *dev)
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
#define USER_MOUNT_INODES	16

/*
 * The user mount of the with_mnt tests: in a private mount namespace of the test, rust_shmem
 * with nr_inodes=USER_MOUNT_INODES on a new directory, whose path goes to @mnt (@size bytes)
 * and an fd of whose root goes to *@mnt_fd. The mount dies with the test's mount namespace;
 * the directory stays for the parent to remove (remove_mount_dir).
 */
static void make_user_mount(struct __test_metadata *_metadata, char *mnt, size_t size,
			    int *mnt_fd)
{
	char opts[64];

	ASSERT_EQ(0, enter_private_mntns());
	ASSERT_LT(snprintf(mnt, size, "/tmp/setup_api.XXXXXX"), (int)size);
	ASSERT_NE(NULL, mkdtemp(mnt));
	snprintf(opts, sizeof(opts), "mode=0755,nr_inodes=%d", USER_MOUNT_INODES);
	ASSERT_EQ(0, mount(RUST_SHMEM_FSTYPE, mnt, RUST_SHMEM_FSTYPE, 0, opts)) {
		TH_LOG("mount -t rust_shmem -o %s: %s", opts, strerror(errno));
	}
	*mnt_fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(*mnt_fd, 0);
}

/* In the parent, after the test: the user mount's directory (its mount went with the child). */
static void remove_mount_dir(const char *mnt)
{
	if (mnt[0])
		rmdir(mnt);
}

FIXTURE(api) {
	int dev;		/* /dev/rust_shmem_consumer */
	int mnt_fd;		/* for RSC_SETUP_WITH_MNT; RSC_MNT_PRIVATE otherwise */
	char mnt[64];		/* the user mount, if any */
	long page;
	struct vm_sysctls vm;	/* restored by the parent (FIXTURE_TEARDOWN_PARENT) */
};

FIXTURE_VARIANT(api) {
	unsigned int setup;
	bool user_mount;	/* with_mnt on a rust_shmem mount made by this test */
	bool s_private;		/* the inode is S_PRIVATE */
	bool own_mount;		/* the consumer's kernel-internal mount */
};

FIXTURE_VARIANT_ADD(api, file_setup) {
	.setup = RSC_SETUP_FILE,
};

FIXTURE_VARIANT_ADD(api, kernel_file_setup) {
	.setup = RSC_SETUP_KERNEL_FILE,
	.s_private = true,
};

FIXTURE_VARIANT_ADD(api, with_mnt_kern_mount) {
	.setup = RSC_SETUP_WITH_MNT,
	.own_mount = true,
};

FIXTURE_VARIANT_ADD(api, with_mnt_user_mount) {
	.setup = RSC_SETUP_WITH_MNT,
	.user_mount = true,
};

FIXTURE_SETUP(api)
{
	self->dev = self->mnt_fd = -1;
	self->mnt[0] = '\0';
	self->vm.saved = false;
	self->page = sysconf(_SC_PAGESIZE);

	open_consumer(_metadata, &self->dev);
	self->mnt_fd = RSC_MNT_PRIVATE;
	if (variant->user_mount)
		make_user_mount(_metadata, self->mnt, sizeof(self->mnt), &self->mnt_fd);
}

FIXTURE_TEARDOWN_PARENT(api)
{
	/*
	 * In the parent: the child's descriptors and mount namespace died with it; the global
	 * overcommit settings need putting back, even if the child crashed, and the user
	 * mount's directory removing.
	 */
	restore_overcommit(&self->vm);
	remove_mount_dir(self->mnt);
}

/* Creates an object with the variant's setup function; 0 or -errno. */
static long create(FIXTURE_DATA(api) *self, const FIXTURE_VARIANT(api) *variant,
		   const char *name, int64_t size, unsigned int flags, struct rsc_create *req)
{
	return rsc_create(self->dev, variant->setup, self->mnt_fd, name, size, flags, req);
}

/* ------------------------------------------------------------------ tests */

TEST_F(api, create_info)
{
	const int64_t size = 3 * self->page + 123;
	struct rsc_create req;
	struct rsc_info info;
	struct stat ref;
	int mfd;

	ASSERT_EQ(0, create(self, variant, "rsc object", size, 0, &req));
	EXPECT_GE(req.handle, 1u);
	EXPECT_LE(req.handle, (unsigned int)RSC_MAX_OBJECTS);
	EXPECT_EQ(RSC_MMAP_OFFSET(req.handle), req.mmap_offset);

	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ(size, info.size);
	EXPECT_EQ(RUST_SHMEM_MAGIC, (long)info.magic) {
		TH_LOG("s_magic %#llx", (unsigned long long)info.magic);
	}
	EXPECT_STREQ(RUST_SHMEM_FSTYPE, info.fstype);
	EXPECT_STREQ("rsc object", info.name);
	EXPECT_EQ(0u, info.nlink);
	EXPECT_EQ(0ull, info.nrpages);
	EXPECT_EQ(variant->s_private, !!(info.flags & RSC_INFO_PRIVATE)) {
		TH_LOG("S_PRIVATE %s", info.flags & RSC_INFO_PRIVATE ? "set" : "clear");
	}
	EXPECT_EQ(variant->own_mount, !!(info.flags & RSC_INFO_OWN_MOUNT));
	EXPECT_TRUE(!!(info.flags & RSC_INFO_FMODE_RW));

	/* The kernel's shmem_file_setup(): a regular file, mode 0777, nlink 0. */
	mfd = ref_memfd("rsc-ref", size);
	ASSERT_GE(mfd, 0);
	ASSERT_EQ(0, fstat(mfd, &ref));
	close(mfd);
	EXPECT_EQ(ref.st_mode, info.mode) {
		TH_LOG("mode 0%o, memfd's 0%o", info.mode, ref.st_mode);
	}
	EXPECT_EQ((long)ref.st_nlink, (long)info.nlink);

	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
	EXPECT_EQ(-ENOENT, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ(-ENOENT, rsc_release(self->dev, req.handle));
}

/*
 * XFS xfile style: kernel_write()/kernel_read() through the page cache, compared with
 * pwrite()/pread() on a memfd.
 */
TEST_F(api, kernel_read_write)
{
	const int64_t size = 4 * self->page;
	char buf[3 * 4096], back[3 * 4096];
	struct rsc_create req;
	struct rsc_info info;
	struct rsc_io io;
	struct stat st;
	int mfd;

	ASSERT_EQ(0, create(self, variant, "rsc io", size, 0, &req));
	mfd = ref_memfd("rsc-io", size);
	ASSERT_GE(mfd, 0);

	fill_pattern(buf, sizeof(buf), 1000, 1);
	EXPECT_EQ((long)sizeof(buf), rsc_rw(self->dev, true, req.handle, 1000, buf, sizeof(buf)));
	memset(back, 0, sizeof(back));
	EXPECT_EQ((long)sizeof(back), rsc_rw(self->dev, false, req.handle, 1000, back, sizeof(back)));
	EXPECT_EQ(-1, check_pattern(back, sizeof(back), 1000, 1));
	/* Untouched bytes before it read as zeros. */
	EXPECT_EQ(1000, rsc_rw(self->dev, false, req.handle, 0, back, 1000));
	EXPECT_TRUE(all_zero(back, 1000));
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_GE(info.nrpages, 3ull);
	EXPECT_EQ(size, info.size);

	/* At and across end of file: as pread() on the memfd. */
	EXPECT_EQ(pread(mfd, back, 100, size), rsc_rw(self->dev, false, req.handle, size, back, 100));
	EXPECT_EQ(pread(mfd, back, 100, size - 10),
		  rsc_rw(self->dev, false, req.handle, size - 10, back, 100));
	/* A write past the end extends the file, as pwrite() does. */
	EXPECT_EQ(10, rsc_rw(self->dev, true, req.handle, 6 * self->page, buf, 10));
	ASSERT_EQ(10, pwrite(mfd, buf, 10, 6 * self->page));
	ASSERT_EQ(0, fstat(mfd, &st));
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ((int64_t)st.st_size, info.size);
	EXPECT_EQ(6 * self->page + 10, info.size);
	/* The gap reads as zeros. */
	EXPECT_EQ(self->page, rsc_rw(self->dev, false, req.handle, 5 * self->page, back,
				     self->page));
	EXPECT_TRUE(all_zero(back, self->page));
	close(mfd);

	/* Bad requests. */
	EXPECT_EQ(-EINVAL, rsc_rw(self->dev, false, req.handle, 0, back, 0));
	EXPECT_EQ(-EINVAL, rsc_rw(self->dev, false, req.handle, 0, back, RSC_IO_MAX + 1));
	EXPECT_EQ(-EINVAL, rsc_rw(self->dev, true, req.handle, -1, buf, 10));
	EXPECT_EQ(-EFAULT, rsc_rw(self->dev, true, req.handle, 0, (void *)8, 10));
	EXPECT_EQ(-EFAULT, rsc_rw(self->dev, false, req.handle, 0, (void *)8, 10));
	EXPECT_EQ(-ENOENT, rsc_rw(self->dev, false, req.handle + 1, 0, back, 10));
	EXPECT_EQ(-ENOENT, rsc_rw(self->dev, false, 0, 0, back, 10));
	io = (struct rsc_io){ .handle = req.handle, .reserved = 1, .buf = (uintptr_t)back,
			      .len = 10 };
	EXPECT_EQ(-EINVAL, rsc_ioctl(self->dev, RSC_IOC_READ, &io));
	EXPECT_EQ(-EFAULT, rsc_ioctl(self->dev, RSC_IOC_READ, (void *)8));
	/* A write that would end past the largest offset. */
	EXPECT_EQ(-EINVAL, rsc_rw(self->dev, true, req.handle, LLONG_MAX - 5, buf, 10));

	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
}

/* DRM GEM style: the object mapped through the device shows the kernel's bytes and vice versa. */
TEST_F(api, mmap_object)
{
	const size_t len = 4 * self->page;
	struct rsc_create req;
	char *p, *q, *priv, *kbuf;
	char buf[4096];
	int err;

	ASSERT_EQ(0, create(self, variant, "rsc map", len, 0, &req));
	kbuf = malloc(len);
	ASSERT_NE(NULL, kbuf);
	fill_pattern(kbuf, len, 0, 2);
	ASSERT_EQ((long)len, rsc_rw(self->dev, true, req.handle, 0, kbuf, len));
	free(kbuf);

	p = map(self->dev, len, PROT_READ | PROT_WRITE, MAP_SHARED, req.mmap_offset, &err);
	ASSERT_NE(NULL, p) {
		TH_LOG("mmap of the object: %s", strerror(err));
	}
	EXPECT_EQ(-1, check_pattern(p, len, 0, 2));

	/* User writes are the kernel's reads. */
	fill_pattern(p + 2 * self->page, self->page, 2 * self->page, 3);
	ASSERT_EQ(self->page, rsc_rw(self->dev, false, req.handle, 2 * self->page, buf,
				     self->page));
	EXPECT_EQ(-1, check_pattern(buf, self->page, 2 * self->page, 3));
	/* And kernel writes show in the mapping at once. */
	fill_pattern(buf, self->page, self->page, 4);
	ASSERT_EQ(self->page, rsc_rw(self->dev, true, req.handle, self->page, buf, self->page));
	EXPECT_EQ(-1, check_pattern(p + self->page, self->page, self->page, 4));

	/* A mapping from an offset into the object. */
	q = map(self->dev, 2 * self->page, PROT_READ, MAP_SHARED, req.mmap_offset + self->page,
		&err);
	ASSERT_NE(NULL, q);
	EXPECT_EQ(-1, check_pattern(q, self->page, self->page, 4));
	EXPECT_EQ(-1, check_pattern(q + self->page, self->page, 2 * self->page, 3));
	munmap(q, 2 * self->page);

	/* MAP_PRIVATE: sees the object, its writes stay private. */
	priv = map(self->dev, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, req.mmap_offset, &err);
	ASSERT_NE(NULL, priv);
	EXPECT_EQ(-1, check_pattern(priv, self->page, 0, 2));
	memset(priv, 'x', self->page);
	ASSERT_EQ(100, rsc_rw(self->dev, false, req.handle, 0, buf, 100));
	EXPECT_EQ(-1, check_pattern(buf, 96, 0, 2));
	EXPECT_EQ(-1, check_pattern(p, self->page, 0, 2));
	munmap(priv, len);

	/* The mapping outlives the handle. */
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
	EXPECT_EQ(-1, check_pattern(p + self->page, self->page, self->page, 4));
	p[0] = 1;
	EXPECT_EQ(1, p[0]);
	munmap(p, len);

	/* Offsets that name no object, or leave the object's window. */
	EXPECT_EQ(EINVAL, mmap_errno(self->dev, len, PROT_READ, MAP_SHARED, req.mmap_offset));
	EXPECT_EQ(EINVAL, mmap_errno(self->dev, len, PROT_READ, MAP_SHARED,
				     RSC_MMAP_OFFSET(RSC_MAX_OBJECTS + 1)));
	ASSERT_EQ(0, create(self, variant, "rsc map2", len, 0, &req));
	EXPECT_EQ(EINVAL, mmap_errno(self->dev, 2 * self->page, PROT_READ, MAP_SHARED,
				     req.mmap_offset + (1L << RSC_HANDLE_SHIFT) - self->page));
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
}

/*
 * The mapping's file: named as given in /proc/self/maps (as the kernel names a memfd's
 * "/memfd:<name> (deleted)"), on rust_shmem, the object's inode.
 */
TEST_F(api, maps_name_and_backing)
{
	const size_t len = 2 * self->page;
	struct maps_entry me, ref_me;
	struct rsc_create req;
	struct rsc_info info;
	struct statfs sfs;
	struct stat st;
	int err, mf, mfd;
	char *p, *r;

	/* The reference: how the kernel names an unlinked shmem file in maps. */
	mfd = ref_memfd("rsc-ref", len);
	ASSERT_GE(mfd, 0);
	r = map(mfd, len, PROT_READ, MAP_SHARED, 0, &err);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, maps_lookup(r, &ref_me));
	EXPECT_STREQ("/memfd:rsc-ref (deleted)", ref_me.path);
	munmap(r, len);
	close(mfd);

	ASSERT_EQ(0, create(self, variant, "rsc name", len, 0, &req));
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	p = map(self->dev, len, PROT_READ | PROT_WRITE, MAP_SHARED, req.mmap_offset, &err);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, maps_lookup(p, &me));
	EXPECT_STREQ("/rsc name (deleted)", me.path);
	EXPECT_STREQ("rw-s", me.perms);
	EXPECT_EQ(info.ino, me.ino);

	mf = open_map_file(p, len, O_RDONLY);
	ASSERT_GE(mf, 0) {
		TH_LOG("open map_files: %s", strerror(errno));
	}
	ASSERT_EQ(0, fstatfs(mf, &sfs));
	EXPECT_EQ(RUST_SHMEM_MAGIC, (long)sfs.f_type);
	ASSERT_EQ(0, fstat(mf, &st));
	EXPECT_EQ(info.ino, (unsigned long long)st.st_ino);
	EXPECT_EQ(0, (long)st.st_nlink);
	EXPECT_EQ((long)len, (long)st.st_size);
	if (variant->user_mount) {
		struct stat mst;

		ASSERT_EQ(0, fstat(self->mnt_fd, &mst));
		EXPECT_EQ(mst.st_dev, st.st_dev);
	}
	close(mf);
	munmap(p, len);
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
}

/*
 * Resize through vfs_truncate(): growing adds zeros, shrinking drops data and makes the mapping
 * past the new end SIGBUS, exactly as ftruncate() on a memfd does.
 */
struct resize_result {
	int beyond_before;	/* probe of page 4 while the size is 2 pages */
	int grown_read;		/* probe of page 4 after growing to 8 pages */
	bool grown_zero;
	int shrunk_read;	/* probe of page 1 after shrinking to 1 page */
	bool kept;		/* page 0 after the shrink */
	bool regrown_zero;	/* page 1 after growing back to 2 pages */
};

static void resize_experiment(struct __test_metadata *_metadata, char *p, long page,
			      int (*resize)(void *ctx, int64_t size), void *ctx,
			      struct resize_result *r)
{
	memset(r, 0, sizeof(*r));
	fill_pattern(p, 2 * page, 0, 5);
	r->beyond_before = probe(p + 4 * page, false, 0);
	ASSERT_EQ(0, resize(ctx, 8 * page));
	r->grown_read = probe(p + 4 * page, false, 0);
	if (r->grown_read == 0)
		r->grown_zero = all_zero(p + 2 * page, 6 * page);
	ASSERT_EQ(0, resize(ctx, page));
	r->shrunk_read = probe(p + page, false, 0);
	r->kept = check_pattern(p, page, 0, 5) == -1;
	ASSERT_EQ(0, resize(ctx, 2 * page));
	r->regrown_zero = all_zero(p + page, page);
}

struct obj_ctx {
	int dev;
	uint32_t handle;
};

static int resize_obj(void *ctx, int64_t size)
{
	struct obj_ctx *o = ctx;

	return rsc_resize(o->dev, o->handle, size);
}

static int resize_memfd(void *ctx, int64_t size)
{
	return ftruncate(*(int *)ctx, size) ? -errno : 0;
}

TEST_F(api, resize)
{
	const size_t maplen = 8 * self->page;
	struct resize_result ref, var;
	struct rsc_create req;
	struct rsc_info info;
	struct obj_ctx o;
	char buf[16];
	int err, mfd;
	char *p;

	mfd = ref_memfd("rsc-resize", 2 * self->page);
	ASSERT_GE(mfd, 0);
	p = map(mfd, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, 0, &err);
	ASSERT_NE(NULL, p);
	resize_experiment(_metadata, p, self->page, resize_memfd, &mfd, &ref);
	munmap(p, maplen);
	close(mfd);

	ASSERT_EQ(0, create(self, variant, "rsc resize", 2 * self->page, 0, &req));
	o.dev = self->dev;
	o.handle = req.handle;
	p = map(self->dev, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, req.mmap_offset, &err);
	ASSERT_NE(NULL, p);
	resize_experiment(_metadata, p, self->page, resize_obj, &o, &var);
	munmap(p, maplen);

	EXPECT_EQ(SIGBUS, ref.beyond_before);
	EXPECT_EQ(0, ref.grown_read);
	EXPECT_TRUE(ref.grown_zero && ref.kept && ref.regrown_zero);
	EXPECT_EQ(SIGBUS, ref.shrunk_read);
	EXPECT_EQ(ref.beyond_before, var.beyond_before);
	EXPECT_EQ(ref.grown_read, var.grown_read);
	EXPECT_EQ(ref.grown_zero, var.grown_zero);
	EXPECT_EQ(ref.shrunk_read, var.shrunk_read);
	EXPECT_EQ(ref.kept, var.kept);
	EXPECT_EQ(ref.regrown_zero, var.regrown_zero);

	/* The kernel sees the sizes too. */
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ(2 * self->page, info.size);
	EXPECT_EQ(0, rsc_rw(self->dev, false, req.handle, 2 * self->page, buf, sizeof(buf)));
	EXPECT_EQ(0, rsc_resize(self->dev, req.handle, 0));
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ(0, info.size);
	EXPECT_EQ(0ull, info.nrpages);

	EXPECT_EQ(-EINVAL, rsc_resize(self->dev, req.handle, -1));
	EXPECT_EQ(-ENOENT, rsc_resize(self->dev, req.handle + 1, 0));
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
}

TEST_F(api, sizes)
{
	static const int64_t bad[] = { -1, -4096, LLONG_MIN };
	struct rsc_create req;
	struct rsc_info info;
	size_t i;
	int mfd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, create(self, variant, "rsc bad", bad[i], 0, &req)) {
			TH_LOG("size %lld", (long long)bad[i]);
		}
		EXPECT_EQ(-EINVAL, create(self, variant, "rsc bad", bad[i], RSC_F_NORESERVE, &req)) {
			TH_LOG("size %lld, NORESERVE", (long long)bad[i]);
		}
	}

	ASSERT_EQ(0, create(self, variant, "rsc empty", 0, 0, &req));
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ(0, info.size);
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));

	/* MAX_LFS_FILESIZE (LLONG_MAX): valid; uncharged with NORESERVE, as memfd's ftruncate. */
	mfd = memfd_create("rsc-max", MFD_CLOEXEC);
	ASSERT_GE(mfd, 0);
	EXPECT_EQ(0, ftruncate(mfd, LLONG_MAX));
	close(mfd);
	ASSERT_EQ(0, create(self, variant, "rsc max", LLONG_MAX, RSC_F_NORESERVE, &req));
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ(LLONG_MAX, info.size);
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
}

/*
 * LLONG_MAX with the commit charge: its page count does not fit the charge arithmetic
 * (mm/shmem.c's VM_ACCT() wraps to a negative count, so the kernel's shmem lets it through
 * with a bogus charge). Whatever rust_shmem does, it must be an answer (0 or ENOMEM), not a
 * crash; kernel_log_clean catches an overflow panic.
 */
TEST_F(api, size_max_charged)
{
	struct rsc_create req;
	long ret;

	ret = create(self, variant, "rsc max charged", LLONG_MAX, 0, &req);
	EXPECT_TRUE(ret == 0 || ret == -ENOMEM) {
		TH_LOG("create: %s", strerror(-ret));
	}
	if (ret == 0) {
		EXPECT_EQ(0, rsc_release(self->dev, req.handle));
	}
}

TEST_F(api, bad_requests)
{
	struct rsc_create req;
	uint32_t handle = 0;

	EXPECT_EQ(-EINVAL, rsc_create(self->dev, 0, self->mnt_fd, "x", 1, 0, &req));
	EXPECT_EQ(-EINVAL, rsc_create(self->dev, 99, self->mnt_fd, "x", 1, 0, &req));
	EXPECT_EQ(-EINVAL, create(self, variant, "x", 1, 1u << 5, &req));
	EXPECT_EQ(-EINVAL, create(self, variant, "", 1, 0, &req));
	memset(&req, 'n', sizeof(req));	/* a name without its NUL */
	req.setup = variant->setup;
	req.flags = 0;
	req.size = 1;
	req.mnt_fd = self->mnt_fd;
	EXPECT_EQ(-EINVAL, rsc_ioctl(self->dev, RSC_IOC_CREATE, &req));
	EXPECT_EQ(-EFAULT, rsc_ioctl(self->dev, RSC_IOC_CREATE, (void *)8));
	EXPECT_EQ(-EFAULT, rsc_ioctl(self->dev, RSC_IOC_RELEASE, (void *)8));
	EXPECT_EQ(-EFAULT, rsc_ioctl(self->dev, RSC_IOC_INFO, (void *)8));
	EXPECT_EQ(-ENOENT, rsc_ioctl(self->dev, RSC_IOC_RELEASE, &handle));
	EXPECT_EQ(-ENOTTY, rsc_ioctl(self->dev, _IO(RSC_IOC_MAGIC, 99), NULL));
	EXPECT_EQ(-ENOTTY, rsc_ioctl(self->dev, _IOW(RSC_IOC_MAGIC, 1, int), &handle));
	if (variant->setup == RSC_SETUP_WITH_MNT) {
		EXPECT_EQ(-EBADF, rsc_create(self->dev, variant->setup, 9999, "x", 1, 0, &req));
	} else {
		int fd = open("/", O_RDONLY | O_CLOEXEC);

		/* Only with_mnt takes a mount. */
		EXPECT_EQ(-EINVAL, rsc_create(self->dev, variant->setup, fd, "x", 1, 0, &req));
		close(fd);
	}
}

/*
 * Commit accounting (overcommit_memory as found, normally 0): the object's size is charged
 * unless NORESERVE, given back at release, and re-charged on resize, like the kernel's shmem
 * (MAP_SHARED|MAP_ANONYMOUS: charged; memfd: NORESERVE; ftruncate through map_files:
 * shmem_setattr's re-accounting).
 */
TEST_F(api, commit_accounting)
{
	const long size_kb = 64 * 1024;
	const size_t size = size_kb * 1024;
	long before, created, released, ref_created, ref_grown, grown, shrunk;
	struct rsc_create req;
	int err, mf, mfd;
	char *r;

	/* The reference, charged: a shared anonymous mapping's shmem file. */
	before = meminfo_kb("Committed_AS");
	r = map(-1, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, 0, &err);
	ASSERT_NE(NULL, r);
	ref_created = meminfo_kb("Committed_AS") - before;
	mf = open_map_file(r, size, O_RDWR);
	ASSERT_GE(mf, 0);
	before = meminfo_kb("Committed_AS");
	ASSERT_EQ(0, ftruncate(mf, 2 * size));
	ref_grown = meminfo_kb("Committed_AS") - before;
	close(mf);
	munmap(r, size);
	EXPECT_LT(labs(ref_created - size_kb), SLACK_KB);
	EXPECT_LT(labs(ref_grown - size_kb), SLACK_KB);

	before = meminfo_kb("Committed_AS");
	ASSERT_EQ(0, create(self, variant, "rsc acct", size, 0, &req));
	created = meminfo_kb("Committed_AS") - before;
	ASSERT_EQ(0, rsc_resize(self->dev, req.handle, 2 * size));
	grown = meminfo_kb("Committed_AS") - before - created;
	ASSERT_EQ(0, rsc_resize(self->dev, req.handle, size));
	shrunk = meminfo_kb("Committed_AS") - before - created - grown;
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
	released = meminfo_kb("Committed_AS") - before;

	EXPECT_LT(labs(created - ref_created), SLACK_KB) {
		TH_LOG("create: Committed_AS %+ld kB, shared anonymous mapping's %+ld kB", created,
		       ref_created);
	}
	EXPECT_LT(labs(grown - ref_grown), SLACK_KB) {
		TH_LOG("grow by %ld kB: Committed_AS %+ld kB, shmem's %+ld kB", size_kb, grown,
		       ref_grown);
	}
	EXPECT_LT(labs(shrunk + ref_grown), SLACK_KB) {
		TH_LOG("shrink by %ld kB: Committed_AS %+ld kB", size_kb, shrunk);
	}
	EXPECT_LT(labs(released), SLACK_KB) {
		TH_LOG("after release: Committed_AS %+ld kB", released);
	}

	/* NORESERVE: nothing charged, like a memfd. */
	before = meminfo_kb("Committed_AS");
	mfd = ref_memfd("rsc-acct", size);
	ASSERT_GE(mfd, 0);
	ref_created = meminfo_kb("Committed_AS") - before;
	close(mfd);
	before = meminfo_kb("Committed_AS");
	ASSERT_EQ(0, create(self, variant, "rsc noreserve", size, RSC_F_NORESERVE, &req));
	created = meminfo_kb("Committed_AS") - before;
	ASSERT_EQ(0, rsc_resize(self->dev, req.handle, 2 * size));
	grown = meminfo_kb("Committed_AS") - before - created;
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
	EXPECT_LT(labs(ref_created), SLACK_KB);
	EXPECT_LT(labs(created), SLACK_KB) {
		TH_LOG("NORESERVE create: Committed_AS %+ld kB", created);
	}
	EXPECT_LT(labs(grown), SLACK_KB) {
		TH_LOG("NORESERVE grow: Committed_AS %+ld kB", grown);
	}
}

/*
 * Strict overcommit (mode 2) with 256 MiB of headroom: a 1 GiB charged object fails with
 * ENOMEM like a 1 GiB MAP_SHARED|MAP_ANONYMOUS mapping; NORESERVE gets it like a memfd; a small
 * charged object fits, but growing it past the limit fails like ftruncate on shmem.
 */
TEST_F(api, strict_overcommit)
{
	const size_t big = 1024 * MIB, small = 32 * MIB;
	long ours_big, ours_big_nores, ours_small, ours_grow;
	int ref_big, ref_big_nores, ref_small, ref_grow;
	struct rsc_create req, sreq;
	int mf, mfd;
	char *r;

	ASSERT_EQ(0, set_strict_overcommit(&self->vm, 256 * 1024));

	ref_big = mmap_errno(-1, big, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, 0);
	mfd = ref_memfd("rsc-strict", big);
	ref_big_nores = mfd < 0 ? errno : 0;
	if (mfd >= 0)
		close(mfd);
	r = map(-1, small, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, 0, &ref_small);
	ref_grow = -1;
	if (r) {
		mf = open_map_file(r, small, O_RDWR);
		ASSERT_GE(mf, 0);
		ref_grow = ftruncate(mf, big) ? errno : 0;
		close(mf);
		munmap(r, small);
	}

	ours_big = create(self, variant, "rsc strict", big, 0, &req);
	if (!ours_big)
		rsc_release(self->dev, req.handle);
	ours_big_nores = create(self, variant, "rsc strict", big, RSC_F_NORESERVE, &req);
	if (!ours_big_nores)
		rsc_release(self->dev, req.handle);
	ours_small = create(self, variant, "rsc strict", small, 0, &sreq);
	ours_grow = -1;
	if (!ours_small) {
		ours_grow = rsc_resize(self->dev, sreq.handle, big);
		rsc_release(self->dev, sreq.handle);
	}
	restore_overcommit(&self->vm);

	EXPECT_EQ(ENOMEM, ref_big);
	EXPECT_EQ(0, ref_big_nores);
	EXPECT_EQ(0, ref_small);
	EXPECT_EQ(ENOMEM, ref_grow);
	EXPECT_EQ(-ref_big, ours_big) {
		TH_LOG("1 GiB charged: %s", strerror(-ours_big));
	}
	EXPECT_EQ(-ref_big_nores, ours_big_nores) {
		TH_LOG("1 GiB NORESERVE: %s", strerror(-ours_big_nores));
	}
	EXPECT_EQ(-ref_small, ours_small);
	EXPECT_EQ(-ref_grow, ours_grow) {
		TH_LOG("growing 32 MiB to 1 GiB: %s (shmem: %s)", strerror(-ours_grow),
		       strerror(ref_grow));
	}
}

/*
 * A file handed out pins rust_shmem.ko: its refcount goes up by one per live object or
 * mapping of one, and back down as they go; meanwhile delete_module fails with EWOULDBLOCK.
 */
TEST_F(api, module_pinning)
{
	struct rsc_create req[3];
	int base, i, err;
	char *p;

	/* A first object makes the consumer's own mount, if this variant uses it. */
	ASSERT_EQ(0, create(self, variant, "rsc warmup", 0, 0, &req[0]));
	ASSERT_EQ(0, rsc_release(self->dev, req[0].handle));

	base = module_refcount(RUST_SHMEM_MODULE);
	ASSERT_GE(base, 0);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, create(self, variant, "rsc pin", self->page, 0, &req[i]));
		EXPECT_EQ(base + i + 1, module_refcount(RUST_SHMEM_MODULE));
	}
	EXPECT_EQ(-1, syscall(__NR_delete_module, RUST_SHMEM_MODULE, O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);

	p = map(self->dev, self->page, PROT_READ | PROT_WRITE, MAP_SHARED, req[0].mmap_offset, &err);
	ASSERT_NE(NULL, p);
	/* The mapping shares the object's file: no new reference. */
	EXPECT_EQ(base + 3, module_refcount(RUST_SHMEM_MODULE));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, rsc_release(self->dev, req[i].handle));
	/* The mapping still holds the first one. */
	EXPECT_EQ(base + 1, module_refcount(RUST_SHMEM_MODULE));
	EXPECT_EQ(-1, syscall(__NR_delete_module, RUST_SHMEM_MODULE, O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	p[0] = 1;
	munmap(p, self->page);
	EXPECT_EQ(base, module_refcount(RUST_SHMEM_MODULE));
}

/* Closing the device releases every object it holds; mappings keep theirs. */
TEST_F(api, release_on_close)
{
	struct rsc_create req;
	int base, i, err;
	char *p = NULL;

	ASSERT_EQ(0, create(self, variant, "rsc warmup", 0, 0, &req));
	ASSERT_EQ(0, rsc_release(self->dev, req.handle));
	base = module_refcount(RUST_SHMEM_MODULE);

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, create(self, variant, "rsc close", self->page, 0, &req));
		if (i == 0) {
			p = map(self->dev, self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
				req.mmap_offset, &err);
			ASSERT_NE(NULL, p);
			p[10] = 42;
		}
	}
	EXPECT_EQ(base + 4, module_refcount(RUST_SHMEM_MODULE));
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(base + 1, module_refcount(RUST_SHMEM_MODULE));
	EXPECT_EQ(42, p[10]);
	munmap(p, self->page);
	EXPECT_EQ(base, module_refcount(RUST_SHMEM_MODULE));
}

/*
 * Handles run out at RSC_MAX_OBJECTS (the consumer's limit) and come back on release. The user
 * mount runs out of inodes first (nr_inodes, user_mount_inode_limit): there, as many objects
 * as it has free inodes, then ENOSPC.
 */
TEST_F(api, many_objects)
{
	struct rsc_create req;
	uint32_t handles[RSC_MAX_OBJECTS];
	uint64_t inos[RSC_MAX_OBJECTS];
	int i, j, n = 0, room = RSC_MAX_OBJECTS;
	long full = -EMFILE;

	if (variant->user_mount) {
		struct statfs sfs;

		ASSERT_EQ(0, fstatfs(self->mnt_fd, &sfs));
		if (sfs.f_ffree < (unsigned long)RSC_MAX_OBJECTS) {
			room = sfs.f_ffree;
			full = -ENOSPC;
		}
	}
	ASSERT_GT(room, 7);	/* handles[7] is released and made again below */
	for (i = 0; i < room; i++) {
		ASSERT_EQ(0, create(self, variant, "rsc many", i * 100, 0, &req));
		handles[n++] = req.handle;
	}
	EXPECT_EQ(full, create(self, variant, "rsc many", 1, 0, &req));
	EXPECT_EQ(0, rsc_release(self->dev, handles[7]));
	EXPECT_EQ(0, create(self, variant, "rsc many", 1, 0, &req));
	EXPECT_EQ(handles[7], req.handle);

	/* Every object is its own inode. */
	for (i = 0; i < n; i++) {
		struct rsc_info info;

		ASSERT_EQ(0, rsc_info(self->dev, handles[i], &info));
		inos[i] = info.ino;
		for (j = 0; j < i; j++) {
			EXPECT_NE(inos[j], inos[i]) {
				TH_LOG("objects %d and %d share inode %llu", j, i,
				       (unsigned long long)inos[i]);
			}
		}
	}
}

/*
 * Several processes at once, each with its own device file: create, write from the kernel,
 * map and check, resize, release, many times over. Nothing may leak or mix up.
 */
#define WORKERS		4
#define ROUNDS		100

static int worker(FIXTURE_DATA(api) *self, const FIXTURE_VARIANT(api) *variant, int id)
{
	const long page = self->page;
	char *buf = malloc(2 * page);
	int dev, i, err;

	if (!buf)
		return 1;
	dev = open_dev(CONSUMER_DEV);
	if (dev < 0)
		return 2;
	for (i = 0; i < ROUNDS; i++) {
		uint64_t salt = (uint64_t)id << 32 | i;
		struct rsc_create req;
		char *p;

		if (rsc_create(dev, variant->setup, self->mnt_fd, "rsc worker", 2 * page, 0, &req))
			return 3;
		fill_pattern(buf, 2 * page, 0, salt);
		if (rsc_rw(dev, true, req.handle, 0, buf, 2 * page) != 2 * page)
			return 4;
		p = map(dev, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, req.mmap_offset, &err);
		if (!p)
			return 5;
		if (check_pattern(p, 2 * page, 0, salt) != -1)
			return 6;
		if (rsc_resize(dev, req.handle, page))
			return 7;
		if (rsc_release(dev, req.handle))
			return 8;
		/* The mapping keeps the object, shrunk to one page. */
		if (check_pattern(p, page, 0, salt) != -1)
			return 9;
		munmap(p, 2 * page);
	}
	close(dev);
	free(buf);
	return 0;
}

/* 8.4 s on the debug kernel under TCG (the harness's default would be 30 s). */
TEST_F_TIMEOUT(api, concurrent_use, 90)
{
	pid_t pids[WORKERS];
	struct rsc_create req;
	int base, i;

	ASSERT_EQ(0, create(self, variant, "rsc warmup", 0, 0, &req));
	ASSERT_EQ(0, rsc_release(self->dev, req.handle));
	base = module_refcount(RUST_SHMEM_MODULE);

	fflush(NULL);
	for (i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0)
			_exit(worker(self, variant, i));
	}
	for (i = 0; i < WORKERS; i++) {
		int status = wait_child(pids[i]);

		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			TH_LOG("worker %d: status %#x (exit code = step that failed)", i, status);
		}
	}
	EXPECT_EQ(base, module_refcount(RUST_SHMEM_MODULE));
}

/* -------------------------------------------------- with_mnt's mount argument */

/* file_setup_with_mnt on either mount: the consumer's kernel-internal one or a user mount. */
FIXTURE(with_mnt) {
	int dev;		/* /dev/rust_shmem_consumer */
	int mnt_fd;		/* the user mount, or RSC_MNT_PRIVATE for the consumer's own */
	char mnt[64];		/* the user mount, if any */
};

FIXTURE_VARIANT(with_mnt) {
	bool user_mount;	/* on a rust_shmem mount made by this test */
};

FIXTURE_VARIANT_ADD(with_mnt, kern_mount) {
	.user_mount = false,
};

FIXTURE_VARIANT_ADD(with_mnt, user_mount) {
	.user_mount = true,
};

FIXTURE_SETUP(with_mnt)
{
	self->dev = -1;
	self->mnt_fd = RSC_MNT_PRIVATE;
	self->mnt[0] = '\0';
	open_consumer(_metadata, &self->dev);
	if (variant->user_mount)
		make_user_mount(_metadata, self->mnt, sizeof(self->mnt), &self->mnt_fd);
}

FIXTURE_TEARDOWN_PARENT(with_mnt)
{
	remove_mount_dir(self->mnt);
}

/* with_mnt wants a rust_shmem mount: another filesystem's is refused. */
TEST_F(with_mnt, with_mnt_other_fs)
{
	char dir[] = "/tmp/setup_api_tmpfs.XXXXXX";
	struct rsc_create req;
	int fd;

	/* The variant's own mount is taken. */
	ASSERT_EQ(0, rsc_create(self->dev, RSC_SETUP_WITH_MNT, self->mnt_fd, "rsc own", 1, 0, &req));
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));

	ASSERT_EQ(0, enter_private_mntns());
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("tmpfs", dir, "tmpfs", 0, NULL));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, rsc_create(self->dev, RSC_SETUP_WITH_MNT, fd, "rsc other", 1, 0, &req));
	close(fd);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}

/* ------------------------------------------------ with_mnt on user mounts */

/* What only a user mount has, with file_setup_with_mnt on it (the api fixture's user mount). */
FIXTURE(user_mount) {
	int dev;		/* /dev/rust_shmem_consumer */
	int mnt_fd;		/* the user mount */
	char mnt[64];		/* where it is mounted */
};

FIXTURE_SETUP(user_mount)
{
	self->dev = self->mnt_fd = -1;
	self->mnt[0] = '\0';
	open_consumer(_metadata, &self->dev);
	make_user_mount(_metadata, self->mnt, sizeof(self->mnt), &self->mnt_fd);
}

FIXTURE_TEARDOWN_PARENT(user_mount)
{
	remove_mount_dir(self->mnt);
}

/* Creates an object on the user mount; 0 or -errno. */
static long create_on_mount(FIXTURE_DATA(user_mount) *self, const char *name, int64_t size,
			    struct rsc_create *req)
{
	return rsc_create(self->dev, RSC_SETUP_WITH_MNT, self->mnt_fd, name, size, 0, req);
}

/* The user mount's inode limit covers unlinked files made on it (tmpfs: shmem_reserve_inode). */
TEST_F(user_mount, user_mount_inode_limit)
{
	uint32_t handles[USER_MOUNT_INODES];
	struct statfs before, during, after;
	struct rsc_create req;
	long ret = 0;
	int n = 0, i;

	ASSERT_EQ(0, fstatfs(self->mnt_fd, &before));
	ASSERT_GT((long)before.f_ffree, 0);
	while (n < USER_MOUNT_INODES) {
		ret = create_on_mount(self, "rsc inode", 0, &req);
		if (ret)
			break;
		handles[n++] = req.handle;
	}
	EXPECT_EQ(-ENOSPC, ret);
	EXPECT_EQ((long)before.f_ffree, n);
	ASSERT_EQ(0, fstatfs(self->mnt_fd, &during));
	EXPECT_EQ(0, (long)during.f_ffree);
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, rsc_release(self->dev, handles[i]));
	ASSERT_EQ(0, fstatfs(self->mnt_fd, &after));
	EXPECT_EQ((long)before.f_ffree, (long)after.f_ffree);
}

/* Objects hold their mount: busy for umount, and alive after a lazy detach. */
TEST_F(user_mount, user_mount_lifetime)
{
	struct rsc_create req;
	char buf[8] = "abcdefg", back[8];

	close(self->mnt_fd);
	self->mnt_fd = open(self->mnt, O_PATH | O_CLOEXEC);	/* an O_PATH fd works too */
	ASSERT_GE(self->mnt_fd, 0);
	ASSERT_EQ(0, create_on_mount(self, "rsc lifetime", 8, &req));
	close(self->mnt_fd);
	self->mnt_fd = -1;

	EXPECT_EQ(-1, umount2(self->mnt, 0));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, umount2(self->mnt, MNT_DETACH));
	EXPECT_EQ(8, rsc_rw(self->dev, true, req.handle, 0, buf, 8));
	EXPECT_EQ(8, rsc_rw(self->dev, false, req.handle, 0, back, 8));
	EXPECT_EQ(0, memcmp(buf, back, 8));
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
	rmdir(self->mnt);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * A user namespace fd mapping 0 -> TEST_UID/TEST_GID, for MOUNT_ATTR_IDMAP: taken from a child
 * that unshares its user namespace and waits; -1 if that is not possible.
 */
static int make_userns(void)
{
	int ready[2], done[2], fd = -1, status;
	char path[64], text[64], c;
	pid_t pid;

	if (pipe(ready))
		return -1;
	if (pipe(done)) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(ready[0]);
		close(done[1]);
		c = unshare(CLONE_NEWUSER) ? 'e' : 'k';
		if (write(ready[1], &c, 1) != 1 || c != 'k')
			_exit(1);
		/* Until the parent has the namespace (or gave up): EOF on the pipe. */
		while (read(done[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	if (read(ready[0], &c, 1) == 1 && c == 'k') {
		snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
		snprintf(text, sizeof(text), "0 %d 1", TEST_UID);
		if (!write_file(path, text)) {
			snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
			write_file(path, "deny");
			snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
			snprintf(text, sizeof(text), "0 %d 1", TEST_GID);
			if (!write_file(path, text)) {
				snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
				fd = open(path, O_RDONLY | O_CLOEXEC);
			}
		}
	}
	close(ready[0]);
	close(done[1]);
	waitpid(pid, &status, 0);
	return fd;
}

/* A detached idmapped clone of the mount at @dir, or -errno. */
static int idmapped_clone(const char *dir, int userns)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = userns };
	int tree, err;

	tree = syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -errno;
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr))) {
		err = errno;
		close(tree);
		return -err;
	}
	return tree;
}

/*
 * rust_shmem mounts can be idmapped (FS_ALLOW_IDMAP, as tmpfs's), but with_mnt refuses an
 * idmapped one with EINVAL, as __shmem_file_setup does.
 */
TEST_F(user_mount, with_mnt_idmapped)
{
	char ref_dir[] = "/tmp/setup_api_idmap.XXXXXX";
	struct rsc_create req;
	int userns, tree, ref_tree;

	userns = make_userns();
	ASSERT_GE(userns, 0);

	/* tmpfs allows idmapped mounts (FS_ALLOW_IDMAP): the machinery works here. */
	ASSERT_NE(NULL, mkdtemp(ref_dir));
	ASSERT_EQ(0, mount("tmpfs", ref_dir, "tmpfs", 0, NULL));
	ref_tree = idmapped_clone(ref_dir, userns);
	EXPECT_GE(ref_tree, 0) {
		TH_LOG("idmapped clone of tmpfs: %s", strerror(-ref_tree));
	}
	if (ref_tree >= 0)
		close(ref_tree);
	umount2(ref_dir, MNT_DETACH);
	rmdir(ref_dir);

	tree = idmapped_clone(self->mnt, userns);
	close(userns);
	ASSERT_GE(tree, 0) {
		TH_LOG("idmapped clone of rust_shmem: %s", strerror(-tree));
	}
	EXPECT_EQ(-EINVAL, rsc_create(self->dev, RSC_SETUP_WITH_MNT, tree, "rsc idmap", 1, 0, &req));
	close(tree);
}

/* ---------------------------------------------------------- zero setup */

FIXTURE(zero) {
	int dev;	/* /dev/rust_shmem_consumer: offset 0 is rust_shmem_zero_setup(vma) */
	int desc;	/* /dev/rust_shmem_consumer_desc: rust_shmem_zero_setup_desc(desc) */
	long page;
	struct vm_sysctls vm;
};

FIXTURE_SETUP(zero)
{
	self->dev = self->desc = -1;
	self->vm.saved = false;
	self->page = sysconf(_SC_PAGESIZE);
	open_consumer(_metadata, &self->dev);
	self->desc = open_dev(CONSUMER_DESC_DEV);
	ASSERT_GE(self->desc, 0);
}

FIXTURE_TEARDOWN_PARENT(zero)
{
	restore_overcommit(&self->vm);
}

/* A shared zero-setup mapping, as MAP_SHARED|MAP_ANONYMOUS is with the kernel's shmem. */
struct zero_result {
	int err;
	bool zero, shared_with_child;
	long magic;
	char path[256];
	long nlink, size;
	int refs;		/* rust_shmem references the mapping holds */
};

static void zero_experiment(struct __test_metadata *_metadata, int fd, long page, int flags,
			    struct zero_result *r)
{
	size_t len = 4 * page;
	struct maps_entry me;
	struct stat st;
	int base, status, mf;
	pid_t pid;
	char *p;

	memset(r, 0, sizeof(*r));
	base = module_refcount(RUST_SHMEM_MODULE);
	p = map(fd, len, PROT_READ | PROT_WRITE, MAP_SHARED | flags, 0, &r->err);
	if (!p)
		return;
	r->refs = module_refcount(RUST_SHMEM_MODULE) - base;
	r->zero = all_zero(p, len);
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		memset(p + page, 'z', page);
		_exit(0);
	}
	status = wait_child(pid);
	r->shared_with_child = WIFEXITED(status) && all_bytes(p + page, page, 'z');
	r->magic = map_file_magic(p, len);
	ASSERT_EQ(0, maps_lookup(p, &me));
	strcpy(r->path, me.path);
	mf = open_map_file(p, len, O_RDONLY);
	ASSERT_GE(mf, 0);
	ASSERT_EQ(0, fstat(mf, &st));
	close(mf);
	r->nlink = st.st_nlink;
	r->size = st.st_size;
	munmap(p, len);
}

static void check_zero(struct __test_metadata *_metadata, const char *what,
		       const struct zero_result *ref, const struct zero_result *var)
{
	EXPECT_EQ(0, var->err) {
		TH_LOG("%s: mmap: %s", what, strerror(var->err));
	}
	if (var->err)
		return;
	EXPECT_TRUE(var->zero);
	EXPECT_EQ(ref->shared_with_child, var->shared_with_child);
	EXPECT_EQ(RUST_SHMEM_MAGIC, var->magic) {
		TH_LOG("%s: backing f_type %#lx", what, var->magic);
	}
	EXPECT_STREQ(ref->path, var->path);
	EXPECT_EQ(ref->nlink, var->nlink);
	EXPECT_EQ(ref->size, var->size);
	EXPECT_EQ(1, var->refs);
}

TEST_F(zero, zero_setup_vma)
{
	struct zero_result ref, var;

	zero_experiment(_metadata, -1, self->page, MAP_ANONYMOUS, &ref);
	ASSERT_EQ(0, ref.err);
	EXPECT_TRUE(ref.zero && ref.shared_with_child);
	EXPECT_EQ(TMPFS_MAGIC, ref.magic);
	EXPECT_STREQ("/dev/zero (deleted)", ref.path);
	EXPECT_EQ(0, ref.refs);

	zero_experiment(_metadata, self->dev, self->page, 0, &var);
	check_zero(_metadata, "zero_setup(vma)", &ref, &var);

	/* The consumer's own rules: offset 0 only, shared only. */
	EXPECT_EQ(EINVAL, mmap_errno(self->dev, self->page, PROT_READ, MAP_SHARED, self->page));
	EXPECT_EQ(EINVAL, mmap_errno(self->dev, self->page, PROT_READ, MAP_PRIVATE, 0));
}

TEST_F(zero, zero_setup_desc)
{
	struct zero_result ref, var;
	int err;
	char *p;

	zero_experiment(_metadata, -1, self->page, MAP_ANONYMOUS, &ref);
	ASSERT_EQ(0, ref.err);
	zero_experiment(_metadata, self->desc, self->page, 0, &var);
	check_zero(_metadata, "zero_setup_desc", &ref, &var);

	/* MAP_PRIVATE of the mmap_prepare device: anonymous, as /dev/zero's. */
	p = map(self->desc, 2 * self->page, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0, &err);
	ASSERT_NE(NULL, p);
	EXPECT_TRUE(all_zero(p, 2 * self->page));
	p[0] = 1;
	EXPECT_NE(RUST_SHMEM_MAGIC, map_file_magic(p, 2 * self->page));
	munmap(p, 2 * self->page);
}

/* Both zero setups charge the mapping's size unless MAP_NORESERVE, as shmem_zero_setup does. */
TEST_F(zero, zero_setup_commit)
{
	static const int extra[] = { 0, MAP_NORESERVE };
	const size_t size = 64 * MIB;
	int fds[3] = { -1, self->dev, self->desc };
	static const char * const names[3] = { "anonymous", "zero_setup", "zero_setup_desc" };
	long delta[3];
	int i, k;

	for (i = 0; i < 2; i++) {
		for (k = 0; k < 3; k++) {
			long before = meminfo_kb("Committed_AS");
			int err;
			char *p = map(fds[k], size, PROT_READ | PROT_WRITE,
				      MAP_SHARED | extra[i] | (k ? 0 : MAP_ANONYMOUS), 0, &err);

			ASSERT_NE(NULL, p) {
				TH_LOG("%s: %s", names[k], strerror(err));
			}
			delta[k] = meminfo_kb("Committed_AS") - before;
			munmap(p, size);
		}
		EXPECT_LT(labs(delta[0] - (extra[i] ? 0 : (long)(size >> 10))), SLACK_KB);
		for (k = 1; k < 3; k++) {
			EXPECT_LT(labs(delta[k] - delta[0]), SLACK_KB) {
				TH_LOG("%s%s: Committed_AS %+ld kB, MAP_ANONYMOUS's %+ld kB",
				       names[k], extra[i] ? " NORESERVE" : "", delta[k], delta[0]);
			}
		}
	}
}

TEST_F(zero, zero_setup_strict_overcommit)
{
	const size_t big = 1024 * MIB;
	int ref, vma, desc;

	ASSERT_EQ(0, set_strict_overcommit(&self->vm, 256 * 1024));
	ref = mmap_errno(-1, big, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, 0);
	vma = mmap_errno(self->dev, big, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	desc = mmap_errno(self->desc, big, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	restore_overcommit(&self->vm);
	EXPECT_EQ(ENOMEM, ref);
	EXPECT_EQ(ref, vma);
	EXPECT_EQ(ref, desc);
}

/* ------------------------------------------------------------------ last */

/*
 * Runs last (fixtures run in the order they are defined; plain TEST()s would run first):
 * unloads the consumer. If this binary loaded it, rust_shmem's refcount must be back where it
 * was: the consumer's own mount and all objects are gone.
 */
FIXTURE(unload) {
};

FIXTURE_SETUP(unload)
{
}

FIXTURE_TEARDOWN(unload)
{
}

TEST_F(unload, consumer)
{
	int i, ret = -1;

	ASSERT_GE(module_refcount(RSC_MODULE_NAME), 0);
	/* The harness's children may still be closing their descriptors. */
	for (i = 0; i < 200; i++) {
		ret = syscall(__NR_delete_module, RSC_MODULE_NAME, O_NONBLOCK);
		if (!ret || errno != EWOULDBLOCK)
			break;
		usleep(10 * 1000);
	}
	ASSERT_EQ(0, ret) {
		TH_LOG("delete_module %s: %s", RSC_MODULE_NAME, strerror(errno));
	}
	EXPECT_EQ(-1, module_refcount(RSC_MODULE_NAME));
	if (!consumer_preloaded && rust_shmem_baseline >= 0) {
		EXPECT_EQ(rust_shmem_baseline, module_refcount(RUST_SHMEM_MODULE));
	}
}

TEST_HARNESS_MAIN
