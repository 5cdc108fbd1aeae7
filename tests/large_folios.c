// SPDX-License-Identifier: GPL-2.0
/*
 * Large folios ("huge tmpfs", mount option huge=) of rust_shmem against tmpfs.
 *
 * Every test runs once per variant (tmpfs, rust_shmem) in a private mount namespace: the
 * variant and a plain tmpfs ("ref") are mounted side by side with the same options, the same
 * operations run on both, and what they leave is compared: the folio layout of the file (the
 * sizes of the folios holding its pages, read from /proc/self/pagemap and /proc/kpageflags),
 * blocks, PMD mappings (smaps), st_blksize, short writes and bytes.  The tmpfs variant compares
 * tmpfs with itself and checks the absolute expectations, which checks the test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/falloc.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "fs_fixture.h"

#define KIB		1024L
#define MIB		(1024 * KIB)
#define PMD_SIZE	(2 * MIB)

#define KPF_COMPOUND_HEAD	15
#define KPF_COMPOUND_TAIL	16
#define PM_PRESENT		(1ULL << 63)
#define PM_PFN_MASK		((1ULL << 55) - 1)

FIXTURE(huge) {
	char dir[SCRATCH_LEN];	/* the variant */
	char ref[SCRATCH_LEN];	/* tmpfs, mounted with the same options */
	long page;
};

FIXTURE_VARIANT(huge) {
	const char *fstype;
	const char *pmd_field;	/* the smaps line counting PMD mappings of its files */
};

FIXTURE_VARIANT_ADD(huge, tmpfs) {
	.fstype = "tmpfs",
	.pmd_field = "ShmemPmdMapped:",
};

FIXTURE_VARIANT_ADD(huge, rust_shmem) {
	.fstype = RUST_SHMEM_FSTYPE,
	.pmd_field = "ShmemPmdMapped:",	/* swap-backed, like tmpfs's (README, "Shmem") */
};

FIXTURE_SETUP(huge)
{
	self->page = sysconf(_SC_PAGESIZE);
	ASSERT_EQ(0, enter_private_mntns());
	scratch_dir(_metadata, self->dir, "huge");
	scratch_dir(_metadata, self->ref, "huge_ref");
}

FIXTURE_TEARDOWN(huge)
{
	unmount_scratch(self->dir);
	unmount_scratch(self->ref);
}

/* Mounts the variant and the reference tmpfs with @opts. */
static int mount_both(struct __test_metadata *_metadata, FIXTURE_DATA(huge) *self,
		      const FIXTURE_VARIANT(huge) *variant, const char *opts)
{
	if (mount(variant->fstype, self->dir, variant->fstype, 0, opts)) {
		TH_LOG("mount -t %s -o %s: %s", variant->fstype, opts, strerror(errno));
		return -1;
	}
	if (mount("tmpfs", self->ref, "tmpfs", 0, opts)) {
		TH_LOG("mount -t tmpfs -o %s: %s", opts, strerror(errno));
		return -1;
	}
	return 0;
}

static int open_in(const char *dir, const char *name, int flags)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return open(path, flags | O_CLOEXEC, 0644);
}

/* Writes @len bytes of pattern at @off in @chunk-sized writes; returns the bytes written. */
static ssize_t write_pattern(int fd, off_t off, size_t len, size_t chunk)
{
	char *buf = malloc(chunk);
	size_t done = 0;

	if (!buf)
		return -1;
	while (done < len) {
		size_t n = len - done < chunk ? len - done : chunk;
		ssize_t w;

		fill_pattern(buf, n, off + done, 7);
		w = pwrite(fd, buf, n, off + done);
		if (w <= 0)
			break;
		done += w;
	}
	free(buf);
	return done;
}

/* Whether @len bytes at @off hold the pattern; returns the first bad offset or -1. */
static long bad_pattern(int fd, off_t off, size_t len)
{
	char *buf = malloc(len);
	long bad = 0;

	if (buf && pread(fd, buf, len, off) == (ssize_t)len)
		bad = check_pattern(buf, len, off, 7);
	free(buf);
	return bad;
}

/*
 * The folio layout of pages [@off, @off + @len) of a file mapped at @map (already faulted
 * in): the sizes, in pages, of the folios holding them, as runs ("2*512 1*1" is two PMD folios
 * then one page); '-' for a page that is not present.
 */
