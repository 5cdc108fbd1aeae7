/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The hostile_* kselftests: hostile input against rust_shmem, with tmpfs as the reference, a
 * bounded, seeded fuzz loop per area, each input applied to tmpfs and to the variant and the
 * results compared.
 *
 *   mount_options  random option strings (valid keys with malformed, overflowing, negative, empty
 *                  or huge values, repeated keys, stray commas, random bytes, very long strings)
 *                  through mount(2), fsopen/fsconfig/fsmount and remount; success or errno must
 *                  match, and so must statfs, the root's mode/owner and the /proc/mounts options
 *                  of what got mounted
 *   file_ops       pread/pwrite (bad buffers too), ftruncate, lseek (SEEK_DATA/SEEK_HOLE),
 *                  fallocate, mmap (probed in a child), madvise, O_APPEND writes, copy_file_range,
 *                  fadvise, readahead, sync_file_range at random, negative, huge and near
 *                  LLONG_MAX offsets and lengths on identically prepared files; results, sizes,
 *                  st_blocks, statfs, data and the SEEK_DATA/SEEK_HOLE map must match
 *   ioctls         random commands and arguments (NULL, unmapped, kernel-looking pointers, valid
 *                  and truncated buffers, fds) on files, directories, O_PATH fds and
 *                  /dev/rust_shmem_zero against /dev/zero
 *   unprivileged   uid 1000 (setresuid in a child) trying chmod/chown/utimes/xattrs/unlink/
 *                  rename/link/open/truncate on root's files in a sticky 1777 and a 0755
 *                  directory; errnos and the resulting tree must match
 *
 * The tmpfs variant runs everything against tmpfs itself, which checks the test (a difference
 * there is a bug in the test).  Documented differences are not compared on rust_shmem, but it must
 * still give a clean EINVAL: size= numbers that overflow 64 bits where tmpfs wraps (a size whose
 * rounding up to pages wraps in tmpfs may also succeed).
 * Differences in the fs_context log messages are notes, not failures, and so is tmpfs keeping a
 * nr_blocks=/nr_inodes= value that fsconfig refused (mm/shmem.c stores it before checking it;
 * whatever depends on it is not compared).  After the two sides differ in a file's state, the
 * files are set up again (file_ops) or replaced (ioctls), so that one difference is reported once
 * per kind of call rather than cascading.
 *
 * Each case runs in a forked worker with a watchdog: a call that does not return for HANG_SECS is
 * reported as a hang (with its arguments) and fails the case; one new worker then goes on from
 * that iteration with new files and fallocate-style lengths capped at 1 GiB, while the stuck one
 * (SIGKILL cannot reach a task looping in the kernel) is left behind at SCHED_IDLE.  Workers write
 * nothing to the test's output, so that a stuck one cannot hold the runner's pipe.  Every case
 * checks that the kernel logged no splat while it ran, and reports how many calls it made.
 *
 * RS_FUZZ_SEED (default STRESS_DEFAULT_SEED) seeds the inputs; RS_STRESS_SCALE scales the number
 * of iterations and the time budget (each case stops at the earlier of the two).
 *
 * This header holds what the four cases (one binary each: hostile_mount_options,
 * hostile_file_ops, hostile_ioctls, hostile_unprivileged) share: the fixture, the workers'
 * context and watchdog, the comparison of results, and the offset, length and buffer generators
 * of file_ops and ioctls.  Header only: each hostile_* binary includes it once.
 */
#ifndef RUST_SHMEM_HOSTILE_UTIL_H
#define RUST_SHMEM_HOSTILE_UTIL_H

#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/falloc.h>
#include <linux/fs.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "stress_util.h"
#include "fs_fixture.h"

#define MOUNT_OPTS	"size=16m,nr_inodes=4096,mode=0755"
#define HANG_SECS	25.0
#define NSIDES		2	/* 0: the tmpfs reference, 1: the variant */

/* ------------------------------------------------------------------ fixture */

FIXTURE(hostile) {
	char dir[SCRATCH_LEN];	/* the variant's mount */
	char ref[SCRATCH_LEN];	/* a tmpfs mounted the same way: the reference */
	int kmsg;
	uint64_t seed;
	double scale;
	long page;
	struct fuzz_report *rep;
};

FIXTURE_VARIANT(hostile) {
	const char *fstype;
	const char *zero;	/* the variant's /dev/zero */
	long magic;
};

FIXTURE_VARIANT_ADD(hostile, tmpfs) {
	.fstype = "tmpfs",
	.zero = "/dev/zero",
	.magic = TMPFS_MAGIC,
};

FIXTURE_VARIANT_ADD(hostile, rust_shmem) {
	.fstype = RUST_SHMEM_FSTYPE,
	.zero = "/dev/rust_shmem_zero",
	.magic = RUST_SHMEM_MAGIC,
};

