// SPDX-License-Identifier: GPL-2.0
/*
 * Memory pressure: a file system holding a quarter of RAM, then a process that allocates anonymous
 * memory until the OOM killer kills it.  Everything in the file system must come through intact,
 * and its accounting must not move.
 *
 * Per variant (tmpfs with noswap as the reference, which with no swap in the guest must come
 * through the same way, and rust_shmem), mounted with size=25%,noswap:
 *   - fill ~90% of it with checksummed data (pattern_word of test_util.h, one salt per file):
 *     fallocate()d and half overwritten, written with pwrite(), written through a MAP_SHARED
 *     mapping that stays mapped, a sparse file with a preallocated tail past EOF, 256 small
 *     files, a few xattrs;
 *   - record statfs and every file's size and st_blocks;
 *   - fork a hog with oom_score_adj 1000 (the test itself runs at -1000) that touches anonymous
 *     memory page by page until it is killed, or gives up after 3x MemTotal (a failure);
 *   - the hog must have died of SIGKILL and the kernel log must say the OOM killer killed it
 *     (and nothing else: the OOM report's own stack dump aside, no splat);
 *   - every byte must be intact (read back with pread and through the mapping), statfs and
 *     st_blocks exactly as before;
 *   - after removing everything, statfs is back to the empty file system.
 * RS_STRESS_SCALE (default 1) sets how many hog rounds run against the same data.
 *
 * Note: an OOM kill always prints a stack dump ("Call Trace:") in the kernel log, which the
 * runner's kernel_log_clean and qemu/boot.sh count as a splat; this test tells the OOM report
 * apart itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <linux/falloc.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "map_util.h"
#include "stress_util.h"
#include "fs_fixture.h"

#define OPTS		"size=25%,noswap,mode=0755"
#define CHUNK		(1UL << 20)
#define NSMALL		256
#define HOG_STEP	(8UL << 20)

FIXTURE(pressure) {
	char dir[SCRATCH_LEN];
	int kmsg;
	long page;
	double scale;
	char *map;		/* the "mapped" file, mapped for the whole test */
	size_t map_len;
};

FS_VARIANTS(pressure);

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

FIXTURE_SETUP(pressure)
{
	struct statfs sfs;

	self->kmsg = -1;
	self->map = NULL;
	self->page = sysconf(_SC_PAGESIZE);
	self->scale = stress_scale();
	umask(0);
	ASSERT_EQ(0, enter_private_mntns());
	mount_scratch(_metadata, self->dir, "pressure", variant->fstype, OPTS);
	ASSERT_EQ(0, statfs(self->dir, &sfs));
	ASSERT_EQ(variant->magic, (long)sfs.f_type);
	/* The OOM killer must never pick us. */
	ASSERT_EQ(0, write_text("/proc/self/oom_score_adj", "-1000")) {
		TH_LOG("oom_score_adj: %s", strerror(errno));
	}
	self->kmsg = kmsg_open_end();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(pressure)
{
	if (self->map)
		munmap(self->map, self->map_len);
	close_if_open(self->kmsg);
	unmount_scratch(self->dir);
}

/* One file of the data set: what it holds and what it must look like. */
struct pfile {
	char name[32];
	uint64_t salt;
	off_t size;
	/* byte ranges [0, pattern_end) hold the pattern (except holes), the rest reads as zeros */
	off_t pattern_end;
	off_t hole_every;	/* > 0: only every hole_every-th page holds the pattern */
	blkcnt_t blocks;
};

/* Bytes @off..@off+@len of @f as they must read. */
static void expected(const struct pfile *f, char *buf, size_t len, off_t off, long page)
{
	size_t done = 0;

	while (done < len) {
		off_t at = off + done;
		size_t n = page - at % page;

		if (n > len - done)
			n = len - done;
		if (at < f->pattern_end && (!f->hole_every || (at / page) % f->hole_every == 0))
			fill_pattern(buf + done, n, at, f->salt);
		else
			memset(buf + done, 0, n);
		done += n;
	}
}

static int write_pattern(int fd, off_t from, off_t to, uint64_t salt, char *buf)
{
	off_t off;

	for (off = from; off < to; off += CHUNK) {
		size_t n = to - off < (off_t)CHUNK ? (size_t)(to - off) : CHUNK;

		fill_pattern(buf, n, off, salt);
		if (pwrite(fd, buf, n, off) != (ssize_t)n)
			return -1;
	}
	return 0;
}

/* Reads @f back and compares; returns the first bad offset or -1. */
static off_t verify_file(const char *dir, const struct pfile *f, char *buf, char *want, long page)
{
	char path[128];
	off_t off;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, f->name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	for (off = 0; off < f->size; off += CHUNK) {
		size_t n = f->size - off < (off_t)CHUNK ? (size_t)(f->size - off) : CHUNK;
		size_t i;

		if (pread(fd, buf, n, off) != (ssize_t)n) {
			close(fd);
			return off;
		}
		expected(f, want, n, off, page);
		if (memcmp(buf, want, n)) {
			for (i = 0; buf[i] == want[i]; i++)
				;
			close(fd);
			return off + i;
		}
	}
	close(fd);
	return -1;
}

/* The hog: oom_score_adj 1000, then anonymous memory, page by page, up to @limit bytes. */
static void hog(size_t limit, long page)
{
	size_t total = 0;

	if (write_text("/proc/self/oom_score_adj", "1000"))
		_exit(4);
	while (total < limit) {
		char *p = mmap(NULL, HOG_STEP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		size_t i;

		if (p == MAP_FAILED)
			_exit(3);
		for (i = 0; i < HOG_STEP; i += page)
			p[i] = 1;
		total += HOG_STEP;
	}
	_exit(2);	/* never killed */
}

static bool oom_killed(const char *log, pid_t pid)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "Out of memory: Killed process %d ", (int)pid);
	return log && strstr(log, needle);
}

