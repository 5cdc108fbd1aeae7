// SPDX-License-Identifier: GPL-2.0
/*
 * rust_shmem_zero_setup(vma) and rust_shmem_zero_setup_desc(desc), through the consumer module
 * (shared parts: setup_api_util.h), against the kernel's shared anonymous mappings; then, last,
 * the consumer's unload.
 */
#include "setup_api_util.h"

/* ---------------------------------------------------------- zero setup */

FIXTURE(zero) {
	int dev;	/* /dev/rust_shmem_consumer: offset 0 is rust_shmem_zero_setup(vma) */
	int desc;	/* /dev/rust_shmem_consumer_desc: rust_shmem_zero_setup_desc(desc) */
	long page;
	struct vm_sysctls vm;
};

FIXTURE_SETUP(zero)
{
	self->dev = self->desc = -1;
	self->vm.saved = false;
	self->page = sysconf(_SC_PAGESIZE);
	open_consumer(_metadata, &self->dev);
	self->desc = open_dev(CONSUMER_DESC_DEV);
	ASSERT_GE(self->desc, 0);
}

FIXTURE_TEARDOWN_PARENT(zero)
{
	restore_overcommit(&self->vm);
}

/* A shared zero-setup mapping, as MAP_SHARED|MAP_ANONYMOUS is with the kernel's shmem. */
struct zero_result {
	int err;
	bool zero, shared_with_child;
	long magic;
	char path[256];
	long nlink, size;
	int refs;		/* rust_shmem references the mapping holds */
};

static void zero_experiment(struct __test_metadata *_metadata, int fd, long page, int flags,
			    struct zero_result *r)
{
	size_t len = 4 * page;
	struct maps_entry me;
	struct stat st;
	int base, status, mf;
	pid_t pid;
	char *p;

	memset(r, 0, sizeof(*r));
	base = module_refcount(RUST_SHMEM_MODULE);
	p = map(fd, len, PROT_READ | PROT_WRITE, MAP_SHARED | flags, 0, &r->err);
	if (!p)
		return;
	r->refs = module_refcount(RUST_SHMEM_MODULE) - base;
	r->zero = all_zero(p, len);
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		memset(p + page, 'z', page);
		_exit(0);
	}
	status = wait_child(pid);
	r->shared_with_child = WIFEXITED(status) && all_bytes(p + page, page, 'z');
	r->magic = map_file_magic(p, len);
	ASSERT_EQ(0, maps_lookup(p, &me));
	strcpy(r->path, me.path);
	mf = open_map_file(p, len, O_RDONLY);
	ASSERT_GE(mf, 0);
	ASSERT_EQ(0, fstat(mf, &st));
	close(mf);
	r->nlink = st.st_nlink;
	r->size = st.st_size;
	munmap(p, len);
}

static void check_zero(struct __test_metadata *_metadata, const char *what,
		       const struct zero_result *ref, const struct zero_result *var)
{
	EXPECT_EQ(0, var->err) {
		TH_LOG("%s: mmap: %s", what, strerror(var->err));
	}
	if (var->err)
		return;
	EXPECT_TRUE(var->zero);
	EXPECT_EQ(ref->shared_with_child, var->shared_with_child);
	EXPECT_EQ(RUST_SHMEM_MAGIC, var->magic) {
		TH_LOG("%s: backing f_type %#lx", what, var->magic);
	}
	EXPECT_STREQ(ref->path, var->path);
	EXPECT_EQ(ref->nlink, var->nlink);
	EXPECT_EQ(ref->size, var->size);
	EXPECT_EQ(1, var->refs);
}

TEST_F(zero, zero_setup_vma)
{
	struct zero_result ref, var;

	zero_experiment(_metadata, -1, self->page, MAP_ANONYMOUS, &ref);
	ASSERT_EQ(0, ref.err);
	EXPECT_TRUE(ref.zero && ref.shared_with_child);
	EXPECT_EQ(TMPFS_MAGIC, ref.magic);
	EXPECT_STREQ("/dev/zero (deleted)", ref.path);
	EXPECT_EQ(0, ref.refs);

	zero_experiment(_metadata, self->dev, self->page, 0, &var);
	check_zero(_metadata, "zero_setup(vma)", &ref, &var);

	/* The consumer's own rules: offset 0 only, shared only. */
	EXPECT_EQ(EINVAL, mmap_errno(self->dev, self->page, PROT_READ, MAP_SHARED, self->page));
	EXPECT_EQ(EINVAL, mmap_errno(self->dev, self->page, PROT_READ, MAP_PRIVATE, 0));
}

