// SPDX-License-Identifier: GPL-2.0
/*
 * Many processes in one directory at once, for a bounded time, on tmpfs (the reference) and on
 * rust_shmem.  NWORKERS forked workers each own the files and directories whose names start with
 * "w<index>_" and, at random, create, write (pwrite and through MAP_SHARED mappings), truncate,
 * rename (to a new name, over one of their own, RENAME_EXCHANGE), fallocate, punch holes
 * (fallocate and MADV_REMOVE), set/get/remove xattrs, mkdir/rmdir and unlink them, while every
 * worker also readdirs the directory, stats what it finds there and calls statfs.
 *
 * Each worker keeps a model of its own files (content, size, which pages are allocated, xattrs)
 * and checks, after every change, st_size and st_blocks, and now and then every byte (pread and
 * through a mapping) and the xattr list.  A readdir must show each of the worker's own files
 * exactly once (they do not change while it reads), only well-formed names, and the right d_type;
 * stat and statfs of what others are changing must stay within bounds.  At the end every worker
 * removes what it owns, and statfs must show exactly the free blocks and inodes of the empty file
 * system it started from.
 *
 * RS_STRESS_SCALE (default 1) scales the duration (RUN_SECS per variant); RS_FUZZ_SEED seeds it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/falloc.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "stress_util.h"
#include "fs_fixture.h"

#define OPTS		"size=256m,nr_inodes=8192,mode=0777"
#define NWORKERS	8
#define RUN_SECS	9.0
#define MAXF		6		/* files a worker has at most */
#define MAXSZ		(192 << 10)	/* largest file */
#define MAXPG		(MAXSZ / 4096)
#define NXATTR		4
#define MAXERR		4

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE	(1 << 1)
#endif

struct worker_report {
	uint64_t ops;
	uint64_t calls;
	uint64_t readdirs;
	uint64_t errors;
	int nkinds;			/* kinds of error (by message format), first of each kept */
	const char *kind[MAXERR];
	uint64_t count[MAXERR];
	char err[MAXERR][320];
};

FIXTURE(conc) {
	char dir[SCRATCH_LEN];
	int kmsg;
	double scale;
	uint64_t seed;
	struct worker_report *rep;	/* NWORKERS of them, shared */
};

FS_VARIANTS(conc);

FIXTURE_SETUP(conc)
{
	self->kmsg = -1;
	self->scale = stress_scale();
	self->seed = stress_seed();
	umask(0);
	ASSERT_EQ(4096, sysconf(_SC_PAGESIZE));
	ASSERT_EQ(0, enter_private_mntns());
	mount_scratch(_metadata, self->dir, "concurrency", variant->fstype, OPTS);
	self->rep = shared_alloc(NWORKERS * sizeof(*self->rep));
	ASSERT_NE(NULL, self->rep);
	self->kmsg = kmsg_open_end();
	ASSERT_LE(0, self->kmsg);
	TH_LOG("seed 0x%llx (RS_FUZZ_SEED), scale %g (RS_STRESS_SCALE), %d workers",
	       (unsigned long long)self->seed, self->scale, NWORKERS);
}

FIXTURE_TEARDOWN(conc)
{
	close_if_open(self->kmsg);
	unmount_scratch(self->dir);
	if (self->rep)
		munmap(self->rep, NWORKERS * sizeof(*self->rep));
}

/* ------------------------------------------------------------ the model */

struct slot {
	bool used;
	bool bad;			/* differs from the model: reported, to be dropped */
	unsigned int id;		/* name: w<worker>_f<id> */
	int fd;
	size_t size;
	unsigned char data[MAXSZ];	/* content; zero beyond size */
	bool present[MAXPG];		/* pages allocated in the page cache */
	struct {
		bool set;
		int len;
		char val[64];
	} x[NXATTR];
};

struct worker {
	int index;
	const char *dir;
	long magic;
	struct rng rng;
	struct worker_report *rep;
	unsigned int next_id;
	struct slot slot[MAXF];
	unsigned int dir_id;		/* w<worker>_d<id>, when has_dir */
	bool has_dir;
	char names[512][32];		/* the last readdir, for stat */
	int nnames;
	unsigned char buf[MAXSZ];
};

