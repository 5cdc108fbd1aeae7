// SPDX-License-Identifier: GPL-2.0
/*
 * Shared memory as the kernel counts it: rust_shmem's pages against tmpfs's in /proc/meminfo
 * (Shmem, ShmemHugePages, ShmemPmdMapped and their File* twins), in the mapping process's
 * /proc/self/status (RssShmem, RssFile) and smaps_rollup (Pss_Shmem, Pss_File).
 *
 * Every case runs once per variant: tmpfs (the reference: it checks the expectations) and
 * rust_shmem, with the same operations and the same expected growth and return to zero. The
 * zero-mapping case uses /dev/zero on the tmpfs variant and /dev/rust_shmem_zero on ours; the
 * SysV case the kernel's shmget on the tmpfs variant and /dev/rust_shmem_sysv on ours. The
 * system-wide counters are folded (/proc/sys/vm/stat_refresh) before each read and compared
 * with a margin of SLACK_KB for the rest of the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <linux/falloc.h>
#include <linux/rust_shmem.h>
#include <linux/rust_shmem_sysv.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "fs_fixture.h"

#define KIB		1024L
#define MIB		(1024 * KIB)
#define FILE_KB		(64 * 1024L)	/* what the file cases write */
#define MAP_KB		(16 * 1024L)	/* what the mapping cases touch */
#define SLACK_KB	1024L		/* the rest of the guest, meanwhile */

#ifndef TMPFS_MAGIC
#define TMPFS_MAGIC	0x01021994
#endif

/* The counters a case looks at, in kB. */
struct counts {
	long shmem, shmem_huge, shmem_pmd, file_huge, file_pmd;	/* /proc/meminfo */
	long rss_shmem, rss_file;				/* /proc/self/status */
	long pss_shmem, pss_file;				/* /proc/self/smaps_rollup */
};

static void sample(struct counts *c)
{
	int fd = open("/proc/sys/vm/stat_refresh", O_WRONLY);

	/* Folds the per-CPU vmstat deltas into the global counters meminfo reads. */
	if (fd >= 0) {
		if (write(fd, "1", 1) < 0)
			perror("stat_refresh");
		close(fd);
	}
	c->shmem = proc_field("/proc/meminfo", "Shmem");
	c->shmem_huge = proc_field("/proc/meminfo", "ShmemHugePages");
	c->shmem_pmd = proc_field("/proc/meminfo", "ShmemPmdMapped");
	c->file_huge = proc_field("/proc/meminfo", "FileHugePages");
	c->file_pmd = proc_field("/proc/meminfo", "FilePmdMapped");
	c->rss_shmem = proc_field("/proc/self/status", "RssShmem");
	c->rss_file = proc_field("/proc/self/status", "RssFile");
	c->pss_shmem = proc_field("/proc/self/smaps_rollup", "Pss_Shmem");
	c->pss_file = proc_field("/proc/self/smaps_rollup", "Pss_File");
}

/* @after - @before, field by field. */
static struct counts delta(const struct counts *after, const struct counts *before)
{
	return (struct counts) {
		.shmem = after->shmem - before->shmem,
		.shmem_huge = after->shmem_huge - before->shmem_huge,
		.shmem_pmd = after->shmem_pmd - before->shmem_pmd,
		.file_huge = after->file_huge - before->file_huge,
		.file_pmd = after->file_pmd - before->file_pmd,
		.rss_shmem = after->rss_shmem - before->rss_shmem,
		.rss_file = after->rss_file - before->rss_file,
		.pss_shmem = after->pss_shmem - before->pss_shmem,
		.pss_file = after->pss_file - before->pss_file,
	};
}

static void log_counts(struct __test_metadata *_metadata, const char *what, const struct counts *d)
{
	TH_LOG("%s: Shmem %+ld ShmemHugePages %+ld ShmemPmdMapped %+ld FileHugePages %+ld "
	       "FilePmdMapped %+ld RssShmem %+ld RssFile %+ld Pss_Shmem %+ld Pss_File %+ld kB",
	       what, d->shmem, d->shmem_huge, d->shmem_pmd, d->file_huge, d->file_pmd,
	       d->rss_shmem, d->rss_file, d->pss_shmem, d->pss_file);
}

/* |@value - @want| <= SLACK_KB */
#define EXPECT_NEAR(want, value) do {						\
	EXPECT_LE(labs((long)(value) - (long)(want)), SLACK_KB) {		\
		TH_LOG("%s = %ld kB, want %ld kB", #value, (long)(value), (long)(want)); \
	}									\
} while (0)

/* What @kb kB of a touched shared mapping add: as much Shmem and RssShmem, no RssFile. */
static void expect_mapped_shmem(struct __test_metadata *_metadata, const struct counts *d, long kb)
{
	EXPECT_NEAR(kb, d->shmem);
	EXPECT_NEAR(kb, d->rss_shmem);
	EXPECT_NEAR(0, d->rss_file);
}

