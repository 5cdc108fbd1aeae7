// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile file operations against rust_shmem, with tmpfs as the reference (fixture, watchdog
 * and comparisons: hostile_util.h): pread/pwrite (bad buffers too), ftruncate, lseek
 * (SEEK_DATA/SEEK_HOLE), fallocate, mmap (probed in a child), madvise, O_APPEND writes,
 * copy_file_range, fadvise, readahead, sync_file_range at random, negative, huge and near
 * LLONG_MAX offsets and lengths on identically prepared files; results, sizes, st_blocks,
 * statfs, data and the SEEK_DATA/SEEK_HOLE map must match.
 */
#include "hostile_util.h"

/* uapi bits the build host's headers may lack (values from the 7.3 headers). */
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

/* ============================================================ file operations */

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

TEST_HARNESS_MAIN
