// SPDX-License-Identifier: GPL-2.0
/*
 * Mappings of /dev/rust_shmem_zero against the kernel's /dev/zero (fixture and variants:
 * devzero_util.h): private and shared mappings, their backing files (rust_shmem's for ours, by
 * the statfs magic of /proc/self/map_files), mremap, partial munmap, mprotect, madvise, commit
 * charge, and bad mmap input (lengths, offsets, open modes, placement).
 */
#include "devzero_util.h"

/* ------------------------------------------------------------- mappings */

/* What a private mapping does; the same fields for the variant and for /dev/zero. */
struct private_result {
	int err;
	bool zero, rw, child_sees_parent, parent_keeps_own, child_write_ok;
};

static void private_mapping(struct __test_metadata *_metadata, int fd, long page,
			    struct private_result *r)
{
	size_t len = 4 * page;
	int status;
	pid_t pid;
	char *p;

	memset(r, 0, sizeof(*r));
	p = map(fd, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0, &r->err);
	if (!p)
		return;
	r->zero = all_zero(p, len);
	fill_bytes(p, len, 'P');
	r->rw = all_bytes(p, len, 'P');
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int saw = all_bytes(p, len, 'P');

		fill_bytes(p, len, 'C');
		_exit((saw ? 1 : 0) | (all_bytes(p, len, 'C') ? 2 : 0));
	}
	status = wait_child(pid);
	ASSERT_TRUE(WIFEXITED(status));
	r->child_sees_parent = WEXITSTATUS(status) & 1;
	r->child_write_ok = WEXITSTATUS(status) & 2;
	r->parent_keeps_own = all_bytes(p, len, 'P');
	munmap(p, len);
}

TEST_F(devzero, map_private)
{
	struct private_result ref, var;

	private_mapping(_metadata, self->ref, self->page, &ref);
	private_mapping(_metadata, self->fd, self->page, &var);
	ASSERT_EQ(0, ref.err);
	ASSERT_EQ(0, var.err) {
		TH_LOG("mmap MAP_PRIVATE %s: %s", variant->path, strerror(var.err));
	}
	EXPECT_TRUE(ref.zero && ref.rw && ref.child_sees_parent && ref.child_write_ok &&
		    ref.parent_keeps_own);
	EXPECT_EQ(ref.zero, var.zero);
	EXPECT_EQ(ref.rw, var.rw);
	EXPECT_EQ(ref.child_sees_parent, var.child_sees_parent);
	EXPECT_EQ(ref.child_write_ok, var.child_write_ok);
	EXPECT_EQ(ref.parent_keeps_own, var.parent_keeps_own);
}

struct shared_result {
	int err;
	bool zero, rw, parent_sees_child, child_sees_parent;
	int msync_ret;
};

static void shared_mapping(struct __test_metadata *_metadata, int fd, long page,
			   struct shared_result *r)
{
	size_t len = 4 * page;
	int status;
	pid_t pid;
	char *p;

	memset(r, 0, sizeof(*r));
	p = map(fd, len, PROT_READ | PROT_WRITE, MAP_SHARED, 0, &r->err);
	if (!p)
		return;
	r->zero = all_zero(p, len);
	fill_bytes(p, len, 'S');
	r->rw = all_bytes(p, len, 'S');
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int ok = all_bytes(p, len, 'S');

		fill_bytes(p + page, 2 * page, 'C');
		_exit(ok ? 0 : 1);
	}
	status = wait_child(pid);
	r->child_sees_parent = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	r->parent_sees_child = all_bytes(p, page, 'S') && all_bytes(p + page, 2 * page, 'C') &&
			       all_bytes(p + 3 * page, page, 'S');
	r->msync_ret = msync(p, len, MS_SYNC) ? -errno : 0;
	munmap(p, len);
}

TEST_F(devzero, map_shared)
{
	struct shared_result ref, var;

	shared_mapping(_metadata, self->ref, self->page, &ref);
	shared_mapping(_metadata, self->fd, self->page, &var);
	ASSERT_EQ(0, ref.err);
	ASSERT_EQ(0, var.err) {
		TH_LOG("mmap MAP_SHARED %s: %s", variant->path, strerror(var.err));
	}
	EXPECT_TRUE(ref.zero && ref.rw && ref.child_sees_parent && ref.parent_sees_child);
	EXPECT_EQ(0, ref.msync_ret);
	EXPECT_EQ(ref.zero, var.zero);
	EXPECT_EQ(ref.rw, var.rw);
	EXPECT_EQ(ref.child_sees_parent, var.child_sees_parent);
	EXPECT_EQ(ref.parent_sees_child, var.parent_sees_child);
	EXPECT_EQ(ref.msync_ret, var.msync_ret);
}

