// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile input against rust_shmem, with tmpfs as the reference: a bounded, seeded fuzz loop per
 * area, each input applied to tmpfs and to the variant and the results compared.
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
 */
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

#define MOUNT_OPTS	"size=16m,nr_inodes=4096,mode=0755"
#define HANG_SECS	25.0
#define NSIDES		2	/* 0: the tmpfs reference, 1: the variant */

/* uapi bits the build host's headers may lack (values from the 7.3 headers). */
#ifndef FS_IOC_GETFSUUID
struct fsuuid2 {
	uint8_t len;
	uint8_t uuid[16];
};
#define FS_IOC_GETFSUUID	_IOR(0x15, 0, struct fsuuid2)
#endif
#ifndef FS_IOC_GETFSSYSFSPATH
struct fs_sysfs_path {
	uint8_t len;
	uint8_t name[128];
};
#define FS_IOC_GETFSSYSFSPATH	_IOR(0x15, 1, struct fs_sysfs_path)
#endif
struct space_resv_ {
	int16_t l_type;
	int16_t l_whence;
	int64_t l_start;
	int64_t l_len;
	int32_t l_sysid;
	uint32_t l_pid;
	int32_t l_pad[4];
};
#define RESVSP_		_IOW('X', 40, struct space_resv_)
#define UNRESVSP_	_IOW('X', 41, struct space_resv_)
#define RESVSP64_	_IOW('X', 42, struct space_resv_)
#define UNRESVSP64_	_IOW('X', 43, struct space_resv_)
#define ZERO_RANGE_	_IOW('X', 57, struct space_resv_)
#define FS_IOC_SHUTDOWN_	_IOR('X', 125, uint32_t)
#ifndef FALLOC_FL_UNSHARE_RANGE
#define FALLOC_FL_UNSHARE_RANGE	0x40
#endif
#define FALLOC_FL_WRITE_ZEROES_	0x80
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE	0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC		0x80000
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED	0x4000000
#endif
#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif
#ifndef SEEK_DATA
#define SEEK_DATA		3
#define SEEK_HOLE		4
#endif

/* ------------------------------------------------------------------ fixture */

FIXTURE(hostile) {
	char dir[64];	/* the variant's mount */
	char ref[64];	/* a tmpfs mounted the same way: the reference */
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
	ASSERT_EQ(0, enter_private_mntns());
	strcpy(self->dir, "/tmp/hostile.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	strcpy(self->ref, "/tmp/hostile_ref.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->ref));
	ASSERT_EQ(0, mount(variant->fstype, self->dir, variant->fstype, 0, MOUNT_OPTS)) {
		TH_LOG("mount -t %s: %s", variant->fstype, strerror(errno));
	}
	ASSERT_EQ(0, mount("tmpfs", self->ref, "tmpfs", 0, MOUNT_OPTS));
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
	if (self->kmsg >= 0)
		close(self->kmsg);
	umount2(self->dir, MNT_DETACH);
	umount2(self->ref, MNT_DETACH);
	rmdir(self->dir);
	rmdir(self->ref);
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

static struct ctx make_ctx(FIXTURE_DATA(hostile) *self, const FIXTURE_VARIANT(hostile) *variant,
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
static void finish_case(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self,
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
static int run_resumable(struct __test_metadata *_metadata, FIXTURE_DATA(hostile) *self,
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

static bool res_eq(struct res a, struct res b)
{
	return a.ret == b.ret && a.err == b.err;
}

static const char *res_str(struct res r, char *buf, size_t size)
{
	if (r.ret == -1 && r.err)
		snprintf(buf, size, "-1 %s (%s)", strerrorname_np(r.err) ?: "?", strerror(r.err));
	else
		snprintf(buf, size, "%ld", r.ret);
	return buf;
}

/* Compares the two sides' results of the call described by @what; records a mismatch. */
static bool check_res(struct ctx *c, const char *cls, struct res r[NSIDES], const char *what)
{
	char a[96], b[96];

	if (res_eq(r[0], r[1]))
		return true;
	fuzz_finding(c->rep, false, cls, "%s: tmpfs %s, %s %s", what, res_str(r[0], a, sizeof(a)),
		     c->fstype[1], res_str(r[1], b, sizeof(b)));
	return false;
}

/* Marks progress for the watchdog. */
static void beat(struct ctx *c, unsigned int calls)
{
	c->rep->calls += calls;
	c->rep->heartbeat++;
}

static bool out_of_time(struct ctx *c, uint64_t i)
{
	return i >= c->iters || now_sec() > c->deadline;
}

/* ====================================================== mount options */

/*
 * Values: tmpfs's (mm/shmem.c, lib/cmdline.c memparse) arithmetic, to find the inputs where tmpfs
 * wraps or saturates and rust_shmem documents that it refuses instead.
 */
enum diff { DIFF_NONE, DIFF_WRAP_OK, DIFF_REFUSE };

/* memparse() with simple_strtoull's base 0; *ovf when a step saturated at ULLONG_MAX. */
static uint64_t k_memparse(const char *s, const char **rest, bool *ovf)
{
	const char *p = s;
	unsigned int base = 10, shl = 0;
	uint64_t v = 0;

	*ovf = false;
	if (p[0] == '0') {
		if (tolower((unsigned char)p[1]) == 'x' && isxdigit((unsigned char)p[2])) {
			base = 16;
			p += 2;
		} else {
			base = 8;
		}
	}
	for (;; p++) {
		int ch = (unsigned char)*p, lc = tolower(ch);
		unsigned int d;
		unsigned __int128 n;

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (lc >= 'a' && lc <= 'f')
			d = lc - 'a' + 10;
		else
			break;
		if (d >= base)
			break;
		n = (unsigned __int128)v * base + d;
		if (n > UINT64_MAX) {
			v = UINT64_MAX;
			*ovf = true;
		} else {
			v = (uint64_t)n;
		}
	}
	switch (*p) {
	case 'E': case 'e': shl += 10; /* fallthrough */
	case 'P': case 'p': shl += 10; /* fallthrough */
	case 'T': case 't': shl += 10; /* fallthrough */
	case 'G': case 'g': shl += 10; /* fallthrough */
	case 'M': case 'm': shl += 10; /* fallthrough */
	case 'K': case 'k': shl += 10; /* fallthrough */
	default: break;
	}
	if (shl && p != s) {
		if (v > (UINT64_MAX >> shl)) {
			v = UINT64_MAX;
			*ovf = true;
		} else {
			v <<= shl;
		}
		p++;
	}
	*rest = p;
	return v;
}

/* Is key=value one of the documented differences? */
static enum diff classify(struct ctx *c, const char *key, const char *val)
{
	const char *rest;
	bool ovf, pct;
	uint64_t v, size;

	if (!val || c->ref_variant)
		return DIFF_NONE;
	if (strcmp(key, "size"))
		return DIFF_NONE;	/* nr_blocks=, nr_inodes=: tmpfs's limit checks catch overflow */
	v = k_memparse(val, &rest, &ovf);
	pct = *rest == '%';
	if (pct)
		rest++;
	if (*rest)
		return DIFF_NONE;	/* both refuse */
	if (pct) {
		unsigned __int128 x = (unsigned __int128)v << 12;

		if (ovf || x > UINT64_MAX)
			return DIFF_REFUSE;
		x *= c->totalram_pages;
		if (x > UINT64_MAX)
			return DIFF_REFUSE;
		size = (uint64_t)(x / 100);
	} else {
		if (ovf)
			return DIFF_REFUSE;
		size = v;
	}
	/* DIV_ROUND_UP(size, PAGE_SIZE) wraps to 0 (unlimited) in tmpfs. */
	return size > UINT64_MAX - 4095 ? DIFF_WRAP_OK : DIFF_NONE;
}

/* Classifies a comma-separated option string, split as the VFS does and as tmpfs does. */
static enum diff classify_string(struct ctx *c, const char *opts)
{
	enum diff worst = DIFF_NONE;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		char *copy = strdup(opts), *s = copy;

		while (s) {
			char *tok = s, *comma, *eq;
			enum diff d;

			/* pass 1: tmpfs's shmem_next_opt keeps ",<digit>" inside the value */
			for (comma = strchr(s, ','); pass && comma && isdigit((unsigned char)comma[1]);)
				comma = strchr(comma + 1, ',');
			if (comma) {
				*comma = '\0';
				s = comma + 1;
			} else {
				s = NULL;
			}
			eq = strchr(tok, '=');
			if (eq)
				*eq = '\0';
			d = classify(c, tok, eq ? eq + 1 : NULL);
			if (d > worst)
				worst = d;
		}
		free(copy);
	}
	return worst;
}

static const char * const size_suffixes[] = { "", "k", "K", "m", "M", "g", "G", "t", "T", "p", "P",
					      "e", "E", "%", "kk", "q", "kb", "b", " ", "%%", "k%" };

static void gen_number(struct rng *r, char *out, size_t size, bool pct_ok)
{
	static const char * const specials[] = {
		"18446744073709551615", "18446744073709551616", "18446744073709547520",
		"18446744073709547521", "9223372036854775807", "9223372036854775808",
		"4294967295", "4294967296", "18014398509481983", "18014398509481984",
		"0xffffffffffffffff", "0x10000000000000000", "01777777777777777777777",
		"02000000000000000000000", "16e", "15e", "16383p", "16384p", "17179869184g",
		"0", "00", "0x", "0x0", "0xk", "k", "%", "-1", "-0", "+1", " 1", "1 ", "",
		"1k%", "99999999999%", "10000000000%", "4503599627370496%", "1e%", "100%", "0%",
		"0x1e", "0x1g", "08", "09k", "1.5m", "1,5", "1_000", "٣", "\xff\xfe",
	};
	size_t len = 0;
	unsigned int i, n;

	switch (rng_below(r, 10)) {
	case 0:
	case 1:
		snprintf(out, size, "%s", specials[rng_below(r, sizeof(specials) / sizeof(specials[0]))]);
		break;
	case 2:	/* plain decimal */
		snprintf(out, size, "%llu", (unsigned long long)rng_below(r, 1 << 24));
		break;
	case 3:	/* huge decimal */
		n = 15 + rng_below(r, 30);
		for (i = 0; i < n && len + 1 < size; i++)
			out[len++] = '0' + (i ? rng_below(r, 10) : 1 + rng_below(r, 9));
		out[len] = '\0';
		break;
	case 4:	/* hex */
		n = 1 + rng_below(r, 20);
		len = snprintf(out, size, "0%c", rng_pct(r, 50) ? 'x' : 'X');
		for (i = 0; i < n && len + 1 < size; i++)
			out[len++] = "0123456789abcdefABCDEF"[rng_below(r, 22)];
		out[len] = '\0';
		break;
	case 5:	/* octal */
		snprintf(out, size, "0%llo", (unsigned long long)rng_below(r, 1ULL << (3 * rng_below(r, 22))));
		break;
	case 6:	/* many leading zeros */
		n = rng_below(r, 3500);
		for (i = 0; i < n && len + 16 < size; i++)
			out[len++] = '0';
		snprintf(out + len, size - len, "%u", (unsigned int)rng_below(r, 1000));
		break;
	default:	/* number with suffix */
		snprintf(out, size, "%llu", (unsigned long long)rng_below(r, 1ULL << rng_below(r, 40)));
		break;
	}
	if (rng_pct(r, 40)) {
		const char *suf = size_suffixes[rng_below(r, sizeof(size_suffixes) / sizeof(size_suffixes[0]))];

		if (pct_ok || !strchr(suf, '%'))
			strncat(out, suf, size - strlen(out) - 1);
	}
}

static void gen_junk(struct rng *r, char *out, size_t size, size_t maxlen, bool commas)
{
	size_t n = 1 + rng_below(r, maxlen), i;

	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++) {
		unsigned char ch;

		do {
			ch = rng_pct(r, 70) ? 0x21 + rng_below(r, 0x5e) : 1 + rng_below(r, 255);
		} while (!commas && ch == ',');
		out[i] = ch;
	}
	out[n] = '\0';
}

/* One "key[=value]" token. */
static void gen_token(struct rng *r, char *out, size_t size, bool mostly_valid)
{
	static const char * const flags[] = {
		"inode32", "inode64", "noswap", "ro", "rw", "sync", "dirsync", "lazytime",
		"nolazytime", "nomand", "silent", "posixacl", "quota", "usrquota",
		"grpquota", "casefold", "strict_encoding", "noatime", "relatime", "nosuid",
		"nodev", "noexec", "remount", "bind", "defaults", "x-mount.mkdir",
	};
	static const char * const huge[] = {
		"never", "always", "within_size", "advise", "deny", "force", "NEVER", "",
		"never ", "nevers", "1",
	};
	static const char * const odd_keys[] = {
		"", "SIZE", "Size", "size ", " size", "size\t", "mode ", "uid=", "=", "nr-inodes",
		"nr_inodes\n", "mpol", "usrquota_block_hardlimit", "grpquota_inode_hardlimit",
	};
	char val[4096], key[300];
	unsigned int k = rng_below(r, 100);

	val[0] = '\0';
	if (k < 40) {
		static const char * const nk[] = { "size", "nr_blocks", "nr_inodes" };

		snprintf(key, sizeof(key), "%s", nk[rng_below(r, 3)]);
		if (mostly_valid)
			snprintf(val, sizeof(val), "%llu%s", (unsigned long long)rng_below(r, 4096),
				 (const char *[]){ "k", "m", "", "%" }[rng_below(r, strcmp(key, "size") ? 3 : 4)]);
		else
			gen_number(r, val, sizeof(val), !strcmp(key, "size"));
	} else if (k < 52) {
		snprintf(key, sizeof(key), "mode");
		if (mostly_valid || rng_pct(r, 50))
			snprintf(val, sizeof(val), "0%llo", (unsigned long long)rng_below(r, 1ULL << (3 * (1 + rng_below(r, 12)))));
		else
			gen_number(r, val, sizeof(val), false);
	} else if (k < 62) {
		static const char * const ids[] = {
			"0", "1000", "65534", "4294967295", "4294967294", "-1", "2147483648",
			"x", "", " 0", "0x10", "010", "99999999999", "1000k",
		};

		snprintf(key, sizeof(key), "%s", rng_pct(r, 50) ? "uid" : "gid");
		snprintf(val, sizeof(val), "%s", mostly_valid ? (rng_pct(r, 50) ? "0" : "1000") :
			 ids[rng_below(r, sizeof(ids) / sizeof(ids[0]))]);
	} else if (k < 70) {
		snprintf(key, sizeof(key), "huge");
		snprintf(val, sizeof(val), "%s", huge[rng_below(r, mostly_valid ? 4 : sizeof(huge) / sizeof(huge[0]))]);
	} else if (k < 84) {
		snprintf(out, size, "%s%s", flags[rng_below(r, mostly_valid ? 3 : sizeof(flags) / sizeof(flags[0]))],
			 rng_pct(r, mostly_valid ? 0 : 20) ? (rng_pct(r, 50) ? "=" : "=1") : "");
		return;
	} else if (k < 90) {
		snprintf(key, sizeof(key), "source");
		if (mostly_valid)
			snprintf(val, sizeof(val), "src%u", (unsigned int)rng_below(r, 100));
		else
			gen_junk(r, val, sizeof(val), 40, true);
	} else if (k < 95) {
		snprintf(key, sizeof(key), "%s", odd_keys[rng_below(r, sizeof(odd_keys) / sizeof(odd_keys[0]))]);
		gen_number(r, val, sizeof(val), true);
	} else {
		gen_junk(r, key, sizeof(key), rng_pct(r, 90) ? 20 : 290, false);
		if (rng_pct(r, 50)) {
			snprintf(out, size, "%s", key);
			return;
		}
		gen_junk(r, val, sizeof(val), 30, false);
	}
	snprintf(out, size, "%s=%s", key, val);
}

/* A whole option string (at most size - 1 bytes). */
static void gen_options(struct rng *r, char *out, size_t size)
{
	unsigned int kind = rng_below(r, 100), n, i;
	bool valid = kind >= 55;
	size_t len = 0;

	out[0] = '\0';
	if (kind < 6) {			/* random bytes */
		gen_junk(r, out, size, 300, true);
		return;
	}
	if (kind < 10) {		/* very long */
		char tok[4200];
		size_t want = 1000 + rng_below(r, 7000);

		if (want >= size)
			want = size - 1;
		gen_token(r, tok, sizeof(tok), rng_pct(r, 50));
		while (len + strlen(tok) + 1 < want) {
			len += snprintf(out + len, size - len, "%s%s", len ? "," : "", tok);
			if (rng_pct(r, 20))
				gen_token(r, tok, sizeof(tok), rng_pct(r, 50));
		}
		return;
	}
	n = 1 + rng_below(r, valid ? 4 : 6);
	if (rng_pct(r, 5))
		len += snprintf(out + len, size - len, ",");
	for (i = 0; i < n && len + 1 < size; i++) {
		char tok[4200];

		if (!valid && rng_pct(r, 8))
			snprintf(tok, sizeof(tok), "%s", (const char *[]){ "1", "0x10", "2m", "0", "1%" }[rng_below(r, 5)]);
		else if (valid && rng_pct(r, 6))	/* a digit token after a value */
			snprintf(tok, sizeof(tok), "%u", (unsigned int)rng_below(r, 10));
		else
			gen_token(r, tok, sizeof(tok), valid && rng_pct(r, 85));
		len += snprintf(out + len, size - len, "%s%s%s", i ? "," : "",
				rng_pct(r, 3) ? "," : "", tok);
	}
	if (len < size && rng_pct(r, 5))
		snprintf(out + len, size - len, ",");
}

/* A printable, bounded rendering of an option string for the log. */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t i, o = 0, n = strlen(s);

	for (i = 0; i < n && o + 8 < size; i++) {
		unsigned char ch = s[i];

		if (i == 160 && n > 200) {
			o += snprintf(buf + o, size - o, "...(%zu bytes)...", n);
			i = n - 30;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			buf[o++] = ch;
		else
			o += snprintf(buf + o, size - o, "\\x%02x", ch);
	}
	buf[o] = '\0';
	return buf;
}

/* What a mount looks like from user space: statfs, the root inode, /proc/mounts options. */
struct mount_view {
	struct statfs sfs;
	struct stat st;
	char opts[1024];
};

static int view_mount(const char *mp, int mfd, struct mount_view *v)
{
	memset(v, 0, sizeof(*v));
	if (mfd >= 0)
		return fstatfs(mfd, &v->sfs) || fstat(mfd, &v->st) ? -1 : 0;
	if (statfs(mp, &v->sfs) || stat(mp, &v->st))
		return -1;
	return mount_options_of(mp, v->opts, sizeof(v->opts));
}

static void compare_views(struct ctx *c, const char *cls, const char *what,
			  struct mount_view v[NSIDES])
{
#define VIEW_FIELD(fmt, f) do {								\
		if (v[0].f != v[1].f)							\
			fuzz_finding(c->rep, false, cls, "%s: " #f " tmpfs " fmt ", %s " fmt,	\
				     what, v[0].f, c->fstype[1], v[1].f);			\
	} while (0)
	VIEW_FIELD("%ld", sfs.f_bsize);
	VIEW_FIELD("%lu", sfs.f_blocks);
	VIEW_FIELD("%lu", sfs.f_bfree);
	VIEW_FIELD("%lu", sfs.f_files);
	VIEW_FIELD("%lu", sfs.f_ffree);
	VIEW_FIELD("%ld", sfs.f_namelen);
	VIEW_FIELD("0x%lx", sfs.f_flags);
	VIEW_FIELD("0%o", st.st_mode);
	VIEW_FIELD("%u", st.st_uid);
	VIEW_FIELD("%u", st.st_gid);
	VIEW_FIELD("%lu", st.st_nlink);
#undef VIEW_FIELD
	if (strcmp(v[0].opts, v[1].opts))
		fuzz_finding(c->rep, false, cls, "%s: /proc/mounts options tmpfs \"%s\", %s \"%s\"",
			     what, v[0].opts, c->fstype[1], v[1].opts);
}