static void __attribute__((format(printf, 2, 3))) fail(struct worker *w, const char *fmt, ...)
{
	struct worker_report *r = w->rep;
	va_list ap;
	int k;

	r->errors++;
	for (k = 0; k < r->nkinds; k++)
		if (r->kind[k] == fmt) {
			r->count[k]++;
			return;
		}
	if (r->nkinds == MAXERR)
		return;
	k = r->nkinds++;
	r->kind[k] = fmt;
	r->count[k] = 1;
	va_start(ap, fmt);
	vsnprintf(r->err[k], sizeof(r->err[k]), fmt, ap);
	va_end(ap);
}

static void slot_path(struct worker *w, const struct slot *s, char *out, size_t size)
{
	snprintf(out, size, "%s/w%d_f%u", w->dir, w->index, s->id);
}

static long model_blocks(const struct slot *s)
{
	long n = 0;
	int i;

	for (i = 0; i < MAXPG; i++)
		n += s->present[i];
	return n * 8;
}

static void mark_present(struct slot *s, size_t from, size_t to)	/* bytes [from, to) */
{
	size_t p;

	for (p = from / 4096; p < MAXPG && p * 4096 < to; p++)
		s->present[p] = true;
}

/* size and st_blocks against the model */
static void check_stat(struct worker *w, struct slot *s, const char *after)
{
	struct stat st;

	w->rep->calls++;
	if (fstat(s->fd, &st)) {
		fail(w, "w%d_f%u: fstat after %s: %s", w->index, s->id, after, strerror(errno));
		return;
	}
	if ((size_t)st.st_size != s->size) {
		fail(w, "w%d_f%u: st_size %lld after %s, expected %zu", w->index, s->id,
		     (long long)st.st_size, after, s->size);
		s->bad = true;
	}
	if (st.st_blocks != model_blocks(s)) {
		fail(w, "w%d_f%u: st_blocks %lld after %s, expected %ld", w->index, s->id,
		     (long long)st.st_blocks, after, model_blocks(s));
		s->bad = true;
	}
}

/* every byte (pread), then the xattrs */
static void check_all(struct worker *w, struct slot *s, const char *when)
{
	char list[512], val[64];
	ssize_t n;
	int j;

	w->rep->calls += 3;
	n = pread(s->fd, w->buf, MAXSZ, 0);
	if (n != (ssize_t)s->size) {
		fail(w, "w%d_f%u: pread %s gave %zd, expected %zu (%s)", w->index, s->id, when, n,
		     s->size, n < 0 ? strerror(errno) : "");
	} else if (memcmp(w->buf, s->data, s->size)) {
		size_t i = 0;

		while (w->buf[i] == s->data[i])
			i++;
		fail(w, "w%d_f%u: byte %zu is 0x%02x %s, expected 0x%02x", w->index, s->id, i,
		     w->buf[i], when, s->data[i]);
		s->bad = true;
	}
	n = flistxattr(s->fd, list, sizeof(list));
	for (j = 0; j < NXATTR; j++) {
		char name[16];
		bool listed = false;
		ssize_t k;

		snprintf(name, sizeof(name), "user.k%d", j);
		for (k = 0; n > 0 && k < n; k += strlen(list + k) + 1)
			listed |= !strcmp(list + k, name);
		if (listed != s->x[j].set)
			fail(w, "w%d_f%u: %s %s listed %s", w->index, s->id, name,
			     listed ? "is" : "is not", when);
		if (s->x[j].set) {
			w->rep->calls++;
			k = fgetxattr(s->fd, name, val, sizeof(val));
			if (k != s->x[j].len || memcmp(val, s->x[j].val, s->x[j].len))
				fail(w, "w%d_f%u: %s reads back %zd bytes %s, expected %d", w->index, s->id,
				     name, k, when, s->x[j].len);
		}
	}
	check_stat(w, s, when);
}

/* ------------------------------------------------------------ operations */