static int folio_layout(const char *map, size_t len, long page, char *out, size_t size)
{
	int pm = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int kf = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	size_t pages = len / page, i = 0, used = 0;
	long last = 0, run = 0;
	int ret = -1;

	out[0] = 0;
	if (pm < 0 || kf < 0)
		goto out;
	while (i < pages) {
		uint64_t ent, flags;
		long folio = 1;

		if (pread(pm, &ent, 8, ((uintptr_t)map / page + i) * 8) != 8)
			goto out;
		if (!(ent & PM_PRESENT)) {
			folio = -1;
		} else if (pread(kf, &flags, 8, (ent & PM_PFN_MASK) * 8) != 8) {
			goto out;
		} else if (flags & (1ULL << KPF_COMPOUND_HEAD)) {
			/* Count the tails that follow, which are contiguous frames. */
			uint64_t pfn = ent & PM_PFN_MASK, tflags;

			while (i + folio < pages &&
			       pread(kf, &tflags, 8, (pfn + folio) * 8) == 8 &&
			       (tflags & (1ULL << KPF_COMPOUND_TAIL)))
				folio++;
		}
		if (folio != last && run) {
			used += snprintf(out + used, size - used, "%s%ld*%ld", used ? " " : "", run, last);
			run = 0;
		}
		last = folio;
		run++;
		i += folio > 0 ? folio : 1;
		if (used >= size)
			goto out;
	}
	if (run)
		snprintf(out + used, size - used, "%s%ld*%ld", used ? " " : "", run, last);
	ret = 0;
out:
	if (pm >= 0)
		close(pm);
	if (kf >= 0)
		close(kf);
	return ret;
}

/* Maps @len bytes of @fd shared, reads every page in, and returns the layout in @out. */
static int layout_of(int fd, size_t len, long page, char *out, size_t size)
{
	volatile char *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	size_t i;
	int ret;

	if (map == MAP_FAILED)
		return -1;
	for (i = 0; i < len; i += page)
		(void)map[i];
	ret = folio_layout((const char *)map, len, page, out, size);
	munmap((void *)map, len);
	return ret;
}

/* The kB value of @field in the smaps entry of the mapping at @addr. */
static long smaps_kb(void *addr, const char *field)
{
	char line[256];
	unsigned long start, end;
	int in = 0;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 && strchr(line, '-') < strchr(line, ' ')) {
			in = start == (unsigned long)addr;
			continue;
		}
		if (in && !strncmp(line, field, strlen(field)))
			kb = strtol(line + strlen(field), NULL, 10);
	}
	fclose(f);
	return kb;
}

struct outcome {
	ssize_t written;
	long blocks;		/* st_blocks */
	long blksize;		/* st_blksize */
	char layout[256];
};

static int outcome_of(int fd, size_t map_len, long page, struct outcome *o)
{
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	o->blocks = st.st_blocks;
	o->blksize = st.st_blksize;
	return map_len ? layout_of(fd, map_len, page, o->layout, sizeof(o->layout)) : 0;
}

#define EXPECT_SAME_OUTCOME(ref, got) do {						\
	EXPECT_EQ((ref).written, (got).written);					\
	EXPECT_EQ((ref).blocks, (got).blocks);						\
	EXPECT_EQ((ref).blksize, (got).blksize);					\
	EXPECT_STREQ((ref).layout, (got).layout);					\
	TH_LOG("tmpfs: %zd bytes, %ld blocks, blksize %ld, folios %s", (ref).written,	\
	       (ref).blocks, (ref).blksize, (ref).layout);				\
} while (0)