/* Drains an fs_context's log into @buf as "msg|msg|..." with the fs name replaced by "FS". */
static void fc_messages(int fsfd, const char *fstype, char *buf, size_t size)
{
	char msg[1024];
	size_t len = 0;
	ssize_t n;

	buf[0] = '\0';
	while ((n = read(fsfd, msg, sizeof(msg) - 1)) > 0) {
		char *p, *at;

		msg[n] = '\0';
		for (p = msg; (at = strstr(p, fstype)); p = at + 2) {
			memmove(at + 2, at + strlen(fstype), strlen(at + strlen(fstype)) + 1);
			memcpy(at, "FS", 2);
		}
		len += snprintf(buf + len, len < size ? size - len : 0, "%s%s", len ? "|" : "", msg);
	}
}

/* The result a documented difference allows rust_shmem: a clean EINVAL (or success if tmpfs wraps). */
static void check_documented(struct ctx *c, enum diff d, struct res got, const char *what)
{
	char b[96];

	if (got.ret == -1 && got.err == EINVAL)
		return;
	if (d == DIFF_WRAP_OK && got.ret == 0)
		return;
	fuzz_finding(c->rep, false, "documented difference", "%s: %s gave %s, expected EINVAL",
		     what, c->fstype[1], res_str(got, b, sizeof(b)));
}

static const unsigned long mount_flag_choices[] = {
	MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_SYNCHRONOUS, MS_DIRSYNC, MS_NOATIME,
	MS_NODIRATIME, MS_SILENT, MS_POSIXACL, MS_LAZYTIME, MS_STRICTATIME, MS_I_VERSION, MS_RELATIME,
};

/* mount(2) of a new instance on both sides with one option string. */
static void fuzz_mount2(struct ctx *c, const char *mp[NSIDES], const char *opts)
{
	unsigned long flags = 0;
	enum diff d = classify_string(c, opts);
	struct res r[NSIDES];
	char what[700], sh[600];
	int s;

	if (rng_pct(&c->rng, 15))
		flags |= mount_flag_choices[rng_below(&c->rng, sizeof(mount_flag_choices) / sizeof(mount_flag_choices[0]))];
	snprintf(what, sizeof(what), "mount(2) flags 0x%lx -o \"%s\"", flags, shown(opts, sh, sizeof(sh)));
	for (s = 0; s < NSIDES; s++) {
		fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
		r[s] = CALL(mount(c->fstype[s], mp[s], c->fstype[s], flags, opts));
		beat(c, 1);
	}
	if (d != DIFF_NONE)
		check_documented(c, d, r[1], what);
	else if (check_res(c, "mount(2) result", r, what) && r[0].ret == 0) {
		struct mount_view v[NSIDES];

		for (s = 0; s < NSIDES; s++)
			view_mount(mp[s], -1, &v[s]);
		compare_views(c, "mount(2) outcome", what, v);
	}
	for (s = 0; s < NSIDES; s++)
		if (r[s].ret == 0 && umount2(mp[s], 0))
			umount2(mp[s], MNT_DETACH);
}

