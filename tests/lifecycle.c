// SPDX-License-Identifier: GPL-2.0
/*
 * Module lifecycle of rust_shmem.ko: what pins it (mounts, open files and
 * mappings on lazily detached mounts), clean unload (nothing left behind,
 * nothing in the kernel log), reload, and repeated load/use/unload cycles.
 *
 * Runs last in the guest, after the runner unmounted /dev/shm, so the module
 * starts loaded and unused.  The tests run in order and each one brings the
 * module into the state it needs; the last one leaves it loaded.  Mounts are
 * made in a private mount namespace, so a failing test cannot leave one
 * behind to pin the module for the next.
 *
 * delete_module() of a module that is in use: Linux 7.3's try_stop_module()
 * (kernel/module/main.c) returns -EWOULDBLOCK (== EAGAIN) when the refcount is
 * not zero; -EBUSY is only for a module without an exit function or one that
 * is already going.  The tests expect EWOULDBLOCK.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "fs_fixture.h"
#include <linux/rust_shmem_sysv.h>

#define MODULE_NAME		"rust_shmem"
#define DEFAULT_KO		"/lib/modules/rust_shmem.ko"
#define CYCLES			100

static const char *ko_path(void)
{
	const char *p = getenv("RUST_SHMEM_KO");

	return p && *p ? p : DEFAULT_KO;
}

/*
 * Reference count of the module from /proc/modules ("name size refcnt deps
 * state addr"), -1 if it is not loaded, -2 if the file cannot be read.
 */
static int module_refcount(void)
{
	char *text = read_text_file("/proc/modules");
	char *line, *save = NULL;
	int ret = -1;

	if (!text)
		return -2;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[64];
		int refcnt;

		if (sscanf(line, "%63s %*s %d", name, &refcnt) == 2 && !strcmp(name, MODULE_NAME))
			ret = refcnt;
	}
	free(text);
	return ret;
}

/* Waits up to ~2 s for the refcount to reach @want; returns the last value seen. */
static int wait_refcount(int want)
{
	int i, rc = module_refcount();

	for (i = 0; i < 200 && rc != want; i++) {
		usleep(10 * 1000);
		rc = module_refcount();
	}
	return rc;
}

