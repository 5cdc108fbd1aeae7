// SPDX-License-Identifier: GPL-2.0
/*
 * rust_shmem's setup API per setup function (file_setup, kernel_file_setup, file_setup_with_mnt
 * on the consumer's own kernel-internal mount and on a user mount), through the consumer module
 * (shared parts: setup_api_util.h): create, kernel I/O through the page cache, mapping into this
 * process, resize, sizes, naming, backing filesystem, commit accounting and what pins the
 * module, with the kernel's own shmem as the reference.
 */
#include "setup_api_util.h"

FIXTURE(api) {
	int dev;		/* /dev/rust_shmem_consumer */
	int mnt_fd;		/* for RSC_SETUP_WITH_MNT; RSC_MNT_PRIVATE otherwise */
	char mnt[SCRATCH_LEN];	/* the user mount, if any */
	long page;
	struct vm_sysctls vm;	/* restored by the parent (FIXTURE_TEARDOWN_PARENT) */
};

FIXTURE_VARIANT(api) {
	unsigned int setup;
	bool user_mount;	/* with_mnt on a rust_shmem mount made by this test */
	bool s_private;		/* the inode is S_PRIVATE */
	bool own_mount;		/* the consumer's kernel-internal mount */
};

FIXTURE_VARIANT_ADD(api, file_setup) {
	.setup = RSC_SETUP_FILE,
};

FIXTURE_VARIANT_ADD(api, kernel_file_setup) {
	.setup = RSC_SETUP_KERNEL_FILE,
	.s_private = true,
};

FIXTURE_VARIANT_ADD(api, with_mnt_kern_mount) {
	.setup = RSC_SETUP_WITH_MNT,
	.own_mount = true,
};

FIXTURE_VARIANT_ADD(api, with_mnt_user_mount) {
	.setup = RSC_SETUP_WITH_MNT,
	.user_mount = true,
};

FIXTURE_SETUP(api)
{
	self->dev = self->mnt_fd = -1;
	self->mnt[0] = '\0';
	self->vm.saved = false;
	self->page = sysconf(_SC_PAGESIZE);

	open_consumer(_metadata, &self->dev);
	self->mnt_fd = RSC_MNT_PRIVATE;
	if (variant->user_mount)
		make_user_mount(_metadata, self->mnt, &self->mnt_fd);
}

FIXTURE_TEARDOWN_PARENT(api)
{
	/*
	 * In the parent: the child's descriptors and mount namespace died with it; the global
	 * overcommit settings need putting back, even if the child crashed, and the user
	 * mount's directory removing.
	 */
	restore_overcommit(&self->vm);
	remove_mount_dir(self->mnt);
}

/* Creates an object with the variant's setup function; 0 or -errno. */
static long create(FIXTURE_DATA(api) *self, const FIXTURE_VARIANT(api) *variant,
		   const char *name, int64_t size, unsigned int flags, struct rsc_create *req)
{
	return rsc_create(self->dev, variant->setup, self->mnt_fd, name, size, flags, req);
}

/* ------------------------------------------------------------------ tests */