/* The same option string through fsopen/fsconfig/fsmount, one fsconfig call per token. */
static void fuzz_fsconfig(struct ctx *c, const char *opts)
{
	char *copy = strdup(opts), *s = copy, what[900], sh[600];
	int fsfd[NSIDES], i;
	enum diff whole = DIFF_NONE;
	bool tmpfs_keeps_refused = false;
	struct res r[NSIDES];

	for (i = 0; i < NSIDES; i++) {
		fsfd[i] = fsopen(c->fstype[i], FSOPEN_CLOEXEC);
		beat(c, 1);
	}
	if (fsfd[0] < 0 || fsfd[1] < 0) {
		fuzz_finding(c->rep, false, "fsopen", "fsopen: tmpfs %d, %s %d (%s)", fsfd[0],
			     c->fstype[1], fsfd[1], strerror(errno));
		goto out;
	}
	while (s) {
		char *tok = s, *comma = strchr(s, ','), *eq;
		char msg[NSIDES][1024];
		unsigned int cmd;
		enum diff d;
		int aux;

		if (comma) {
			*comma = '\0';
			s = comma + 1;
		} else {
			s = NULL;
		}
		eq = strchr(tok, '=');
		if (eq)
			*eq = '\0';
		cmd = eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG;
		/* now and then the wrong command, or a NULL value */
		if (rng_pct(&c->rng, 4))
			cmd = (unsigned int[]){ FSCONFIG_SET_BINARY, FSCONFIG_SET_PATH,
						FSCONFIG_SET_PATH_EMPTY, FSCONFIG_SET_FD,
						FSCONFIG_SET_FLAG, FSCONFIG_SET_STRING, 99 }[rng_below(&c->rng, 7)];
		d = classify(c, tok, eq ? eq + 1 : NULL);
		if (cmd != FSCONFIG_SET_STRING)
			d = DIFF_NONE;
		if (d > whole)
			whole = d;
		snprintf(what, sizeof(what), "fsconfig(cmd %u, \"%s\", %s%s%s)", cmd,
			 shown(tok, sh, 300), eq ? "\"" : "NULL", eq ? shown(eq + 1, sh + 300, 300) : "",
			 eq ? "\"" : "");
		if (cmd == FSCONFIG_SET_BINARY && eq)
			aux = strlen(eq + 1);
		else if (cmd == FSCONFIG_SET_FD)
			aux = rng_pct(&c->rng, 50) ? 0 : 9999;
		else if (cmd == FSCONFIG_SET_PATH || cmd == FSCONFIG_SET_PATH_EMPTY)
			aux = AT_FDCWD;
		else
			aux = 0;
		for (i = 0; i < NSIDES; i++) {
			const void *val = eq ? eq + 1 : NULL;
			fuzz_inflight(c->rep, "%s on %s", what, c->fstype[i]);
			r[i] = CALL(syscall(__NR_fsconfig, fsfd[i], cmd, tok, val, aux));
			beat(c, 1);
			fc_messages(fsfd[i], c->fstype[i], msg[i], sizeof(msg[i]));
		}
		/*
		 * tmpfs stores nr_blocks=/nr_inodes= before checking them against its limits, so a
		 * value it refused still counts for CMD_CREATE: not comparable afterwards.
		 */
		if (!c->ref_variant && cmd == FSCONFIG_SET_STRING && eq && r[0].ret == -1 &&
		    (!strcmp(tok, "nr_blocks") || !strcmp(tok, "nr_inodes"))) {
			const char *rest;
			bool ovf;

			k_memparse(eq + 1, &rest, &ovf);
			if (eq[1]) {
				tmpfs_keeps_refused = true;
				fuzz_finding(c->rep, true, "tmpfs keeps a refused value",
					     "%s: tmpfs refuses it but keeps the value for CMD_CREATE (mm/shmem.c assigns before checking); %s does not",
					     what, c->fstype[1]);
			}
		}
		if (d != DIFF_NONE)
			check_documented(c, d, r[1], what);
		else if (check_res(c, "fsconfig result", r, what) && strcmp(msg[0], msg[1]))
			fuzz_finding(c->rep, true, "fsconfig message", "%s: tmpfs logs \"%s\", %s \"%s\"",
				     what, msg[0], c->fstype[1], msg[1]);
	}
	snprintf(what, sizeof(what), "fsconfig(CMD_CREATE) after \"%s\"", shown(opts, sh, sizeof(sh)));
	for (i = 0; i < NSIDES; i++) {
		fuzz_inflight(c->rep, "%s on %s", what, c->fstype[i]);
		r[i] = CALL(fsconfig(fsfd[i], FSCONFIG_CMD_CREATE, NULL, NULL, 0));
		beat(c, 1);
	}
	if (whole != DIFF_NONE || tmpfs_keeps_refused) {
		if (r[1].ret != 0)
			check_documented(c, DIFF_REFUSE, r[1], what);
	} else if (check_res(c, "fsconfig create", r, what) && r[0].ret == 0) {
		struct mount_view v[NSIDES];
		int mfd[NSIDES];

		for (i = 0; i < NSIDES; i++) {
			mfd[i] = fsmount(fsfd[i], FSMOUNT_CLOEXEC, 0);
			beat(c, 1);
			view_mount(NULL, mfd[i], &v[i]);
		}
		if (mfd[0] < 0 || mfd[1] < 0)
			fuzz_finding(c->rep, false, "fsmount", "fsmount after \"%s\": tmpfs %d, %s %d",
				     shown(opts, sh, sizeof(sh)), mfd[0], c->fstype[1], mfd[1]);
		else if (!tmpfs_keeps_refused)
			compare_views(c, "fsmount outcome", what, v);
		for (i = 0; i < NSIDES; i++)
			if (mfd[i] >= 0)
				close(mfd[i]);
	}
out:
	for (i = 0; i < NSIDES; i++)
		if (fsfd[i] >= 0)
			close(fsfd[i]);
	free(copy);
}

/* A small file system with something in it, for remounts. */
static int populate_remount_target(const char *fstype, const char *mp)
{
	char path[256], buf[4096];
	int i, fd;

	if (mount(fstype, mp, fstype, 0, "size=4m,nr_inodes=64,mode=0755"))
		return -errno;
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < 12; i++) {
		snprintf(path, sizeof(path), "%s/f%d", mp, i);
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		if (i < 3)
			for (int j = 0; j < 64; j++)
				if (write(fd, buf, sizeof(buf)) != sizeof(buf))
					break;
		close(fd);
	}
	return 0;
}

static void fuzz_remount(struct ctx *c, const char *mp[NSIDES], const char *opts, bool *reset)
{
	enum diff d = classify_string(c, opts);
	unsigned long flags = MS_REMOUNT;
	struct res r[NSIDES];
	char what[700], sh[600];
	int s;

	if (rng_pct(&c->rng, 10))
		flags |= MS_RDONLY;
	snprintf(what, sizeof(what), "mount(2) remount flags 0x%lx -o \"%s\"", flags,
		 shown(opts, sh, sizeof(sh)));
	for (s = 0; s < NSIDES; s++) {
		fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
		r[s] = CALL(mount(NULL, mp[s], NULL, flags, opts));
		beat(c, 1);
	}
	if (d != DIFF_NONE) {
		check_documented(c, d, r[1], what);
		/* The two may now differ (e.g. tmpfs took a wrapped size=): start over. */
		*reset = r[0].ret == 0 || r[1].ret == 0;
	} else if (check_res(c, "remount result", r, what)) {
		struct mount_view v[NSIDES];

		for (s = 0; s < NSIDES; s++)
			view_mount(mp[s], -1, &v[s]);
		compare_views(c, "remount outcome", what, v);
	} else {
		*reset = true;
	}
	if (flags & MS_RDONLY)
		for (s = 0; s < NSIDES; s++)
			mount(NULL, mp[s], NULL, MS_REMOUNT, NULL);
}

static void mount_options_worker(void *arg)
{
	struct ctx *c = arg;
	char mp_new[NSIDES][256], mp_re[NSIDES][256];
	const char *mpn[NSIDES], *mpr[NSIDES];
	static char opts[9000];
	bool reset = true;
	uint64_t i;
	int s;

	for (s = 0; s < NSIDES; s++) {
		/* both mount points live on the reference tmpfs */
		snprintf(mp_new[s], sizeof(mp_new[s]), "%s/new%d", c->root[0], s);
		snprintf(mp_re[s], sizeof(mp_re[s]), "%s/re%d", c->root[0], s);
		mkdir(mp_new[s], 0755);
		mkdir(mp_re[s], 0755);
		mpn[s] = mp_new[s];
		mpr[s] = mp_re[s];
	}
	for (i = c->first_iter; !out_of_time(c, i); i++) {
		unsigned int how;

		c->rep->resume_iter = i;
		c->rep->resume_rng = c->rng.s;
		how = rng_below(&c->rng, 100);

		gen_options(&c->rng, opts, sizeof(opts));
		if (how < 25) {
			fuzz_mount2(c, mpn, opts);
		} else if (how < 75) {
			fuzz_fsconfig(c, opts);
		} else {
			if (reset) {
				for (s = 0; s < NSIDES; s++) {
					umount2(mpr[s], MNT_DETACH);
					if (populate_remount_target(c->fstype[s], mpr[s]))
						fuzz_finding(c->rep, false, "setup", "cannot set up %s for remounts",
							     c->fstype[s]);
					beat(c, 14);
				}
				reset = false;
			}
			fuzz_remount(c, mpr, opts, &reset);
		}
	}
	for (s = 0; s < NSIDES; s++)
		umount2(mpr[s], MNT_DETACH);
}

TEST_F_TIMEOUT(hostile, mount_options, 900)
{
	struct ctx c = make_ctx(self, variant, "mount_options", 6000, 4);
	int guarded = run_resumable(_metadata, self, &c, mount_options_worker);

	finish_case(_metadata, self, "mount_options", &c, guarded);
}

/* ============================================================ file operations */