/* huge=always: sequential writes fill PMD folios, also past what was written. */
TEST_F(huge, always_writes_fill_pmd_folios)
{
	struct outcome o[2] = {};
	const char *dirs[2] = { self->ref, self->dir };
	long before[2];
	int i;

	ASSERT_EQ(0, mount_both(_metadata, self, variant, "huge=always"));
	for (i = 0; i < 2; i++) {
		int fd = open_in(dirs[i], "f", O_RDWR | O_CREAT);

		ASSERT_GE(fd, 0);
		before[i] = proc_field("/proc/vmstat", "thp_file_alloc");
		ASSERT_GE(before[i], 0) TH_LOG("no thp_file_alloc in /proc/vmstat");
		o[i].written = write_pattern(fd, 0, 4 * MIB + 100 * KIB, MIB);
		before[i] = proc_field("/proc/vmstat", "thp_file_alloc") - before[i];
		ASSERT_EQ(0, outcome_of(fd, 4 * MIB + 100 * KIB, self->page, &o[i]));
		EXPECT_EQ(-1, bad_pattern(fd, 0, 4 * MIB + 100 * KIB));
		close(fd);
	}
	EXPECT_SAME_OUTCOME(o[0], o[1]);
	/* Three PMD folios (of the third, only the 25 pages within the size are mapped). */
	EXPECT_STREQ("2*512 1*25", o[1].layout);
	EXPECT_EQ(3 * PMD_SIZE / 512, o[1].blocks);
	EXPECT_EQ(PMD_SIZE, o[1].blksize);
	EXPECT_EQ(3, before[1]) TH_LOG("thp_file_alloc: tmpfs +%ld, %s +%ld", before[0],
				       variant->fstype, before[1]);
	EXPECT_EQ(before[0], before[1]);
}

/* huge=never: single pages only, the page size as the I/O size. */
/* 5.4 s on the debug kernel under TCG. */
TEST_F_TIMEOUT(huge, never_keeps_single_pages, 90)
{
	struct outcome o[2] = {};
	const char *dirs[2] = { self->ref, self->dir };
	int i;

	ASSERT_EQ(0, mount_both(_metadata, self, variant, "huge=never"));
	for (i = 0; i < 2; i++) {
		int fd = open_in(dirs[i], "f", O_RDWR | O_CREAT);

		ASSERT_GE(fd, 0);
		o[i].written = write_pattern(fd, 0, 4 * MIB, MIB);
		ASSERT_EQ(0, outcome_of(fd, 4 * MIB, self->page, &o[i]));
		close(fd);
	}
	EXPECT_SAME_OUTCOME(o[0], o[1]);
	EXPECT_STREQ("1024*1", o[1].layout);
	EXPECT_EQ(self->page, o[1].blksize);
}

/* huge=within_size: only folios that the size (or the write) covers. */
TEST_F(huge, within_size_follows_the_size)
{
	struct outcome o[2][3] = {};
	const char *dirs[2] = { self->ref, self->dir };
	int i;

	ASSERT_EQ(0, mount_both(_metadata, self, variant, "huge=within_size"));
	for (i = 0; i < 2; i++) {
		int fd = open_in(dirs[i], "f", O_RDWR | O_CREAT);

		ASSERT_GE(fd, 0);
		/* A small file: smaller large folios, no PMD. */
		o[i][0].written = write_pattern(fd, 0, 1 * MIB + 12 * KIB, MIB);
		ASSERT_EQ(0, outcome_of(fd, 1 * MIB + 12 * KIB, self->page, &o[i][0]));
		/* Grown: a write in the middle gets a PMD folio. */
		ASSERT_EQ(0, ftruncate(fd, 6 * MIB));
		o[i][1].written = write_pattern(fd, 2 * MIB + 4 * KIB, 8 * KIB, MIB);
		ASSERT_EQ(0, outcome_of(fd, 0, self->page, &o[i][1]));
		/* Faults within the size get large folios too. */
		ASSERT_EQ(0, outcome_of(fd, 6 * MIB, self->page, &o[i][2]));
		EXPECT_EQ(-1, bad_pattern(fd, 2 * MIB + 4 * KIB, 8 * KIB));
		close(fd);
	}
	for (i = 0; i < 3; i++)
		EXPECT_SAME_OUTCOME(o[0][i], o[1][i]);
	EXPECT_EQ(NULL, strstr(o[1][0].layout, "*512"));
	EXPECT_EQ(PMD_SIZE / 512, o[1][1].blocks - o[1][0].blocks);
}