FIXTURE_SETUP(hostile)
{
	self->kmsg = -1;
	self->rep = NULL;
	self->page = sysconf(_SC_PAGESIZE);
	self->seed = stress_seed();
	self->scale = stress_scale();
	umask(0);
	mount_side_by_side(_metadata, self->dir, self->ref, "hostile", variant->fstype, MOUNT_OPTS);
	self->rep = shared_alloc(sizeof(*self->rep));
	ASSERT_NE(NULL, self->rep);
	self->kmsg = kmsg_open_end();
	ASSERT_LE(0, self->kmsg) {
		TH_LOG("cannot read /dev/kmsg: %s", strerror(errno));
	}
	TH_LOG("seed 0x%llx (RS_FUZZ_SEED), scale %g (RS_STRESS_SCALE)",
	       (unsigned long long)self->seed, self->scale);
}

FIXTURE_TEARDOWN(hostile)
{
	close_if_open(self->kmsg);
	unmount_scratch(self->dir);
	unmount_scratch(self->ref);
	if (self->rep)
		munmap(self->rep, sizeof(*self->rep));
}


/* What every fuzz worker gets. */
struct ctx {
	struct fuzz_report *rep;
	const char *root[NSIDES];	/* where each side's file system is mounted */
	const char *fstype[NSIDES];
	const char *zero[NSIDES];
	struct rng rng;
	uint64_t iters;
	double deadline;
	long page;
	unsigned long long totalram_pages;
	bool ref_variant;	/* the variant is tmpfs itself: no documented differences */
	double start;
	int gen;		/* worker generation: a new one after a hang, with new files */
	bool tame;		/* after a hang: lengths that make fallocate walk ranges are capped */
	uint64_t first_iter;
};

static inline struct ctx make_ctx(FIXTURE_DATA(hostile) *self, const FIXTURE_VARIANT(hostile) *variant,
			   const char *stream, uint64_t base_iters, double base_secs)
{
	struct sysinfo si;
	struct ctx c = {
		.rep = self->rep,
		.root = { self->ref, self->dir },
		.fstype = { "tmpfs", variant->fstype },
		.zero = { "/dev/zero", variant->zero },
		.rng = rng_seeded(self->seed, stream),
		.iters = (uint64_t)(base_iters * self->scale),
		.deadline = now_sec() + base_secs * self->scale,
		.page = self->page,
		.ref_variant = !strcmp(variant->fstype, "tmpfs"),
		.start = now_sec(),
	};

	if (!sysinfo(&si))
		c.totalram_pages = (unsigned long long)si.totalram * si.mem_unit / self->page;
	if (c.iters < 1)
		c.iters = 1;
	return c;
}

/* Ends a case: summary, call count, kernel log, verdict. */
static inline void finish_case(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self,
			const char *name, struct ctx *c, int guarded)
{
	struct fuzz_report *rep = self->rep;
	char *log = kmsg_read_new(self->kmsg);
	unsigned long long total = stress_add_calls("hostile", rep->calls);
	int splats = kmsg_splats(log, 0);

	free(log);
	fuzz_summary(rep);
	TH_LOG("%s: %llu calls in %.1f s, %llu mismatches, %llu notes (calls in this run so far: %llu)",
	       name, (unsigned long long)rep->calls, now_sec() - c->start,
	       (unsigned long long)rep->mismatches, (unsigned long long)rep->notes, total);
	EXPECT_EQ(0, guarded) {
		TH_LOG("%d fuzz worker(s) hung or died", guarded);
	}
	EXPECT_EQ(0, (long)rep->mismatches);
	EXPECT_EQ(0, splats);
}

/*
 * Runs a case's worker under the watchdog.  After a hang (a failure already), one new worker goes
 * on from the iteration that hung, with new files and "tame" lengths, so that the rest of the
 * inputs are still tried.  Returns the number of workers that did not finish.
 */
static inline int run_resumable(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self,
			 struct ctx *c, void (*worker)(void *))
{
	int failed = 0;

	for (;;) {
		int hangs = self->rep->hangs;

		if (!fuzz_run_guarded(self->rep, worker, c, HANG_SECS))
			break;
		failed++;
		if (self->rep->hangs == hangs || c->gen >= 1)
			break;
		c->gen++;
		c->tame = true;
		/* the time the hang took does not count */
		c->deadline = now_sec() + (c->deadline - (now_sec() - HANG_SECS - 5) > 1 ?
					   c->deadline - (now_sec() - HANG_SECS - 5) : 1);
		c->first_iter = self->rep->resume_iter;
		c->rng.s = self->rep->resume_rng;
		TH_LOG("going on from iteration %llu with a new worker, new files and lengths capped at 1 GiB",
		       (unsigned long long)c->first_iter);
	}
	return failed;
}

/* ------------------------------------------------------------- results */

struct res {
	long ret;
	int err;
};

/* Runs @expr with errno cleared: its return value, and errno if it returned -1. */
#define CALL(expr) ({							\
	long __r;							\
	errno = 0;							\
	__r = (long)(expr);						\
	(struct res){ __r, __r == -1 ? errno : 0 };			\
})

static inline bool res_eq(struct res a, struct res b)
{
	return a.ret == b.ret && a.err == b.err;
}