/* Offsets: small, page-aligned, negative, near LLONG_MAX, powers of two, random, near @size. */
static int64_t gen_off(struct rng *r, int64_t size, long page)
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
static int64_t gen_len(struct rng *r, int64_t off, long page)
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
static char *guarded_buffer(long page)
{
	char *p = mmap(NULL, IOBUF + page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	mprotect(p + IOBUF, page, PROT_NONE);
	return p;
}

struct fops_state {
	bool diverged;		/* the files differ: start them over (after reporting it) */
	long long bfree_diff;	/* f_bfree(variant) - f_bfree(tmpfs) when the files were equal */
	int fd[NSIDES];		/* "f", O_RDWR */
	int afd[NSIDES];	/* "f", O_WRONLY | O_APPEND */
	int dfd[NSIDES];	/* "f", O_RDWR | O_DIRECT */
	int gfd[NSIDES];	/* "g", O_RDWR, a source for copy_file_range */
	char *wbuf;		/* what is written (both sides write the same bytes) */
	char *rbuf[NSIDES];
	char *none;		/* a PROT_NONE page */
};

/* A user pointer for the I/O buffer: valid, tail of the buffer, NULL, bad, kernel-looking. */
static char *gen_ptr(struct ctx *c, char *valid, char *none, const char **kind)
{
	switch (rng_below(&c->rng, 20)) {
	case 0:
		*kind = "NULL";
		return NULL;
	case 1:
		*kind = "0x1000";
		return (char *)0x1000;
	case 2:
		*kind = "PROT_NONE page";
		return none;
	case 3:
		*kind = "0xffffffff81000000";
		return (char *)0xffffffff81000000UL;
	case 4:
		*kind = "0xffff888000000000";
		return (char *)0xffff888000000000UL;
	case 5:
	case 6:
		*kind = "buffer tail";
		return valid + IOBUF - 1 - rng_below(&c->rng, 300);
	default:
		*kind = "buffer";
		return valid + rng_below(&c->rng, 64);
	}
}

static size_t gen_rw_count(struct rng *r)
{
	switch (rng_below(r, 10)) {
	case 0:
		return 0;
	case 1:
		return (size_t[]){ SSIZE_MAX, SIZE_MAX, 0x7ffff000, (size_t)1 << 31 }[rng_below(r, 4)];
	case 2:
		return IOBUF + rng_below(r, 1 << 20);
	default:
		return 1 + rng_below(r, IOBUF - 64);
	}
}

/* Compares sizes and st_blocks of the two files @name; returns false if they differ. */
static bool compare_fstat(struct ctx *c, int fd[NSIDES], const char *name, const char *after)
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

static long long bfree_diff(struct fops_state *st)
{
	struct statfs sfs[NSIDES];
	int s;

	for (s = 0; s < NSIDES; s++)
		if (fstatfs(st->fd[s], &sfs[s]))
			return LLONG_MIN;
	return (long long)sfs[1].f_bfree - (long long)sfs[0].f_bfree;
}

/* Identical starting points: some data, a hole, a preallocated range; positions at 0. */
static void fops_reset(struct ctx *c, struct fops_state *st)
{
	int s;

	rng_fill(&(struct rng){ 0x5e70b + c->gen }, st->wbuf, IOBUF);
	for (s = 0; s < NSIDES; s++) {
		if (ftruncate(st->fd[s], 0) || ftruncate(st->gfd[s], 0) ||
		    pwrite(st->fd[s], st->wbuf, IOBUF, 0) != IOBUF ||
		    pwrite(st->fd[s], st->wbuf, 5000, 300000) != 5000 ||
		    fallocate(st->fd[s], 0, 600000, 100000) ||
		    pwrite(st->gfd[s], st->wbuf, IOBUF, 4096) != IOBUF ||
		    lseek(st->fd[s], 0, SEEK_SET) || lseek(st->gfd[s], 0, SEEK_SET))
			fuzz_finding(c->rep, false, "setup", "cannot fill the files on %s: %s",
				     c->fstype[s], strerror(errno));
		beat(c, 9);
	}
	st->diverged = false;
	st->bfree_diff = bfree_diff(st);
}

/* Data map (SEEK_DATA/SEEK_HOLE), data and statfs of both sides. */
static void compare_contents(struct ctx *c, struct fops_state *st, const char *after)
{
	int64_t pos = 0, budget = 16 << 20;
	struct statfs sfs[NSIDES];
	int seg, s;

	for (seg = 0; seg < 256 && budget > 0; seg++) {
		struct res d[NSIDES], h[NSIDES];
		char what[160];

		for (s = 0; s < NSIDES; s++) {
			fuzz_inflight(c->rep, "lseek(%lld, SEEK_DATA) [data map after %s] on %s",
				      (long long)pos, after, c->fstype[s]);
			d[s] = CALL(lseek(st->fd[s], pos, SEEK_DATA));
			beat(c, 1);
		}
		snprintf(what, sizeof(what), "lseek(%lld, SEEK_DATA) [data map after %s]",
			 (long long)pos, after);
		if (!check_res(c, "data map", d, what)) {
			st->diverged = true;
			break;
		}
		if (d[0].ret < 0)
			break;
		for (s = 0; s < NSIDES; s++) {
			fuzz_inflight(c->rep, "lseek(%ld, SEEK_HOLE) [data map after %s] on %s",
				      d[s].ret, after, c->fstype[s]);
			h[s] = CALL(lseek(st->fd[s], d[s].ret, SEEK_HOLE));
			beat(c, 1);
		}
		snprintf(what, sizeof(what), "lseek(%ld, SEEK_HOLE) [data map after %s]", d[0].ret, after);
		if (!check_res(c, "data map", h, what)) {
			st->diverged = true;
			break;
		}
		if (h[0].ret < 0)
			break;
		for (pos = d[0].ret; pos < h[0].ret && budget > 0;) {
			size_t want = h[0].ret - pos < IOBUF ? h[0].ret - pos : IOBUF;
			ssize_t n[NSIDES];

			for (s = 0; s < NSIDES; s++) {
				fuzz_inflight(c->rep, "pread(%zu at %lld) [data after %s] on %s", want,
					      (long long)pos, after, c->fstype[s]);
				n[s] = pread(st->fd[s], st->rbuf[s], want, pos);
				beat(c, 1);
			}
			if (n[0] != n[1] || n[0] <= 0) {
				st->diverged |= n[0] != n[1];
				if (n[0] != n[1])
					fuzz_finding(c->rep, false, "data", "pread(%zu at %lld) after %s: tmpfs %zd, %s %zd",
						     want, (long long)pos, after, n[0], c->fstype[1], n[1]);
				break;
			}
			if (memcmp(st->rbuf[0], st->rbuf[1], n[0])) {
				size_t i = 0;

				while (st->rbuf[0][i] == st->rbuf[1][i])
					i++;
				fuzz_finding(c->rep, false, "data", "after %s: byte %lld is 0x%02x on tmpfs, 0x%02x on %s",
					     after, (long long)(pos + i), (unsigned char)st->rbuf[0][i],
					     (unsigned char)st->rbuf[1][i], c->fstype[1]);
				st->diverged = true;
				break;
			}
			pos += n[0];
			budget -= n[0];
		}
		pos = h[0].ret;
	}
	for (s = 0; s < NSIDES; s++)
		fstatfs(st->fd[s], &sfs[s]);
	beat(c, NSIDES);
	if ((long long)sfs[1].f_bfree - (long long)sfs[0].f_bfree != st->bfree_diff ||
	    sfs[0].f_ffree != sfs[1].f_ffree) {
		fuzz_finding(c->rep, false, "statfs", "after %s: f_bfree/f_ffree tmpfs %llu/%llu, %s %llu/%llu (f_bfree difference was %lld)",
			     after, (unsigned long long)sfs[0].f_bfree, (unsigned long long)sfs[0].f_ffree,
			     c->fstype[1], (unsigned long long)sfs[1].f_bfree,
			     (unsigned long long)sfs[1].f_ffree, st->bfree_diff);
		st->diverged = true;
	}
}

/* Touches @addr in a child: the byte read (0..255), or -signal; with @write, stores @val first. */
static int touch(volatile char *addr, bool write, char val)
{
	struct rlimit no_core = { 0, 0 };
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1000;
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		if (write)
			*addr = val;
		_exit((unsigned char)*addr);
	}
	status = wait_child(pid);
	if (status == -1)
		return -1000;
	return WIFSIGNALED(status) ? -WTERMSIG(status) : WEXITSTATUS(status);
}

static const int mmap_extra_flags[] = {
	MAP_NORESERVE, MAP_POPULATE, MAP_LOCKED, MAP_32BIT, MAP_HUGETLB, MAP_SYNC,
	MAP_UNINITIALIZED, MAP_STACK, MAP_GROWSDOWN, MAP_NONBLOCK, MAP_DENYWRITE, MAP_EXECUTABLE,
};

static void op_mmap(struct ctx *c, struct fops_state *st, int64_t size, char *what, size_t wsize)
{
	struct rng *r = &c->rng;
	size_t len;
	int64_t off;
	int prot, flags, s, i;
	char *p[NSIDES];
	struct res res[NSIDES];

	switch (rng_below(r, 8)) {
	case 0:
		len = 0;
		break;
	case 1:
		len = (size_t[]){ (size_t)1 << 30, (size_t)1 << 40, SIZE_MAX, SIZE_MAX - c->page + 1,
				  (size_t)1 << 47 }[rng_below(r, 5)];
		break;
	case 2:
		len = 1 + rng_below(r, 1 << 20);
		break;
	case 3:
		len = size > 0 ? (size_t)size : (size_t)c->page;
		break;
	default:
		len = (1 + rng_below(r, 64)) * c->page;
		break;
	}
	switch (rng_below(r, 6)) {
	case 0:
	case 1:
		off = 0;
		break;
	case 2:
		off = rng_below(r, 256) * c->page;
		break;
	case 3:
		off = rng_below(r, 1 << 20);
		break;
	default:
		off = gen_off(r, size, c->page);
		break;
	}
	prot = rng_pct(r, 60) ? PROT_READ | PROT_WRITE : (int)rng_below(r, 8);
	if (rng_pct(r, 5))
		prot = (int)rng_next(r);
	switch (rng_below(r, 20)) {
	case 0:
		flags = 0;
		break;
	case 1:
		flags = MAP_SHARED | MAP_PRIVATE;
		break;
	case 2:
		flags = (int)rng_next(r);
		break;
	case 3:
	case 4:
	case 5:
		flags = MAP_SHARED_VALIDATE;
		break;
	case 6:
	case 7:
	case 8:
	case 9:
	case 10:
		flags = MAP_PRIVATE;
		break;
	default:
		flags = MAP_SHARED;
		break;
	}
	for (i = 0; i < (int)(sizeof(mmap_extra_flags) / sizeof(mmap_extra_flags[0])); i++)
		if (rng_pct(r, 6))
			flags |= mmap_extra_flags[i];
	/* never over our own memory; never populate or lock more than a little */
	flags &= ~(MAP_FIXED | MAP_FIXED_NOREPLACE);
	if (len > (4 << 20))
		flags &= ~(MAP_POPULATE | MAP_LOCKED);
	snprintf(what, wsize, "mmap(len 0x%zx, prot 0x%x, flags 0x%x, off %lld) of a %lld-byte file",
		 len, prot, flags, (long long)off, (long long)size);
	/*
	 * The probes are chosen first; then each side is mapped, probed and unmapped in turn (both
	 * at once could run out of address space with the huge lengths).
	 */
	{
		int n = 1 + rng_below(r, 3), t[NSIDES][3];
		size_t at[3];
		bool wr[3];
		char val[3], pw[300];

		for (i = 0; i < n; i++) {
			wr[i] = (prot & PROT_WRITE) && !(flags & MAP_PRIVATE) && rng_pct(r, 50);
			val[i] = (char)rng_next(r);
			if (rng_pct(r, 50) && size > off && (uint64_t)(size - off) < len)
				at[i] = (size_t)(size - off) - 1 + rng_below(r, 2 * c->page);	/* around EOF */
			else
				at[i] = rng_below(r, len < (64 << 20) ? len : (64 << 20));
			if (len && at[i] >= len)
				at[i] = len - 1;
		}
		for (s = 0; s < NSIDES; s++) {
			fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
			p[s] = mmap(NULL, len, prot, flags, st->fd[s], off);
			res[s] = (struct res){ p[s] == MAP_FAILED ? -1 : 0, p[s] == MAP_FAILED ? errno : 0 };
			beat(c, 1);
			for (i = 0; i < n && p[s] != MAP_FAILED && len && (prot & PROT_READ); i++) {
				fuzz_inflight(c->rep, "%s at map offset 0x%zx after %s on %s",
					      wr[i] ? "store" : "load", at[i], what, c->fstype[s]);
				t[s][i] = touch(p[s] + at[i], wr[i], val[i]);
				beat(c, 1);
			}
			if (p[s] != MAP_FAILED)
				munmap(p[s], len);
		}
		if (check_res(c, "mmap", res, what) && res[0].ret == 0 && len && (prot & PROT_READ))
			for (i = 0; i < n; i++)
				if (t[0][i] != t[1][i]) {
					snprintf(pw, sizeof(pw), "%s at map offset 0x%zx after %s",
						 wr[i] ? "store" : "load", at[i], what);
					fuzz_finding(c->rep, false, "mapping access",
						     "%s: tmpfs %d, %s %d (negative: signal)", pw, t[0][i],
						     c->fstype[1], t[1][i]);
				}
	}
}

static const int madvices[] = {
	MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DONTNEED, MADV_FREE,
	MADV_REMOVE, MADV_DONTFORK, MADV_DOFORK, MADV_MERGEABLE, MADV_UNMERGEABLE, MADV_HUGEPAGE,
	MADV_NOHUGEPAGE, MADV_DONTDUMP, MADV_DODUMP, MADV_WIPEONFORK, MADV_KEEPONFORK, MADV_COLD,
	MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_COLLAPSE, 24, 26, 27, 30, 102,
	103, -1,
};