TEST_F(api, create_info)
{
	const int64_t size = 3 * self->page + 123;
	struct rsc_create req;
	struct rsc_info info;
	struct stat ref;
	int mfd;

	ASSERT_EQ(0, create(self, variant, "rsc object", size, 0, &req));
	EXPECT_GE(req.handle, 1u);
	EXPECT_LE(req.handle, (unsigned int)RSC_MAX_OBJECTS);
	EXPECT_EQ(RSC_MMAP_OFFSET(req.handle), req.mmap_offset);

	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ(size, info.size);
	EXPECT_EQ(RUST_SHMEM_MAGIC, (long)info.magic) {
		TH_LOG("s_magic %#llx", (unsigned long long)info.magic);
	}
	EXPECT_STREQ(RUST_SHMEM_FSTYPE, info.fstype);
	EXPECT_STREQ("rsc object", info.name);
	EXPECT_EQ(0u, info.nlink);
	EXPECT_EQ(0ull, info.nrpages);
	EXPECT_EQ(variant->s_private, !!(info.flags & RSC_INFO_PRIVATE)) {
		TH_LOG("S_PRIVATE %s", info.flags & RSC_INFO_PRIVATE ? "set" : "clear");
	}
	EXPECT_EQ(variant->own_mount, !!(info.flags & RSC_INFO_OWN_MOUNT));
	EXPECT_TRUE(!!(info.flags & RSC_INFO_FMODE_RW));

	/* The kernel's shmem_file_setup(): a regular file, mode 0777, nlink 0. */
	mfd = ref_memfd("rsc-ref", size);
	ASSERT_GE(mfd, 0);
	ASSERT_EQ(0, fstat(mfd, &ref));
	close(mfd);
	EXPECT_EQ(ref.st_mode, info.mode) {
		TH_LOG("mode 0%o, memfd's 0%o", info.mode, ref.st_mode);
	}
	EXPECT_EQ((long)ref.st_nlink, (long)info.nlink);

	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
	EXPECT_EQ(-ENOENT, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ(-ENOENT, rsc_release(self->dev, req.handle));
}

/*
 * XFS xfile style: kernel_write()/kernel_read() through the page cache, compared with
 * pwrite()/pread() on a memfd.
 */
TEST_F(api, kernel_read_write)
{
	const int64_t size = 4 * self->page;
	char buf[3 * 4096], back[3 * 4096];
	struct rsc_create req;
	struct rsc_info info;
	struct rsc_io io;
	struct stat st;
	int mfd;

	ASSERT_EQ(0, create(self, variant, "rsc io", size, 0, &req));
	mfd = ref_memfd("rsc-io", size);
	ASSERT_GE(mfd, 0);

	fill_pattern(buf, sizeof(buf), 1000, 1);
	EXPECT_EQ((long)sizeof(buf), rsc_rw(self->dev, true, req.handle, 1000, buf, sizeof(buf)));
	memset(back, 0, sizeof(back));
	EXPECT_EQ((long)sizeof(back), rsc_rw(self->dev, false, req.handle, 1000, back, sizeof(back)));
	EXPECT_EQ(-1, check_pattern(back, sizeof(back), 1000, 1));
	/* Untouched bytes before it read as zeros. */
	EXPECT_EQ(1000, rsc_rw(self->dev, false, req.handle, 0, back, 1000));
	EXPECT_TRUE(all_zero(back, 1000));
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_GE(info.nrpages, 3ull);
	EXPECT_EQ(size, info.size);

	/* At and across end of file: as pread() on the memfd. */
	EXPECT_EQ(pread(mfd, back, 100, size), rsc_rw(self->dev, false, req.handle, size, back, 100));
	EXPECT_EQ(pread(mfd, back, 100, size - 10),
		  rsc_rw(self->dev, false, req.handle, size - 10, back, 100));
	/* A write past the end extends the file, as pwrite() does. */
	EXPECT_EQ(10, rsc_rw(self->dev, true, req.handle, 6 * self->page, buf, 10));
	ASSERT_EQ(10, pwrite(mfd, buf, 10, 6 * self->page));
	ASSERT_EQ(0, fstat(mfd, &st));
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ((int64_t)st.st_size, info.size);
	EXPECT_EQ(6 * self->page + 10, info.size);
	/* The gap reads as zeros. */
	EXPECT_EQ(self->page, rsc_rw(self->dev, false, req.handle, 5 * self->page, back,
				     self->page));
	EXPECT_TRUE(all_zero(back, self->page));
	close(mfd);

	/* Bad requests. */
	EXPECT_EQ(-EINVAL, rsc_rw(self->dev, false, req.handle, 0, back, 0));
	EXPECT_EQ(-EINVAL, rsc_rw(self->dev, false, req.handle, 0, back, RSC_IO_MAX + 1));
	EXPECT_EQ(-EINVAL, rsc_rw(self->dev, true, req.handle, -1, buf, 10));
	EXPECT_EQ(-EFAULT, rsc_rw(self->dev, true, req.handle, 0, (void *)8, 10));
	EXPECT_EQ(-EFAULT, rsc_rw(self->dev, false, req.handle, 0, (void *)8, 10));
	EXPECT_EQ(-ENOENT, rsc_rw(self->dev, false, req.handle + 1, 0, back, 10));
	EXPECT_EQ(-ENOENT, rsc_rw(self->dev, false, 0, 0, back, 10));
	io = (struct rsc_io){ .handle = req.handle, .reserved = 1, .buf = (uintptr_t)back,
			      .len = 10 };
	EXPECT_EQ(-EINVAL, rsc_ioctl(self->dev, RSC_IOC_READ, &io));
	EXPECT_EQ(-EFAULT, rsc_ioctl(self->dev, RSC_IOC_READ, (void *)8));
	/* A write that would end past the largest offset. */
	EXPECT_EQ(-EINVAL, rsc_rw(self->dev, true, req.handle, LLONG_MAX - 5, buf, 10));

	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
}

/* DRM GEM style: the object mapped through the device shows the kernel's bytes and vice versa. */
TEST_F(api, mmap_object)
{
	const size_t len = 4 * self->page;
	struct rsc_create req;
	char *p, *q, *priv, *kbuf;
	char buf[4096];
	int err;

	ASSERT_EQ(0, create(self, variant, "rsc map", len, 0, &req));
	kbuf = malloc(len);
	ASSERT_NE(NULL, kbuf);
	fill_pattern(kbuf, len, 0, 2);
	ASSERT_EQ((long)len, rsc_rw(self->dev, true, req.handle, 0, kbuf, len));
	free(kbuf);

	p = map(self->dev, len, PROT_READ | PROT_WRITE, MAP_SHARED, req.mmap_offset, &err);
	ASSERT_NE(NULL, p) {
		TH_LOG("mmap of the object: %s", strerror(err));
	}
	EXPECT_EQ(-1, check_pattern(p, len, 0, 2));

	/* User writes are the kernel's reads. */
	fill_pattern(p + 2 * self->page, self->page, 2 * self->page, 3);
	ASSERT_EQ(self->page, rsc_rw(self->dev, false, req.handle, 2 * self->page, buf,
				     self->page));
	EXPECT_EQ(-1, check_pattern(buf, self->page, 2 * self->page, 3));
	/* And kernel writes show in the mapping at once. */
	fill_pattern(buf, self->page, self->page, 4);
	ASSERT_EQ(self->page, rsc_rw(self->dev, true, req.handle, self->page, buf, self->page));
	EXPECT_EQ(-1, check_pattern(p + self->page, self->page, self->page, 4));

	/* A mapping from an offset into the object. */
	q = map(self->dev, 2 * self->page, PROT_READ, MAP_SHARED, req.mmap_offset + self->page,
		&err);
	ASSERT_NE(NULL, q);
	EXPECT_EQ(-1, check_pattern(q, self->page, self->page, 4));
	EXPECT_EQ(-1, check_pattern(q + self->page, self->page, 2 * self->page, 3));
	munmap(q, 2 * self->page);

	/* MAP_PRIVATE: sees the object, its writes stay private. */
	priv = map(self->dev, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, req.mmap_offset, &err);
	ASSERT_NE(NULL, priv);
	EXPECT_EQ(-1, check_pattern(priv, self->page, 0, 2));
	memset(priv, 'x', self->page);
	ASSERT_EQ(100, rsc_rw(self->dev, false, req.handle, 0, buf, 100));
	EXPECT_EQ(-1, check_pattern(buf, 96, 0, 2));
	EXPECT_EQ(-1, check_pattern(p, self->page, 0, 2));
	munmap(priv, len);

	/* The mapping outlives the handle. */
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
	EXPECT_EQ(-1, check_pattern(p + self->page, self->page, self->page, 4));
	p[0] = 1;
	EXPECT_EQ(1, p[0]);
	munmap(p, len);

	/* Offsets that name no object, or leave the object's window. */
	EXPECT_EQ(EINVAL, mmap_errno(self->dev, len, PROT_READ, MAP_SHARED, req.mmap_offset));
	EXPECT_EQ(EINVAL, mmap_errno(self->dev, len, PROT_READ, MAP_SHARED,
				     RSC_MMAP_OFFSET(RSC_MAX_OBJECTS + 1)));
	ASSERT_EQ(0, create(self, variant, "rsc map2", len, 0, &req));
	EXPECT_EQ(EINVAL, mmap_errno(self->dev, 2 * self->page, PROT_READ, MAP_SHARED,
				     req.mmap_offset + (1L << RSC_HANDLE_SHIFT) - self->page));
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
}

/*
 * The mapping's file: named as given in /proc/self/maps (as the kernel names a memfd's
 * "/memfd:<name> (deleted)"), on rust_shmem, the object's inode.
 */
TEST_F(api, maps_name_and_backing)
{
	const size_t len = 2 * self->page;
	struct maps_entry me, ref_me;
	struct rsc_create req;
	struct rsc_info info;
	struct statfs sfs;
	struct stat st;
	int err, mf, mfd;
	char *p, *r;

	/* The reference: how the kernel names an unlinked shmem file in maps. */
	mfd = ref_memfd("rsc-ref", len);
	ASSERT_GE(mfd, 0);
	r = map(mfd, len, PROT_READ, MAP_SHARED, 0, &err);
	ASSERT_NE(NULL, r);
	ASSERT_EQ(0, maps_lookup(r, &ref_me));
	EXPECT_STREQ("/memfd:rsc-ref (deleted)", ref_me.path);
	munmap(r, len);
	close(mfd);

	ASSERT_EQ(0, create(self, variant, "rsc name", len, 0, &req));
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	p = map(self->dev, len, PROT_READ | PROT_WRITE, MAP_SHARED, req.mmap_offset, &err);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, maps_lookup(p, &me));
	EXPECT_STREQ("/rsc name (deleted)", me.path);
	EXPECT_STREQ("rw-s", me.perms);
	EXPECT_EQ(info.ino, me.ino);

	mf = open_map_file(p, len, O_RDONLY);
	ASSERT_GE(mf, 0) {
		TH_LOG("open map_files: %s", strerror(errno));
	}
	ASSERT_EQ(0, fstatfs(mf, &sfs));
	EXPECT_EQ(RUST_SHMEM_MAGIC, (long)sfs.f_type);
	ASSERT_EQ(0, fstat(mf, &st));
	EXPECT_EQ(info.ino, (unsigned long long)st.st_ino);
	EXPECT_EQ(0, (long)st.st_nlink);
	EXPECT_EQ((long)len, (long)st.st_size);
	if (variant->user_mount) {
		struct stat mst;

		ASSERT_EQ(0, fstat(self->mnt_fd, &mst));
		EXPECT_EQ(mst.st_dev, st.st_dev);
	}
	close(mf);
	munmap(p, len);
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
}