static struct slot *pick_used(struct worker *w)
{
	int i, start = rng_below(&w->rng, MAXF);

	for (i = 0; i < MAXF; i++)
		if (w->slot[(start + i) % MAXF].used)
			return &w->slot[(start + i) % MAXF];
	return NULL;
}

static struct slot *pick_free(struct worker *w)
{
	int i;

	for (i = 0; i < MAXF; i++)
		if (!w->slot[i].used)
			return &w->slot[i];
	return NULL;
}

static void op_create(struct worker *w)
{
	struct slot *s = pick_free(w);
	char path[128];

	if (!s)
		return;
	memset(s, 0, sizeof(*s));
	s->id = w->next_id++;
	slot_path(w, s, path, sizeof(path));
	w->rep->calls++;
	s->fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		fail(w, "create %s: %s", path, strerror(errno));
		return;
	}
	s->used = true;
	check_stat(w, s, "create");
}

static void op_write(struct worker *w, struct slot *s)
{
	size_t off = rng_below(&w->rng, MAXSZ - 1);
	size_t len = 1 + rng_below(&w->rng, (MAXSZ - off) < (32 << 10) ? MAXSZ - off : 32 << 10);
	ssize_t n;

	rng_fill(&w->rng, w->buf, len);
	w->rep->calls++;
	n = pwrite(s->fd, w->buf, len, off);
	if (n != (ssize_t)len) {
		fail(w, "w%d_f%u: pwrite(%zu at %zu) = %zd: %s", w->index, s->id, len, off, n,
		     strerror(errno));
		return;
	}
	memcpy(s->data + off, w->buf, len);
	mark_present(s, off, off + len);
	if (off + len > s->size)
		s->size = off + len;
	check_stat(w, s, "pwrite");
}

static void op_truncate(struct worker *w, struct slot *s)
{
	size_t size = rng_below(&w->rng, MAXSZ + 1);
	size_t p;

	w->rep->calls++;
	if (ftruncate(s->fd, size)) {
		fail(w, "w%d_f%u: ftruncate(%zu): %s", w->index, s->id, size, strerror(errno));
		return;
	}
	/*
	 * tmpfs (shmem_setattr) drops the pages past the new end only when the file does not grow:
	 * pages preallocated past EOF with FALLOC_FL_KEEP_SIZE stay when it grows.
	 */
	if (size <= s->size) {
		memset(s->data + size, 0, s->size - size);
		for (p = (size + 4095) / 4096; p < MAXPG; p++)
			s->present[p] = false;
	}
	s->size = size;
	check_stat(w, s, "ftruncate");
}

static void op_fallocate(struct worker *w, struct slot *s)
{
	size_t off = rng_below(&w->rng, MAXSZ - 1);
	size_t len = 1 + rng_below(&w->rng, MAXSZ - off);
	int mode = (int[]){ 0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE }[rng_below(&w->rng, 3)];
	char what[96];
	size_t p;

	snprintf(what, sizeof(what), "fallocate(0x%x, %zu, %zu)", mode, off, len);
	w->rep->calls++;
	if (fallocate(s->fd, mode, off, len)) {
		fail(w, "w%d_f%u: %s: %s", w->index, s->id, what, strerror(errno));
		return;
	}
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		memset(s->data + off, 0, len);
		for (p = (off + 4095) / 4096; (p + 1) * 4096 <= off + len; p++)
			s->present[p] = false;
	} else {
		mark_present(s, off, off + len);
		if (!(mode & FALLOC_FL_KEEP_SIZE) && off + len > s->size)
			s->size = off + len;
	}
	check_stat(w, s, what);
}