static void op_madvise(struct ctx *c, struct fops_state *st, int64_t size, char *what, size_t wsize)
{
	struct rng *r = &c->rng;
	size_t maplen, start, len;
	int advice, s;
	char *p[NSIDES], *reserved[NSIDES];
	struct res res[NSIDES];

	if (size <= 0 || size > (4 << 20)) {
		snprintf(what, wsize, "madvise: skipped");
		return;
	}
	maplen = (size + c->page - 1) / c->page * c->page;
	start = rng_below(r, maplen / c->page) * c->page;
	len = rng_pct(r, 80) ? rng_below(r, maplen - start + 1) : rng_below(r, 2 * maplen);
	advice = madvices[rng_below(r, sizeof(madvices) / sizeof(madvices[0]))];
	snprintf(what, wsize, "madvise(map+0x%zx, 0x%zx, %d) on a MAP_SHARED map of a %lld-byte file",
		 start, len, advice, (long long)size);
	/*
	 * Each side's mapping starts a reserved PROT_NONE area three times its size, so that a range
	 * past its end meets the same thing on both sides (and never the other side's mapping).
	 */
	for (s = 0; s < NSIDES; s++) {
		char *area = mmap(NULL, 3 * maplen + c->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

		p[s] = area == MAP_FAILED ? MAP_FAILED :
		       mmap(area, maplen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, st->fd[s], 0);
		reserved[s] = area;
	}
	beat(c, NSIDES);
	if (p[0] == MAP_FAILED || p[1] == MAP_FAILED) {
		fuzz_finding(c->rep, false, "mmap", "mmap of the whole %lld-byte file: tmpfs %s, %s %s",
			     (long long)size, p[0] == MAP_FAILED ? "fails" : "ok", c->fstype[1],
			     p[1] == MAP_FAILED ? "fails" : "ok");
	} else {
		for (s = 0; s < NSIDES; s++) {
			fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
			res[s] = CALL(madvise(p[s] + start, len, advice));
			beat(c, 1);
		}
		check_res(c, "madvise", res, what);
	}
	for (s = 0; s < NSIDES; s++)
		if (reserved[s] != MAP_FAILED)
			munmap(reserved[s], 3 * maplen + c->page);
}

static const int falloc_modes[] = {
	0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE,
	FALLOC_FL_ZERO_RANGE, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, FALLOC_FL_COLLAPSE_RANGE,
	FALLOC_FL_INSERT_RANGE, FALLOC_FL_UNSHARE_RANGE, FALLOC_FL_WRITE_ZEROES_,
	FALLOC_FL_NO_HIDE_STALE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_NO_HIDE_STALE | FALLOC_FL_KEEP_SIZE,
	-1, 0x100,
};

static const int rwf_flags[] = { 0, 0, 0, 0x1 /* HIPRI */, 0x2 /* DSYNC */, 0x4 /* SYNC */,
				 0x8 /* NOWAIT */, 0x10 /* APPEND */, 0x20 /* NOAPPEND */,
				 0x40 /* ATOMIC */, 0x80 /* DONTCACHE */, 0x100, -1 };

static void file_ops_worker(void *arg)
{
	struct ctx *c = arg;
	struct rng *r = &c->rng;
	struct fops_state st;
	char what[600], path[256];
	uint64_t i;
	int s;

	st.wbuf = guarded_buffer(c->page);
	st.none = mmap(NULL, c->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (s = 0; s < NSIDES; s++) {
		st.rbuf[s] = guarded_buffer(c->page);
		snprintf(path, sizeof(path), "%s/f%d", c->root[s], c->gen);
		st.fd[s] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		st.afd[s] = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		st.dfd[s] = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
		snprintf(path, sizeof(path), "%s/g%d", c->root[s], c->gen);
		st.gfd[s] = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		beat(c, 4);
		if (st.fd[s] < 0 || st.afd[s] < 0 || st.dfd[s] < 0 || st.gfd[s] < 0 || !st.rbuf[s] ||
		    !st.wbuf || st.none == MAP_FAILED) {
			fuzz_finding(c->rep, false, "setup", "cannot set up the files on %s: %s",
				     c->fstype[s], strerror(errno));
			return;
		}
	}
	fops_reset(c, &st);

	for (i = c->first_iter; !out_of_time(c, i); i++) {
		unsigned int op;
		struct res res[NSIDES];
		struct stat fst;
		int64_t size, off, len;
		const char *kind = "";
		char *ptr;
		size_t count;
		int mode;

		c->rep->resume_iter = i;
		c->rep->resume_rng = r->s;
		if (st.diverged)
			fops_reset(c, &st);
		op = rng_below(r, 100);
		size = fstat(st.fd[0], &fst) ? 0 : fst.st_size;
		rng_fill(r, st.wbuf, IOBUF);
		what[0] = '\0';
		if (op < 14) {				/* pwrite / pwritev2 */
			bool v2 = rng_pct(r, 30), direct = rng_pct(r, 15);
			int flags = v2 ? rwf_flags[rng_below(r, sizeof(rwf_flags) / sizeof(rwf_flags[0]))] : 0;
			struct iovec iov;

			off = gen_off(r, size, c->page);
			count = gen_rw_count(r);
			ptr = gen_ptr(c, st.wbuf, st.none, &kind);
			iov = (struct iovec){ ptr, count };
			if (v2)
				snprintf(what, sizeof(what), "pwritev2(%s, %s, %zu, %lld, flags 0x%x)",
					 direct ? "O_DIRECT fd" : "fd", kind, count, (long long)off, flags);
			else
				snprintf(what, sizeof(what), "pwrite(%s, %s, %zu, %lld)",
					 direct ? "O_DIRECT fd" : "fd", kind, count, (long long)off);
			for (s = 0; s < NSIDES; s++) {
				int fd = direct ? st.dfd[s] : st.fd[s];

				fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
				res[s] = v2 ? CALL(pwritev2(fd, &iov, 1, off, flags)) :
					      CALL(pwrite(fd, ptr, count, off));
				beat(c, 1);
			}
			check_res(c, "pwrite", res, what);
		} else if (op < 26) {			/* pread / preadv2 */
			bool v2 = rng_pct(r, 30), direct = rng_pct(r, 15);
			int flags = v2 ? rwf_flags[rng_below(r, sizeof(rwf_flags) / sizeof(rwf_flags[0]))] : 0;
			size_t delta;

			off = gen_off(r, size, c->page);
			count = gen_rw_count(r);
			ptr = gen_ptr(c, st.rbuf[0], st.none, &kind);
			delta = ptr - st.rbuf[0];
			if (v2)
				snprintf(what, sizeof(what), "preadv2(%s, %s, %zu, %lld, flags 0x%x)",
					 direct ? "O_DIRECT fd" : "fd", kind, count, (long long)off, flags);
			else
				snprintf(what, sizeof(what), "pread(%s, %s, %zu, %lld)",
					 direct ? "O_DIRECT fd" : "fd", kind, count, (long long)off);
			for (s = 0; s < NSIDES; s++) {
				int fd = direct ? st.dfd[s] : st.fd[s];
				/* each side reads into its own buffer, at the same place */
				char *p = strcmp(kind, "buffer") && strcmp(kind, "buffer tail") ? ptr : st.rbuf[s] + delta;
				struct iovec iov = { p, count };

				fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
				res[s] = v2 ? CALL(preadv2(fd, &iov, 1, off, flags)) : CALL(pread(fd, p, count, off));
				beat(c, 1);
			}
			if (check_res(c, "pread", res, what) && res[0].ret > 0 &&
			    (!strcmp(kind, "buffer") || !strcmp(kind, "buffer tail")) &&
			    memcmp(st.rbuf[0] + delta, st.rbuf[1] + delta, res[0].ret))
				fuzz_finding(c->rep, false, "pread data", "%s: different bytes", what);
		} else if (op < 34) {			/* ftruncate */
			len = rng_pct(r, 60) ? (int64_t)rng_below(r, 2 << 20) : gen_off(r, size, c->page);
			snprintf(what, sizeof(what), "ftruncate(%lld) of a %lld-byte file", (long long)len,
				 (long long)size);
			for (s = 0; s < NSIDES; s++) {
				fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
				res[s] = CALL(ftruncate(st.fd[s], len));
				beat(c, 1);
			}
			check_res(c, "ftruncate", res, what);
		} else if (op < 46) {			/* lseek */
			int whence = (int[]){ SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_DATA, SEEK_HOLE,
					      SEEK_HOLE, 5, -1, 1000 }[rng_below(r, 10)];

			off = rng_pct(r, 40) ? (int64_t)rng_below(r, size + 2 * c->page + 1) :
					       gen_off(r, size, c->page);
			snprintf(what, sizeof(what), "lseek(%lld, %d) on a %lld-byte file", (long long)off,
				 whence, (long long)size);
			for (s = 0; s < NSIDES; s++) {
				fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
				res[s] = CALL(lseek(st.fd[s], off, whence));
				beat(c, 1);
			}
			check_res(c, "lseek", res, what);
		} else if (op < 62) {			/* fallocate */
			mode = falloc_modes[rng_below(r, sizeof(falloc_modes) / sizeof(falloc_modes[0]))];
			off = rng_pct(r, 50) ? (int64_t)rng_below(r, 4 << 20) : gen_off(r, size, c->page);
			len = gen_len(r, off, c->page);
			if (c->tame && len > (1 << 30))
				len = 1 << 30;
			snprintf(what, sizeof(what), "fallocate(mode 0x%x, off %lld, len %lld) on a %lld-byte file",
				 mode, (long long)off, (long long)len, (long long)size);
			for (s = 0; s < NSIDES; s++) {
				double t0 = now_sec();

				fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
				res[s] = CALL(fallocate(st.fd[s], mode, off, len));
				beat(c, 1);
				if (now_sec() - t0 > 5)
					fuzz_finding(c->rep, false, "slow fallocate", "%s took %.1f s on %s",
						     what, now_sec() - t0, c->fstype[s]);
			}
			check_res(c, "fallocate", res, what);
		} else if (op < 72) {
			op_mmap(c, &st, size, what, sizeof(what));
		} else if (op < 77) {
			op_madvise(c, &st, size, what, sizeof(what));
		} else if (op < 81) {			/* O_APPEND write */
			count = rng_pct(r, 90) ? 1 + rng_below(r, 8192) : gen_rw_count(r);
			ptr = gen_ptr(c, st.wbuf, st.none, &kind);
			snprintf(what, sizeof(what), "write(O_APPEND fd, %s, %zu) to a %lld-byte file", kind,
				 count, (long long)size);
			for (s = 0; s < NSIDES; s++) {
				fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
				res[s] = CALL(write(st.afd[s], ptr, count));
				beat(c, 1);
			}
			check_res(c, "append write", res, what);
		} else if (op < 86) {			/* copy_file_range */
			bool same = rng_pct(r, 40);
			int64_t oin = rng_pct(r, 60) ? (int64_t)rng_below(r, 1 << 17) : gen_off(r, size, c->page);
			int64_t oout = rng_pct(r, 60) ? (int64_t)rng_below(r, 1 << 20) : gen_off(r, size, c->page);
			unsigned int flags = rng_pct(r, 90) ? 0 : (unsigned int)rng_next(r);

			len = rng_pct(r, 70) ? (int64_t)rng_below(r, 1 << 18) : gen_len(r, oout, c->page);
			snprintf(what, sizeof(what), "copy_file_range(%s at %lld -> f at %lld, %llu, 0x%x)",
				 same ? "f" : "g", (long long)oin, (long long)oout, (unsigned long long)len, flags);
			for (s = 0; s < NSIDES; s++) {
				loff_t a = oin, b = oout;

				fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
				res[s] = CALL(copy_file_range(same ? st.fd[s] : st.gfd[s], &a, st.fd[s], &b,
							      (size_t)len, flags));
				beat(c, 1);
			}
			check_res(c, "copy_file_range", res, what);
		} else if (op < 90) {			/* fadvise / readahead */
			bool ra = rng_pct(r, 50);
			int advice = rng_pct(r, 85) ? (int)rng_below(r, 8) : (int)rng_next(r);

			off = gen_off(r, size, c->page);
			len = gen_len(r, off, c->page);
			if (ra)
				snprintf(what, sizeof(what), "readahead(%lld, %lld)", (long long)off, (long long)len);
			else
				snprintf(what, sizeof(what), "fadvise64(%lld, %lld, %d)", (long long)off,
					 (long long)len, advice);
			for (s = 0; s < NSIDES; s++) {
				fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
				res[s] = ra ? CALL(syscall(__NR_readahead, st.fd[s], off, (size_t)len)) :
					      CALL(syscall(__NR_fadvise64, st.fd[s], off, len, advice));
				beat(c, 1);
			}
			check_res(c, ra ? "readahead" : "fadvise", res, what);
		} else if (op < 94) {			/* sync_file_range / fsync */
			unsigned int flags = rng_pct(r, 80) ? (unsigned int)rng_below(r, 8) : (unsigned int)rng_next(r);

			off = gen_off(r, size, c->page);
			len = gen_len(r, off, c->page);
			snprintf(what, sizeof(what), "sync_file_range(%lld, %lld, 0x%x)", (long long)off,
				 (long long)len, flags);
			for (s = 0; s < NSIDES; s++) {
				fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
				res[s] = CALL(sync_file_range(st.fd[s], off, len, flags));
				beat(c, 1);
			}
			check_res(c, "sync_file_range", res, what);
		} else {				/* punch or preallocate a sane range */
			mode = rng_pct(r, 50) ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE :
						(rng_pct(r, 50) ? FALLOC_FL_KEEP_SIZE : 0);
			off = rng_below(r, 2 << 20);
			len = 1 + rng_below(r, 1 << 20);
			snprintf(what, sizeof(what), "fallocate(mode 0x%x, off %lld, len %lld) on a %lld-byte file",
				 mode, (long long)off, (long long)len, (long long)size);
			for (s = 0; s < NSIDES; s++) {
				fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
				res[s] = CALL(fallocate(st.fd[s], mode, off, len));
				beat(c, 1);
			}
			check_res(c, "fallocate", res, what);
		}
		if (!compare_fstat(c, st.fd, "f", what) || !compare_fstat(c, st.gfd, "g", what))
			st.diverged = true;
		if (i % 64 == 63)
			compare_contents(c, &st, what);
	}
	compare_contents(c, &st, "the last call");
}

TEST_F_TIMEOUT(hostile, file_ops, 900)
{
	struct ctx c = make_ctx(self, variant, "file_ops", 12000, 6);
	int guarded = run_resumable(_metadata, self, &c, file_ops_worker);

	finish_case(_metadata, self, "file_ops", &c, guarded);
}

/* ==================================================================== ioctls */

struct ioctl_known {
	unsigned int cmd;
	const char *name;
	bool compare_out;	/* output is deterministic: compare what the kernel wrote */
	bool setter;		/* changes state: never on the shared devices */
};

static const struct ioctl_known known_ioctls[] = {
	{ FIOCLEX, "FIOCLEX", false, false },
	{ FIONCLEX, "FIONCLEX", false, false },
	{ FIONBIO, "FIONBIO", false, false },
	{ FIOASYNC, "FIOASYNC", false, false },
	{ FIOQSIZE, "FIOQSIZE", true, false },
	{ FIONREAD, "FIONREAD", true, false },
	{ FIBMAP, "FIBMAP", true, false },
	{ FIGETBSZ, "FIGETBSZ", true, false },
	{ FIFREEZE, "FIFREEZE", false, true },
	{ FITHAW, "FITHAW", false, true },
	{ FITRIM, "FITRIM", false, true },
	{ FICLONE, "FICLONE", false, true },
	{ FICLONERANGE, "FICLONERANGE", false, true },
	{ FIDEDUPERANGE, "FIDEDUPERANGE", false, true },
	{ FS_IOC_GETFLAGS, "FS_IOC_GETFLAGS", true, false },
	{ FS_IOC_SETFLAGS, "FS_IOC_SETFLAGS", false, true },
	{ FS_IOC_GETVERSION, "FS_IOC_GETVERSION", false, false },
	{ FS_IOC_SETVERSION, "FS_IOC_SETVERSION", false, true },
	{ _IOWR('f', 11, char[32]), "FS_IOC_FIEMAP", false, false },
	{ FS_IOC_FSGETXATTR, "FS_IOC_FSGETXATTR", true, false },
	{ FS_IOC_FSSETXATTR, "FS_IOC_FSSETXATTR", false, true },
	{ FS_IOC_GETFSLABEL, "FS_IOC_GETFSLABEL", true, false },
	{ FS_IOC_SETFSLABEL, "FS_IOC_SETFSLABEL", false, true },
	{ FS_IOC_GETFSUUID, "FS_IOC_GETFSUUID", false, false },
	{ FS_IOC_GETFSSYSFSPATH, "FS_IOC_GETFSSYSFSPATH", false, false },
	{ RESVSP_, "FS_IOC_RESVSP", false, true },
	{ UNRESVSP_, "FS_IOC_UNRESVSP", false, true },
	{ RESVSP64_, "FS_IOC_RESVSP64", false, true },
	{ UNRESVSP64_, "FS_IOC_UNRESVSP64", false, true },
	{ ZERO_RANGE_, "FS_IOC_ZERO_RANGE", false, true },
	{ FS_IOC_SHUTDOWN_, "FS_IOC_SHUTDOWN", false, true },
	{ TCGETS, "TCGETS", false, false },
	{ TIOCGWINSZ, "TIOCGWINSZ", false, false },
	{ TIOCGPGRP, "TIOCGPGRP", false, false },
	{ FIONCLEX + 0x100, "0x5550", false, false },
};

enum target { T_FILE, T_DIR, T_OPATH, T_ZERO, T_NR };
static const char * const target_names[T_NR] = { "file", "directory", "O_PATH file", "zero device" };

/* A file with the same content on both sides, and a directory, for one round of ioctls. */
static int ioctl_round_setup(struct ctx *c, int round, int fds[T_NR][NSIDES], int peer[NSIDES])
{
	struct rng rr = { (uint64_t)round * 1000 + c->gen };	/* not the fuzz stream: resumable */
	char path[256], data[9000];
	int s, n;

	rng_fill(&rr, data, sizeof(data));
	n = 1 + rng_below(&rr, sizeof(data));
	for (s = 0; s < NSIDES; s++) {
		snprintf(path, sizeof(path), "%s/i%d_%d", c->root[s], c->gen, round);
		fds[T_FILE][s] = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fds[T_FILE][s] < 0 || write(fds[T_FILE][s], data, n) != n)
			return -1;
		fds[T_OPATH][s] = open(path, O_PATH | O_CLOEXEC);
		snprintf(path, sizeof(path), "%s/p%d_%d", c->root[s], c->gen, round);
		peer[s] = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (peer[s] < 0 || write(peer[s], data, n / 2) != n / 2)
			return -1;
		snprintf(path, sizeof(path), "%s/d%d_%d", c->root[s], c->gen, round);
		if (mkdir(path, 0755))
			return -1;
		fds[T_DIR][s] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		fds[T_ZERO][s] = open(c->zero[s], O_RDWR | O_CLOEXEC);
		beat(c, 9);
		if (fds[T_OPATH][s] < 0 || fds[T_DIR][s] < 0 || fds[T_ZERO][s] < 0)
			return -1;
	}
	return 0;
}

static void ioctl_round_teardown(struct ctx *c, int round, int fds[T_NR][NSIDES], int peer[NSIDES])
{
	char path[256];
	int s, t;

	for (s = 0; s < NSIDES; s++) {
		for (t = 0; t < T_NR; t++)
			if (fds[t][s] >= 0)
				close(fds[t][s]);
		if (peer[s] >= 0)
			close(peer[s]);
		/* (a file made immutable by FS_IOC_SETFLAGS stays; the mount goes at the end) */
		snprintf(path, sizeof(path), "%s/i%d_%d", c->root[s], c->gen, round);
		unlink(path);
		snprintf(path, sizeof(path), "%s/p%d_%d", c->root[s], c->gen, round);
		unlink(path);
		snprintf(path, sizeof(path), "%s/d%d_%d", c->root[s], c->gen, round);
		rmdir(path);
	}
}

static void ioctls_worker(void *arg)
{
	struct ctx *c = arg;
	struct rng *r = &c->rng;
	int fds[T_NR][NSIDES], peer[NSIDES], round = 0;
	uint64_t mismatches_seen = c->rep->mismatches;
	char *buf[NSIDES], *none, what[300], input[4096];
	uint64_t i;
	int s;

	none = mmap(NULL, c->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (s = 0; s < NSIDES; s++) {
		buf[s] = guarded_buffer(c->page);
		if (!buf[s] || none == MAP_FAILED) {
			fuzz_finding(c->rep, false, "setup", "no memory for the ioctl buffers");
			return;
		}
	}
	memset(fds, -1, sizeof(fds));
	memset(peer, -1, sizeof(peer));
	round = c->first_iter / 200;
	if (ioctl_round_setup(c, round, fds, peer)) {
		fuzz_finding(c->rep, false, "setup", "cannot set up the ioctl targets: %s", strerror(errno));
		return;
	}
	for (i = c->first_iter; !out_of_time(c, i); i++) {
		enum target t;
		const struct ioctl_known *known = NULL;
		unsigned int cmd, argkind;
		unsigned long argv[NSIDES];
		struct res res[NSIDES];
		char argdesc[64];
		size_t bufoff = 0;

		c->rep->resume_iter = i;
		c->rep->resume_rng = r->s;
		t = rng_pct(r, 45) ? T_FILE : (enum target)rng_below(r, T_NR);
		argkind = rng_below(r, 16);
		if (i > c->first_iter && (i % 200 == 0 || c->rep->mismatches != mismatches_seen)) {
			/* new targets every 200 calls, and after a difference (the two may now differ) */
			mismatches_seen = c->rep->mismatches;
			ioctl_round_teardown(c, round, fds, peer);
			memset(fds, -1, sizeof(fds));
			memset(peer, -1, sizeof(peer));
			if (ioctl_round_setup(c, ++round, fds, peer)) {
				fuzz_finding(c->rep, false, "setup", "cannot set up ioctl round %d: %s", round,
					     strerror(errno));
				break;
			}
		}
		switch (rng_below(r, 10)) {
		case 0:
		case 1:
		case 2:
		case 3:
			known = &known_ioctls[rng_below(r, sizeof(known_ioctls) / sizeof(known_ioctls[0]))];
			cmd = known->cmd;
			break;
		case 4:
		case 5:
		case 6:
			{
				static const unsigned int types[] = { 'f', 'X', 0x15, 0x94, 'T', 0x12, 'v', 0,
								      'V', '$', 'f', 'X' };
				unsigned int type = types[rng_below(r, 12)];

				if (rng_pct(r, 10))
					type = rng_below(r, 256);
				cmd = _IOC(rng_below(r, 4), type, rng_below(r, 140), rng_below(r, 600));
			}
			break;
		default:
			cmd = (unsigned int)rng_next(r);
			break;
		}
		/* setters on the shared /dev nodes could change them for everybody */
		if (t == T_ZERO && known && known->setter)
			t = T_FILE;
		if (!known)
			for (size_t k = 0; k < sizeof(known_ioctls) / sizeof(known_ioctls[0]); k++)
				if (known_ioctls[k].cmd == cmd && known_ioctls[k].setter && t == T_ZERO)
					t = T_FILE;
		rng_fill(r, input, sizeof(input));
		if (known && (known->cmd == RESVSP_ || known->cmd == RESVSP64_ || known->cmd == UNRESVSP_ ||
			      known->cmd == UNRESVSP64_ || known->cmd == ZERO_RANGE_) && rng_pct(r, 80)) {
			struct space_resv_ sr = { 0 };

			sr.l_whence = rng_pct(r, 85) ? (int16_t)rng_below(r, 3) : (int16_t)rng_next(r);
			sr.l_start = rng_pct(r, 50) ? (int64_t)rng_below(r, 1 << 22) : gen_off(r, 8192, c->page);
			sr.l_len = gen_len(r, sr.l_start, c->page);
			if (c->tame && sr.l_len > (1 << 30))
				sr.l_len = 1 << 30;
			memcpy(input, &sr, sizeof(sr));
		} else if (c->tame && known && (known->cmd == RESVSP_ || known->cmd == RESVSP64_ ||
						known->cmd == UNRESVSP_ || known->cmd == UNRESVSP64_ ||
						known->cmd == ZERO_RANGE_)) {
			struct space_resv_ sr = { 0 };	/* tame: a short range */

			sr.l_len = 1 + rng_below(r, 1 << 20);
			memcpy(input, &sr, sizeof(sr));
		} else if (known && (known->cmd == FS_IOC_SETFLAGS || known->cmd == FS_IOC_FSSETXATTR) &&
			   rng_pct(r, 50)) {
			uint32_t flags = (uint32_t[]){ 0, FS_NOATIME_FL, FS_NODUMP_FL, FS_APPEND_FL,
						       FS_IMMUTABLE_FL, FS_SYNC_FL, FS_NOCOW_FL }[rng_below(r, 7)];

			memcpy(input, &flags, sizeof(flags));
		} else if (known && (known->cmd == FICLONERANGE || known->cmd == FIDEDUPERANGE)) {
			int64_t v = rng_pct(r, 50) ? -1 : 9999;	/* a source/destination fd that is no fd */

			memcpy(input, &v, sizeof(v));
			if (known->cmd == FIDEDUPERANGE) {
				uint16_t count = rng_below(r, 3);

				memcpy(input + 16, &count, sizeof(count));
				for (uint16_t k = 0; k < count; k++)
					memcpy(input + 24 + 32 * k, &v, sizeof(v));
			}
		}
		switch (argkind) {
		case 0:
			snprintf(argdesc, sizeof(argdesc), "NULL");
			argv[0] = argv[1] = 0;
			break;
		case 1:
			snprintf(argdesc, sizeof(argdesc), "unmapped 0x1000");
			argv[0] = argv[1] = 0x1000;
			break;
		case 2:
			snprintf(argdesc, sizeof(argdesc), "PROT_NONE page");
			argv[0] = argv[1] = (unsigned long)none;
			break;
		case 3:
			argv[0] = argv[1] = (unsigned long[]){ 0xffffffff81000000UL, 0xffff888000000000UL,
							       0xffffc90000000000UL, ~0UL,
							       0x8000000000000000UL }[rng_below(r, 5)];
			snprintf(argdesc, sizeof(argdesc), "0x%lx", argv[0]);
			break;
		case 4:
			bufoff = IOBUF - 1 - rng_below(r, 24);
			snprintf(argdesc, sizeof(argdesc), "%zu bytes before a guard page", IOBUF - bufoff);
			argv[0] = (unsigned long)buf[0] + bufoff;
			argv[1] = (unsigned long)buf[1] + bufoff;
			break;
		case 5:	/* small numbers, but none of our own descriptors (they differ per side) */
			argv[0] = argv[1] = rng_pct(r, 50) ? rng_below(r, 3) : 1000 + rng_below(r, 64);
			snprintf(argdesc, sizeof(argdesc), "%lu", argv[0]);
			break;
		case 6:
			snprintf(argdesc, sizeof(argdesc), "fd: the target itself");
			argv[0] = fds[t][0];
			argv[1] = fds[t][1];
			break;
		case 7:
			snprintf(argdesc, sizeof(argdesc), "fd: another file of the same fs");
			argv[0] = peer[0];
			argv[1] = peer[1];
			break;
		case 8:
			argv[0] = argv[1] = rng_next(r);
			snprintf(argdesc, sizeof(argdesc), "0x%lx", argv[0]);
			break;
		default:
			snprintf(argdesc, sizeof(argdesc), "valid buffer");
			argv[0] = (unsigned long)buf[0];
			argv[1] = (unsigned long)buf[1];
			break;
		}
		for (s = 0; s < NSIDES; s++) {
			memcpy(buf[s], input, sizeof(input));
			memcpy(buf[s] + IOBUF - sizeof(input), input, sizeof(input));
		}
		snprintf(what, sizeof(what), "ioctl(%s, %s0x%08x, %s)", target_names[t],
			 known ? known->name : "", cmd, argdesc);
		if (known)
			snprintf(what, sizeof(what), "ioctl(%s, %s, %s)", target_names[t], known->name, argdesc);
		for (s = 0; s < NSIDES; s++) {
			double t0 = now_sec();

			fuzz_inflight(c->rep, "%s on %s (%s)", what, c->fstype[s], t == T_ZERO ? c->zero[s] : "");
			res[s] = CALL(ioctl(fds[t][s], cmd, argv[s]));
			beat(c, 1);
			if (now_sec() - t0 > 5)
				fuzz_finding(c->rep, false, "slow ioctl", "%s took %.1f s on %s", what,
					     now_sec() - t0, c->fstype[s]);
		}
		{
			char cls[64];

			/* one class per command, so that each differing command is shown */
			snprintf(cls, sizeof(cls), "ioctl %s on %s", known ? known->name : "(random)",
				 target_names[t]);
			if (!known) {
				for (size_t k = 0; k < sizeof(known_ioctls) / sizeof(known_ioctls[0]); k++)
					if (known_ioctls[k].cmd == cmd)
						snprintf(cls, sizeof(cls), "ioctl %s on %s", known_ioctls[k].name,
							 target_names[t]);
			}
			if (t == T_ZERO)
				snprintf(what + strlen(what), sizeof(what) - strlen(what), " [/dev/zero vs %s]",
					 c->zero[1]);
			if (check_res(c, cls, res, what) && res[0].ret >= 0 && known && known->compare_out &&
			    argkind >= 9 && memcmp(buf[0], buf[1], 64))
				fuzz_finding(c->rep, false, cls, "%s: different output", what);
		}
		/* FIOASYNC/FIONBIO/FIOCLEX change fd flags alike on both sides; keep the files writable */
		if (t == T_FILE && i % 50 == 0)
			compare_fstat(c, fds[T_FILE], "the file", what);
	}
	ioctl_round_teardown(c, round, fds, peer);
}

TEST_F_TIMEOUT(hostile, ioctls, 900)
{
	struct ctx c = make_ctx(self, variant, "ioctls", 20000, 3);
	int guarded = run_resumable(_metadata, self, &c, ioctls_worker);

	finish_case(_metadata, self, "ioctls", &c, guarded);
}

/* ============================================================== unprivileged */

/*
 * Objects in each round's tree "t<round>" (created by root, the same on both sides):
 *   sticky/ (1777) and plain/ (0755), each holding
 *     r644, r600, r666 (root's), r600x (root's, with user.x), u644 (uid 1000's), o644 (uid 1001's),
 *     rdir/ (root's 0755, with a file), udir/ (uid 1000's 0700)
 */
static const char * const uobj_dirs[] = { "sticky", "plain" };
static const char * const uobj_files[] = { "r644", "r600", "r666", "r600x", "u644", "o644", "rdir",
					   "udir", "newf", "rdir/inner" };
#define N_UDIRS		2
#define N_UFILES	(sizeof(uobj_files) / sizeof(uobj_files[0]))

enum uop {
	U_OPEN_R, U_OPEN_W, U_OPEN_RW_TRUNC, U_OPEN_CREAT, U_OPEN_CREAT_EXCL, U_CHMOD, U_FCHMOD,
	U_CHOWN_UID, U_CHOWN_GID, U_CHOWN_NOOP, U_CHOWN_ROOT, U_UTIMES_NULL, U_UTIMES_NOW,
	U_UTIMES_SET, U_UTIMES_OMIT, U_SETXATTR_USER, U_SETXATTR_TRUSTED, U_SETXATTR_SECURITY,
	U_SETXATTR_ACL, U_SETXATTR_ACL_BAD, U_GETXATTR, U_LISTXATTR, U_REMOVEXATTR, U_TRUNCATE,
	U_ACCESS_W, U_LINK, U_RENAME, U_RENAME_BACK, U_UNLINK, U_RMDIR, U_MKDIR, U_SYMLINK,
	U_MKFIFO, U_RENAME_OVER, U_NR
};

static const char * const uop_names[U_NR] = {
	"open(O_RDONLY)", "open(O_WRONLY)", "open(O_RDWR|O_TRUNC)", "open(O_WRONLY|O_CREAT)",
	"open(O_CREAT|O_EXCL)", "chmod", "fchmod", "chown(1000, -1)", "chown(-1, 1000)",
	"chown(-1, -1)", "chown(0, 0)", "utimensat(NULL)", "utimensat(UTIME_NOW)",
	"utimensat(explicit)", "utimensat(UTIME_OMIT)", "setxattr(user.t)", "setxattr(trusted.t)",
	"setxattr(security.t)", "setxattr(system.posix_acl_access)", "setxattr(acl, garbage)",
	"getxattr(user.x)", "listxattr", "removexattr(user.x)", "truncate", "access(W_OK)", "link",
	"rename", "rename back", "unlink", "rmdir", "mkdir", "symlink", "mkfifo",
	"rename own file over it",
};

struct ustep {
	uint8_t op, dir, obj;
	uint32_t arg;
};

#define MAX_USTEPS	96

struct ushared {
	int nsteps;
	struct ustep steps[MAX_USTEPS];
	int err[NSIDES][MAX_USTEPS];
	char root[NSIDES][256];
};

/* A minimal POSIX ACL xattr: user::rwx, group::r-x, other::r-x (v2 header). */
static size_t acl_blob(char *buf, uint32_t arg)
{
	static const uint16_t tags[3] = { 0x01, 0x04, 0x20 };	/* USER_OBJ, GROUP_OBJ, OTHER */
	uint32_t version = 2;
	size_t len = 4;
	int i;

	memcpy(buf, &version, 4);
	for (i = 0; i < 3; i++) {
		uint16_t tag = tags[i], perm = (arg >> (3 * i)) & 7;
		uint32_t id = (uint32_t)-1;

		memcpy(buf + len, &tag, 2);
		memcpy(buf + len + 2, &perm, 2);
		memcpy(buf + len + 4, &id, 4);
		len += 8;
	}
	return len;
}

static int do_ustep(const char *root, const struct ustep *u)
{
	char path[512], other[512], blob[64];
	struct timespec ts[2];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s/%s", root, uobj_dirs[u->dir], uobj_files[u->obj]);
	errno = 0;
	switch (u->op) {
	case U_OPEN_R:
	case U_OPEN_W:
	case U_OPEN_RW_TRUNC:
	case U_OPEN_CREAT:
	case U_OPEN_CREAT_EXCL:
		fd = open(path, (int[]){ O_RDONLY, O_WRONLY, O_RDWR | O_TRUNC, O_WRONLY | O_CREAT,
					 O_WRONLY | O_CREAT | O_EXCL }[u->op - U_OPEN_R] | O_CLOEXEC | O_NONBLOCK,
			  0644);
		if (fd >= 0)
			close(fd);
		ret = fd < 0 ? -1 : 0;
		break;
	case U_CHMOD:
		ret = chmod(path, u->arg & 07777);
		break;
	case U_FCHMOD:
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return errno;
		ret = fchmod(fd, u->arg & 07777);
		if (ret)
			ret = errno;
		close(fd);
		return ret;
	case U_CHOWN_UID:
		ret = chown(path, TEST_UID, -1);
		break;
	case U_CHOWN_GID:
		ret = chown(path, -1, TEST_GID);
		break;
	case U_CHOWN_NOOP:
		ret = chown(path, -1, -1);
		break;
	case U_CHOWN_ROOT:
		ret = lchown(path, 0, 0);
		break;
	case U_UTIMES_NULL:
		ret = utimensat(AT_FDCWD, path, NULL, 0);
		break;
	case U_UTIMES_NOW:
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_NOW;
		ret = utimensat(AT_FDCWD, path, ts, 0);
		break;
	case U_UTIMES_SET:
		ts[0] = (struct timespec){ u->arg, 0 };
		ts[1] = (struct timespec){ u->arg / 2, 999999999 };
		ret = utimensat(AT_FDCWD, path, ts, 0);
		break;
	case U_UTIMES_OMIT:
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
		ret = utimensat(AT_FDCWD, path, ts, 0);
		break;
	case U_SETXATTR_USER:
	case U_SETXATTR_TRUSTED:
	case U_SETXATTR_SECURITY:
		ret = setxattr(path, (const char *[]){ "user.t", "trusted.t", "security.t" }[u->op - U_SETXATTR_USER],
			       "value", 1 + u->arg % 5, (int[]){ 0, XATTR_CREATE, XATTR_REPLACE }[u->arg % 3]);
		break;
	case U_SETXATTR_ACL:
		ret = setxattr(path, "system.posix_acl_access", blob, acl_blob(blob, u->arg), 0);
		break;
	case U_SETXATTR_ACL_BAD:
		memset(blob, (int)u->arg, sizeof(blob));
		ret = setxattr(path, "system.posix_acl_access", blob, 1 + u->arg % 40, 0);
		break;
	case U_GETXATTR:
		ret = getxattr(path, "user.x", blob, sizeof(blob)) < 0 ? -1 : 0;
		break;
	case U_LISTXATTR:
		ret = listxattr(path, blob, sizeof(blob)) < 0 ? -1 : 0;
		break;
	case U_REMOVEXATTR:
		ret = removexattr(path, "user.x");
		break;
	case U_TRUNCATE:
		ret = truncate(path, u->arg % 10000);
		break;
	case U_ACCESS_W:
		ret = access(path, W_OK);
		break;
	case U_LINK:
		snprintf(other, sizeof(other), "%s/%s/link%u", root, uobj_dirs[u->arg % N_UDIRS], u->arg % 7);
		ret = link(path, other);
		break;
	case U_RENAME:
	case U_RENAME_BACK:
		snprintf(other, sizeof(other), "%s/%s/moved_%s", root, uobj_dirs[u->arg % N_UDIRS],
			 uobj_files[u->obj] + (u->obj == N_UFILES - 1 ? 5 : 0));
		ret = u->op == U_RENAME ? rename(path, other) : rename(other, path);
		break;
	case U_UNLINK:
		ret = unlink(path);
		break;
	case U_RMDIR:
		ret = rmdir(path);
		break;
	case U_MKDIR:
		ret = mkdir(path, u->arg & 0777);
		break;
	case U_SYMLINK:
		ret = symlink("target", path);
		break;
	case U_MKFIFO:
		ret = mkfifo(path, u->arg & 0777);
		break;
	case U_RENAME_OVER:
		/* a file of our own (made if we can), renamed over the object */
		snprintf(other, sizeof(other), "%s/%s/mine%u", root, uobj_dirs[u->dir], u->arg % 5);
		fd = open(other, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		errno = 0;
		ret = rename(other, path);
		break;
	}
	return ret ? (errno ? errno : 255) : 0;
}

/* Runs the steps as uid/gid 1000 on side @s, recording each errno. */
static int run_usteps(struct ushared *sh, int s)
{
	pid_t pid;
	int status, i;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(TEST_GID, TEST_GID, TEST_GID) ||
		    setresuid(TEST_UID, TEST_UID, TEST_UID))
			_exit(1);
		for (i = 0; i < sh->nsteps; i++)
			sh->err[s][i] = do_ustep(sh->root[s], &sh->steps[i]);
		_exit(0);
	}
	status = wait_child(pid);
	return status == 0 ? 0 : -1;
}

static int make_utree(const char *root, int round, char *out, size_t size)
{
	char base[256], path[512];
	size_t d;
	int fd;

	snprintf(base, sizeof(base), "%s/t%d", root, round);
	snprintf(out, size, "%s", base);
	if (mkdir(base, 0755))
		return -1;
	for (d = 0; d < N_UDIRS; d++) {
		static const struct { const char *name; mode_t mode; uid_t uid; } files[] = {
			{ "r644", 0644, 0 }, { "r600", 0600, 0 }, { "r666", 0666, 0 },
			{ "r600x", 0600, 0 }, { "u644", 0644, TEST_UID }, { "o644", 0644, TEST_UID + 1 },
		};
		size_t f;

		snprintf(path, sizeof(path), "%s/%s", base, uobj_dirs[d]);
		if (mkdir(path, d ? 0755 : 01777) || chmod(path, d ? 0755 : 01777))
			return -1;
		for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
			snprintf(path, sizeof(path), "%s/%s/%s", base, uobj_dirs[d], files[f].name);
			fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, files[f].mode);
			if (fd < 0 || write(fd, "content\n", 8) != 8)
				return -1;
			close(fd);
			if (chown(path, files[f].uid, files[f].uid) || chmod(path, files[f].mode))
				return -1;
			if (!strcmp(files[f].name, "r600x") && setxattr(path, "user.x", "x", 1, 0))
				return -1;
		}
		snprintf(path, sizeof(path), "%s/%s/rdir", base, uobj_dirs[d]);
		if (mkdir(path, 0755))
			return -1;
		snprintf(path, sizeof(path), "%s/%s/rdir/inner", base, uobj_dirs[d]);
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
		close(fd);
		snprintf(path, sizeof(path), "%s/%s/udir", base, uobj_dirs[d]);
		if (mkdir(path, 0700) || chown(path, TEST_UID, TEST_GID))
			return -1;
	}
	return 0;
}