TEST_F(zero, zero_setup_desc)
{
	struct zero_result ref, var;
	int err;
	char *p;

	zero_experiment(_metadata, -1, self->page, MAP_ANONYMOUS, &ref);
	ASSERT_EQ(0, ref.err);
	zero_experiment(_metadata, self->desc, self->page, 0, &var);
	check_zero(_metadata, "zero_setup_desc", &ref, &var);

	/* MAP_PRIVATE of the mmap_prepare device: anonymous, as /dev/zero's. */
	p = map(self->desc, 2 * self->page, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0, &err);
	ASSERT_NE(NULL, p);
	EXPECT_TRUE(all_zero(p, 2 * self->page));
	p[0] = 1;
	EXPECT_NE(RUST_SHMEM_MAGIC, map_file_magic(p, 2 * self->page));
	munmap(p, 2 * self->page);
}

/* Both zero setups charge the mapping's size unless MAP_NORESERVE, as shmem_zero_setup does. */
TEST_F(zero, zero_setup_commit)
{
	static const int extra[] = { 0, MAP_NORESERVE };
	const size_t size = 64 * MIB;
	int fds[3] = { -1, self->dev, self->desc };
	static const char * const names[3] = { "anonymous", "zero_setup", "zero_setup_desc" };
	long delta[3];
	int i, k;

	for (i = 0; i < 2; i++) {
		for (k = 0; k < 3; k++) {
			long before = meminfo_kb("Committed_AS");
			int err;
			char *p = map(fds[k], size, PROT_READ | PROT_WRITE,
				      MAP_SHARED | extra[i] | (k ? 0 : MAP_ANONYMOUS), 0, &err);

			ASSERT_NE(NULL, p) {
				TH_LOG("%s: %s", names[k], strerror(err));
			}
			delta[k] = meminfo_kb("Committed_AS") - before;
			munmap(p, size);
		}
		EXPECT_LT(labs(delta[0] - (extra[i] ? 0 : (long)(size >> 10))), SLACK_KB);
		for (k = 1; k < 3; k++) {
			EXPECT_LT(labs(delta[k] - delta[0]), SLACK_KB) {
				TH_LOG("%s%s: Committed_AS %+ld kB, MAP_ANONYMOUS's %+ld kB",
				       names[k], extra[i] ? " NORESERVE" : "", delta[k], delta[0]);
			}
		}
	}
}

TEST_F(zero, zero_setup_strict_overcommit)
{
	const size_t big = 1024 * MIB;
	int ref, vma, desc;

	ASSERT_EQ(0, set_strict_overcommit(&self->vm, 256 * 1024));
	ref = mmap_errno(-1, big, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, 0);
	vma = mmap_errno(self->dev, big, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	desc = mmap_errno(self->desc, big, PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	restore_overcommit(&self->vm);
	EXPECT_EQ(ENOMEM, ref);
	EXPECT_EQ(ref, vma);
	EXPECT_EQ(ref, desc);
}

/* ------------------------------------------------------------------ last */

/*
 * Runs last (fixtures run in the order they are defined; plain TEST()s would run first):
 * unloads the consumer. If this binary loaded it, rust_shmem's refcount must be back where it
 * was: the consumer's own mount and all objects are gone.
 */
FIXTURE(unload) {
};

FIXTURE_SETUP(unload)
{
}

FIXTURE_TEARDOWN(unload)
{
}

TEST_F(unload, consumer)
{
	int ret;

	ASSERT_GE(module_refcount(RSC_MODULE_NAME), 0);
	/* The harness's children may still be closing their descriptors. */
	ret = delete_consumer();
	ASSERT_EQ(0, ret) {
		TH_LOG("delete_module %s: %s", RSC_MODULE_NAME, strerror(errno));
	}
	EXPECT_EQ(-1, module_refcount(RSC_MODULE_NAME));
	if (!consumer_preloaded && rust_shmem_baseline >= 0) {
		EXPECT_EQ(rust_shmem_baseline, module_refcount(RUST_SHMEM_MODULE));
	}
}

TEST_HARNESS_MAIN