/*
 * Resize through vfs_truncate(): growing adds zeros, shrinking drops data and makes the mapping
 * past the new end SIGBUS, exactly as ftruncate() on a memfd does.
 */
struct resize_result {
	int beyond_before;	/* probe of page 4 while the size is 2 pages */
	int grown_read;		/* probe of page 4 after growing to 8 pages */
	bool grown_zero;
	int shrunk_read;	/* probe of page 1 after shrinking to 1 page */
	bool kept;		/* page 0 after the shrink */
	bool regrown_zero;	/* page 1 after growing back to 2 pages */
};

static void resize_experiment(struct __test_metadata *_metadata, char *p, long page,
			      int (*resize)(void *ctx, int64_t size), void *ctx,
			      struct resize_result *r)
{
	memset(r, 0, sizeof(*r));
	fill_pattern(p, 2 * page, 0, 5);
	r->beyond_before = probe(p + 4 * page, false, 0);
	ASSERT_EQ(0, resize(ctx, 8 * page));
	r->grown_read = probe(p + 4 * page, false, 0);
	if (r->grown_read == 0)
		r->grown_zero = all_zero(p + 2 * page, 6 * page);
	ASSERT_EQ(0, resize(ctx, page));
	r->shrunk_read = probe(p + page, false, 0);
	r->kept = check_pattern(p, page, 0, 5) == -1;
	ASSERT_EQ(0, resize(ctx, 2 * page));
	r->regrown_zero = all_zero(p + page, page);
}