/* Everything root sees of one object: "mode uid gid size nlink xattrs". */
static void describe(const char *path, char *out, size_t size)
{
	char names[512];
	struct stat st;
	ssize_t n, i;

	if (lstat(path, &st)) {
		snprintf(out, size, "%s", strerror(errno));
		return;
	}
	n = llistxattr(path, names, sizeof(names));
	for (i = 0; i < n; i++)
		if (!names[i])
			names[i] = ',';
	snprintf(out, size, "mode 0%o uid %u gid %u size %lld nlink %lu xattrs [%.*s]", st.st_mode,
		 st.st_uid, st.st_gid, S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size,
		 (unsigned long)st.st_nlink, n > 0 ? (int)n : 0, names);
}

/* rm -r @path (as root); returns 0 if everything went. */
static int remove_tree(const char *path)
{
	struct dirent *de;
	struct stat st;
	int ret = 0;
	DIR *d;

	if (lstat(path, &st))
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char sub[1024];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		ret |= remove_tree(sub);
	}
	closedir(d);
	return ret | rmdir(path);
}

static void unprivileged_worker(void *arg)
{
	struct ctx *c = arg;
	struct rng *r = &c->rng;
	struct ushared *sh = shared_alloc(sizeof(*sh));
	unsigned long long hist[5] = { 0 };	/* ok, EACCES, EPERM, ENOENT, other */
	uint64_t round;
	int s, i;

	if (!sh) {
		fuzz_finding(c->rep, false, "setup", "no shared memory");
		return;
	}
	for (round = c->first_iter; !out_of_time(c, round); round++) {
		c->rep->resume_iter = round;
		c->rep->resume_rng = r->s;
		for (s = 0; s < NSIDES; s++) {
			if (make_utree(c->root[s], round, sh->root[s], sizeof(sh->root[s]))) {
				fuzz_finding(c->rep, false, "setup", "cannot make the tree on %s: %s",
					     c->fstype[s], strerror(errno));
				return;
			}
			beat(c, 60);
		}
		sh->nsteps = 40 + rng_below(r, MAX_USTEPS - 40);
		for (i = 0; i < sh->nsteps; i++)
			sh->steps[i] = (struct ustep){
				.op = rng_below(r, U_NR),
				.dir = rng_below(r, N_UDIRS),
				.obj = rng_below(r, N_UFILES),
				.arg = (uint32_t)rng_next(r),
			};
		for (s = 0; s < NSIDES; s++) {
			fuzz_inflight(c->rep, "round %llu of uid-1000 steps on %s",
				      (unsigned long long)round, c->fstype[s]);
			if (run_usteps(sh, s))
				fuzz_finding(c->rep, false, "setup", "the uid-1000 child failed on %s",
					     c->fstype[s]);
			beat(c, sh->nsteps);
		}
		for (i = 0; i < sh->nsteps; i++) {
			const struct ustep *u = &sh->steps[i];
			char cls[64];

			{
				int e = sh->err[0][i];

				hist[!e ? 0 : e == EACCES ? 1 : e == EPERM ? 2 : e == ENOENT ? 3 : 4]++;
			}
			if (sh->err[0][i] == sh->err[1][i])
				continue;
			snprintf(cls, sizeof(cls), "uid 1000 %s", uop_names[u->op]);
			fuzz_finding(c->rep, false, cls,
				     "round %llu step %d: uid 1000 %s (arg 0x%x) on %s/%s: tmpfs %s, %s %s",
				     (unsigned long long)round, i, uop_names[u->op], u->arg,
				     uobj_dirs[u->dir], uobj_files[u->obj],
				     sh->err[0][i] ? strerrorname_np(sh->err[0][i]) : "ok", c->fstype[1],
				     sh->err[1][i] ? strerrorname_np(sh->err[1][i]) : "ok");
		}
		/* And the trees must have ended up the same. */
		for (size_t d = 0; d < N_UDIRS; d++) {
			DIR *dir;
			struct dirent *de;
			char p[NSIDES][600], desc[NSIDES][700];

			snprintf(p[0], sizeof(p[0]), "%s/%s", sh->root[0], uobj_dirs[d]);
			dir = opendir(p[0]);
			while (dir && (de = readdir(dir))) {
				for (s = 0; s < NSIDES; s++) {
					snprintf(p[s], sizeof(p[s]), "%s/%s/%s", sh->root[s], uobj_dirs[d], de->d_name);
					describe(p[s], desc[s], sizeof(desc[s]));
				}
				beat(c, 4);
				if (strcmp(desc[0], desc[1]))
					fuzz_finding(c->rep, false, "tree after uid 1000",
						     "round %llu: %s/%s: tmpfs \"%s\", %s \"%s\"",
						     (unsigned long long)round, uobj_dirs[d], de->d_name,
						     desc[0], c->fstype[1], desc[1]);
			}
			if (dir)
				closedir(dir);
		}
		/* Gone again, on both sides alike. */
		{
			struct statfs sfs[NSIDES];

			for (s = 0; s < NSIDES; s++) {
				if (remove_tree(sh->root[s]))
					fuzz_finding(c->rep, false, "setup", "cannot remove %s: %s", sh->root[s],
						     strerror(errno));
				statfs(c->root[s], &sfs[s]);
				beat(c, 40);
			}
			if (sfs[0].f_bfree != sfs[1].f_bfree || sfs[0].f_ffree != sfs[1].f_ffree)
				fuzz_finding(c->rep, false, "statfs after uid 1000",
					     "round %llu: after removing the tree f_bfree/f_ffree tmpfs %lu/%lu, %s %lu/%lu",
					     (unsigned long long)round, sfs[0].f_bfree, sfs[0].f_ffree,
					     c->fstype[1], sfs[1].f_bfree, sfs[1].f_ffree);
		}
	}
	fuzz_finding(c->rep, true, "uid 1000 outcomes on tmpfs",
		     "%llu rounds: %llu steps succeeded, %llu EACCES, %llu EPERM, %llu ENOENT, %llu other",
		     (unsigned long long)round, hist[0], hist[1], hist[2], hist[3], hist[4]);
}

TEST_F_TIMEOUT(hostile, unprivileged, 900)
{
	struct ctx c = make_ctx(self, variant, "unprivileged", 150, 3);
	int guarded = run_resumable(_metadata, self, &c, unprivileged_worker);

	finish_case(_metadata, self, "unprivileged", &c, guarded);
}

TEST_HARNESS_MAIN