static void op_mmap(struct worker *w, struct slot *s)
{
	size_t maplen = (s->size + 4095) / 4096 * 4096, off, len, i;
	unsigned char *p;

	if (!s->size)
		return;
	w->rep->calls++;
	p = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, s->fd, 0);
	if (p == MAP_FAILED) {
		fail(w, "w%d_f%u: mmap(%zu): %s", w->index, s->id, maplen, strerror(errno));
		return;
	}
	switch (rng_below(&w->rng, 4)) {
	case 0:
	case 1:	/* store through the mapping */
		off = rng_below(&w->rng, s->size);
		len = 1 + rng_below(&w->rng, s->size - off);
		rng_fill(&w->rng, w->buf, len);
		memcpy(p + off, w->buf, len);
		memcpy(s->data + off, w->buf, len);
		mark_present(s, off, off + len);
		check_stat(w, s, "a store through a mapping");
		break;
	case 2:	/* load through the mapping: faults allocate the pages read */
		off = rng_below(&w->rng, s->size);
		len = 1 + rng_below(&w->rng, s->size - off);
		for (i = off; i < off + len; i++)
			if (p[i] != s->data[i]) {
				fail(w, "w%d_f%u: mapped byte %zu is 0x%02x, expected 0x%02x", w->index,
				     s->id, i, p[i], s->data[i]);
				break;
			}
		mark_present(s, off, off + len);
		check_stat(w, s, "loads through a mapping");
		break;
	default:	/* MADV_REMOVE: a hole punched through the mapping */
		off = rng_below(&w->rng, maplen / 4096) * 4096;
		len = (1 + rng_below(&w->rng, (maplen - off) / 4096)) * 4096;
		w->rep->calls++;
		if (madvise(p + off, len, MADV_REMOVE)) {
			fail(w, "w%d_f%u: madvise(%zu, %zu, MADV_REMOVE): %s", w->index, s->id, off, len,
			     strerror(errno));
			break;
		}
		for (i = off / 4096; i < (off + len) / 4096; i++)
			s->present[i] = false;
		memset(s->data + off, 0, (off + len < s->size ? off + len : s->size) - off);
		check_stat(w, s, "MADV_REMOVE");
		break;
	}
	munmap(p, maplen);
}

static void op_xattr(struct worker *w, struct slot *s)
{
	int j = rng_below(&w->rng, NXATTR);
	char name[16], val[64];
	ssize_t n;

	snprintf(name, sizeof(name), "user.k%d", j);
	w->rep->calls++;
	switch (rng_below(&w->rng, 3)) {
	case 0:
	case 1:
		s->x[j].len = 1 + rng_below(&w->rng, sizeof(s->x[j].val));
		rng_fill(&w->rng, s->x[j].val, s->x[j].len);
		if (fsetxattr(s->fd, name, s->x[j].val, s->x[j].len, 0)) {
			fail(w, "w%d_f%u: fsetxattr(%s, %d bytes): %s", w->index, s->id, name, s->x[j].len,
			     strerror(errno));
			s->x[j].set = false;
			return;
		}
		s->x[j].set = true;
		break;
	default:
		if (fremovexattr(s->fd, name) ? errno != (s->x[j].set ? 0 : ENODATA) : !s->x[j].set)
			fail(w, "w%d_f%u: fremovexattr(%s) when %s: %s", w->index, s->id, name,
			     s->x[j].set ? "set" : "not set", strerror(errno));
		s->x[j].set = false;
		break;
	}
	n = fgetxattr(s->fd, name, val, sizeof(val));
	if (s->x[j].set ? n != s->x[j].len || memcmp(val, s->x[j].val, n) : n != -1 || errno != ENODATA)
		fail(w, "w%d_f%u: fgetxattr(%s) = %zd after setting/removing it", w->index, s->id, name, n);
}

static void op_rename(struct worker *w, struct slot *a)
{
	struct slot *b = pick_used(w);
	char pa[128], pb[128];
	unsigned int how = rng_below(&w->rng, 3);

	slot_path(w, a, pa, sizeof(pa));
	w->rep->calls++;
	if (how == 0 || !b || b == a) {		/* to a new name */
		unsigned int id = w->next_id++;

		snprintf(pb, sizeof(pb), "%s/w%d_f%u", w->dir, w->index, id);
		if (rename(pa, pb))
			fail(w, "rename %s -> %s: %s", pa, pb, strerror(errno));
		else
			a->id = id;
		return;
	}
	slot_path(w, b, pb, sizeof(pb));
	if (how == 1) {				/* over another of ours */
		if (rename(pa, pb)) {
			fail(w, "rename %s over %s: %s", pa, pb, strerror(errno));
			return;
		}
		a->id = b->id;
		close(b->fd);
		b->used = false;
	} else {				/* exchange */
		unsigned int id = a->id;

		if (syscall(SYS_renameat2, AT_FDCWD, pa, AT_FDCWD, pb, RENAME_EXCHANGE)) {
			fail(w, "renameat2(%s, %s, RENAME_EXCHANGE): %s", pa, pb, strerror(errno));
			return;
		}
		a->id = b->id;
		b->id = id;
	}
}