/* Two MAP_SHARED mmaps of one fd are two objects: neither sees the other's writes. */
TEST_F(devzero, shared_mmaps_are_separate)
{
	int fds[2] = { self->ref, self->fd };
	bool separate[2];
	ino_t ino[2][2];
	int k, i;

	for (k = 0; k < 2; k++) {
		char *p[2];
		int err;

		for (i = 0; i < 2; i++) {
			struct stat st;
			int mf;

			p[i] = map(fds[k], 2 * self->page, PROT_READ | PROT_WRITE, MAP_SHARED, 0,
				   &err);
			ASSERT_NE(NULL, p[i]);
			mf = open_map_file(p[i], 2 * self->page, O_RDONLY);
			ASSERT_GE(mf, 0);
			ASSERT_EQ(0, fstat(mf, &st));
			ino[k][i] = st.st_ino;
			close(mf);
		}
		fill_bytes(p[0], 2 * self->page, 'A');
		separate[k] = all_zero(p[1], 2 * self->page);
		fill_bytes(p[1], self->page, 'B');
		separate[k] = separate[k] && all_bytes(p[0], 2 * self->page, 'A');
		for (i = 0; i < 2; i++)
			munmap(p[i], 2 * self->page);
	}
	EXPECT_TRUE(separate[0]);
	EXPECT_TRUE(separate[1]);
	EXPECT_NE(ino[0][0], ino[0][1]);
	EXPECT_NE(ino[1][0], ino[1][1]);
}

/*
 * The file behind a MAP_SHARED mapping: on tmpfs for /dev/zero, on rust_shmem for ours; apart
 * from that the same (unlinked regular file of the mapping's size, named "dev/zero").
 */
TEST_F(devzero, shared_backing_file)
{
	int fds[2] = { self->ref, self->fd };
	size_t len = 3 * self->page;
	struct maps_entry me[2];
	struct statfs sfs[2];
	struct stat st[2];
	int rc[2];
	int k;

	for (k = 0; k < 2; k++) {
		int err, mf, rc0;
		char *p;

		rc0 = module_refcount("rust_shmem");
		p = map(fds[k], len, PROT_READ | PROT_WRITE, MAP_SHARED, 0, &err);
		ASSERT_NE(NULL, p);
		rc[k] = module_refcount("rust_shmem") - rc0;
		fill_bytes(p, 2 * self->page, 'F');	/* two of three pages in memory */
		ASSERT_EQ(0, maps_lookup(p, &me[k]));
		mf = open_map_file(p, len, O_RDONLY);
		ASSERT_GE(mf, 0) {
			TH_LOG("open map_files: %s", strerror(errno));
		}
		ASSERT_EQ(0, fstatfs(mf, &sfs[k]));
		ASSERT_EQ(0, fstat(mf, &st[k]));
		close(mf);
		munmap(p, len);
	}

	EXPECT_EQ(kernel_shmem_magic(), (long)sfs[0].f_type);
	EXPECT_EQ(variant->shared_magic ?: kernel_shmem_magic(), (long)sfs[1].f_type) {
		TH_LOG("f_type 0x%lx", (long)sfs[1].f_type);
	}
	/* Each shared mapping holds a file, and so a reference on the module behind it. */
	EXPECT_EQ(kernel_side_taken_over() ? 1 : 0, rc[0]);
	EXPECT_EQ(variant->ours || kernel_side_taken_over() ? 1 : 0, rc[1]);

	EXPECT_STREQ("/dev/zero (deleted)", me[0].path);
	EXPECT_STREQ(me[0].path, me[1].path);
	EXPECT_STREQ(me[0].perms, me[1].perms);
	EXPECT_STREQ("rw-s", me[1].perms);

	EXPECT_TRUE(S_ISREG(st[0].st_mode));
	EXPECT_EQ(st[0].st_mode, st[1].st_mode) {
		TH_LOG("mode 0%o, /dev/zero's 0%o", st[1].st_mode, st[0].st_mode);
	}
	EXPECT_EQ(0, (long)st[0].st_nlink);
	EXPECT_EQ((long)st[0].st_nlink, (long)st[1].st_nlink);
	EXPECT_EQ((long)len, (long)st[0].st_size);
	EXPECT_EQ((long)st[0].st_size, (long)st[1].st_size);
	EXPECT_EQ((long)st[0].st_uid, (long)st[1].st_uid);
	EXPECT_EQ((long)st[0].st_gid, (long)st[1].st_gid);
	EXPECT_EQ((long)st[0].st_blksize, (long)st[1].st_blksize);
	/* tmpfs counts the pages in memory: 2 pages = 16 sectors. */
	EXPECT_EQ((long)st[0].st_blocks, (long)st[1].st_blocks) {
		TH_LOG("st_blocks %ld, /dev/zero's %ld", (long)st[1].st_blocks,
		       (long)st[0].st_blocks);
	}
}

