// SPDX-License-Identifier: GPL-2.0
/*
 * File handles (name_to_handle_at/open_by_handle_at, what NFS export uses): rust_shmem's
 * export operations against tmpfs's shmem_export_ops. Each case mounts tmpfs and rust_shmem
 * side by side, runs the same steps on both and compares every result; the clear ones are also
 * checked against their absolute expectation (a live file opens by handle, an evicted one is
 * ESTALE).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "fs_fixture.h"

#define MAX_HANDLE	128

/* What one side gives for one step: a result and errno, and the inode opened, if any. */
struct outcome {
	int ret;
	int err;
	ino_t ino;
	char data[16];
};

struct handle {
	struct file_handle fh;
	unsigned char bytes[MAX_HANDLE];
};

FIXTURE(fh) {
	char dir[SCRATCH_LEN];	/* rust_shmem */
	char ref[SCRATCH_LEN];	/* tmpfs */
	int mfd[2];		/* mount fds: [0] tmpfs, [1] rust_shmem */
};

FIXTURE_SETUP(fh)
{
	mount_side_by_side(_metadata, self->dir, self->ref, "fh", RUST_SHMEM_FSTYPE, "size=16m");
	self->mfd[0] = open(self->ref, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	self->mfd[1] = open(self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(self->mfd[0], 0);
	ASSERT_GE(self->mfd[1], 0);
}

FIXTURE_TEARDOWN(fh)
{
	close_if_open(self->mfd[0]);
	close_if_open(self->mfd[1]);
	unmount_scratch(self->dir);
	unmount_scratch(self->ref);
}

/* The mount point of side @i (0: tmpfs, 1: rust_shmem). */
static const char *side(FIXTURE_DATA(fh) *self, int i)
{
	return i ? self->dir : self->ref;
}

/* name_to_handle_at() of @name on side @i. */
static int get_handle(FIXTURE_DATA(fh) *self, int i, const char *name, struct handle *h)
{
	char path[SCRATCH_LEN + 32];
	int mount_id;

	snprintf(path, sizeof(path), "%s/%s", side(self, i), name);
	memset(h, 0, sizeof(*h));
	h->fh.handle_bytes = MAX_HANDLE;
	return name_to_handle_at(AT_FDCWD, path, &h->fh, &mount_id, 0) ? -errno : 0;
}

/* open_by_handle_at() of @h on side @i: what it gives, and the first bytes of a file. */
static struct outcome open_handle(FIXTURE_DATA(fh) *self, int i, struct handle *h, int flags)
{
	struct outcome o = { 0 };
	struct stat st;
	int fd;

	fd = open_by_handle_at(self->mfd[i], &h->fh, flags | O_CLOEXEC);
	o.ret = fd < 0 ? -1 : 0;
	o.err = fd < 0 ? errno : 0;
	if (fd >= 0) {
		if (!fstat(fd, &st))
			o.ino = st.st_ino;
		if (S_ISREG(st.st_mode) && pread(fd, o.data, sizeof(o.data) - 1, 0) < 0)
			o.err = errno;
		close(fd);
	}
	return o;
}

/* A new file @name with @data on side @i; its fd, open. */
static int make_file(FIXTURE_DATA(fh) *self, int i, const char *name, const char *data)
{
	char path[SCRATCH_LEN + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", side(self, i), name);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0 && pwrite(fd, data, strlen(data), 0) != (ssize_t)strlen(data)) {
		close(fd);
		return -1;
	}
	return fd;
}

static ino_t ino_of(FIXTURE_DATA(fh) *self, int i, const char *name)
{
	char path[SCRATCH_LEN + 32];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", side(self, i), name);
	return stat(path, &st) ? 0 : st.st_ino;
}

static void expect_same(struct __test_metadata *_metadata, const char *step,
			const struct outcome *tmpfs, const struct outcome *ours)
{
	TH_LOG("%s: tmpfs %d/%s \"%s\", rust_shmem %d/%s \"%s\"", step, tmpfs->ret,
	       strerror(tmpfs->err), tmpfs->data, ours->ret, strerror(ours->err), ours->data);
	EXPECT_EQ(tmpfs->ret, ours->ret);
	EXPECT_EQ(tmpfs->err, ours->err);
	EXPECT_STREQ(tmpfs->data, ours->data);
}

/* A file, a directory and a symlink's target open again by handle: the same inode. */
TEST_F(fh, live_objects_round_trip)
{
	struct outcome o[2];
	struct handle h;

	for (int i = 0; i < 2; i++) {
		int fd = make_file(self, i, "f", "hello");
		char path[SCRATCH_LEN + 32];

		ASSERT_GE(fd, 0);
		close(fd);
		ASSERT_EQ(0, get_handle(self, i, "f", &h));
		EXPECT_EQ(12U, h.fh.handle_bytes);	/* three words, as tmpfs */
		o[i] = open_handle(self, i, &h, O_RDONLY);
		EXPECT_EQ(0, o[i].ret);
		EXPECT_EQ(ino_of(self, i, "f"), o[i].ino);
		EXPECT_STREQ("hello", o[i].data);

		snprintf(path, sizeof(path), "%s/d", side(self, i));
		ASSERT_EQ(0, mkdir(path, 0700));
		ASSERT_EQ(0, get_handle(self, i, "d", &h));
		struct outcome d = open_handle(self, i, &h, O_RDONLY | O_DIRECTORY);
		EXPECT_EQ(0, d.ret);
		EXPECT_EQ(ino_of(self, i, "d"), d.ino);
	}
	expect_same(_metadata, "file", &o[0], &o[1]);
}

/* Unlinked and closed, the inode is evicted: its handle is stale. */
TEST_F(fh, evicted_inode_is_stale)
{
	struct outcome o[2];
	struct handle h;

	for (int i = 0; i < 2; i++) {
		char path[SCRATCH_LEN + 32];
		int fd = make_file(self, i, "gone", "bye");

		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, get_handle(self, i, "gone", &h));
		snprintf(path, sizeof(path), "%s/gone", side(self, i));
		ASSERT_EQ(0, unlink(path));
		close(fd);
		o[i] = open_handle(self, i, &h, O_RDONLY);
		EXPECT_EQ(-1, o[i].ret);
		EXPECT_EQ(ESTALE, o[i].err);
	}
	expect_same(_metadata, "evicted", &o[0], &o[1]);
}

/* Unlinked but still open: whatever tmpfs gives, we give. */
TEST_F(fh, unlinked_open_file)
{
	struct outcome o[2];
	struct handle h;
	int fds[2];

	for (int i = 0; i < 2; i++) {
		char path[SCRATCH_LEN + 32];

		fds[i] = make_file(self, i, "u", "still");
		ASSERT_GE(fds[i], 0);
		ASSERT_EQ(0, get_handle(self, i, "u", &h));
		snprintf(path, sizeof(path), "%s/u", side(self, i));
		ASSERT_EQ(0, unlink(path));
		o[i] = open_handle(self, i, &h, O_RDONLY);
	}
	expect_same(_metadata, "unlinked, open", &o[0], &o[1]);
	close(fds[0]);
	close(fds[1]);
}

/* A handle whose generation or number was changed names nothing; a short one is refused. */
TEST_F(fh, forged_handles)
{
	struct outcome gen[2], num[2], shrt[2];
	struct handle h, bad;

	for (int i = 0; i < 2; i++) {
		int fd = make_file(self, i, "x", "data");

		ASSERT_GE(fd, 0);
		close(fd);
		ASSERT_EQ(0, get_handle(self, i, "x", &h));
		bad = h;
		((unsigned int *)bad.fh.f_handle)[0] ^= 0x5a5a5a5a;
		gen[i] = open_handle(self, i, &bad, O_RDONLY);
		EXPECT_EQ(ESTALE, gen[i].err);
		bad = h;
		((unsigned int *)bad.fh.f_handle)[1] += 1000;
		num[i] = open_handle(self, i, &bad, O_RDONLY);
		EXPECT_EQ(ESTALE, num[i].err);
		bad = h;
		bad.fh.handle_bytes = 8;
		shrt[i] = open_handle(self, i, &bad, O_RDONLY);
	}
	expect_same(_metadata, "generation changed", &gen[0], &gen[1]);
	expect_same(_metadata, "number changed", &num[0], &num[1]);
	expect_same(_metadata, "two words", &shrt[0], &shrt[1]);
}

/* Asking with too small a buffer gives EOVERFLOW and the size needed, as tmpfs. */
TEST_F(fh, small_buffer)
{
	int got[2], need[2];

	for (int i = 0; i < 2; i++) {
		char path[SCRATCH_LEN + 32];
		struct handle h = { .fh.handle_bytes = 4 };
		int mount_id, fd = make_file(self, i, "s", "s");

		ASSERT_GE(fd, 0);
		close(fd);
		snprintf(path, sizeof(path), "%s/s", side(self, i));
		got[i] = name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) ? errno : 0;
		need[i] = h.fh.handle_bytes;
	}
	TH_LOG("tmpfs: %s, needs %d; rust_shmem: %s, needs %d", strerror(got[0]), need[0],
	       strerror(got[1]), need[1]);
	EXPECT_EQ(EOVERFLOW, got[0]);
	EXPECT_EQ(got[0], got[1]);
	EXPECT_EQ(need[0], need[1]);
}

TEST_HARNESS_MAIN