struct obj_ctx {
	int dev;
	uint32_t handle;
};

static int resize_obj(void *ctx, int64_t size)
{
	struct obj_ctx *o = ctx;

	return rsc_resize(o->dev, o->handle, size);
}

static int resize_memfd(void *ctx, int64_t size)
{
	return ftruncate(*(int *)ctx, size) ? -errno : 0;
}

TEST_F(api, resize)
{
	const size_t maplen = 8 * self->page;
	struct resize_result ref, var;
	struct rsc_create req;
	struct rsc_info info;
	struct obj_ctx o;
	char buf[16];
	int err, mfd;
	char *p;

	mfd = ref_memfd("rsc-resize", 2 * self->page);
	ASSERT_GE(mfd, 0);
	p = map(mfd, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, 0, &err);
	ASSERT_NE(NULL, p);
	resize_experiment(_metadata, p, self->page, resize_memfd, &mfd, &ref);
	munmap(p, maplen);
	close(mfd);

	ASSERT_EQ(0, create(self, variant, "rsc resize", 2 * self->page, 0, &req));
	o.dev = self->dev;
	o.handle = req.handle;
	p = map(self->dev, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, req.mmap_offset, &err);
	ASSERT_NE(NULL, p);
	resize_experiment(_metadata, p, self->page, resize_obj, &o, &var);
	munmap(p, maplen);

	EXPECT_EQ(SIGBUS, ref.beyond_before);
	EXPECT_EQ(0, ref.grown_read);
	EXPECT_TRUE(ref.grown_zero && ref.kept && ref.regrown_zero);
	EXPECT_EQ(SIGBUS, ref.shrunk_read);
	EXPECT_EQ(ref.beyond_before, var.beyond_before);
	EXPECT_EQ(ref.grown_read, var.grown_read);
	EXPECT_EQ(ref.grown_zero, var.grown_zero);
	EXPECT_EQ(ref.shrunk_read, var.shrunk_read);
	EXPECT_EQ(ref.kept, var.kept);
	EXPECT_EQ(ref.regrown_zero, var.regrown_zero);

	/* The kernel sees the sizes too. */
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ(2 * self->page, info.size);
	EXPECT_EQ(0, rsc_rw(self->dev, false, req.handle, 2 * self->page, buf, sizeof(buf)));
	EXPECT_EQ(0, rsc_resize(self->dev, req.handle, 0));
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ(0, info.size);
	EXPECT_EQ(0ull, info.nrpages);

	EXPECT_EQ(-EINVAL, rsc_resize(self->dev, req.handle, -1));
	EXPECT_EQ(-ENOENT, rsc_resize(self->dev, req.handle + 1, 0));
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
}