/* finit_module(open(ko), "", 0); returns 0 or -errno. */
static int load_module(void)
{
	int fd, ret, err;

	fd = open(ko_path(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, "", 0);
	err = errno;
	close(fd);
	return ret ? -err : 0;
}

/* delete_module(name, O_NONBLOCK); returns 0 or -errno. */
static int unload_module(void)
{
	return syscall(__NR_delete_module, MODULE_NAME, O_NONBLOCK) ? -errno : 0;
}

static int mount_rust_shmem(const char *where, const char *opts)
{
	return mount(MODULE_NAME, where, MODULE_NAME, 0, opts) ? -errno : 0;
}

FIXTURE(lifecycle) {
	char mnt[SCRATCH_LEN];
	char kmsg_node[96];
	int kmsg;
};

/*
 * /dev/kmsg positioned at the end, so that only what the kernel logs during
 * the test is read.  Without a /dev/kmsg, a private node (char 1:11) is made.
 */
static int open_kmsg(FIXTURE_DATA(lifecycle) *self)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0) {
		snprintf(self->kmsg_node, sizeof(self->kmsg_node), "%s.kmsg", self->mnt);
		if (mknod(self->kmsg_node, S_IFCHR | 0600, makedev(1, 11)))
			return -1;
		fd = open(self->kmsg_node, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	}
	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

FIXTURE_SETUP(lifecycle)
{
	self->kmsg = -1;
	self->kmsg_node[0] = '\0';
	scratch_dir(_metadata, self->mnt, "lifecycle");
	self->kmsg = open_kmsg(self);
	ASSERT_GE(self->kmsg, 0) {
		TH_LOG("cannot read the kernel log: %s", strerror(errno));
	}
	ASSERT_EQ(0, enter_private_mntns());
}

FIXTURE_TEARDOWN(lifecycle)
{
	unmount_scratch(self->mnt);
	if (self->kmsg_node[0])
		unlink(self->kmsg_node);
	close_if_open(self->kmsg);
}

static const char * const bad_log[] = {
	"Objects remaining",		/* slab cache destroyed with live objects */
	"still has objects",
	"BUG:",
	"kernel BUG",
	"WARNING:",
	"cut here",
	"Oops",
	"panicked",			/* Rust panic */
	"general protection fault",
	"Bad page",
	"UBSAN",
	"KASAN",
	"kmemleak",
	"refcount_t:",
	"list_add corruption",
	"list_del corruption",
	"VFS: Busy inodes",		/* inodes left at umount */
	"leaked",
};

/* Counts the kernel log lines since setup that show a leak or a splat, logging each. */
static int kmsg_problems(struct __test_metadata *_metadata, int fd)
{
	char rec[8192];
	int bad = 0;
	ssize_t n;
	size_t i;

	for (;;) {
		char *msg;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		/* "prio,seq,usec,flags;text\n" followed by " KEY=value" lines */
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = '\0';
		for (i = 0; i < sizeof(bad_log) / sizeof(bad_log[0]); i++) {
			if (strstr(msg, bad_log[i])) {
				TH_LOG("kernel log: %s", msg);
				bad++;
				break;
			}
		}
	}
	return bad;
}

/* Loads the module unless it is loaded already. */
static int ensure_loaded(void)
{
	int ret;

	if (module_refcount() >= 0)
		return 0;
	ret = load_module();
	return ret == -EEXIST ? 0 : ret;
}

/* Unloads the module if it is loaded (and unused). */
static int ensure_unloaded(void)
{
	if (module_refcount() == -1)
		return 0;
	if (wait_refcount(0) != 0)
		return -EBUSY;
	return unload_module();
}

/* A quick round of use: a file written and read back through write() and mmap. */
static int use_fs(const char *dir, size_t size, uint64_t salt)
{
	char path[128], *buf, *map;
	struct statfs sfs;
	int fd, ret = -1;

	snprintf(path, sizeof(path), "%s/data", dir);
	buf = malloc(size);
	if (!buf)
		return -1;
	fd = open(path, O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto out_free;
	fill_pattern(buf, size, 0, salt);
	if (write(fd, buf, size) != (ssize_t)size)
		goto out_close;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		goto out_close;
	if (check_pattern(map, size, 0, salt) == -1 && fstatfs(fd, &sfs) == 0 &&
	    sfs.f_type == RUST_SHMEM_MAGIC)
		ret = 0;
	munmap(map, size);
out_close:
	close(fd);
	unlink(path);
out_free:
	free(buf);
	return ret;
}

/* A shared mapping of /dev/rust_shmem_zero, written and read back; the device is closed. */
static char *map_zero(size_t size, uint64_t salt)
{
	char *map;
	int fd;

	fd = open("/dev/rust_shmem_zero", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	fill_pattern(map, size, 0, salt);
	if (check_pattern(map, size, 0, salt) != -1) {
		munmap(map, size);
		return NULL;
	}
	return map;
}

TEST_F(lifecycle, starts_loaded_and_unused)
{
	int rc = module_refcount();

	ASSERT_NE(-2, rc) TH_LOG("no /proc/modules");
	ASSERT_NE(-1, rc) {
		TH_LOG(MODULE_NAME " is not loaded (the runner should have loaded %s)", ko_path());
	}
	/* /dev/shm was unmounted by the runner: nothing may hold the module. */
	EXPECT_EQ(0, wait_refcount(0)) {
		TH_LOG("refcount is %d with no mount", module_refcount());
	}
	EXPECT_EQ(1, proc_filesystems_has(MODULE_NAME));
}

TEST_F(lifecycle, busy_while_mounted)
{
	ASSERT_EQ(0, ensure_loaded());
	ASSERT_EQ(0, wait_refcount(0));
	ASSERT_EQ(0, mount_rust_shmem(self->mnt, "mode=0755"));
	EXPECT_LT(0, module_refcount());

	EXPECT_EQ(-EWOULDBLOCK, unload_module());
	/* The failed attempt changed nothing: still loaded and working. */
	EXPECT_LE(0, module_refcount());
	EXPECT_EQ(1, proc_filesystems_has(MODULE_NAME));
	EXPECT_EQ(0, use_fs(self->mnt, 1 << 16, 1));

	ASSERT_EQ(0, umount(self->mnt));
	EXPECT_EQ(0, wait_refcount(0));
	EXPECT_EQ(0, kmsg_problems(_metadata, self->kmsg));
}

TEST_F(lifecycle, busy_after_lazy_umount_with_open_file)
{
	char path[128], buf[16] = {}, fstype[64];
	int fd;

	ASSERT_EQ(0, ensure_loaded());
	ASSERT_EQ(0, wait_refcount(0));
	ASSERT_EQ(0, mount_rust_shmem(self->mnt, NULL));
	snprintf(path, sizeof(path), "%s/open", self->mnt);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(8, write(fd, "detached", 8));

	ASSERT_EQ(0, umount2(self->mnt, MNT_DETACH));
	EXPECT_TRUE(mountinfo_fstype(self->mnt, fstype, sizeof(fstype)) != 0 ||
		    strcmp(fstype, MODULE_NAME) != 0);

	/* The open file keeps the detached superblock, and so the module. */
	EXPECT_LT(0, module_refcount());
	EXPECT_EQ(-EWOULDBLOCK, unload_module());
	ASSERT_EQ(8, pread(fd, buf, sizeof(buf), 0));
	EXPECT_STREQ("detached", buf);
	EXPECT_EQ(4, pwrite(fd, "more", 4, 8));

	close(fd);
	EXPECT_EQ(0, wait_refcount(0)) {
		TH_LOG("refcount %d after the last close", module_refcount());
	}
	EXPECT_EQ(0, kmsg_problems(_metadata, self->kmsg));
}

TEST_F(lifecycle, busy_while_only_a_mapping_remains)
{
	const size_t size = 8 * 4096;
	char path[128], *map;
	int fd;

	ASSERT_EQ(0, ensure_loaded());
	ASSERT_EQ(0, wait_refcount(0));
	ASSERT_EQ(0, mount_rust_shmem(self->mnt, NULL));
	snprintf(path, sizeof(path), "%s/mapped", self->mnt);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, size));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	fill_pattern(map, size, 0, 0x3a9);

	/* Detach the mount and close the file: only the mapping is left. */
	ASSERT_EQ(0, umount2(self->mnt, MNT_DETACH));
	ASSERT_EQ(0, close(fd));
	EXPECT_LT(0, module_refcount());
	EXPECT_EQ(-EWOULDBLOCK, unload_module());

	/* The mapping still works, data and new faults alike. */
	EXPECT_EQ(-1, check_pattern(map, size, 0, 0x3a9));
	fill_pattern(map, size, 0, 0x3aa);
	EXPECT_EQ(-1, check_pattern(map, size, 0, 0x3aa));

	ASSERT_EQ(0, munmap(map, size));
	EXPECT_EQ(0, wait_refcount(0)) {
		TH_LOG("refcount %d after the last munmap", module_refcount());
	}
	EXPECT_EQ(0, kmsg_problems(_metadata, self->kmsg));
}

TEST_F(lifecycle, busy_while_a_zero_device_mapping_remains)
{
	const size_t size = 16 * 4096;
	char *map;

	ASSERT_EQ(0, ensure_loaded());
	ASSERT_EQ(0, wait_refcount(0));
	map = map_zero(size, 0x5e1);
	ASSERT_NE(NULL, map);
	EXPECT_LT(0, module_refcount());
	EXPECT_EQ(-EWOULDBLOCK, unload_module());
	EXPECT_EQ(-1, check_pattern(map, size, 0, 0x5e1));
	ASSERT_EQ(0, munmap(map, size));
	EXPECT_EQ(0, wait_refcount(0)) {
		TH_LOG("refcount %d after the last munmap", module_refcount());
	}
	EXPECT_EQ(0, kmsg_problems(_metadata, self->kmsg));
}

/* A SysV segment of rust_shmem in the caller's IPC namespace: its id, or -errno. */
static int sysv_create(int attach)
{
	struct rust_shmem_sysv_get get = { .size = sizeof(get), .key = IPC_PRIVATE,
					   .segsz = 4096, .shmflg = IPC_CREAT | 0600 };
	struct rust_shmem_sysv_at at = { .size = sizeof(at) };
	int fd = open(RUST_SHMEM_SYSV_DEVICE, O_RDWR | O_CLOEXEC);
	int id;

	if (fd < 0)
		return -errno;
	id = ioctl(fd, RUST_SHMEM_SYSV_GET, &get);
	if (id >= 0 && attach) {
		at.shmid = id;
		if (ioctl(fd, RUST_SHMEM_SYSV_AT, &at))
			id = -errno;
	}
	if (id < 0)
		id = -errno;
	close(fd);
	return id;
}

static int sysv_rmid(int id)
{
	struct rust_shmem_sysv_ctl ctl = { .size = sizeof(ctl), .shmid = id, .cmd = IPC_RMID };
	int fd = open(RUST_SHMEM_SYSV_DEVICE, O_RDWR | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, RUST_SHMEM_SYSV_CTL, &ctl) ? -errno : 0;
	close(fd);
	return ret;
}

/* A SysV segment pins the module, with the device closed and nothing attached. */
TEST_F(lifecycle, busy_while_a_sysv_segment_exists)
{
	int id;

	ASSERT_EQ(0, ensure_loaded());
	ASSERT_EQ(0, wait_refcount(0));
	id = sysv_create(0);
	ASSERT_LE(0, id) TH_LOG("shmget on the device: %s", strerror(-id));
	EXPECT_LT(0, module_refcount());
	EXPECT_EQ(-EWOULDBLOCK, unload_module());
	EXPECT_EQ(0, sysv_rmid(id));
	EXPECT_EQ(0, wait_refcount(0)) {
		TH_LOG("refcount %d after IPC_RMID", module_refcount());
	}
	EXPECT_EQ(0, kmsg_problems(_metadata, self->kmsg));
}

/* The segments of an IPC namespace that died, attached ones included, go with it. */
TEST_F(lifecycle, sysv_segments_go_with_their_namespace)
{
	int status;
	pid_t pid;

	ASSERT_EQ(0, ensure_loaded());
	ASSERT_EQ(0, wait_refcount(0));
	fflush(NULL);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (unshare(CLONE_NEWIPC))
			_exit(1);
		if (sysv_create(0) < 0 || sysv_create(1) < 0)
			_exit(2);
		_exit(module_refcount() > 0 ? 0 : 3);	/* exits attached */
	}
	status = wait_child(pid);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) TH_LOG("child: %#x", status);
	EXPECT_EQ(0, wait_refcount(0)) {
		TH_LOG("refcount %d after the namespace died", module_refcount());
	}
	EXPECT_EQ(0, unload_module());
	EXPECT_EQ(0, ensure_loaded());
	EXPECT_EQ(0, kmsg_problems(_metadata, self->kmsg));
}