/*
 * mmap(MAP_SHARED | MAP_ANONYMOUS) with no file at all takes the same path as /dev/zero's
 * (mm/vma.c __mmap_new_vma -> shmem_zero_setup): a "/dev/zero" file on the kernel's shmem, or on
 * rust_shmem under the takeover, shared with a child after fork.
 */
TEST(shared_anonymous)
{
	size_t len = 4 * 4096;
	struct maps_entry me;
	int rc0, status;
	char *p;
	pid_t pid;

	rc0 = module_refcount("rust_shmem");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(kernel_shmem_magic(), map_file_magic(p, len));
	EXPECT_EQ(kernel_side_taken_over() ? 1 : 0, module_refcount("rust_shmem") - rc0);
	ASSERT_EQ(0, maps_lookup(p, &me));
	EXPECT_STREQ("/dev/zero (deleted)", me.path);
	EXPECT_STREQ("rw-s", me.perms);
	EXPECT_TRUE(all_bytes(p, len, 0));
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		memset(p + 4096, 'c', 4096);
		_exit(0);
	}
	status = wait_child(pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_TRUE(all_bytes(p + 4096, 4096, 'c'));
	EXPECT_TRUE(all_bytes(p, 4096, 0));
	EXPECT_EQ(0, munmap(p, len));
	EXPECT_EQ(rc0, module_refcount("rust_shmem"));
}

/* A MAP_PRIVATE mapping is anonymous memory that keeps the device file as its vm_file. */
TEST_F(devzero, private_backing)
{
	int fds[2] = { self->ref, self->fd };
	size_t len = 2 * self->page;
	struct maps_entry me[2];
	struct statfs sfs[2], dev;
	int k;

	for (k = 0; k < 2; k++) {
		int err, mf;
		char *p;

		p = map(fds[k], len, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0, &err);
		ASSERT_NE(NULL, p);
		p[0] = 1;
		ASSERT_EQ(0, maps_lookup(p, &me[k]));
		mf = open_map_file(p, len, O_RDONLY);
		ASSERT_GE(mf, 0);
		ASSERT_EQ(0, fstatfs(mf, &sfs[k]));
		close(mf);
		munmap(p, len);
	}
	ASSERT_EQ(0, fstatfs(self->fd, &dev));
	EXPECT_EQ((long)dev.f_type, (long)sfs[1].f_type);
	EXPECT_NE(RUST_SHMEM_MAGIC, (long)sfs[1].f_type);
	/* /dev/zero's private mappings show the device's path; ours must show ours. */
	EXPECT_STREQ(REF_DEV, me[0].path);
	EXPECT_STREQ(variant->path, me[1].path);
	EXPECT_STREQ(me[0].perms, me[1].perms);
	EXPECT_STREQ("rw-p", me[1].perms);
}

/* What mremap does to a 4-page mapping with content: grow, shrink, move. */
struct mremap_result {
	bool grow_kept, shrink_kept, move_kept;
	int grow_new_read;	/* probe() of a page in the grown part */
	int shrunk_read;	/* probe() of a page cut off by shrinking */
	bool grow_new_zero;
};

static void mremap_experiment(struct __test_metadata *_metadata, int fd, long page, int flags,
			      struct mremap_result *r)
{
	size_t len = 4 * page;
	char *p, *q, *dst;
	int err;