TEST_F(api, sizes)
{
	static const int64_t bad[] = { -1, -4096, LLONG_MIN };
	struct rsc_create req;
	struct rsc_info info;
	size_t i;
	int mfd;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		EXPECT_EQ(-EINVAL, create(self, variant, "rsc bad", bad[i], 0, &req)) {
			TH_LOG("size %lld", (long long)bad[i]);
		}
		EXPECT_EQ(-EINVAL, create(self, variant, "rsc bad", bad[i], RSC_F_NORESERVE, &req)) {
			TH_LOG("size %lld, NORESERVE", (long long)bad[i]);
		}
	}

	ASSERT_EQ(0, create(self, variant, "rsc empty", 0, 0, &req));
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ(0, info.size);
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));

	/* MAX_LFS_FILESIZE (LLONG_MAX): valid; uncharged with NORESERVE, as memfd's ftruncate. */
	mfd = memfd_create("rsc-max", MFD_CLOEXEC);
	ASSERT_GE(mfd, 0);
	EXPECT_EQ(0, ftruncate(mfd, LLONG_MAX));
	close(mfd);
	ASSERT_EQ(0, create(self, variant, "rsc max", LLONG_MAX, RSC_F_NORESERVE, &req));
	ASSERT_EQ(0, rsc_info(self->dev, req.handle, &info));
	EXPECT_EQ(LLONG_MAX, info.size);
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
}

/*
 * LLONG_MAX with the commit charge: its page count does not fit the charge arithmetic
 * (mm/shmem.c's VM_ACCT() wraps to a negative count, so the kernel's shmem lets it through
 * with a bogus charge). Whatever rust_shmem does, it must be an answer (0 or ENOMEM), not a
 * crash; kernel_log_clean catches an overflow panic.
 */
TEST_F(api, size_max_charged)
{
	struct rsc_create req;
	long ret;

	ret = create(self, variant, "rsc max charged", LLONG_MAX, 0, &req);
	EXPECT_TRUE(ret == 0 || ret == -ENOMEM) {
		TH_LOG("create: %s", strerror(-ret));
	}
	if (ret == 0) {
		EXPECT_EQ(0, rsc_release(self->dev, req.handle));
	}
}

TEST_F(api, bad_requests)
{
	struct rsc_create req;
	uint32_t handle = 0;

	EXPECT_EQ(-EINVAL, rsc_create(self->dev, 0, self->mnt_fd, "x", 1, 0, &req));
	EXPECT_EQ(-EINVAL, rsc_create(self->dev, 99, self->mnt_fd, "x", 1, 0, &req));
	EXPECT_EQ(-EINVAL, create(self, variant, "x", 1, 1u << 5, &req));
	EXPECT_EQ(-EINVAL, create(self, variant, "", 1, 0, &req));
	memset(&req, 'n', sizeof(req));	/* a name without its NUL */
	req.setup = variant->setup;
	req.flags = 0;
	req.size = 1;
	req.mnt_fd = self->mnt_fd;
	EXPECT_EQ(-EINVAL, rsc_ioctl(self->dev, RSC_IOC_CREATE, &req));
	EXPECT_EQ(-EFAULT, rsc_ioctl(self->dev, RSC_IOC_CREATE, (void *)8));
	EXPECT_EQ(-EFAULT, rsc_ioctl(self->dev, RSC_IOC_RELEASE, (void *)8));
	EXPECT_EQ(-EFAULT, rsc_ioctl(self->dev, RSC_IOC_INFO, (void *)8));
	EXPECT_EQ(-ENOENT, rsc_ioctl(self->dev, RSC_IOC_RELEASE, &handle));
	EXPECT_EQ(-ENOTTY, rsc_ioctl(self->dev, _IO(RSC_IOC_MAGIC, 99), NULL));
	EXPECT_EQ(-ENOTTY, rsc_ioctl(self->dev, _IOW(RSC_IOC_MAGIC, 1, int), &handle));
	if (variant->setup == RSC_SETUP_WITH_MNT) {
		EXPECT_EQ(-EBADF, rsc_create(self->dev, variant->setup, 9999, "x", 1, 0, &req));
	} else {
		int fd = open("/", O_RDONLY | O_CLOEXEC);

		/* Only with_mnt takes a mount. */
		EXPECT_EQ(-EINVAL, rsc_create(self->dev, variant->setup, fd, "x", 1, 0, &req));
		close(fd);
	}
}

