/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture of the devzero_* kselftests (devzero_rw: reads and writes; devzero_map: mappings
 * and bad mmap input): /dev/rust_shmem_zero against the kernel's /dev/zero (drivers/char/mem.c).
 *
 * Every test runs once per variant (/dev/zero itself, and /dev/rust_shmem_zero) and does the
 * same experiment on the variant and on the real /dev/zero ("ref") in the same process: the
 * results must be equal, and must also be what /dev/zero is documented to do (so the /dev/zero
 * variant checks the reference itself). The only intended difference: the file behind a
 * MAP_SHARED mapping lives on tmpfs's internal mount for /dev/zero (shmem_zero_setup) and on
 * rust_shmem's for ours (rust_shmem_zero_setup), which the statfs magic of
 * /proc/self/map_files/<range> shows.
 *
 * Accesses that may fault are made in a forked child (probe()), whose fate is the result:
 * 0, SIGSEGV or SIGBUS.
 *
 * Header only: each devzero_* binary includes it once.
 */
#ifndef RUST_SHMEM_DEVZERO_UTIL_H
#define RUST_SHMEM_DEVZERO_UTIL_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "map_util.h"

#define REF_DEV		"/dev/zero"
#define RUST_DEV	"/dev/rust_shmem_zero"

FIXTURE(devzero) {
	int fd;		/* the variant, O_RDWR */
	int ref;	/* /dev/zero, O_RDWR */
	long page;
};

FIXTURE_VARIANT(devzero) {
	const char *path;
	long shared_magic;	/* statfs magic of a MAP_SHARED mapping's file; 0: the kernel's */
	bool ours;
};

FIXTURE_VARIANT_ADD(devzero, dev_zero) {
	.path = REF_DEV,
	.shared_magic = 0,	/* tmpfs, or rust_shmem under the takeover: kernel_shmem_magic() */
	.ours = false,
};

FIXTURE_VARIANT_ADD(devzero, rust_shmem_zero) {
	.path = RUST_DEV,
	.shared_magic = RUST_SHMEM_MAGIC,
	.ours = true,
};

FIXTURE_SETUP(devzero)
{
	self->page = sysconf(_SC_PAGESIZE);
	self->fd = open(variant->path, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->fd, 0) {
		TH_LOG("open %s: %s", variant->path, strerror(errno));
	}
	self->ref = open(REF_DEV, O_RDWR | O_CLOEXEC);
	ASSERT_GE(self->ref, 0);
}

FIXTURE_TEARDOWN(devzero)
{
	close_if_open(self->fd);
	close_if_open(self->ref);
}

static inline void fill_bytes(char *p, size_t len, char c)
{
	memset(p, c, len);
}

#endif /* RUST_SHMEM_DEVZERO_UTIL_H */