FIXTURE(meminfo) {
	char dir[SCRATCH_LEN];
	bool rust;
};

FS_VARIANTS(meminfo);

FIXTURE_SETUP(meminfo)
{
	self->rust = strcmp(variant->fstype, "tmpfs") != 0;
	ASSERT_EQ(0, enter_private_mntns());
	scratch_dir(_metadata, self->dir, "meminfo");
}

FIXTURE_TEARDOWN(meminfo)
{
	unmount_scratch(self->dir);
}

/* Writes @kb kB to a new file @name on the mount, in 1 MiB writes; returns its fd. */
static int write_file(struct __test_metadata *_metadata, const char *dir, const char *name,
		      long kb)
{
	static char buf[MIB];
	char path[SCRATCH_LEN + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	EXPECT_GE(fd, 0);
	if (fd < 0)
		return -1;
	memset(buf, 'm', sizeof(buf));
	for (long off = 0; off < kb * KIB; off += MIB)
		EXPECT_EQ((ssize_t)MIB, pwrite(fd, buf, MIB, off));
	return fd;
}

/* A file's pages are Shmem while it has them, and only then. */
TEST_F(meminfo, file_pages_are_shmem)
{
	struct counts c0, c1, c2, d;
	char path[SCRATCH_LEN + 32];
	int fd;

	mount_at(_metadata, self->dir, variant->fstype, 0, "size=256m");
	sample(&c0);
	fd = write_file(_metadata, self->dir, "f", FILE_KB);
	ASSERT_GE(fd, 0);
	sample(&c1);
	d = delta(&c1, &c0);
	log_counts(_metadata, "written", &d);
	EXPECT_NEAR(FILE_KB, d.shmem);
	EXPECT_NEAR(0, d.shmem_huge);

	/* Half punched away, then all of it unlinked: back where it started. */
	EXPECT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			       FILE_KB / 2 * KIB));
	sample(&c2);
	d = delta(&c2, &c0);
	log_counts(_metadata, "half punched", &d);
	EXPECT_NEAR(FILE_KB / 2, d.shmem);
	snprintf(path, sizeof(path), "%s/f", self->dir);
	EXPECT_EQ(0, unlink(path));
	close(fd);
	sample(&c2);
	d = delta(&c2, &c0);
	log_counts(_metadata, "unlinked", &d);
	EXPECT_NEAR(0, d.shmem);
}

/* A shared mapping's pages count as shared memory of the process that touches them. */
TEST_F(meminfo, mapped_pages_are_rss_shmem)
{
	struct counts c0, c1, c2, d;
	size_t len = MAP_KB * KIB;
	char path[SCRATCH_LEN + 32];
	char *p;
	int fd;

	mount_at(_metadata, self->dir, variant->fstype, 0, "size=256m");
	snprintf(path, sizeof(path), "%s/m", self->dir);
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, len));
	sample(&c0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 's', len);
	sample(&c1);
	d = delta(&c1, &c0);
	log_counts(_metadata, "touched", &d);
	expect_mapped_shmem(_metadata, &d, MAP_KB);
	EXPECT_NEAR(MAP_KB, d.pss_shmem);
	EXPECT_NEAR(0, d.pss_file);
	EXPECT_EQ(0, munmap(p, len));
	sample(&c2);
	d = delta(&c2, &c0);
	log_counts(_metadata, "unmapped", &d);
	EXPECT_NEAR(MAP_KB, d.shmem);	/* the file keeps its pages */
	EXPECT_NEAR(0, d.rss_shmem);
	close(fd);
	EXPECT_EQ(0, unlink(path));
	sample(&c2);
	d = delta(&c2, &c0);
	EXPECT_NEAR(0, d.shmem);
}

/* Huge folios: ShmemHugePages while cached, ShmemPmdMapped while PMD-mapped. */
TEST_F(meminfo, huge_folios_are_shmem_huge)
{
	struct counts c0, c1, c2, d;
	size_t len = 4 * MIB;
	char path[SCRATCH_LEN + 32];
	char *p, *want;
	int fd;

	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK))
		SKIP(return, "no transparent huge pages in this kernel");
	mount_at(_metadata, self->dir, variant->fstype, 0, "size=256m,huge=always");
	sample(&c0);
	fd = write_file(_metadata, self->dir, "h", len / KIB);
	ASSERT_GE(fd, 0);
	sample(&c1);
	d = delta(&c1, &c0);
	log_counts(_metadata, "written", &d);
	EXPECT_NEAR(len / KIB, d.shmem);
	EXPECT_NEAR(len / KIB, d.shmem_huge);
	EXPECT_NEAR(0, d.file_huge);

	/* A 2 MiB-aligned mapping of the first folio: one PMD. */
	want = mmap(NULL, 2 * len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, want);
	want = (char *)(((uintptr_t)want + 2 * MIB - 1) & ~(uintptr_t)(2 * MIB - 1));
	p = mmap(want, 2 * MIB, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
	ASSERT_EQ(want, p);
	EXPECT_EQ('m', *(volatile char *)p);
	sample(&c2);
	d = delta(&c2, &c1);
	log_counts(_metadata, "mapped", &d);
	EXPECT_EQ(2 * 1024, d.shmem_pmd);
	EXPECT_EQ(0, d.file_pmd);
	EXPECT_NEAR(2 * 1024, d.rss_shmem);
	EXPECT_EQ(0, munmap(p, 2 * MIB));
	close(fd);
	snprintf(path, sizeof(path), "%s/h", self->dir);
	EXPECT_EQ(0, unlink(path));
	sample(&c2);
	d = delta(&c2, &c0);
	log_counts(_metadata, "unlinked", &d);
	EXPECT_NEAR(0, d.shmem);
	EXPECT_NEAR(0, d.shmem_huge);
	EXPECT_NEAR(0, d.file_huge);
}