TEST_F_TIMEOUT(pressure, oom_kill_spares_files, 1200)
{
	struct pfile files[4 + NSMALL];
	int nfiles = 0, i, rounds = (int)self->scale, round, fd;
	char path[128], *buf, *want;
	struct statfs before, after;
	long long cap, target, mem_total_kb;
	double t0 = now_sec(), t_fill, t_hog = 0, t_verify = 0;
	off_t off, bad;

	if (rounds < 1)
		rounds = 1;
	buf = malloc(CHUNK);
	want = malloc(CHUNK);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, want);
	mem_total_kb = meminfo_kb("MemTotal");
	ASSERT_LT(0, mem_total_kb);
	ASSERT_EQ(0, statfs(self->dir, &before));
	cap = (long long)before.f_blocks * before.f_bsize;
	target = cap / 10 * 9;
	TH_LOG("%s: size=25%% is %lld MiB of %lld MiB RAM; filling %lld MiB", variant->fstype,
	       cap >> 20, mem_total_kb >> 10, target >> 20);

	/* 1. fallocate()d, first half overwritten: 30% */
	files[nfiles] = (struct pfile){ .name = "falloc", .salt = 0xfa11,
					.size = target * 3 / 10 / self->page * self->page };
	files[nfiles].pattern_end = files[nfiles].size / 2 / self->page * self->page;
	snprintf(path, sizeof(path), "%s/%s", self->dir, files[nfiles].name);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fallocate(fd, 0, 0, files[nfiles].size)) {
		TH_LOG("fallocate %lld: %s", (long long)files[nfiles].size, strerror(errno));
	}
	ASSERT_EQ(0, write_pattern(fd, 0, files[nfiles].pattern_end, files[nfiles].salt, buf));
	ASSERT_EQ(0, fsetxattr(fd, "user.pressure", "falloc", 6, 0));
	close(fd);
	nfiles++;

	/* 2. written: 30% */
	files[nfiles] = (struct pfile){ .name = "written", .salt = 0x3217,
					.size = target * 3 / 10 + 1234 };
	files[nfiles].pattern_end = files[nfiles].size / 8 * 8;
	files[nfiles].size = files[nfiles].pattern_end;
	snprintf(path, sizeof(path), "%s/%s", self->dir, files[nfiles].name);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, write_pattern(fd, 0, files[nfiles].size, files[nfiles].salt, buf)) {
		TH_LOG("write: %s", strerror(errno));
	}
	close(fd);
	nfiles++;

	/* 3. written through a MAP_SHARED mapping that stays: 25% */
	files[nfiles] = (struct pfile){ .name = "mapped", .salt = 0x3a99,
					.size = target / 4 / self->page * self->page };
	files[nfiles].pattern_end = files[nfiles].size;
	snprintf(path, sizeof(path), "%s/%s", self->dir, files[nfiles].name);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, files[nfiles].size));
	self->map_len = files[nfiles].size;
	self->map = mmap(NULL, self->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, self->map) {
		self->map = NULL;
	}
	fill_pattern(self->map, self->map_len, 0, files[nfiles].salt);
	close(fd);
	nfiles++;

	/* 4. sparse: every 16th page written, a preallocated tail past EOF: ~2% */
	files[nfiles] = (struct pfile){ .name = "sparse", .salt = 0x59a5, .hole_every = 16,
					.size = target / 50 / self->page * self->page };
	files[nfiles].pattern_end = files[nfiles].size;
	snprintf(path, sizeof(path), "%s/%s", self->dir, files[nfiles].name);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, files[nfiles].size));
	for (off = 0; off < files[nfiles].size; off += 16 * self->page) {
		fill_pattern(buf, self->page, off, files[nfiles].salt);
		ASSERT_EQ(self->page, pwrite(fd, buf, self->page, off));
	}
	ASSERT_EQ(0, fallocate(fd, FALLOC_FL_KEEP_SIZE, files[nfiles].size, 64 * self->page));
	close(fd);
	nfiles++;

	/* 5. small files, one to three pages, with an xattr each */
	for (i = 0; i < NSMALL; i++, nfiles++) {
		files[nfiles] = (struct pfile){ .salt = 0x5000 + i,
						.size = (1 + i % 3) * self->page - 8 * (i % 5) };
		files[nfiles].pattern_end = files[nfiles].size;
		snprintf(files[nfiles].name, sizeof(files[nfiles].name), "small%03d", i);
		snprintf(path, sizeof(path), "%s/%s", self->dir, files[nfiles].name);
		fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
		ASSERT_LE(0, fd);
		ASSERT_EQ(0, write_pattern(fd, 0, files[nfiles].size, files[nfiles].salt, buf));
		ASSERT_EQ(0, fsetxattr(fd, "user.i", &i, sizeof(i), 0));
		close(fd);
	}
	t_fill = now_sec() - t0;

	ASSERT_EQ(0, statfs(self->dir, &before));
	for (i = 0; i < nfiles; i++) {
		struct stat st;

		snprintf(path, sizeof(path), "%s/%s", self->dir, files[i].name);
		ASSERT_EQ(0, stat(path, &st));
		ASSERT_EQ(files[i].size, st.st_size);
		files[i].blocks = st.st_blocks;
	}
	TH_LOG("filled in %.1f s: %llu of %llu blocks and %llu of %llu inodes in use; MemFree %ld kB",
	       t_fill, (unsigned long long)(before.f_blocks - before.f_bfree),
	       (unsigned long long)before.f_blocks, (unsigned long long)(before.f_files - before.f_ffree),
	       (unsigned long long)before.f_files, meminfo_kb("MemFree"));

	for (round = 0; round < rounds; round++) {
		char *log;
		int status, splats;
		pid_t pid;
		double h0 = now_sec(), v0;

		fflush(NULL);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			hog((size_t)mem_total_kb * 1024 * 3, self->page);
		for (;;) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == pid)
				break;
			if (now_sec() - h0 > 300) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				TH_LOG("the hog was not killed within 300 s");
				status = -1;
				break;
			}
			usleep(50 * 1000);
		}
		t_hog += now_sec() - h0;
		EXPECT_TRUE(status != -1 && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
			TH_LOG("round %d: hog status 0x%x (exit %d: 2 = never killed, 3 = mmap failed, 4 = oom_score_adj)",
			       round, status, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
		}
		log = kmsg_read_new(self->kmsg);
		EXPECT_TRUE(oom_killed(log, pid)) {
			TH_LOG("round %d: no \"Out of memory: Killed process %d\" in the kernel log", round, pid);
		}
		splats = kmsg_splats(log, pid);
		EXPECT_EQ(0, splats);
		free(log);

		/* Everything as it was. */
		v0 = now_sec();
		ASSERT_EQ(0, statfs(self->dir, &after));
		EXPECT_EQ(before.f_blocks, after.f_blocks);
		EXPECT_EQ(before.f_bfree, after.f_bfree);
		EXPECT_EQ(before.f_files, after.f_files);
		EXPECT_EQ(before.f_ffree, after.f_ffree);
		for (i = 0; i < nfiles; i++) {
			struct stat st;
			char x[16];

			snprintf(path, sizeof(path), "%s/%s", self->dir, files[i].name);
			ASSERT_EQ(0, stat(path, &st));
			EXPECT_EQ(files[i].size, st.st_size);
			EXPECT_EQ(files[i].blocks, st.st_blocks) {
				TH_LOG("round %d: %s", round, files[i].name);
			}
			bad = verify_file(self->dir, &files[i], buf, want, self->page);
			EXPECT_EQ(-1, (long long)bad) {
				TH_LOG("round %d: %s differs at byte %lld", round, files[i].name, (long long)bad);
			}
			if (i >= 4 || i == 0)
				EXPECT_LT(0, getxattr(path, i ? "user.i" : "user.pressure", x, sizeof(x)));
		}
		/* and through the mapping that lived through it all */
		bad = check_pattern(self->map, self->map_len, 0, files[2].salt);
		EXPECT_EQ(-1, (long long)bad) {
			TH_LOG("round %d: the mapping differs at byte %lld", round, (long long)bad);
		}
		t_verify += now_sec() - v0;
	}
	TH_LOG("%s: fill %.1f s, %d hog round(s) %.1f s, verification %.1f s", variant->fstype, t_fill,
	       rounds, t_hog, t_verify);

	/* Removing everything gives everything back. */
	munmap(self->map, self->map_len);
	self->map = NULL;
	for (i = 0; i < nfiles; i++) {
		snprintf(path, sizeof(path), "%s/%s", self->dir, files[i].name);
		EXPECT_EQ(0, unlink(path));
	}
	ASSERT_EQ(0, statfs(self->dir, &after));
	EXPECT_EQ(after.f_blocks, after.f_bfree);
	EXPECT_EQ(after.f_files - 1, after.f_ffree);
	free(buf);
	free(want);
}

TEST_HARNESS_MAIN
