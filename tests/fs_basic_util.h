/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of the fs_basic_* kselftests, rust_shmem's file system behaviour against tmpfs
 * (fs_basic_files: page-cache files, mappings, truncation, statfs, file I/O; fs_basic_names:
 * directories, links, special files, the namespace; fs_basic_attrs: attributes, xattrs, POSIX
 * ACLs; fs_basic_mount: mount options), and the helpers more than one of them uses.
 *
 * Every test runs once per variant (tmpfs, rust_shmem) in a private mount namespace, with the
 * variant mounted on a fresh directory under /tmp.  A plain tmpfs is also mounted beside it
 * ("ref"): where a test derives an expected value (link counts, directory listings, error codes,
 * modes after chown...) it does the same on ref and compares, so tmpfs is the reference even
 * inside the rust_shmem run.  Header only: each fs_basic_* binary includes it once.
 */
#ifndef RUST_SHMEM_FS_BASIC_UTIL_H
#define RUST_SHMEM_FS_BASIC_UTIL_H

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sendfile.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/falloc.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "fs_fixture.h"

FIXTURE(fs) {
	char dir[SCRATCH_LEN];	/* the variant's mount */
	char ref[SCRATCH_LEN];	/* a tmpfs mounted the same way, for comparisons */
	int dfd;
	int rfd;
	long page;
};

FS_VARIANTS(fs);

FIXTURE_SETUP(fs)
{
	self->dfd = self->rfd = -1;
	self->page = sysconf(_SC_PAGESIZE);
	umask(0);
	mount_side_by_side(_metadata, self->dir, self->ref, "fs_basic", variant->fstype,
			   "mode=0755");
	self->dfd = open(self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(self->dfd, 0);
	self->rfd = open(self->ref, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(self->rfd, 0);
}

FIXTURE_TEARDOWN(fs)
{
	close_if_open(self->dfd);
	close_if_open(self->rfd);
	unmount_scratch(self->dir);
	unmount_scratch(self->ref);
}

/* Creates (or truncates) @name under @dfd holding @len bytes of @data. */
static inline int put_file(int dfd, const char *name, const void *data, size_t len, mode_t mode)
{
	int fd = openat(dfd, name, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, mode);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* openat() of @name under @dfd with @flags (mode 0640), for run_as(): 0 or errno. */
struct create_op {
	int dfd;
	const char *name;
	int flags;
};

static inline int child_openat(void *arg)
{
	struct create_op *op = arg;
	int fd = openat(op->dfd, op->name, op->flags, 0640);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

#endif /* RUST_SHMEM_FS_BASIC_UTIL_H */
