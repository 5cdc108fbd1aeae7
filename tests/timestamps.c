// SPDX-License-Identifier: GPL-2.0
/*
 * Multigrain timestamps (FS_MGTIME, tmpfs's since 6.13): a file's mtime and ctime are coarse
 * (the tick) until someone reads them, and the change after a read gets a fine-grained time, so
 * a change is always visible to whoever looked before it. Every case runs on tmpfs (the
 * reference, which checks the expectations) and on rust_shmem.
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
#include <linux/rust_shmem.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "fs_fixture.h"

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC	0x01021994
#endif

#define ROUNDS	200

FIXTURE(ts) {
	char dir[SCRATCH_LEN];
	char path[SCRATCH_LEN + 8];
	int fd;
};

FS_VARIANTS(ts);

FIXTURE_SETUP(ts)
{
	ASSERT_EQ(0, enter_private_mntns());
	mount_scratch(_metadata, self->dir, "ts", variant->fstype, "size=16m");
	snprintf(self->path, sizeof(self->path), "%s/f", self->dir);
	self->fd = open(self->path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	ASSERT_GE(self->fd, 0);
}

FIXTURE_TEARDOWN(ts)
{
	close_if_open(self->fd);
	unmount_scratch(self->dir);
}

/* @a < @b */
static int ts_before(const struct statx_timestamp *a, const struct statx_timestamp *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void get(struct __test_metadata *_metadata, int fd, struct statx *stx)
{
	ASSERT_EQ(0, statx(fd, "", AT_EMPTY_PATH, STATX_MTIME | STATX_CTIME, stx));
}

/* A write after a look at mtime always moves mtime and ctime forward, however quick. */
TEST_F(ts, write_after_look_moves_times)
{
	struct statx before, after;
	int same = 0;

	for (int i = 0; i < ROUNDS; i++) {
		ASSERT_EQ(1, pwrite(self->fd, "x", 1, i));
		get(_metadata, self->fd, &before);
		ASSERT_EQ(1, pwrite(self->fd, "y", 1, i));
		get(_metadata, self->fd, &after);
		if (!ts_before(&before.stx_mtime, &after.stx_mtime) ||
		    !ts_before(&before.stx_ctime, &after.stx_ctime))
			same++;
	}
	TH_LOG("%s: %d of %d writes left mtime/ctime where a look saw them", variant->fstype,
	       same, ROUNDS);
	EXPECT_EQ(0, same);
}

/* The same for an attribute change (chmod: ctime). */
TEST_F(ts, chmod_after_look_moves_ctime)
{
	struct statx before, after;
	int same = 0;

	for (int i = 0; i < ROUNDS; i++) {
		ASSERT_EQ(0, fchmod(self->fd, i & 1 ? 0600 : 0640));
		get(_metadata, self->fd, &before);
		ASSERT_EQ(0, fchmod(self->fd, i & 1 ? 0640 : 0600));
		get(_metadata, self->fd, &after);
		if (!ts_before(&before.stx_ctime, &after.stx_ctime))
			same++;
	}
	TH_LOG("%s: %d of %d chmods left ctime where a look saw it", variant->fstype, same,
	       ROUNDS);
	EXPECT_EQ(0, same);
}

/* Entries added after a look at the directory move its mtime. */
TEST_F(ts, create_after_look_moves_dir_mtime)
{
	struct statx before, after;
	char name[SCRATCH_LEN + 32];
	int dfd, same = 0;

	dfd = open(self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(dfd, 0);
	for (int i = 0; i < ROUNDS; i++) {
		get(_metadata, dfd, &before);
		snprintf(name, sizeof(name), "%s/e%d", self->dir, i);
		ASSERT_EQ(0, mknod(name, S_IFREG | 0600, 0));
		get(_metadata, dfd, &after);
		if (!ts_before(&before.stx_mtime, &after.stx_mtime))
			same++;
	}
	close(dfd);
	TH_LOG("%s: %d of %d creates left the directory's mtime", variant->fstype, same, ROUNDS);
	EXPECT_EQ(0, same);
}

TEST_HARNESS_MAIN