static void op_unlink(struct worker *w, struct slot *s)
{
	char path[128];

	if (!s->bad)
		check_all(w, s, "before unlink");
	slot_path(w, s, path, sizeof(path));
	w->rep->calls += 2;
	if (unlink(path))
		fail(w, "unlink %s: %s", path, strerror(errno));
	close(s->fd);
	s->used = false;
}

static void op_dir(struct worker *w)
{
	char path[128];

	w->rep->calls++;
	if (w->has_dir) {
		snprintf(path, sizeof(path), "%s/w%d_d%u", w->dir, w->index, w->dir_id);
		if (rmdir(path))
			fail(w, "rmdir %s: %s", path, strerror(errno));
		w->has_dir = false;
	} else {
		w->dir_id = w->next_id++;
		snprintf(path, sizeof(path), "%s/w%d_d%u", w->dir, w->index, w->dir_id);
		if (mkdir(path, 0700))
			fail(w, "mkdir %s: %s", path, strerror(errno));
		else
			w->has_dir = true;
	}
}

/* A well-formed name: w<worker>_f<id> or w<worker>_d<id>; returns 'f', 'd' or 0. */
static int parse_name(const char *name, int *worker, unsigned int *id)
{
	char kind, rest;

	if (sscanf(name, "w%d_%c%u%c", worker, &kind, id, &rest) != 3 || *worker < 0 ||
	    *worker >= NWORKERS || (kind != 'f' && kind != 'd'))
		return 0;
	return kind;
}

static void op_readdir(struct worker *w)
{
	int seen[MAXF] = { 0 }, dir_seen = 0, i;
	struct dirent *de;
	DIR *d = opendir(w->dir);

	w->rep->calls++;
	w->rep->readdirs++;
	if (!d) {
		fail(w, "opendir: %s", strerror(errno));
		return;
	}
	w->nnames = 0;
	while ((errno = 0, de = readdir(d))) {
		unsigned int id;
		int who, kind;

		w->rep->calls++;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		kind = parse_name(de->d_name, &who, &id);
		if (!kind) {
			fail(w, "readdir: unexpected name \"%s\"", de->d_name);
			continue;
		}
		if (de->d_type != (kind == 'f' ? DT_REG : DT_DIR))
			fail(w, "readdir: %s has d_type %d", de->d_name, de->d_type);
		if (w->nnames < 512 && strlen(de->d_name) < sizeof(w->names[0]))
			memcpy(w->names[w->nnames++], de->d_name, strlen(de->d_name) + 1);
		if (who != w->index)
			continue;
		if (kind == 'd') {
			dir_seen += w->has_dir && id == w->dir_id;
			continue;
		}
		for (i = 0; i < MAXF; i++)
			if (w->slot[i].used && w->slot[i].id == id)
				seen[i]++;
	}
	if (errno)
		fail(w, "readdir: %s", strerror(errno));
	closedir(d);
	for (i = 0; i < MAXF; i++)
		if (w->slot[i].used && seen[i] != 1)
			fail(w, "readdir listed my w%d_f%u %d times", w->index, w->slot[i].id, seen[i]);
	if (w->has_dir && dir_seen != 1)
		fail(w, "readdir listed my w%d_d%u %d times", w->index, w->dir_id, dir_seen);
}