/*
 * Commit accounting (overcommit_memory as found, normally 0): the object's size is charged
 * unless NORESERVE, given back at release, and re-charged on resize, like the kernel's shmem
 * (MAP_SHARED|MAP_ANONYMOUS: charged; memfd: NORESERVE; ftruncate through map_files:
 * shmem_setattr's re-accounting).
 */
TEST_F(api, commit_accounting)
{
	const long size_kb = 64 * 1024;
	const size_t size = size_kb * 1024;
	long before, created, released, ref_created, ref_grown, grown, shrunk;
	struct rsc_create req;
	int err, mf, mfd;
	char *r;

	/* The reference, charged: a shared anonymous mapping's shmem file. */
	before = meminfo_kb("Committed_AS");
	r = map(-1, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, 0, &err);
	ASSERT_NE(NULL, r);
	ref_created = meminfo_kb("Committed_AS") - before;
	mf = open_map_file(r, size, O_RDWR);
	ASSERT_GE(mf, 0);
	before = meminfo_kb("Committed_AS");
	ASSERT_EQ(0, ftruncate(mf, 2 * size));
	ref_grown = meminfo_kb("Committed_AS") - before;
	close(mf);
	munmap(r, size);
	EXPECT_LT(labs(ref_created - size_kb), SLACK_KB);
	EXPECT_LT(labs(ref_grown - size_kb), SLACK_KB);

	before = meminfo_kb("Committed_AS");
	ASSERT_EQ(0, create(self, variant, "rsc acct", size, 0, &req));
	created = meminfo_kb("Committed_AS") - before;
	ASSERT_EQ(0, rsc_resize(self->dev, req.handle, 2 * size));
	grown = meminfo_kb("Committed_AS") - before - created;
	ASSERT_EQ(0, rsc_resize(self->dev, req.handle, size));
	shrunk = meminfo_kb("Committed_AS") - before - created - grown;
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
	released = meminfo_kb("Committed_AS") - before;

	EXPECT_LT(labs(created - ref_created), SLACK_KB) {
		TH_LOG("create: Committed_AS %+ld kB, shared anonymous mapping's %+ld kB", created,
		       ref_created);
	}
	EXPECT_LT(labs(grown - ref_grown), SLACK_KB) {
		TH_LOG("grow by %ld kB: Committed_AS %+ld kB, shmem's %+ld kB", size_kb, grown,
		       ref_grown);
	}
	EXPECT_LT(labs(shrunk + ref_grown), SLACK_KB) {
		TH_LOG("shrink by %ld kB: Committed_AS %+ld kB", size_kb, shrunk);
	}
	EXPECT_LT(labs(released), SLACK_KB) {
		TH_LOG("after release: Committed_AS %+ld kB", released);
	}

	/* NORESERVE: nothing charged, like a memfd. */
	before = meminfo_kb("Committed_AS");
	mfd = ref_memfd("rsc-acct", size);
	ASSERT_GE(mfd, 0);
	ref_created = meminfo_kb("Committed_AS") - before;
	close(mfd);
	before = meminfo_kb("Committed_AS");
	ASSERT_EQ(0, create(self, variant, "rsc noreserve", size, RSC_F_NORESERVE, &req));
	created = meminfo_kb("Committed_AS") - before;
	ASSERT_EQ(0, rsc_resize(self->dev, req.handle, 2 * size));
	grown = meminfo_kb("Committed_AS") - before - created;
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
	EXPECT_LT(labs(ref_created), SLACK_KB);
	EXPECT_LT(labs(created), SLACK_KB) {
		TH_LOG("NORESERVE create: Committed_AS %+ld kB", created);
	}
	EXPECT_LT(labs(grown), SLACK_KB) {
		TH_LOG("NORESERVE grow: Committed_AS %+ld kB", grown);
	}
}

/*
 * Strict overcommit (mode 2) with 256 MiB of headroom: a 1 GiB charged object fails with
 * ENOMEM like a 1 GiB MAP_SHARED|MAP_ANONYMOUS mapping; NORESERVE gets it like a memfd; a small
 * charged object fits, but growing it past the limit fails like ftruncate on shmem.
 */