/* A faulting mapping gets PMD folios, mapped by PMDs, under huge=always. */
TEST_F(huge, always_faults_map_pmds)
{
	const char *dirs[2] = { self->ref, self->dir };
	const char *fields[2] = { "ShmemPmdMapped:", variant->pmd_field };
	struct outcome o[2] = {};
	long pmd_kb[2];
	int i;

	ASSERT_EQ(0, mount_both(_metadata, self, variant, "huge=always"));
	for (i = 0; i < 2; i++) {
		int fd = open_in(dirs[i], "f", O_RDWR | O_CREAT);
		char *map;

		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, ftruncate(fd, 4 * MIB));
		map = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		/* The filesystem places the mapping where PMDs can map it. */
		EXPECT_EQ(0, (long)((uintptr_t)map % PMD_SIZE));
		map[0] = 1;
		map[3 * MIB] = 2;
		pmd_kb[i] = smaps_kb(map, fields[i]);
		ASSERT_EQ(0, folio_layout(map, 4 * MIB, self->page, o[i].layout,
					  sizeof(o[i].layout)));
		munmap(map, 4 * MIB);
		ASSERT_EQ(0, outcome_of(fd, 0, self->page, &o[i]));
		close(fd);
	}
	EXPECT_SAME_OUTCOME(o[0], o[1]);
	EXPECT_EQ(pmd_kb[0], pmd_kb[1]);
	EXPECT_EQ(4096, pmd_kb[1]);
}

/* huge=advise: writes get single pages; a mapping with MADV_HUGEPAGE gets PMD folios. */
TEST_F(huge, advise_needs_madvise)
{
	const char *dirs[2] = { self->ref, self->dir };
	const char *fields[2] = { "ShmemPmdMapped:", variant->pmd_field };
	struct outcome o[2][2] = {};
	long pmd_kb[2];
	int i;

	ASSERT_EQ(0, mount_both(_metadata, self, variant, "huge=advise"));
	for (i = 0; i < 2; i++) {
		int fd = open_in(dirs[i], "w", O_RDWR | O_CREAT);
		char *map;

		ASSERT_GE(fd, 0);
		o[i][0].written = write_pattern(fd, 0, 2 * MIB, MIB);
		ASSERT_EQ(0, outcome_of(fd, 2 * MIB, self->page, &o[i][0]));
		close(fd);

		fd = open_in(dirs[i], "m", O_RDWR | O_CREAT);
		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, ftruncate(fd, 4 * MIB));
		map = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		ASSERT_EQ(0, madvise(map, 4 * MIB, MADV_HUGEPAGE));
		map[PMD_SIZE] = 1;
		pmd_kb[i] = smaps_kb(map, fields[i]);
		munmap(map, 4 * MIB);
		ASSERT_EQ(0, outcome_of(fd, 0, self->page, &o[i][1]));
		close(fd);
	}
	EXPECT_SAME_OUTCOME(o[0][0], o[1][0]);
	EXPECT_SAME_OUTCOME(o[0][1], o[1][1]);
	EXPECT_STREQ("512*1", o[1][0].layout);
	EXPECT_EQ(pmd_kb[0], pmd_kb[1]);
	EXPECT_EQ(2048, pmd_kb[1]);
}

/* Out of room for a PMD folio: tmpfs falls back to single pages, up to the last block. */
TEST_F(huge, full_fs_falls_back_to_small_folios)
{
	const char *dirs[2] = { self->ref, self->dir };
	struct outcome o[2] = {};
	struct statfs sf[2];
	int i;

	ASSERT_EQ(0, mount_both(_metadata, self, variant, "huge=always,size=3m"));
	for (i = 0; i < 2; i++) {
		int fd = open_in(dirs[i], "f", O_RDWR | O_CREAT);

		ASSERT_GE(fd, 0);
		o[i].written = write_pattern(fd, 0, 4 * MIB, 256 * KIB);
		ASSERT_EQ(0, outcome_of(fd, o[i].written, self->page, &o[i]));
		EXPECT_EQ(-1, bad_pattern(fd, 0, o[i].written));
		ASSERT_EQ(0, fstatfs(fd, &sf[i]));
		close(fd);
	}
	EXPECT_SAME_OUTCOME(o[0], o[1]);
	EXPECT_EQ(3 * MIB, o[1].written);
	EXPECT_EQ(sf[0].f_bfree, sf[1].f_bfree);
	EXPECT_EQ(0UL, sf[1].f_bfree);
}