static void op_stat_others(struct worker *w)
{
	int n = 1 + rng_below(&w->rng, 8);

	while (n-- > 0 && w->nnames) {
		const char *name = w->names[rng_below(&w->rng, w->nnames)];
		char path[128];
		unsigned int id;
		struct stat st;
		int who, kind = parse_name(name, &who, &id);

		snprintf(path, sizeof(path), "%s/%s", w->dir, name);
		w->rep->calls++;
		if (lstat(path, &st)) {
			if (errno != ENOENT)
				fail(w, "lstat %s: %s", name, strerror(errno));
			continue;
		}
		/*
		 * The owner may be removing it right now: lstat takes no directory lock, so it can
		 * see rmdir's and unlink's link counts on the way down (tmpfs shows them too).
		 */
		if (kind == 'd' ? !S_ISDIR(st.st_mode) || st.st_nlink > 2 :
				  !S_ISREG(st.st_mode) || st.st_nlink > 1 || st.st_size > MAXSZ ||
				  st.st_blocks > MAXSZ / 512 || (st.st_mode & 07777) != 0600)
			fail(w, "lstat %s: mode 0%o nlink %lu size %lld blocks %lld", name, st.st_mode,
			     (unsigned long)st.st_nlink, (long long)st.st_size, (long long)st.st_blocks);
	}
}

static void op_statfs(struct worker *w)
{
	struct statfs sfs;

	w->rep->calls++;
	if (statfs(w->dir, &sfs)) {
		fail(w, "statfs: %s", strerror(errno));
		return;
	}
	if ((long)sfs.f_type != w->magic || sfs.f_bfree > sfs.f_blocks || sfs.f_ffree > sfs.f_files ||
	    sfs.f_bavail != sfs.f_bfree || sfs.f_bsize != 4096)
		fail(w, "statfs: type 0x%lx blocks %lu/%lu/%lu files %lu/%lu", (long)sfs.f_type,
		     sfs.f_bfree, sfs.f_bavail, sfs.f_blocks, sfs.f_ffree, sfs.f_files);
}

static void worker_main(struct worker *w, double deadline)
{
	int i;

	/*
	 * A file that no longer matches its model is reported once and then removed, so that the run
	 * goes on (and the final accounting check still sees it go).
	 */
	while (now_sec() < deadline && w->rep->errors < 1000) {
		unsigned int op = rng_below(&w->rng, 100);
		struct slot *s;

		for (i = 0; i < MAXF; i++)
			if (w->slot[i].used && w->slot[i].bad)
				op_unlink(w, &w->slot[i]);
		s = pick_used(w);

		w->rep->ops++;
		if (op < 8 || !s)
			op_create(w);
		else if (op < 24)
			op_write(w, s);
		else if (op < 31)
			op_truncate(w, s);
		else if (op < 40)
			op_fallocate(w, s);
		else if (op < 49)
			op_mmap(w, s);
		else if (op < 56)
			op_xattr(w, s);
		else if (op < 62)
			op_rename(w, s);
		else if (op < 66)
			check_all(w, s, "at a random check");
		else if (op < 72)
			op_unlink(w, s);
		else if (op < 75)
			op_dir(w);
		else if (op < 88)
			op_readdir(w);
		else if (op < 96)
			op_stat_others(w);
		else
			op_statfs(w);
	}
	/* Clean up: everything we own goes. */
	for (i = 0; i < MAXF; i++)
		if (w->slot[i].used)
			op_unlink(w, &w->slot[i]);
	if (w->has_dir)
		op_dir(w);
}

/* ------------------------------------------------------------ the test */