TEST_F(api, strict_overcommit)
{
	const size_t big = 1024 * MIB, small = 32 * MIB;
	long ours_big, ours_big_nores, ours_small, ours_grow;
	int ref_big, ref_big_nores, ref_small, ref_grow;
	struct rsc_create req, sreq;
	int mf, mfd;
	char *r;

	ASSERT_EQ(0, set_strict_overcommit(&self->vm, 256 * 1024));

	ref_big = mmap_errno(-1, big, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, 0);
	mfd = ref_memfd("rsc-strict", big);
	ref_big_nores = mfd < 0 ? errno : 0;
	if (mfd >= 0)
		close(mfd);
	r = map(-1, small, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, 0, &ref_small);
	ref_grow = -1;
	if (r) {
		mf = open_map_file(r, small, O_RDWR);
		ASSERT_GE(mf, 0);
		ref_grow = ftruncate(mf, big) ? errno : 0;
		close(mf);
		munmap(r, small);
	}

	ours_big = create(self, variant, "rsc strict", big, 0, &req);
	if (!ours_big)
		rsc_release(self->dev, req.handle);
	ours_big_nores = create(self, variant, "rsc strict", big, RSC_F_NORESERVE, &req);
	if (!ours_big_nores)
		rsc_release(self->dev, req.handle);
	ours_small = create(self, variant, "rsc strict", small, 0, &sreq);
	ours_grow = -1;
	if (!ours_small) {
		ours_grow = rsc_resize(self->dev, sreq.handle, big);
		rsc_release(self->dev, sreq.handle);
	}
	restore_overcommit(&self->vm);

	EXPECT_EQ(ENOMEM, ref_big);
	EXPECT_EQ(0, ref_big_nores);
	EXPECT_EQ(0, ref_small);
	EXPECT_EQ(ENOMEM, ref_grow);
	EXPECT_EQ(-ref_big, ours_big) {
		TH_LOG("1 GiB charged: %s", strerror(-ours_big));
	}
	EXPECT_EQ(-ref_big_nores, ours_big_nores) {
		TH_LOG("1 GiB NORESERVE: %s", strerror(-ours_big_nores));
	}
	EXPECT_EQ(-ref_small, ours_small);
	EXPECT_EQ(-ref_grow, ours_grow) {
		TH_LOG("growing 32 MiB to 1 GiB: %s (shmem: %s)", strerror(-ours_grow),
		       strerror(ref_grow));
	}
}

/*
 * A file handed out pins rust_shmem.ko: its refcount goes up by one per live object or
 * mapping of one, and back down as they go; meanwhile delete_module fails with EWOULDBLOCK.
 */
TEST_F(api, module_pinning)
{
	struct rsc_create req[3];
	int base, i, err;
	char *p;

	/* A first object makes the consumer's own mount, if this variant uses it. */
	ASSERT_EQ(0, create(self, variant, "rsc warmup", 0, 0, &req[0]));
	ASSERT_EQ(0, rsc_release(self->dev, req[0].handle));

	base = module_refcount(RUST_SHMEM_MODULE);
	ASSERT_GE(base, 0);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, create(self, variant, "rsc pin", self->page, 0, &req[i]));
		EXPECT_EQ(base + i + 1, module_refcount(RUST_SHMEM_MODULE));
	}
	EXPECT_EQ(-1, syscall(__NR_delete_module, RUST_SHMEM_MODULE, O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);

	p = map(self->dev, self->page, PROT_READ | PROT_WRITE, MAP_SHARED, req[0].mmap_offset, &err);
	ASSERT_NE(NULL, p);
	/* The mapping shares the object's file: no new reference. */
	EXPECT_EQ(base + 3, module_refcount(RUST_SHMEM_MODULE));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, rsc_release(self->dev, req[i].handle));
	/* The mapping still holds the first one. */
	EXPECT_EQ(base + 1, module_refcount(RUST_SHMEM_MODULE));
	EXPECT_EQ(-1, syscall(__NR_delete_module, RUST_SHMEM_MODULE, O_NONBLOCK));
	EXPECT_EQ(EWOULDBLOCK, errno);
	p[0] = 1;
	munmap(p, self->page);
	EXPECT_EQ(base, module_refcount(RUST_SHMEM_MODULE));
}

/* Closing the device releases every object it holds; mappings keep theirs. */
TEST_F(api, release_on_close)
{
	struct rsc_create req;
	int base, i, err;
	char *p = NULL;

	ASSERT_EQ(0, create(self, variant, "rsc warmup", 0, 0, &req));
	ASSERT_EQ(0, rsc_release(self->dev, req.handle));
	base = module_refcount(RUST_SHMEM_MODULE);

	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, create(self, variant, "rsc close", self->page, 0, &req));
		if (i == 0) {
			p = map(self->dev, self->page, PROT_READ | PROT_WRITE, MAP_SHARED,
				req.mmap_offset, &err);
			ASSERT_NE(NULL, p);
			p[10] = 42;
		}
	}
	EXPECT_EQ(base + 4, module_refcount(RUST_SHMEM_MODULE));
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(base + 1, module_refcount(RUST_SHMEM_MODULE));
	EXPECT_EQ(42, p[10]);
	munmap(p, self->page);
	EXPECT_EQ(base, module_refcount(RUST_SHMEM_MODULE));
}