/* Shared zero mappings (the setup API's files) count as shared memory. */
TEST_F(meminfo, zero_mapping_is_shmem)
{
	const char *dev = self->rust ? "/dev/rust_shmem_zero" : "/dev/zero";
	struct counts c0, c1, d;
	size_t len = MAP_KB * KIB;
	char *p;
	int fd;

	fd = open(dev, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	sample(&c0);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, p);
	close(fd);
	memset(p, 'z', len);
	sample(&c1);
	d = delta(&c1, &c0);
	log_counts(_metadata, dev, &d);
	expect_mapped_shmem(_metadata, &d, MAP_KB);
	EXPECT_EQ(0, munmap(p, len));
	sample(&c1);
	d = delta(&c1, &c0);
	EXPECT_NEAR(0, d.shmem);
	EXPECT_NEAR(0, d.rss_shmem);
}

/* A SysV segment of @len bytes, attached: the kernel's shmget/shmat or rust_shmem's device. */
static char *sysv_attach(struct __test_metadata *_metadata, bool rust, size_t len, int *id)
{
	struct rust_shmem_sysv_get get = { .size = sizeof(get), .key = IPC_PRIVATE,
					   .segsz = len, .shmflg = IPC_CREAT | 0600 };
	struct rust_shmem_sysv_at at = { .size = sizeof(at) };
	void *p;
	int fd;

	if (!rust) {
		*id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
		EXPECT_GE(*id, 0);
		p = *id >= 0 ? shmat(*id, NULL, 0) : (void *)-1;
		EXPECT_NE((void *)-1, p);
		return p == (void *)-1 ? NULL : p;
	}
	fd = open(RUST_SHMEM_SYSV_DEVICE, O_RDWR | O_CLOEXEC);
	EXPECT_GE(fd, 0);
	if (fd < 0)
		return NULL;
	*id = ioctl(fd, RUST_SHMEM_SYSV_GET, &get);
	EXPECT_GE(*id, 0);
	at.shmid = *id;
	p = NULL;
	if (*id >= 0 && !ioctl(fd, RUST_SHMEM_SYSV_AT, &at))
		p = (void *)(uintptr_t)at.addr;
	EXPECT_NE(NULL, p);
	close(fd);
	return p;
}

/* Detaches @p and removes segment @id. */
static void sysv_remove(struct __test_metadata *_metadata, bool rust, char *p, int id)
{
	struct rust_shmem_sysv_dt dt = { .size = sizeof(dt), .shmaddr = (uintptr_t)p };
	struct rust_shmem_sysv_ctl ctl = { .size = sizeof(ctl), .shmid = id, .cmd = IPC_RMID };
	int fd;

	if (!rust) {
		EXPECT_EQ(0, shmdt(p));
		EXPECT_EQ(0, shmctl(id, IPC_RMID, NULL));
		return;
	}
	fd = open(RUST_SHMEM_SYSV_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(0, ioctl(fd, RUST_SHMEM_SYSV_DT, &dt));
	EXPECT_EQ(0, ioctl(fd, RUST_SHMEM_SYSV_CTL, &ctl));
	close(fd);
}

/* SysV segments are shared memory, until removed. */
TEST_F(meminfo, sysv_segment_is_shmem)
{
	struct counts c0, c1, d;
	size_t len = MAP_KB * KIB;
	char *p;
	int id;

	sample(&c0);
	p = sysv_attach(_metadata, self->rust, len, &id);
	ASSERT_NE(NULL, p);
	memset(p, 'v', len);
	sample(&c1);
	d = delta(&c1, &c0);
	log_counts(_metadata, "attached", &d);
	expect_mapped_shmem(_metadata, &d, MAP_KB);
	sysv_remove(_metadata, self->rust, p, id);
	sample(&c1);
	d = delta(&c1, &c0);
	log_counts(_metadata, "removed", &d);
	EXPECT_NEAR(0, d.shmem);
	EXPECT_NEAR(0, d.rss_shmem);
}

TEST_HARNESS_MAIN