	memset(r, 0, sizeof(*r));
	p = map(fd, len, PROT_READ | PROT_WRITE, flags, 0, &err);
	ASSERT_NE(NULL, p);
	fill_bytes(p, len, 'M');

	/* Grow (moving if needed) to 8 pages. */
	q = mremap(p, len, 2 * len, MREMAP_MAYMOVE);
	ASSERT_NE(MAP_FAILED, q);
	r->grow_kept = all_bytes(q, len, 'M');
	r->grow_new_read = probe(q + len + page, false, 0);
	if (r->grow_new_read == 0)
		r->grow_new_zero = all_zero(q + len, len);

	/* Shrink back to 2 pages. */
	p = mremap(q, 2 * len, 2 * page, 0);
	ASSERT_EQ(q, p);
	r->shrink_kept = all_bytes(p, 2 * page, 'M');
	r->shrunk_read = probe(p + 3 * page, false, 0);

	/* Move to a fixed place. */
	dst = mmap(NULL, 2 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, dst);
	q = mremap(p, 2 * page, 2 * page, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
	ASSERT_EQ(dst, q);
	r->move_kept = all_bytes(q, 2 * page, 'M');
	munmap(q, 2 * page);
}

TEST_F(devzero, mremap_shared)
{
	struct mremap_result ref, var;

	mremap_experiment(_metadata, self->ref, self->page, MAP_SHARED, &ref);
	mremap_experiment(_metadata, self->fd, self->page, MAP_SHARED, &var);
	EXPECT_TRUE(ref.grow_kept && ref.shrink_kept && ref.move_kept);
	/* The object keeps the size of the first mmap: past it, SIGBUS. */
	EXPECT_EQ(SIGBUS, ref.grow_new_read);
	EXPECT_EQ(SIGSEGV, ref.shrunk_read);
	EXPECT_EQ(ref.grow_kept, var.grow_kept);
	EXPECT_EQ(ref.shrink_kept, var.shrink_kept);
	EXPECT_EQ(ref.move_kept, var.move_kept);
	EXPECT_EQ(ref.grow_new_read, var.grow_new_read);
	EXPECT_EQ(ref.grow_new_zero, var.grow_new_zero);
	EXPECT_EQ(ref.shrunk_read, var.shrunk_read);
}

TEST_F(devzero, mremap_private)
{
	struct mremap_result ref, var;

	mremap_experiment(_metadata, self->ref, self->page, MAP_PRIVATE, &ref);
	mremap_experiment(_metadata, self->fd, self->page, MAP_PRIVATE, &var);
	EXPECT_TRUE(ref.grow_kept && ref.shrink_kept && ref.move_kept);
	EXPECT_EQ(0, ref.grow_new_read);
	EXPECT_TRUE(ref.grow_new_zero);
	EXPECT_EQ(ref.grow_kept, var.grow_kept);
	EXPECT_EQ(ref.shrink_kept, var.shrink_kept);
	EXPECT_EQ(ref.move_kept, var.move_kept);
	EXPECT_EQ(ref.grow_new_read, var.grow_new_read);
	EXPECT_EQ(ref.grow_new_zero, var.grow_new_zero);
	EXPECT_EQ(ref.shrunk_read, var.shrunk_read);
}

/* munmap of the second page of four: the rest keeps its content, the hole faults. */
struct munmap_result {
	bool kept;
	int hole;
	int err;
};

static void partial_munmap(struct __test_metadata *_metadata, int fd, long page, int flags,
			   struct munmap_result *r)
{
	char *p;
	int i, err;