TEST_F(lifecycle, unload_when_unused)
{
	int fsfd;

	ASSERT_EQ(0, ensure_loaded());
	ASSERT_EQ(0, wait_refcount(0));
	ASSERT_EQ(0, unload_module());

	/* Nothing of it is left. */
	EXPECT_EQ(-1, module_refcount());
	EXPECT_EQ(0, proc_filesystems_has(MODULE_NAME));
	EXPECT_EQ(-ENODEV, mount_rust_shmem(self->mnt, NULL));
	EXPECT_EQ(ENODEV, ERRNO_OF(fsfd = fsopen(MODULE_NAME, FSOPEN_CLOEXEC)));
	if (fsfd >= 0)
		close(fsfd);
	EXPECT_EQ(-ENOENT, unload_module());
	EXPECT_EQ(0, kmsg_problems(_metadata, self->kmsg));
}

TEST_F(lifecycle, reload_and_mount)
{
	struct statfs sfs;

	ASSERT_EQ(0, ensure_unloaded());
	ASSERT_EQ(0, load_module()) {
		TH_LOG("finit_module(%s): %s", ko_path(), strerror(errno));
	}
	EXPECT_EQ(-EEXIST, load_module());
	EXPECT_EQ(0, module_refcount());
	EXPECT_EQ(1, proc_filesystems_has(MODULE_NAME));

	ASSERT_EQ(0, mount_rust_shmem(self->mnt, "mode=0700"));
	ASSERT_EQ(0, statfs(self->mnt, &sfs));
	EXPECT_EQ(RUST_SHMEM_MAGIC, (long)sfs.f_type);
	EXPECT_EQ(0, use_fs(self->mnt, 1 << 20, 2));
	ASSERT_EQ(0, umount(self->mnt));
	EXPECT_EQ(0, wait_refcount(0));
	EXPECT_EQ(0, kmsg_problems(_metadata, self->kmsg));
}

