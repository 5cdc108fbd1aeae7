// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX shared memory (shm_open/shm_unlink, glibc's /dev/shm) on tmpfs and on
 * rust_shmem.  Each fixture test gets a private mount namespace with the
 * variant's file system mounted on /dev/shm, so both variants run the very
 * same code paths and must behave the same; tmpfs is the reference.
 *
 * real_dev_shm_is_rust_shmem checks the guest's actual /dev/shm instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "fs_fixture.h"

#define SHM_DIR "/dev/shm"

FIXTURE(posix_shm) {
	char name[64];		/* shm_open() name, "/..." */
	char name2[64];
	char path[128];		/* the same object as a path under /dev/shm */
	long page;
};

FS_VARIANTS(posix_shm);

FIXTURE_SETUP(posix_shm)
{
	self->page = sysconf(_SC_PAGESIZE);
	snprintf(self->name, sizeof(self->name), "/ksft_posix_shm.%d", getpid());
	snprintf(self->name2, sizeof(self->name2), "/ksft_posix_shm2.%d", getpid());
	snprintf(self->path, sizeof(self->path), SHM_DIR "%s", self->name);

	ASSERT_EQ(0, enter_private_mntns());
	if (mkdir(SHM_DIR, 01777))
		ASSERT_EQ(EEXIST, errno);
	/* Like a distribution's /dev/shm: world-writable and sticky. */
	mount_at(_metadata, SHM_DIR, variant->fstype, MS_NOSUID | MS_NODEV, "mode=1777");
	umask(0);
}

FIXTURE_TEARDOWN(posix_shm)
{
	shm_unlink(self->name);
	shm_unlink(self->name2);
	umount2(SHM_DIR, MNT_DETACH);
}

static int shm_open_errno(const char *name, int flags)
{
	int fd = shm_open(name, flags, 0600);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

struct shm_op {
	const char *name;
	int flags;
};

static int child_shm_open(void *arg)
{
	struct shm_op *op = arg;

	return shm_open_errno(op->name, op->flags);
}

static int child_shm_unlink(void *arg)
{
	struct shm_op *op = arg;

	return shm_unlink(op->name) ? errno : 0;
}

TEST_F(posix_shm, create_excl)
{
	struct stat st, st2, st3;
	int fd, fd2;

	fd = shm_open(self->name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(EEXIST, ERRNO_OF(shm_open(self->name, O_CREAT | O_EXCL | O_RDWR, 0600)));

	/* Without O_EXCL the existing object is opened, not a new one. */
	fd2 = shm_open(self->name, O_CREAT | O_RDWR, 0600);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0, fstat(fd2, &st2));
	EXPECT_EQ(st.st_ino, st2.st_ino);
	EXPECT_EQ(st.st_dev, st2.st_dev);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0, st.st_size);
	EXPECT_EQ(1, (long)st.st_nlink);

	/* The object is an ordinary file of the file system on /dev/shm. */
	ASSERT_EQ(0, stat(self->path, &st3));
	EXPECT_EQ(st.st_ino, st3.st_ino);
	EXPECT_EQ(st.st_dev, st3.st_dev);

	close(fd2);
	close(fd);
}

TEST_F(posix_shm, ftruncate_sizes)
{
	ssize_t size = 3 * self->page + 123;
	struct stat st;
	char *buf, *map;
	int fd;

	fd = shm_open(self->name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, size));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(size, st.st_size);

	/* A freshly grown object reads as zeros, through read() and a mapping. */
	buf = malloc(size + 100);
	ASSERT_NE(NULL, buf);
	memset(buf, 0x5a, size + 100);
	ASSERT_EQ(size, pread(fd, buf, size + 100, 0));
	EXPECT_TRUE(all_zero(buf, size));
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_TRUE(all_zero(map, size));
	munmap(map, size);

	ASSERT_EQ(0, ftruncate(fd, 100));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(100, st.st_size);
	EXPECT_EQ(100, pread(fd, buf, size, 0));
	EXPECT_EQ(0, pread(fd, buf, size, 100));

	free(buf);
	close(fd);
}