static inline const char *res_str(struct res r, char *buf, size_t size)
{
	if (r.ret == -1 && r.err)
		snprintf(buf, size, "-1 %s (%s)", strerrorname_np(r.err) ?: "?", strerror(r.err));
	else
		snprintf(buf, size, "%ld", r.ret);
	return buf;
}

/* Compares the two sides' results of the call described by @what; records a mismatch. */
static inline bool check_res(struct ctx *c, const char *cls, struct res r[NSIDES], const char *what)
{
	char a[96], b[96];

	if (res_eq(r[0], r[1]))
		return true;
	fuzz_finding(c->rep, false, cls, "%s: tmpfs %s, %s %s", what, res_str(r[0], a, sizeof(a)),
		     c->fstype[1], res_str(r[1], b, sizeof(b)));
	return false;
}

/* Marks progress for the watchdog. */
static inline void beat(struct ctx *c, unsigned int calls)
{
	c->rep->calls += calls;
	c->rep->heartbeat++;
}

static inline bool out_of_time(struct ctx *c, uint64_t i)
{
	return i >= c->iters || now_sec() > c->deadline;
}

/* ------------------------------------------------- offsets, lengths and buffers */

/* Offsets: small, page-aligned, negative, near LLONG_MAX, powers of two, random, near @size. */
static inline int64_t gen_off(struct rng *r, int64_t size, long page)
{
	switch (rng_below(r, 12)) {
	case 0:
	case 1:
		return rng_below(r, 1 << 20);
	case 2:
		return (int64_t)rng_below(r, 4096) * page + (int64_t)rng_below(r, 3) - 1;
	case 3:
		return (int64_t[]){ -1, -4096, LLONG_MIN, -(int64_t)rng_below(r, 1ULL << 40),
				    LLONG_MIN + 1 }[rng_below(r, 5)];
	case 4:
		return LLONG_MAX - (int64_t)rng_below(r, 3 * page);
	case 5:
		return ((int64_t)1 << (20 + rng_below(r, 43))) + (int64_t)rng_below(r, 3) - 1;
	case 6:
		return (int64_t)rng_next(r);
	case 7:
		return ((int64_t)1 << 62) + (int64_t)rng_below(r, 1 << 20);
	default:
		return size + (int64_t)rng_below(r, 4 * page) - 2 * page;
	}
}

/* Lengths for fallocate and friends (signed, as the system calls take them). */
static inline int64_t gen_len(struct rng *r, int64_t off, long page)
{
	switch (rng_below(r, 12)) {
	case 0:
		return 0;
	case 1:
		return (int64_t[]){ -1, -4096, LLONG_MIN }[rng_below(r, 3)];
	case 2:
	case 3:
	case 4:
		return 1 + rng_below(r, 1 << 20);
	case 5:
		return (int64_t)(1 + rng_below(r, 64)) * page;
	case 6:
		return ((int64_t)1 << (20 + rng_below(r, 43))) + (int64_t)rng_below(r, 3) - 1;
	case 7:
		return LLONG_MAX - (int64_t)rng_below(r, 2);
	case 8:
		return off > 0 ? LLONG_MAX - off + (int64_t)rng_below(r, 3) - 1 : LLONG_MAX;
	case 9:
		return (int64_t)rng_next(r);
	default:
		return 1 + rng_below(r, 16 * page);
	}
}

#define IOBUF	(64 << 10)

/* A buffer of IOBUF bytes followed by an inaccessible page. */
static inline char *guarded_buffer(long page)
{
	char *p = mmap(NULL, IOBUF + page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	mprotect(p + IOBUF, page, PROT_NONE);
	return p;
}

/* Compares sizes and st_blocks of the two files @name; returns false if they differ. */
static inline bool compare_fstat(struct ctx *c, int fd[NSIDES], const char *name, const char *after)
{
	struct stat st[NSIDES];
	bool same = true;
	char cls[2][64];
	int s;

	/* one class per kind of call, so that different causes show separately */
	snprintf(cls[0], sizeof(cls[0]), "st_size after %.*s", (int)strcspn(after, "( "), after);
	snprintf(cls[1], sizeof(cls[1]), "st_blocks after %.*s", (int)strcspn(after, "( "), after);
	for (s = 0; s < NSIDES; s++)
		if (fstat(fd[s], &st[s]))
			memset(&st[s], 0xff, sizeof(st[s]));
	beat(c, NSIDES);
	if (st[0].st_size != st[1].st_size) {
		fuzz_finding(c->rep, false, cls[0], "%s after %s: st_size tmpfs %lld, %s %lld", name,
			     after, (long long)st[0].st_size, c->fstype[1], (long long)st[1].st_size);
		same = false;
	}
	if (st[0].st_blocks != st[1].st_blocks) {
		fuzz_finding(c->rep, false, cls[1], "%s after %s: st_blocks tmpfs %lld, %s %lld",
			     name, after, (long long)st[0].st_blocks, c->fstype[1],
			     (long long)st[1].st_blocks);
		same = false;
	}
	return same;
}

#endif /* RUST_SHMEM_HOSTILE_UTIL_H */