/* Truncating into and punching holes in PMD folios splits them; blocks and holes match. */
TEST_F(huge, truncate_and_punch_split_folios)
{
	const char *dirs[2] = { self->ref, self->dir };
	struct outcome o[2] = {};
	off_t hole[2], data[2];
	int i;

	ASSERT_EQ(0, mount_both(_metadata, self, variant, "huge=always"));
	for (i = 0; i < 2; i++) {
		int fd = open_in(dirs[i], "f", O_RDWR | O_CREAT);

		ASSERT_GE(fd, 0);
		o[i].written = write_pattern(fd, 0, 4 * MIB, MIB);
		ASSERT_EQ(0, ftruncate(fd, 3 * MIB + 5 * KIB));
		ASSERT_EQ(0, fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				       512 * KIB, 512 * KIB));
		hole[i] = lseek(fd, 0, SEEK_HOLE);
		data[i] = lseek(fd, 600 * KIB, SEEK_DATA);
		EXPECT_EQ(-1, bad_pattern(fd, 0, 512 * KIB));
		EXPECT_EQ(-1, bad_pattern(fd, MIB, 2 * MIB + 5 * KIB));
		ASSERT_EQ(0, outcome_of(fd, 0, self->page, &o[i]));
		close(fd);
	}
	EXPECT_SAME_OUTCOME(o[0], o[1]);
	EXPECT_EQ(hole[0], hole[1]);
	EXPECT_EQ(data[0], data[1]);
	EXPECT_EQ(512 * KIB, hole[1]);
	EXPECT_EQ(MIB, data[1]);
}

/* fallocate under huge=always preallocates PMD folios; faults turn them into data. */
TEST_F(huge, fallocate_preallocates_pmd_folios)
{
	const char *dirs[2] = { self->ref, self->dir };
	struct outcome o[2][2] = {};
	int i;

	ASSERT_EQ(0, mount_both(_metadata, self, variant, "huge=always"));
	for (i = 0; i < 2; i++) {
		int fd = open_in(dirs[i], "f", O_RDWR | O_CREAT);

		ASSERT_GE(fd, 0);
		ASSERT_EQ(0, fallocate(fd, 0, 100 * KIB, 4 * MIB));
		/* Preallocated space reads as a hole until written. */
		EXPECT_EQ(0, lseek(fd, 0, SEEK_HOLE));
		ASSERT_EQ(0, outcome_of(fd, 0, self->page, &o[i][0]));
		ASSERT_EQ(0, outcome_of(fd, 4 * MIB, self->page, &o[i][1]));
		close(fd);
	}
	EXPECT_SAME_OUTCOME(o[0][0], o[1][0]);
	EXPECT_SAME_OUTCOME(o[0][1], o[1][1]);
	EXPECT_EQ(3 * PMD_SIZE / 512, o[1][0].blocks);
	EXPECT_STREQ("2*512", o[1][1].layout);
}

/* A remount changes the policy for new folios; /proc/mounts shows it as tmpfs does. */
/* 7.4 s on the debug kernel under TCG. */
TEST_F_TIMEOUT(huge, remount_changes_policy, 90)
{
	static const char * const seq[] = { "huge=always", "huge=within_size", "huge=advise",
					    "huge=never" };
	const char *dirs[2] = { self->ref, self->dir };
	char line[2][512];
	struct outcome o[2] = {};
	unsigned int s;
	int i;

	ASSERT_EQ(0, mount_both(_metadata, self, variant, "size=64m"));
	for (s = 0; s < sizeof(seq) / sizeof(seq[0]); s++) {
		for (i = 0; i < 2; i++) {
			char name[16];
			int fd;

			ASSERT_EQ(0, mount(NULL, dirs[i], NULL, MS_REMOUNT, seq[s]));
			snprintf(name, sizeof(name), "f%u", s);
			fd = open_in(dirs[i], name, O_RDWR | O_CREAT);
			ASSERT_GE(fd, 0);
			o[i].written = write_pattern(fd, 0, 3 * MIB, MIB);
			ASSERT_EQ(0, outcome_of(fd, 3 * MIB, self->page, &o[i]));
			close(fd);
			ASSERT_EQ(0, mount_options_of(dirs[i], line[i], sizeof(line[i])));
		}
		EXPECT_STREQ(line[0], line[1]) TH_LOG("after -o remount,%s", seq[s]);
		EXPECT_SAME_OUTCOME(o[0], o[1]);
	}
}

TEST_HARNESS_MAIN