	memset(r, 0, sizeof(*r));
	p = map(fd, 4 * page, PROT_READ | PROT_WRITE, flags, 0, &err);
	ASSERT_NE(NULL, p);
	for (i = 0; i < 4; i++)
		fill_bytes(p + i * page, page, 'a' + i);
	r->err = munmap(p + page, page) ? errno : 0;
	r->kept = all_bytes(p, page, 'a') && all_bytes(p + 2 * page, page, 'c') &&
		  all_bytes(p + 3 * page, page, 'd');
	r->hole = probe(p + page, false, 0);
	munmap(p, 4 * page);
}

TEST_F(devzero, partial_munmap)
{
	static const int flags[] = { MAP_SHARED, MAP_PRIVATE };
	int i;

	for (i = 0; i < 2; i++) {
		struct munmap_result ref, var;

		partial_munmap(_metadata, self->ref, self->page, flags[i], &ref);
		partial_munmap(_metadata, self->fd, self->page, flags[i], &var);
		EXPECT_EQ(0, ref.err);
		EXPECT_TRUE(ref.kept);
		EXPECT_EQ(SIGSEGV, ref.hole);
		EXPECT_EQ(ref.err, var.err);
		EXPECT_EQ(ref.kept, var.kept);
		EXPECT_EQ(ref.hole, var.hole) {
			TH_LOG("%s: hole probe %d, /dev/zero's %d",
			       flags[i] == MAP_SHARED ? "shared" : "private", var.hole, ref.hole);
		}
	}
}

/* mprotect(PROT_READ): reads work, writes fault; back to read-write: writes work again. */
struct mprotect_result {
	int ro_ret, ro_read, ro_write, rw_ret, rw_write;
	bool kept;
};

static void mprotect_experiment(struct __test_metadata *_metadata, int fd, long page, int flags,
				struct mprotect_result *r)
{
	char *p;
	int err;