/*
 * Handles run out at RSC_MAX_OBJECTS (the consumer's limit) and come back on release. The user
 * mount runs out of inodes first (nr_inodes, user_mount_inode_limit): there, as many objects
 * as it has free inodes, then ENOSPC.
 */
TEST_F(api, many_objects)
{
	struct rsc_create req;
	uint32_t handles[RSC_MAX_OBJECTS];
	uint64_t inos[RSC_MAX_OBJECTS];
	int i, j, n = 0, room = RSC_MAX_OBJECTS;
	long full = -EMFILE;

	if (variant->user_mount) {
		struct statfs sfs;

		ASSERT_EQ(0, fstatfs(self->mnt_fd, &sfs));
		if (sfs.f_ffree < (unsigned long)RSC_MAX_OBJECTS) {
			room = sfs.f_ffree;
			full = -ENOSPC;
		}
	}
	ASSERT_GT(room, 7);	/* handles[7] is released and made again below */
	for (i = 0; i < room; i++) {
		ASSERT_EQ(0, create(self, variant, "rsc many", i * 100, 0, &req));
		handles[n++] = req.handle;
	}
	EXPECT_EQ(full, create(self, variant, "rsc many", 1, 0, &req));
	EXPECT_EQ(0, rsc_release(self->dev, handles[7]));
	EXPECT_EQ(0, create(self, variant, "rsc many", 1, 0, &req));
	EXPECT_EQ(handles[7], req.handle);

	/* Every object is its own inode. */
	for (i = 0; i < n; i++) {
		struct rsc_info info;

		ASSERT_EQ(0, rsc_info(self->dev, handles[i], &info));
		inos[i] = info.ino;
		for (j = 0; j < i; j++) {
			EXPECT_NE(inos[j], inos[i]) {
				TH_LOG("objects %d and %d share inode %llu", j, i,
				       (unsigned long long)inos[i]);
			}
		}
	}
}

/*
 * Several processes at once, each with its own device file: create, write from the kernel,
 * map and check, resize, release, many times over. Nothing may leak or mix up.
 */
#define WORKERS		4
#define ROUNDS		100

static int worker(FIXTURE_DATA(api) *self, const FIXTURE_VARIANT(api) *variant, int id)
{
	const long page = self->page;
	char *buf = malloc(2 * page);
	int dev, i, err;

	if (!buf)
		return 1;
	dev = open_dev(CONSUMER_DEV);
	if (dev < 0)
		return 2;
	for (i = 0; i < ROUNDS; i++) {
		uint64_t salt = (uint64_t)id << 32 | i;
		struct rsc_create req;
		char *p;

		if (rsc_create(dev, variant->setup, self->mnt_fd, "rsc worker", 2 * page, 0, &req))
			return 3;
		fill_pattern(buf, 2 * page, 0, salt);
		if (rsc_rw(dev, true, req.handle, 0, buf, 2 * page) != 2 * page)
			return 4;
		p = map(dev, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, req.mmap_offset, &err);
		if (!p)
			return 5;
		if (check_pattern(p, 2 * page, 0, salt) != -1)
			return 6;
		if (rsc_resize(dev, req.handle, page))
			return 7;
		if (rsc_release(dev, req.handle))
			return 8;
		/* The mapping keeps the object, shrunk to one page. */
		if (check_pattern(p, page, 0, salt) != -1)
			return 9;
		munmap(p, 2 * page);
	}
	close(dev);
	free(buf);
	return 0;
}

/* 8.4 s on the debug kernel under TCG (the harness's default would be 30 s). */
TEST_F_TIMEOUT(api, concurrent_use, 90)
{
	pid_t pids[WORKERS];
	struct rsc_create req;
	int base, i;

	ASSERT_EQ(0, create(self, variant, "rsc warmup", 0, 0, &req));
	ASSERT_EQ(0, rsc_release(self->dev, req.handle));
	base = module_refcount(RUST_SHMEM_MODULE);

	fflush(NULL);
	for (i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		ASSERT_GE(pids[i], 0);
		if (pids[i] == 0)
			_exit(worker(self, variant, i));
	}
	for (i = 0; i < WORKERS; i++) {
		int status = wait_child(pids[i]);

		EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			TH_LOG("worker %d: status %#x (exit code = step that failed)", i, status);
		}
	}
	EXPECT_EQ(base, module_refcount(RUST_SHMEM_MODULE));
}

TEST_HARNESS_MAIN