TEST_F_TIMEOUT(lifecycle, load_mount_use_unload_cycles, 240)
{
	char *zero;
	int i;

	ASSERT_EQ(0, ensure_unloaded());
	for (i = 0; i < CYCLES; i++) {
		ASSERT_EQ(0, load_module()) TH_LOG("cycle %d: load", i);
		ASSERT_EQ(0, mount_rust_shmem(self->mnt, NULL)) TH_LOG("cycle %d: mount", i);
		ASSERT_EQ(0, use_fs(self->mnt, 1 << 20, i)) TH_LOG("cycle %d: use", i);
		zero = map_zero(1 << 20, i);
		ASSERT_NE(NULL, zero) TH_LOG("cycle %d: /dev/rust_shmem_zero mapping", i);
		ASSERT_EQ(-EWOULDBLOCK, unload_module()) TH_LOG("cycle %d: unload while mounted", i);
		ASSERT_EQ(0, umount(self->mnt)) TH_LOG("cycle %d: umount", i);
		ASSERT_EQ(-EWOULDBLOCK, unload_module()) TH_LOG("cycle %d: unload while mapped", i);
		ASSERT_EQ(0, munmap(zero, 1 << 20)) TH_LOG("cycle %d: munmap", i);
		ASSERT_EQ(0, wait_refcount(0)) TH_LOG("cycle %d: refcount", i);
		ASSERT_EQ(0, unload_module()) TH_LOG("cycle %d: unload", i);
		ASSERT_EQ(0, proc_filesystems_has(MODULE_NAME)) TH_LOG("cycle %d: still registered", i);
	}
	EXPECT_EQ(0, kmsg_problems(_metadata, self->kmsg));
}

/* Last: the module stays loaded for whatever runs after the tests. */
TEST_F(lifecycle, leaves_module_loaded)
{
	ASSERT_EQ(0, ensure_loaded());
	EXPECT_EQ(0, wait_refcount(0));
	EXPECT_EQ(1, proc_filesystems_has(MODULE_NAME));
	EXPECT_EQ(0, kmsg_problems(_metadata, self->kmsg));
}

TEST_HARNESS_MAIN