TEST_F(posix_shm, child_writes_parent_reads)
{
	ssize_t size = 16 * self->page;
	const uint64_t salt = 0xc0ffee;
	char *map, *buf;
	pid_t pid;
	int fd, status;

	fd = shm_open(self->name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, size));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	/* Fault the parent's pages in first: the child's stores must reach them. */
	ASSERT_TRUE(all_zero(map, size));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* The child opens and maps the object on its own, by name. */
		int cfd = shm_open(self->name, O_RDWR, 0);
		char *cmap;

		if (cfd < 0)
			_exit(1);
		cmap = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (cmap == MAP_FAILED)
			_exit(2);
		fill_pattern(cmap, size, 0, salt);
		_exit(0);
	}
	status = wait_child(pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	EXPECT_EQ(-1, check_pattern(map, size, 0, salt));
	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(size, pread(fd, buf, size, 0));
	EXPECT_EQ(-1, check_pattern(buf, size, 0, salt));

	free(buf);
	munmap(map, size);
	close(fd);
}

TEST_F(posix_shm, parent_writes_child_reads)
{
	ssize_t size = 8 * self->page;
	const uint64_t salt = 0xfeedface;
	int fd, status, go[2], ready[2];
	char c = 0, ack[16] = {};
	char *buf;
	pid_t pid;

	fd = shm_open(self->name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, size));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(ready));

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int cfd = shm_open(self->name, O_RDWR, 0);
		char *cmap;

		if (cfd < 0)
			_exit(1);
		cmap = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (cmap == MAP_FAILED)
			_exit(2);
		if (!all_zero(cmap, size))	/* maps the pages before the write */
			_exit(3);
		if (write(ready[1], "r", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(4);
		if (check_pattern(cmap, size, 0, salt) != -1)
			_exit(5);
		memcpy(cmap + size - self->page, "child-ack", 10);
		_exit(0);
	}
	ASSERT_EQ(1, read(ready[0], &c, 1));
	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	fill_pattern(buf, size, 0, salt);
	ASSERT_EQ(size, pwrite(fd, buf, size, 0));
	ASSERT_EQ(1, write(go[1], "g", 1));

	status = wait_child(pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("child failed at step %d", WEXITSTATUS(status));
	}
	ASSERT_EQ(10, pread(fd, ack, 10, size - self->page));
	EXPECT_STREQ("child-ack", ack);

	free(buf);
	close(fd);
}

TEST_F(posix_shm, unlink_then_enoent)
{
	struct stat st;
	char buf[32] = {};
	char *map;
	int fd, fd2;

	fd = shm_open(self->name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, self->page));
	map = mmap(NULL, self->page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	strcpy(map, "still here");

	ASSERT_EQ(0, shm_unlink(self->name));
	EXPECT_EQ(ENOENT, ERRNO_OF(shm_open(self->name, O_RDWR, 0)));
	EXPECT_EQ(ENOENT, ERRNO_OF(stat(self->path, &st)));
	EXPECT_EQ(ENOENT, ERRNO_OF(shm_unlink(self->name)));

	/* The open descriptor and the mapping keep the unlinked object alive. */
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, (long)st.st_nlink);
	EXPECT_STREQ("still here", map);
	ASSERT_EQ(11, pread(fd, buf, 11, 0));
	EXPECT_STREQ("still here", buf);

	/* The name is free again and names a new, empty object. */
	fd2 = shm_open(self->name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ASSERT_GE(fd2, 0);
	ASSERT_EQ(0, fstat(fd2, &st));
	EXPECT_EQ(0, st.st_size);
	EXPECT_EQ(0, pread(fd2, buf, sizeof(buf), 0));

	close(fd2);
	munmap(map, self->page);
	close(fd);
}

TEST_F(posix_shm, mode_bits)
{
	struct stat st;
	int fd;

	/* umask 0 (fixture): the creation mode is taken as given. */
	fd = shm_open(self->name, O_CREAT | O_EXCL | O_RDWR, 0640);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0640, PERM(st));
	EXPECT_EQ(0, (int)st.st_uid);
	EXPECT_EQ(0, (int)st.st_gid);
	close(fd);

	/* The umask applies as for any file creation. */
	umask(027);
	fd = shm_open(self->name2, O_CREAT | O_EXCL | O_RDWR, 0666);
	umask(0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0640, PERM(st));

	/* fchmod on the descriptor is visible through the name. */
	ASSERT_EQ(0, fchmod(fd, 0604));
	ASSERT_EQ(0, stat(SHM_DIR "/", &st));
	EXPECT_EQ(01777, PERM(st));
	close(fd);
	fd = shm_open(self->name2, O_RDONLY, 0);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0604, PERM(st));
	close(fd);
}