	memset(r, 0, sizeof(*r));
	p = map(fd, 2 * page, PROT_READ | PROT_WRITE, flags, 0, &err);
	ASSERT_NE(NULL, p);
	fill_bytes(p, 2 * page, 'R');
	r->ro_ret = mprotect(p, 2 * page, PROT_READ) ? errno : 0;
	r->ro_read = probe(p + page, false, 0);
	r->ro_write = probe(p + page, true, 'x');
	r->kept = all_bytes(p, 2 * page, 'R');
	r->rw_ret = mprotect(p, 2 * page, PROT_READ | PROT_WRITE) ? errno : 0;
	r->rw_write = probe(p, true, 'y');
	munmap(p, 2 * page);
}

TEST_F(devzero, mprotect_read_only)
{
	static const int flags[] = { MAP_SHARED, MAP_PRIVATE };
	int i;

	for (i = 0; i < 2; i++) {
		struct mprotect_result ref, var;

		mprotect_experiment(_metadata, self->ref, self->page, flags[i], &ref);
		mprotect_experiment(_metadata, self->fd, self->page, flags[i], &var);
		EXPECT_EQ(0, ref.ro_ret);
		EXPECT_EQ(0, ref.ro_read);
		EXPECT_EQ(SIGSEGV, ref.ro_write);
		EXPECT_TRUE(ref.kept);
		EXPECT_EQ(0, ref.rw_write);
		EXPECT_EQ(ref.ro_ret, var.ro_ret);
		EXPECT_EQ(ref.ro_read, var.ro_read);
		EXPECT_EQ(ref.ro_write, var.ro_write);
		EXPECT_EQ(ref.kept, var.kept);
		EXPECT_EQ(ref.rw_ret, var.rw_ret);
		EXPECT_EQ(ref.rw_write, var.rw_write);
	}
}

/* madvise(@advice) on the middle two of four written pages. */
struct madvise_result {
	int ret;
	bool middle_kept, middle_zero, rest_kept;
};

static void madvise_experiment(struct __test_metadata *_metadata, int fd, long page, int flags,
			       int advice, struct madvise_result *r)
{
	char *p;
	int err;

	memset(r, 0, sizeof(*r));
	p = map(fd, 4 * page, PROT_READ | PROT_WRITE, flags, 0, &err);
	ASSERT_NE(NULL, p);
	fill_bytes(p, 4 * page, 'D');
	r->ret = madvise(p + page, 2 * page, advice) ? errno : 0;
	r->middle_kept = all_bytes(p + page, 2 * page, 'D');
	r->middle_zero = all_zero(p + page, 2 * page);
	r->rest_kept = all_bytes(p, page, 'D') && all_bytes(p + 3 * page, page, 'D');
	munmap(p, 4 * page);
}

static void compare_madvise(struct __test_metadata *_metadata, const char *what,
			    const struct madvise_result *ref, const struct madvise_result *var)
{
	EXPECT_EQ(ref->ret, var->ret) {
		TH_LOG("%s: madvise %s, /dev/zero's %s", what, strerror(var->ret),
		       strerror(ref->ret));
	}
	EXPECT_EQ(ref->middle_kept, var->middle_kept) {
		TH_LOG("%s: data kept %d, /dev/zero's %d", what, var->middle_kept,
		       ref->middle_kept);
	}
	EXPECT_EQ(ref->middle_zero, var->middle_zero) {
		TH_LOG("%s: data zero %d, /dev/zero's %d", what, var->middle_zero,
		       ref->middle_zero);
	}
	EXPECT_EQ(ref->rest_kept, var->rest_kept);
}

TEST_F(devzero, madvise_dontneed)
{
	struct madvise_result ref, var;

	/* Shared: the pages stay in the object; private: anonymous pages are dropped. */
	madvise_experiment(_metadata, self->ref, self->page, MAP_SHARED, MADV_DONTNEED, &ref);
	madvise_experiment(_metadata, self->fd, self->page, MAP_SHARED, MADV_DONTNEED, &var);
	EXPECT_EQ(0, ref.ret);
	EXPECT_TRUE(ref.middle_kept && ref.rest_kept);
	compare_madvise(_metadata, "shared", &ref, &var);

	madvise_experiment(_metadata, self->ref, self->page, MAP_PRIVATE, MADV_DONTNEED, &ref);
	madvise_experiment(_metadata, self->fd, self->page, MAP_PRIVATE, MADV_DONTNEED, &var);
	EXPECT_EQ(0, ref.ret);
	EXPECT_TRUE(ref.middle_zero && ref.rest_kept);
	compare_madvise(_metadata, "private", &ref, &var);
}

TEST_F(devzero, madvise_remove)
{
	struct madvise_result ref, var;

	/* Shared: a hole is punched in the object (fallocate PUNCH_HOLE). */
	madvise_experiment(_metadata, self->ref, self->page, MAP_SHARED, MADV_REMOVE, &ref);
	madvise_experiment(_metadata, self->fd, self->page, MAP_SHARED, MADV_REMOVE, &var);
	EXPECT_EQ(0, ref.ret);
	EXPECT_TRUE(ref.middle_zero && ref.rest_kept);
	compare_madvise(_metadata, "shared", &ref, &var);

	/* Private: refused (the mapping is not a shared writable file mapping). */
	madvise_experiment(_metadata, self->ref, self->page, MAP_PRIVATE, MADV_REMOVE, &ref);
	madvise_experiment(_metadata, self->fd, self->page, MAP_PRIVATE, MADV_REMOVE, &var);
	EXPECT_NE(0, ref.ret);
	compare_madvise(_metadata, "private", &ref, &var);
}

/*
 * Commit charge (Committed_AS) of a 64 MiB mapping: a shared one charges the object's size
 * unless MAP_NORESERVE (overcommit_memory is 0 here), a private writable one charges the VMA.
 * Measured to a tolerance: other processes may move the counter a little.
 */
TEST_F(devzero, commit_charge)
{
	static const struct { int flags; const char *name; } kinds[] = {
		{ MAP_SHARED, "shared" },
		{ MAP_SHARED | MAP_NORESERVE, "shared|noreserve" },
		{ MAP_PRIVATE, "private" },
	};
	const long size_kb = 64 * 1024, slack_kb = 2048;
	char *text = read_text_file("/proc/sys/vm/overcommit_memory");
	int fds[2] = { self->ref, self->fd };
	long delta[2], after_unmap[2];
	int i, k;

	ASSERT_NE(NULL, text);
	if (atoi(text) == 2) {
		free(text);
		SKIP(return, "overcommit_memory is 2 (strict): MAP_NORESERVE is ignored");
	}
	free(text);
	for (i = 0; i < 3; i++) {
		for (k = 0; k < 2; k++) {
			long before, after;
			int err;
			char *p;

			before = meminfo_kb("Committed_AS");
			p = map(fds[k], size_kb * 1024, PROT_READ | PROT_WRITE, kinds[i].flags, 0,
				&err);
			ASSERT_NE(NULL, p);
			after = meminfo_kb("Committed_AS");
			munmap(p, size_kb * 1024);
			after_unmap[k] = meminfo_kb("Committed_AS") - before;
			delta[k] = after - before;
		}
		if (kinds[i].flags & MAP_NORESERVE) {
			EXPECT_LT(labs(delta[0]), slack_kb);
		} else {
			EXPECT_LT(labs(delta[0] - size_kb), slack_kb);
		}
		EXPECT_LT(labs(delta[1] - delta[0]), slack_kb) {
			TH_LOG("%s: Committed_AS +%ld kB, /dev/zero's +%ld kB", kinds[i].name,
			       delta[1], delta[0]);
		}
		EXPECT_LT(labs(after_unmap[1]), slack_kb) {
			TH_LOG("%s: Committed_AS %+ld kB after munmap", kinds[i].name,
			       after_unmap[1]);
		}
	}
}

/* ------------------------------------------------------------ bad input */

TEST_F(devzero, mmap_bad_lengths)
{
	static const struct { size_t len; int flags; int prot; const char *what; } cases[] = {
		{ 0, MAP_SHARED, PROT_READ | PROT_WRITE, "shared, length 0" },
		{ 0, MAP_PRIVATE, PROT_READ | PROT_WRITE, "private, length 0" },
		{ (size_t)-4096, MAP_SHARED, PROT_READ | PROT_WRITE, "shared, length -4096" },
		{ (size_t)-4096, MAP_PRIVATE, PROT_READ | PROT_WRITE, "private, length -4096" },
		{ (size_t)1 << 62, MAP_SHARED, PROT_READ | PROT_WRITE, "shared, 4 EiB" },
		{ (size_t)1 << 46, MAP_SHARED, PROT_READ | PROT_WRITE, "shared, 64 TiB" },
		{ (size_t)1 << 46, MAP_PRIVATE, PROT_READ | PROT_WRITE, "private, 64 TiB" },
		{ (size_t)1 << 46, MAP_SHARED, PROT_READ, "shared read-only, 64 TiB" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ref = mmap_errno(self->ref, cases[i].len, cases[i].prot, cases[i].flags, 0);
		int var = mmap_errno(self->fd, cases[i].len, cases[i].prot, cases[i].flags, 0);

		EXPECT_EQ(ref, var) {
			TH_LOG("%s: %s, /dev/zero: %s", cases[i].what, strerror(var),
			       strerror(ref));
		}
		if (cases[i].len == 0) {
			EXPECT_EQ(EINVAL, ref);
		} else {
			EXPECT_EQ(ENOMEM, ref);
		}
	}
}

/* A 16 TiB MAP_SHARED|MAP_NORESERVE mapping: no charge, so it works; its pages are zero. */
TEST_F(devzero, mmap_huge_noreserve)
{
	const size_t len = (size_t)1 << 44;
	int fds[2] = { self->ref, self->fd };
	int err[2], first[2], last[2];
	int k;

	for (k = 0; k < 2; k++) {
		char *p = map(fds[k], len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, 0,
			      &err[k]);

		first[k] = last[k] = -1;
		if (!p)
			continue;
		first[k] = probe(p, false, 0);
		p[len - 1] = 7;
		last[k] = p[len - 1] == 7 && all_zero(p + len - self->page, self->page - 1) ? 0 : 1;
		munmap(p, len);
	}
	EXPECT_EQ(0, err[0]);
	EXPECT_EQ(err[0], err[1]) {
		TH_LOG("%s: %s", variant->path, strerror(err[1]));
	}
	EXPECT_EQ(0, first[0]);
	EXPECT_EQ(first[0], first[1]);
	EXPECT_EQ(0, last[0]);
	EXPECT_EQ(last[0], last[1]);
}

/*
 * Offsets: mmap's verdict, then (if mapped) the fate of a read of each of the two pages (a
 * shared mapping's object is as large as the mapping, so an offset moves the window past its
 * end), encoded as first * 100 + second, or -3 if readable but not zero.
 */
TEST_F(devzero, mmap_offsets)
{
	const long page = self->page;
	const off_t offsets[] = { page, 16 * page, 1L << 40, 1, -page, 0x7ffffffffffff000L };
	static const int flags[] = { MAP_SHARED, MAP_PRIVATE };
	size_t i;
	int f;

	for (f = 0; f < 2; f++) {
		for (i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
			int err[2], touch[2] = { -2, -2 };
			int fds[2] = { self->ref, self->fd };
			int k;

			for (k = 0; k < 2; k++) {
				char *p = map(fds[k], 2 * page, PROT_READ | PROT_WRITE, flags[f],
					      offsets[i], &err[k]);

				if (!p)
					continue;
				touch[k] = probe(p, false, 0) * 100 + probe(p + page, false, 0);
				if (touch[k] == 0)
					touch[k] = all_zero(p, 2 * page) ? 0 : -3;
				munmap(p, 2 * page);
			}
			EXPECT_EQ(err[0], err[1]) {
				TH_LOG("%s offset %#lx: mmap %s, /dev/zero %s",
				       f ? "private" : "shared", (long)offsets[i],
				       strerror(err[1]), strerror(err[0]));
			}
			EXPECT_EQ(touch[0], touch[1]) {
				TH_LOG("%s offset %#lx: read gives %d, /dev/zero %d",
				       f ? "private" : "shared", (long)offsets[i], touch[1],
				       touch[0]);
			}
			if (offsets[i] == 1) {
				EXPECT_EQ(EINVAL, err[0]);
			}
		}
	}
}

/* Open modes: mmap needs read access; a shared writable mapping needs write access. */
TEST_F(devzero, mmap_open_modes)
{
	static const struct {
		int oflags, prot, mflags;
		int expect;	/* /dev/zero's errno */
		const char *what;
	} cases[] = {
		{ O_WRONLY, PROT_READ, MAP_SHARED, EACCES, "O_WRONLY, shared, read" },
		{ O_WRONLY, PROT_WRITE, MAP_SHARED, EACCES, "O_WRONLY, shared, write" },
		{ O_WRONLY, PROT_READ, MAP_PRIVATE, EACCES, "O_WRONLY, private, read" },
		{ O_RDONLY, PROT_READ | PROT_WRITE, MAP_SHARED, EACCES, "O_RDONLY, shared, rw" },
		{ O_RDONLY, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0, "O_RDONLY, private, rw" },
		{ O_RDONLY, PROT_READ, MAP_SHARED, 0, "O_RDONLY, shared, read" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *paths[2] = { REF_DEV, variant->path };
		int err[2], mp[2] = { -1, -1 };
		int k;

		for (k = 0; k < 2; k++) {
			int fd = open(paths[k], cases[i].oflags | O_CLOEXEC);
			char *p;

			ASSERT_GE(fd, 0);
			p = map(fd, 2 * self->page, cases[i].prot, cases[i].mflags, 0, &err[k]);
			if (p) {
				/* Can a read-only shared mapping be made writable? */
				mp[k] = mprotect(p, 2 * self->page, PROT_READ | PROT_WRITE) ?
					errno : 0;
				munmap(p, 2 * self->page);
			}
			close(fd);
		}
		EXPECT_EQ(cases[i].expect, err[0]) {
			TH_LOG("%s: /dev/zero %s", cases[i].what, strerror(err[0]));
		}
		EXPECT_EQ(err[0], err[1]) {
			TH_LOG("%s: %s, /dev/zero %s", cases[i].what, strerror(err[1]),
			       strerror(err[0]));
		}
		EXPECT_EQ(mp[0], mp[1]) {
			TH_LOG("%s: mprotect rw %d, /dev/zero %d", cases[i].what, mp[1], mp[0]);
		}
	}
}

/* Where a large mapping lands: if /dev/zero's is PMD-aligned (THP), ours must be too. */
TEST_F(devzero, mmap_placement)
{
	static const int flags[] = { MAP_SHARED, MAP_PRIVATE };
	const size_t len = 8 * MIB, pmd = 2 * MIB;
	int f;

	for (f = 0; f < 2; f++) {
		int err;
		char *r = map(self->ref, len, PROT_READ | PROT_WRITE, flags[f], 0, &err);
		char *p = map(self->fd, len, PROT_READ | PROT_WRITE, flags[f], 0, &err);

		ASSERT_NE(NULL, r);
		ASSERT_NE(NULL, p);
		if (!((uintptr_t)r & (pmd - 1))) {
			EXPECT_EQ(0, (long)((uintptr_t)p & (pmd - 1))) {
				TH_LOG("%s: /dev/zero at %p, %s at %p", f ? "private" : "shared",
				       r, variant->path, p);
			}
		}
		munmap(r, len);
		munmap(p, len);
	}
}

TEST_HARNESS_MAIN