TEST_F_TIMEOUT(conc, many_processes_one_directory, 900)
{
	struct statfs base, end;
	pid_t pids[NWORKERS];
	double t0 = now_sec(), deadline = t0 + RUN_SECS * self->scale;
	uint64_t ops = 0, calls = 0, readdirs = 0;
	char *log;
	DIR *d;
	struct dirent *de;
	int i, left = 0;

	ASSERT_EQ(0, statfs(self->dir, &base));
	for (i = 0; i < NWORKERS; i++) {
		fflush(NULL);
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			struct worker *w = calloc(1, sizeof(*w));
			char stream[32];

			if (!w)
				_exit(1);
			snprintf(stream, sizeof(stream), "concurrency worker %d", i);
			w->index = i;
			w->dir = self->dir;
			w->magic = variant->magic;
			w->rng = rng_seeded(self->seed, stream);
			w->rep = &self->rep[i];
			worker_main(w, deadline);
			_exit(0);
		}
	}
	for (i = 0; i < NWORKERS; i++) {
		int status = wait_child(pids[i]);
		struct worker_report *r = &self->rep[i];
		uint64_t e;

		EXPECT_EQ(0, status) {
			TH_LOG("worker %d ended with status 0x%x", i, status);
		}
		for (e = 0; e < (uint64_t)r->nkinds; e++)
			TH_LOG("worker %d: %s (x%llu of this kind)", i, r->err[e],
			       (unsigned long long)r->count[e]);
		EXPECT_EQ(0, (long)r->errors);
		ops += r->ops;
		calls += r->calls;
		readdirs += r->readdirs;
	}
	TH_LOG("%s: %d workers, %llu operations (%llu calls, %llu readdirs) in %.1f s", variant->fstype,
	       NWORKERS, (unsigned long long)ops, (unsigned long long)calls,
	       (unsigned long long)readdirs, now_sec() - t0);

	/* Nothing left, and every block and inode back. */
	d = opendir(self->dir);
	ASSERT_NE(NULL, d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			TH_LOG("left over: %s", de->d_name);
			left++;
		}
	closedir(d);
	EXPECT_EQ(0, left);
	ASSERT_EQ(0, statfs(self->dir, &end));
	EXPECT_EQ(base.f_blocks, end.f_blocks);
	EXPECT_EQ(base.f_bfree, end.f_bfree);
	EXPECT_EQ(base.f_files, end.f_files);
	EXPECT_EQ(base.f_ffree, end.f_ffree);

	log = kmsg_read_new(self->kmsg);
	EXPECT_EQ(0, kmsg_splats(log, 0));
	free(log);
}

/*
 * Processes faulting, writing and punching pages of one file at once, each on its own pages: the
 * file's st_blocks and the mount's free blocks end exact (a file's count and the mount's move
 * under different locks). Each worker's last round leaves half of its pages.
 */
TEST_F_TIMEOUT(conc, one_file_charged_exactly, 300)
{
	const long pages = 1024, page = 4096, rounds = 20;
	struct statfs base, end;
	pid_t pids[NWORKERS];
	struct stat st;
	char path[96];
	int fd, i;

	snprintf(path, sizeof(path), "%s/shared", self->dir);
	fd = open(path, O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, pages * page));
	ASSERT_EQ(0, statfs(self->dir, &base));
	for (i = 0; i < NWORKERS; i++) {
		fflush(NULL);
		pids[i] = fork();
		ASSERT_LE(0, pids[i]);
		if (pids[i] == 0) {
			char *map = mmap(NULL, pages * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
			long r, p;

			if (map == MAP_FAILED)
				_exit(1);
			for (r = 0; r < rounds; r++) {
				for (p = i; p < pages; p += NWORKERS)
					map[p * page] = 1;
				for (p = i; p < pages; p += 2 * NWORKERS)
					if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
						      p * page, page))
						_exit(2);
				for (p = i + NWORKERS; p < pages; p += 2 * NWORKERS)
					if (pwrite(fd, "w", 1, p * page) != 1)
						_exit(3);
			}
			_exit(0);
		}
	}
	for (i = 0; i < NWORKERS; i++)
		EXPECT_EQ(0, wait_child(pids[i]));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(pages / 2 * (page / 512), (long)st.st_blocks);
	ASSERT_EQ(0, statfs(self->dir, &end));
	EXPECT_EQ(pages / 2, (long)(base.f_bfree - end.f_bfree));
	ASSERT_EQ(0, ftruncate(fd, 0));
	ASSERT_EQ(0, statfs(self->dir, &end));
	EXPECT_EQ(base.f_bfree, end.f_bfree);
	close(fd);
	ASSERT_EQ(0, unlink(path));
}

TEST_HARNESS_MAIN