TEST_F(posix_shm, other_user_permissions)
{
	struct shm_op rdwr = { self->name, O_RDWR };
	struct shm_op rdonly = { self->name, O_RDONLY };
	struct shm_op own = { self->name2, O_RDWR | O_CREAT | O_EXCL };
	char path2[128];
	struct stat st;
	int fd;

	fd = shm_open(self->name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ASSERT_GE(fd, 0);

	/* A root-owned 0600 object is closed to uid 1000. */
	EXPECT_EQ(EACCES, run_as(TEST_UID, TEST_GID, child_shm_open, &rdwr));
	EXPECT_EQ(EACCES, run_as(TEST_UID, TEST_GID, child_shm_open, &rdonly));

	/* 0644: readable, still not writable. */
	ASSERT_EQ(0, fchmod(fd, 0644));
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, child_shm_open, &rdonly));
	EXPECT_EQ(EACCES, run_as(TEST_UID, TEST_GID, child_shm_open, &rdwr));

	/* Handing the object over makes it the user's. */
	ASSERT_EQ(0, fchown(fd, TEST_UID, TEST_GID));
	ASSERT_EQ(0, fchmod(fd, 0600));
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, child_shm_open, &rdwr));

	/* The user can create objects of its own in the 1777 directory ... */
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, child_shm_open, &own));
	snprintf(path2, sizeof(path2), SHM_DIR "%s", self->name2);
	ASSERT_EQ(0, stat(path2, &st));
	EXPECT_EQ(TEST_UID, (int)st.st_uid);
	EXPECT_EQ(TEST_GID, (int)st.st_gid);
	EXPECT_EQ(0600, PERM(st));

	/*
	 * ... but the sticky bit keeps it from removing root's objects (the
	 * kernel says EPERM; glibc's shm_unlink reports that as EACCES).
	 */
	ASSERT_EQ(0, fchown(fd, 0, 0));
	EXPECT_EQ(EACCES, run_as(TEST_UID, TEST_GID, child_shm_unlink, &rdwr));
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, child_shm_unlink, &own));
	EXPECT_EQ(0, access(self->path, F_OK));

	close(fd);
}

TEST_F(posix_shm, fstatfs_magic)
{
	struct statfs sfs;
	char fstype[64] = "";
	int fd;

	fd = shm_open(self->name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fstatfs(fd, &sfs));
	EXPECT_EQ(variant->magic, (long)sfs.f_type) {
		TH_LOG("f_type 0x%lx on %s", (long)sfs.f_type, variant->fstype);
	}
	if (variant->magic != TMPFS_MAGIC)
		EXPECT_NE(TMPFS_MAGIC, (long)sfs.f_type);

	ASSERT_EQ(0, statfs(SHM_DIR, &sfs));
	EXPECT_EQ(variant->magic, (long)sfs.f_type);

	ASSERT_EQ(0, mountinfo_fstype(SHM_DIR, fstype, sizeof(fstype)));
	EXPECT_STREQ(variant->fstype, fstype);
	close(fd);
}

/* No private mount: the guest's own /dev/shm must be served by rust_shmem. */
TEST(real_dev_shm_is_rust_shmem)
{
	char name[64], fstype[64] = "";
	ssize_t size = sysconf(_SC_PAGESIZE);
	struct statfs sfs;
	char *map;
	int fd;

	snprintf(name, sizeof(name), "/ksft_real_dev_shm.%d", getpid());
	fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
	ASSERT_GE(fd, 0) {
		TH_LOG("shm_open(%s): %s", name, strerror(errno));
	}
	ASSERT_EQ(0, shm_unlink(name));
	ASSERT_EQ(0, fstatfs(fd, &sfs));
	EXPECT_EQ(RUST_SHMEM_MAGIC, (long)sfs.f_type) {
		TH_LOG("/dev/shm f_type is 0x%lx, not RUST_SHMEM_MAGIC 0x%x",
		       (long)sfs.f_type, RUST_SHMEM_MAGIC);
	}
	ASSERT_EQ(0, mountinfo_fstype(SHM_DIR, fstype, sizeof(fstype)));
	EXPECT_STREQ(RUST_SHMEM_FSTYPE, fstype);

	/* And it works as shared memory. */
	ASSERT_EQ(0, ftruncate(fd, size));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	fill_pattern(map, size, 0, 42);
	{
		char *buf = malloc(size);

		ASSERT_NE(NULL, buf);
		ASSERT_EQ(size, pread(fd, buf, size, 0));
		EXPECT_EQ(-1, check_pattern(buf, size, 0, 42));
		free(buf);
	}
	munmap(map, size);
	close(fd);
}

TEST_HARNESS_MAIN
