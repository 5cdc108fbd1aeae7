// SPDX-License-Identifier: GPL-2.0
/*
 * File system behaviour of rust_shmem against tmpfs: page-cache files,
 * mappings, truncation, directories, links, special files, attributes,
 * statfs and mount options.
 *
 * Every test runs once per variant (tmpfs, rust_shmem) in a private mount
 * namespace, with the variant mounted on a fresh directory under /tmp.  A
 * plain tmpfs is also mounted beside it ("ref"): where a test derives an
 * expected value (link counts, directory listings, error codes, modes after
 * chown...) it does the same on ref and compares, so tmpfs is the reference
 * even inside the rust_shmem run.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sendfile.h>
#include <sys/xattr.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/falloc.h>

#include "kselftest_harness.h"
#include "test_util.h"

FIXTURE(fs) {
	char dir[64];	/* the variant's mount */
	char ref[64];	/* a tmpfs mounted the same way, for comparisons */
	int dfd;
	int rfd;
	long page;
};

FIXTURE_VARIANT(fs) {
	const char *fstype;
	long magic;
};

FIXTURE_VARIANT_ADD(fs, tmpfs) {
	.fstype = "tmpfs",
	.magic = TMPFS_MAGIC,
};

FIXTURE_VARIANT_ADD(fs, rust_shmem) {
	.fstype = RUST_SHMEM_FSTYPE,
	.magic = RUST_SHMEM_MAGIC,
};

FIXTURE_SETUP(fs)
{
	self->dfd = self->rfd = -1;
	self->page = sysconf(_SC_PAGESIZE);
	umask(0);
	ASSERT_EQ(0, enter_private_mntns());

	strcpy(self->dir, "/tmp/fs_basic.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	strcpy(self->ref, "/tmp/fs_basic_ref.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->ref));

	ASSERT_EQ(0, mount(variant->fstype, self->dir, variant->fstype, 0, "mode=0755")) {
		TH_LOG("mount -t %s: %s", variant->fstype, strerror(errno));
	}
	ASSERT_EQ(0, mount("tmpfs", self->ref, "tmpfs", 0, "mode=0755"));
	self->dfd = open(self->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(self->dfd, 0);
	self->rfd = open(self->ref, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(self->rfd, 0);
}

FIXTURE_TEARDOWN(fs)
{
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->rfd >= 0)
		close(self->rfd);
	umount2(self->dir, MNT_DETACH);
	umount2(self->ref, MNT_DETACH);
	rmdir(self->dir);
	rmdir(self->ref);
}

/* Creates (or truncates) @name under @dfd holding @len bytes of @data. */
static int put_file(int dfd, const char *name, const void *data, size_t len, mode_t mode)
{
	int fd = openat(dfd, name, O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, mode);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* Reads up to @size - 1 bytes of @name under @dfd as a string; returns the length or -1. */
static ssize_t get_file(int dfd, const char *name, char *buf, size_t size)
{
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return n;
}

static long nlink_at(int dfd, const char *name)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return -1;
	return st.st_nlink;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char * const *)a, *(char * const *)b);
}

/*
 * Lists directory @name under @dfd as one sorted, '\n'-joined string of
 * "name:d_type" (including . and ..) into @out.
 */
static int list_dir(int dfd, const char *name, char *out, size_t size)
{
	char *names[1024];
	struct dirent *de;
	size_t n = 0, i, len = 0;
	DIR *d;
	int fd;

	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d)) && n < 1024)
		if (asprintf(&names[n], "%s:%d", de->d_name, de->d_type) > 0)
			n++;
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp_str);
	out[0] = '\0';
	for (i = 0; i < n; i++) {
		len += snprintf(out + len, len < size ? size - len : 0, "%s\n", names[i]);
		free(names[i]);
	}
	return len < size ? (int)n : -1;
}

static int timespec_cmp(const struct timespec *a, const struct timespec *b)
{
	if (a->tv_sec != b->tv_sec)
		return a->tv_sec < b->tv_sec ? -1 : 1;
	if (a->tv_nsec != b->tv_nsec)
		return a->tv_nsec < b->tv_nsec ? -1 : 1;
	return 0;
}

/* Is @ts within [lo - 1s, hi + 1s]?  (File times may come from a coarse clock.) */
static int time_near(const struct timespec *ts, const struct timespec *lo,
		     const struct timespec *hi)
{
	return ts->tv_sec >= lo->tv_sec - 1 && ts->tv_sec <= hi->tv_sec + 1;
}

/* ---------------------------------------------------------------- statfs */

TEST_F(fs, statfs_magic)
{
	struct statfs sfs, ref;
	int fd;

	ASSERT_EQ(1, proc_filesystems_has(variant->fstype));

	ASSERT_EQ(0, statfs(self->dir, &sfs));
	EXPECT_EQ(variant->magic, (long)sfs.f_type) {
		TH_LOG("f_type 0x%lx", (long)sfs.f_type);
	}
	if (variant->magic != TMPFS_MAGIC)
		EXPECT_NE(TMPFS_MAGIC, (long)sfs.f_type);

	fd = openat(self->dfd, "file", O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fstatfs(fd, &sfs));
	EXPECT_EQ(variant->magic, (long)sfs.f_type);
	close(fd);

	/* Name length and block size as tmpfs reports them. */
	ASSERT_EQ(0, fstatfs(self->rfd, &ref));
	EXPECT_EQ(NAME_MAX, (long)sfs.f_namelen);
	EXPECT_EQ((long)ref.f_namelen, (long)sfs.f_namelen);
	EXPECT_EQ((long)ref.f_bsize, (long)sfs.f_bsize);
}

TEST_F(fs, root_dir_attributes)
{
	struct stat st, ref;

	ASSERT_EQ(0, fstat(self->dfd, &st));
	ASSERT_EQ(0, fstat(self->rfd, &ref));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0755, PERM(st));
	EXPECT_EQ(0, (int)st.st_uid);
	EXPECT_EQ(0, (int)st.st_gid);
	EXPECT_EQ(2, (long)st.st_nlink);
	EXPECT_EQ((long)ref.st_nlink, (long)st.st_nlink);
	EXPECT_EQ((long)ref.st_blksize, (long)st.st_blksize);
}

/* ------------------------------------------------------ regular files */

TEST_F(fs, read_write)
{
	char buf[16384];
	struct iovec iov[2];
	struct stat st;
	int fd;

	fd = openat(self->dfd, "f", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(5, write(fd, "hello", 5));
	ASSERT_EQ(5, lseek(fd, 0, SEEK_CUR));
	ASSERT_EQ(5, pwrite(fd, "world", 5, 10000));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(10005, st.st_size);

	/* The gap reads as zeros; reads stop at EOF. */
	memset(buf, 0x7f, sizeof(buf));
	ASSERT_EQ(10005, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
	EXPECT_TRUE(all_zero(buf + 5, 10000 - 5));
	EXPECT_EQ(0, memcmp(buf + 10000, "world", 5));
	EXPECT_EQ(0, pread(fd, buf, sizeof(buf), 10005));
	EXPECT_EQ(0, pread(fd, buf, sizeof(buf), 1 << 20));

	/* Overwrite across a page boundary. */
	memset(buf, 'x', 200);
	ASSERT_EQ(200, pwrite(fd, buf, 200, self->page - 100));
	memset(buf, 0, 300);
	ASSERT_EQ(300, pread(fd, buf, 300, self->page - 150));
	EXPECT_TRUE(all_zero(buf, 50));
	EXPECT_EQ('x', buf[50]);
	EXPECT_EQ('x', buf[249]);
	EXPECT_EQ(0, buf[250]);

	/* Vectored I/O. */
	iov[0].iov_base = "vec";
	iov[0].iov_len = 3;
	iov[1].iov_base = "tored";
	iov[1].iov_len = 5;
	ASSERT_EQ(8, pwritev(fd, iov, 2, 20));
	ASSERT_EQ(8, pread(fd, buf, 8, 20));
	EXPECT_EQ(0, memcmp(buf, "vectored", 8));
	close(fd);

	/* O_APPEND writes land at the end. */
	fd = openat(self->dfd, "f", O_WRONLY | O_APPEND | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(4, write(fd, "tail", 4));
	ASSERT_EQ(10009, lseek(fd, 0, SEEK_END));
	close(fd);
	EXPECT_EQ(EISDIR, ERRNO_OF(pread(self->dfd, buf, 4, 0)));
	fd = openat(self->dfd, "f", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(4, pread(fd, buf, 4, 10005));
	EXPECT_EQ(0, memcmp(buf, "tail", 4));
	close(fd);

	/* O_TRUNC empties it. */
	fd = openat(self->dfd, "f", O_WRONLY | O_TRUNC | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, st.st_size);
	close(fd);
}

TEST_F_TIMEOUT(fs, large_file_64m, 300)
{
	const ssize_t chunk = 1 << 20, total = 64 << 20;
	struct stat st;
	char *buf, *map;
	off_t off;
	int fd;

	buf = malloc(chunk);
	ASSERT_NE(NULL, buf);
	fd = openat(self->dfd, "big", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	for (off = 0; off < total; off += chunk) {
		fill_pattern(buf, chunk, off, 0x64);
		ASSERT_EQ(chunk, write(fd, buf, chunk));
	}
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(total, st.st_size);

	/* Read back in chunks through a fresh descriptor. */
	close(fd);
	fd = openat(self->dfd, "big", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	for (off = 0; off < total; off += chunk) {
		ASSERT_EQ(chunk, read(fd, buf, chunk));
		ASSERT_EQ(-1, check_pattern(buf, chunk, off, 0x64)) {
			TH_LOG("mismatch in chunk at %lld", (long long)off);
		}
	}
	EXPECT_EQ(0, read(fd, buf, chunk));

	/* Reads that straddle pages at odd offsets. */
	for (off = 8; off + 3 * 4096 + 16 <= total; off += 7 * chunk + 4096 * 3 + 8) {
		ssize_t len = 3 * 4096 + 16;

		ASSERT_EQ(len, pread(fd, buf, len, off));
		ASSERT_EQ(-1, check_pattern(buf, len, off, 0x64));
	}

	/* And one word of every page through a mapping. */
	map = mmap(NULL, total, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	for (off = 0; off < total; off += self->page)
		ASSERT_EQ(pattern_word(off + 8, 0x64), *(uint64_t *)(map + off + 8));
	munmap(map, total);
	close(fd);
	free(buf);
}

/* ------------------------------------------------------------ mappings */

/*
 * Nothing backs these pages but memory: reclaim must keep them. drop_caches
 * drops every clean page cache page it can, and data written through write()
 * and through a shared mapping must still read back afterwards.
 */
TEST_F(fs, data_survives_drop_caches)
{
	const size_t len = 4 << 20;
	char *buf, *map;
	int fd, dc;

	buf = malloc(len);
	ASSERT_NE(NULL, buf);
	fd = openat(self->dfd, "resident", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	fill_pattern(buf, len, 0, 0xdc);
	ASSERT_EQ((ssize_t)len, write(fd, buf, len));
	ASSERT_EQ(0, ftruncate(fd, 2 * len));
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, len);
	ASSERT_NE(MAP_FAILED, map);
	fill_pattern(map, len, len, 0xdc);
	ASSERT_EQ(0, munmap(map, len));

	sync();
	dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
	ASSERT_GE(dc, 0);
	ASSERT_EQ(1, write(dc, "3", 1));
	close(dc);

	ASSERT_EQ((ssize_t)len, pread(fd, buf, len, 0));
	EXPECT_EQ(-1, check_pattern(buf, len, 0, 0xdc));
	ASSERT_EQ((ssize_t)len, pread(fd, buf, len, len));
	EXPECT_EQ(-1, check_pattern(buf, len, len, 0xdc));
	close(fd);
	free(buf);
}

TEST_F(fs, mmap_shared_coherent_with_read_write)
{
	ssize_t size = 4 * self->page;
	char buf[64], *map, *map2;
	struct stat st;
	int fd;

	fd = openat(self->dfd, "m", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, size));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_TRUE(all_zero(map, size));

	/* write() shows in the mapping ... */
	ASSERT_EQ(9, pwrite(fd, "via write", 9, self->page + 10));
	EXPECT_EQ(0, memcmp(map + self->page + 10, "via write", 9));

	/* ... and stores to the mapping show in read(), without msync. */
	memcpy(map + 2 * self->page - 4, "via mmap", 8);	/* across a page boundary */
	ASSERT_EQ(8, pread(fd, buf, 8, 2 * self->page - 4));
	EXPECT_EQ(0, memcmp(buf, "via mmap", 8));

	/* A second mapping of the same file sees both. */
	map2 = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map2);
	EXPECT_EQ(0, memcmp(map2 + self->page + 10, "via write", 9));
	EXPECT_EQ(0, memcmp(map2 + 2 * self->page - 4, "via mmap", 8));
	munmap(map2, size);

	/* Stores through a mapping never change the size. */
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(size, st.st_size);
	ASSERT_EQ(0, msync(map, size, MS_SYNC));
	munmap(map, size);

	/* The data outlives the mapping. */
	ASSERT_EQ(8, pread(fd, buf, 8, 2 * self->page - 4));
	EXPECT_EQ(0, memcmp(buf, "via mmap", 8));
	close(fd);
}

TEST_F(fs, mmap_cross_process)
{
	ssize_t size = 32 * self->page;
	int to_child[2], to_parent[2];
	char path[128], c = 0, *map, *buf;
	int fd, status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/shared", self->dir);
	fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, size));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));

	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		/* Its own open file and its own mapping. */
		int cfd = open(path, O_RDWR | O_CLOEXEC);
		char *cmap;

		if (cfd < 0)
			_exit(1);
		cmap = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (cmap == MAP_FAILED)
			_exit(2);
		fill_pattern(cmap, size, 0, 1);
		if (write(to_parent[1], "1", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(3);
		if (check_pattern(cmap, size, 0, 2) != -1)
			_exit(4);
		fill_pattern(cmap, self->page, 0, 3);
		_exit(0);
	}

	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	EXPECT_EQ(-1, check_pattern(map, size, 0, 1));
	fill_pattern(map, size, 0, 2);
	ASSERT_EQ(1, write(to_child[1], "2", 1));
	status = wait_child(pid);
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("child failed at step %d", WEXITSTATUS(status));
	}
	EXPECT_EQ(-1, check_pattern(map, self->page, 0, 3));
	EXPECT_EQ(-1, check_pattern(map + self->page, size - self->page, self->page, 2));

	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(size, pread(fd, buf, size, 0));
	EXPECT_EQ(-1, check_pattern(buf, self->page, 0, 3));
	EXPECT_EQ(-1, check_pattern(buf + self->page, size - self->page, self->page, 2));
	free(buf);
	munmap(map, size);
	close(fd);
}

TEST_F(fs, mmap_private_cow)
{
	ssize_t size = 3 * self->page;
	char *map, *buf;
	int fd;

	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	fill_pattern(buf, size, 0, 7);
	ASSERT_EQ(0, put_file(self->dfd, "p", buf, size, 0644));
	fd = openat(self->dfd, "p", O_RDWR | O_CLOEXEC);
	ASSERT_GE(fd, 0);

	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-1, check_pattern(map, size, 0, 7));

	/* Page 0 gets a private copy: the file keeps its data. */
	memset(map, 'P', 100);
	ASSERT_EQ(size, pread(fd, buf, size, 0));
	EXPECT_EQ(-1, check_pattern(buf, size, 0, 7));

	/* File writes show in pages not yet copied, never in the copied one. */
	memset(buf, 'F', self->page);
	ASSERT_EQ(self->page, pwrite(fd, buf, self->page, 0));
	ASSERT_EQ(self->page, pwrite(fd, buf, self->page, 2 * self->page));
	EXPECT_EQ('P', map[0]);
	EXPECT_EQ(-1, check_pattern(map + 104, self->page - 104, 104, 7));
	EXPECT_EQ(-1, check_pattern(map + self->page, self->page, self->page, 7));
	EXPECT_EQ('F', map[2 * self->page]);
	EXPECT_EQ('F', map[3 * self->page - 1]);

	munmap(map, size);
	close(fd);
	free(buf);
}

/* ---------------------------------------------------------- truncation */

TEST_F(fs, truncate_grow_reads_zeros)
{
	ssize_t size = 5 * self->page;
	struct stat st;
	char *buf, *map;
	int fd;

	fd = openat(self->dfd, "t", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(6, write(fd, "abcdef", 6));
	ASSERT_EQ(0, ftruncate(fd, size));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(size, st.st_size);

	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	memset(buf, 0x55, size);
	ASSERT_EQ(size, pread(fd, buf, size, 0));
	EXPECT_EQ(0, memcmp(buf, "abcdef", 6));
	EXPECT_TRUE(all_zero(buf + 6, size - 6));

	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(0, memcmp(map, "abcdef", 6));
	EXPECT_TRUE(all_zero(map + 6, size - 6));
	munmap(map, size);

	/* truncate(2) by path does the same. */
	{
		char path[128];

		snprintf(path, sizeof(path), "%s/t", self->dir);
		ASSERT_EQ(0, truncate(path, 3));
		ASSERT_EQ(0, fstat(fd, &st));
		EXPECT_EQ(3, st.st_size);
	}
	free(buf);
	close(fd);
}

TEST_F(fs, truncate_shrink_drops_data)
{
	ssize_t size = 3 * self->page;
	char *buf, *map;
	int fd;

	buf = malloc(size);
	ASSERT_NE(NULL, buf);
	memset(buf, 0xaa, size);
	fd = openat(self->dfd, "s", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(size, write(fd, buf, size));
	map = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ((char)0xaa, map[size - 1]);

	ASSERT_EQ(0, ftruncate(fd, 100));
	EXPECT_EQ(100, pread(fd, buf, size, 0));
	/* The tail of the last partial page is zeroed, as the mapping shows. */
	EXPECT_EQ((char)0xaa, map[99]);
	EXPECT_TRUE(all_zero(map + 100, self->page - 100));

	/* Growing again brings back zeros, not the old data. */
	ASSERT_EQ(0, ftruncate(fd, size));
	memset(buf, 0x11, size);
	ASSERT_EQ(size, pread(fd, buf, size, 0));
	EXPECT_EQ((char)0xaa, buf[99]);
	EXPECT_TRUE(all_zero(buf + 100, size - 100));
	EXPECT_TRUE(all_zero(map + 100, size - 100));

	/* Truncating to 0 empties it. */
	ASSERT_EQ(0, ftruncate(fd, 0));
	EXPECT_EQ(0, pread(fd, buf, size, 0));
	munmap(map, size);
	close(fd);
	free(buf);
}

/* Forks a child that touches map[off]; returns its wait status. */
static int touch_in_child(volatile char *map, long off, int do_write)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (do_write)
			map[off] = 1;
		else
			(void)map[off];
		_exit(0);
	}
	return pid < 0 ? -1 : wait_child(pid);
}

TEST_F(fs, mmap_beyond_eof_sigbus)
{
	ssize_t size = 4 * self->page;
	char *map;
	int fd, st;

	fd = openat(self->dfd, "b", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, ftruncate(fd, size));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	memset(map, 'z', size);

	/* Shrink to one and a bit pages. */
	ASSERT_EQ(0, ftruncate(fd, self->page + 10));

	/* Inside EOF, and in the rest of the last partial page: fine. */
	st = touch_in_child(map, 0, 1);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = touch_in_child(map, self->page + 100, 0);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_EQ(0, map[self->page + 100]);

	/* Whole pages past EOF: SIGBUS, for loads and stores. */
	st = touch_in_child(map, 2 * self->page, 0);
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS) {
		TH_LOG("read past EOF: status 0x%x", st);
	}
	st = touch_in_child(map, 3 * self->page + 5, 1);
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGBUS) {
		TH_LOG("write past EOF: status 0x%x", st);
	}

	/* Growing the file makes the pages accessible again, as zeros. */
	ASSERT_EQ(0, ftruncate(fd, size));
	st = touch_in_child(map, 3 * self->page + 5, 0);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_TRUE(all_zero(map + self->page + 10, size - self->page - 10));

	munmap(map, size);
	close(fd);
}

/* ---------------------------------------------------------- directories */

/* Runs the same mkdir/rmdir sequence under @dfd, recording link counts. */
static int nlink_sequence(int dfd, long *out)
{
	int n = 0;

	if (mkdirat(dfd, "top", 0755))
		return -1;
	out[n++] = nlink_at(dfd, "top");
	if (mkdirat(dfd, "top/a", 0755) || mkdirat(dfd, "top/b", 0755))
		return -1;
	out[n++] = nlink_at(dfd, "top");
	out[n++] = nlink_at(dfd, "top/a");
	/* Files do not count. */
	if (put_file(dfd, "top/file", "x", 1, 0644) || put_file(dfd, "top/a/file", "x", 1, 0644))
		return -1;
	out[n++] = nlink_at(dfd, "top");
	out[n++] = nlink_at(dfd, "top/a");
	if (mkdirat(dfd, "top/a/deep", 0755))
		return -1;
	out[n++] = nlink_at(dfd, "top/a");
	if (unlinkat(dfd, "top/b", AT_REMOVEDIR))
		return -1;
	out[n++] = nlink_at(dfd, "top");
	return n;
}

TEST_F(fs, dir_nlink)
{
	long got[8], ref[8], root0, root1;
	int n, i;

	root0 = nlink_at(self->dfd, ".");
	n = nlink_sequence(self->dfd, got);
	ASSERT_EQ(7, n);
	ASSERT_EQ(7, nlink_sequence(self->rfd, ref));
	root1 = nlink_at(self->dfd, ".");

	/* tmpfs: a directory starts at 2 and gains one per subdirectory. */
	EXPECT_EQ(2, got[0]);
	EXPECT_EQ(4, got[1]);
	EXPECT_EQ(2, got[2]);
	EXPECT_EQ(4, got[3]);
	EXPECT_EQ(2, got[4]);
	EXPECT_EQ(3, got[5]);
	EXPECT_EQ(3, got[6]);
	EXPECT_EQ(root0 + 1, root1);
	for (i = 0; i < n; i++)
		EXPECT_EQ(ref[i], got[i]) {
			TH_LOG("step %d: tmpfs %ld, %s %ld", i, ref[i], variant->fstype, got[i]);
		}
}

static int make_listing_tree(int dfd)
{
	char name[32];
	int i;

	if (mkdirat(dfd, "d", 0755) || mkdirat(dfd, "d/sub", 0700) ||
	    put_file(dfd, "d/a", "1", 1, 0644) || put_file(dfd, "d/b", "22", 2, 0600) ||
	    symlinkat("a", dfd, "d/link") || mknodat(dfd, "d/fifo", S_IFIFO | 0644, 0))
		return -1;
	if (mkdirat(dfd, "many", 0755))
		return -1;
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "many/entry-%03d", i);
		if (put_file(dfd, name, "", 0, 0644))
			return -1;
	}
	return 0;
}

TEST_F(fs, readdir_and_lookup)
{
	static char got[32768], ref[32768];
	char name[32], expect[256];
	struct stat st;
	int i;

	ASSERT_EQ(0, make_listing_tree(self->dfd));
	ASSERT_EQ(0, make_listing_tree(self->rfd));

	ASSERT_EQ(7, list_dir(self->dfd, "d", got, sizeof(got)));
	ASSERT_EQ(7, list_dir(self->rfd, "d", ref, sizeof(ref)));
	EXPECT_STREQ(ref, got);
	snprintf(expect, sizeof(expect), "..:%d\n.:%d\na:%d\nb:%d\nfifo:%d\nlink:%d\nsub:%d\n",
		 DT_DIR, DT_DIR, DT_REG, DT_REG, DT_FIFO, DT_LNK, DT_DIR);
	EXPECT_STREQ(expect, got);

	/* 300 entries: each exactly once, across several getdents calls. */
	ASSERT_EQ(302, list_dir(self->dfd, "many", got, sizeof(got)));
	ASSERT_EQ(302, list_dir(self->rfd, "many", ref, sizeof(ref)));
	EXPECT_STREQ(ref, got);

	/* Lookups find every entry and nothing else. */
	for (i = 0; i < 300; i += 37) {
		snprintf(name, sizeof(name), "many/entry-%03d", i);
		EXPECT_EQ(0, fstatat(self->dfd, name, &st, 0));
		EXPECT_TRUE(S_ISREG(st.st_mode));
	}
	EXPECT_EQ(ENOENT, ERRNO_OF(fstatat(self->dfd, "many/entry-300", &st, 0)));
	EXPECT_EQ(ENOENT, ERRNO_OF(fstatat(self->dfd, "d/A", &st, 0)));	/* case matters */

	/* Removed entries disappear from listings. */
	ASSERT_EQ(0, unlinkat(self->dfd, "d/a", 0));
	ASSERT_EQ(0, unlinkat(self->rfd, "d/a", 0));
	ASSERT_EQ(6, list_dir(self->dfd, "d", got, sizeof(got)));
	ASSERT_EQ(6, list_dir(self->rfd, "d", ref, sizeof(ref)));
	EXPECT_STREQ(ref, got);
}

TEST_F(fs, rmdir_semantics)
{
	struct stat st;
	int fd;

	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, mkdirat(self->dfd, "d/sub", 0755));
	ASSERT_EQ(0, put_file(self->dfd, "d/sub/f", "x", 1, 0644));
	ASSERT_EQ(0, fstatat(self->dfd, "d", &st, 0));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0755, PERM(st));

	EXPECT_EQ(ENOTEMPTY, ERRNO_OF(unlinkat(self->dfd, "d", AT_REMOVEDIR)));
	EXPECT_EQ(ENOTEMPTY, ERRNO_OF(unlinkat(self->dfd, "d/sub", AT_REMOVEDIR)));
	EXPECT_EQ(EEXIST, ERRNO_OF(mkdirat(self->dfd, "d", 0755)));

	ASSERT_EQ(0, unlinkat(self->dfd, "d/sub/f", 0));
	ASSERT_EQ(0, unlinkat(self->dfd, "d/sub", AT_REMOVEDIR));
	ASSERT_EQ(0, unlinkat(self->dfd, "d", AT_REMOVEDIR));
	EXPECT_EQ(ENOENT, ERRNO_OF(fstatat(self->dfd, "d", &st, 0)));
	EXPECT_EQ(2, nlink_at(self->dfd, "."));

	/* A removed directory that is still open is empty and dead. */
	ASSERT_EQ(0, mkdirat(self->dfd, "gone", 0755));
	fd = openat(self->dfd, "gone", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, unlinkat(self->dfd, "gone", AT_REMOVEDIR));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, (long)st.st_nlink);
	EXPECT_EQ(ENOENT, ERRNO_OF(openat(fd, "new", O_CREAT | O_RDWR, 0644)));
	close(fd);
}

/* Failing operations must fail the same way as on tmpfs. */
static int errno_table(int dfd, int *out)
{
	char longname[NAME_MAX + 2];
	int n = 0;

	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';

	if (put_file(dfd, "f", "x", 1, 0644) || mkdirat(dfd, "d", 0755) ||
	    put_file(dfd, "d/f", "x", 1, 0644) || mkdirat(dfd, "e", 0755) ||
	    symlinkat("f", dfd, "l"))
		return -1;

	out[n++] = ERRNO_OF(mkdirat(dfd, "d", 0755));
	out[n++] = ERRNO_OF(mkdirat(dfd, "f", 0755));
	out[n++] = ERRNO_OF(unlinkat(dfd, "d", AT_REMOVEDIR));
	out[n++] = ERRNO_OF(unlinkat(dfd, "f", AT_REMOVEDIR));
	out[n++] = ERRNO_OF(unlinkat(dfd, "d", 0));
	out[n++] = ERRNO_OF(unlinkat(dfd, "missing", 0));
	out[n++] = ERRNO_OF(renameat(dfd, "e", dfd, "f"));
	out[n++] = ERRNO_OF(renameat(dfd, "f", dfd, "e"));
	out[n++] = ERRNO_OF(renameat(dfd, "e", dfd, "d"));
	out[n++] = ERRNO_OF(renameat(dfd, "d", dfd, "d/sub"));
	out[n++] = ERRNO_OF(renameat(dfd, "missing", dfd, "x"));
	out[n++] = ERRNO_OF(linkat(dfd, "d", dfd, "d2", 0));
	out[n++] = ERRNO_OF(linkat(dfd, "f", dfd, "l", 0));
	out[n++] = ERRNO_OF(openat(dfd, "missing", O_RDONLY));
	out[n++] = ERRNO_OF(openat(dfd, "f", O_RDONLY | O_DIRECTORY));
	out[n++] = ERRNO_OF(openat(dfd, "d", O_WRONLY));
	out[n++] = ERRNO_OF(openat(dfd, "f/x", O_CREAT | O_RDWR, 0644));
	out[n++] = ERRNO_OF(openat(dfd, "f", O_CREAT | O_EXCL | O_RDWR, 0644));
	out[n++] = ERRNO_OF(mkdirat(dfd, "missing/x", 0755));
	out[n++] = ERRNO_OF(symlinkat("t", dfd, "f"));
	out[n++] = ERRNO_OF(mknodat(dfd, "f", S_IFIFO | 0644, 0));
	{
		char buf[16];

		out[n++] = ERRNO_OF(readlinkat(dfd, "f", buf, sizeof(buf)));
	}
	out[n++] = ERRNO_OF(openat(dfd, longname, O_CREAT | O_RDWR, 0644));
	out[n++] = ERRNO_OF(mkdirat(dfd, longname, 0755));
	return n;
}

TEST_F(fs, errors_match_tmpfs)
{
	static const int expect[] = {
		EEXIST, EEXIST, ENOTEMPTY, ENOTDIR, EISDIR, ENOENT,
		ENOTDIR, EISDIR, ENOTEMPTY, EINVAL, ENOENT, EPERM, EEXIST,
		ENOENT, ENOTDIR, EISDIR, ENOTDIR, EEXIST, ENOENT, EEXIST, EEXIST,
		EINVAL, ENAMETOOLONG, ENAMETOOLONG,
	};
	const int count = sizeof(expect) / sizeof(expect[0]);
	int got[32], ref[32];
	int i;

	ASSERT_EQ(count, errno_table(self->dfd, got));
	ASSERT_EQ(count, errno_table(self->rfd, ref));
	for (i = 0; i < count; i++) {
		EXPECT_EQ(ref[i], got[i]) {
			TH_LOG("case %d: tmpfs %s, %s %s", i, strerror(ref[i]),
			       variant->fstype, strerror(got[i]));
		}
		EXPECT_EQ(expect[i], got[i]) {
			TH_LOG("case %d: expected %s", i, strerror(expect[i]));
		}
	}
}

/* ------------------------------------------------------ names and links */

TEST_F(fs, create_unlink)
{
	struct stat st;
	char buf[16];
	int fd;

	fd = openat(self->dfd, "f", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(EEXIST, ERRNO_OF(openat(self->dfd, "f", O_CREAT | O_EXCL | O_RDWR, 0644)));
	ASSERT_EQ(4, write(fd, "data", 4));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &st, 0));
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(0644, PERM(st));
	EXPECT_EQ(1, (long)st.st_nlink);
	EXPECT_EQ(4, st.st_size);

	ASSERT_EQ(0, unlinkat(self->dfd, "f", 0));
	EXPECT_EQ(ENOENT, ERRNO_OF(fstatat(self->dfd, "f", &st, 0)));
	EXPECT_EQ(ENOENT, ERRNO_OF(unlinkat(self->dfd, "f", 0)));

	/* Still usable through the descriptor, with no links. */
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, (long)st.st_nlink);
	ASSERT_EQ(4, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "data", 4));
	ASSERT_EQ(4, pwrite(fd, "more", 4, 4));
	close(fd);

	/* The name can be reused for a new, empty file. */
	fd = openat(self->dfd, "f", O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, st.st_size);
	EXPECT_EQ(0600, PERM(st));
	close(fd);
}

TEST_F(fs, rename_file)
{
	struct stat a, st;
	char buf[32];
	int fd;

	ASSERT_EQ(0, put_file(self->dfd, "a", "AAAA", 4, 0644));
	ASSERT_EQ(0, fstatat(self->dfd, "a", &a, 0));
	ASSERT_EQ(0, renameat(self->dfd, "a", self->dfd, "b"));
	EXPECT_EQ(ENOENT, ERRNO_OF(fstatat(self->dfd, "a", &st, 0)));
	ASSERT_EQ(0, fstatat(self->dfd, "b", &st, 0));
	EXPECT_EQ(a.st_ino, st.st_ino);
	EXPECT_EQ(4, get_file(self->dfd, "b", buf, sizeof(buf)));
	EXPECT_STREQ("AAAA", buf);

	/* Over an existing file: the target is replaced, its old inode lives on while open. */
	ASSERT_EQ(0, put_file(self->dfd, "c", "CC", 2, 0600));
	fd = openat(self->dfd, "c", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(0, renameat(self->dfd, "b", self->dfd, "c"));
	EXPECT_EQ(ENOENT, ERRNO_OF(fstatat(self->dfd, "b", &st, 0)));
	ASSERT_EQ(0, fstatat(self->dfd, "c", &st, 0));
	EXPECT_EQ(a.st_ino, st.st_ino);
	EXPECT_EQ(0644, PERM(st));
	EXPECT_EQ(4, get_file(self->dfd, "c", buf, sizeof(buf)));
	EXPECT_STREQ("AAAA", buf);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, (long)st.st_nlink);
	ASSERT_EQ(2, pread(fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "CC", 2));
	close(fd);

	/* Onto itself: nothing happens. */
	ASSERT_EQ(0, renameat(self->dfd, "c", self->dfd, "c"));
	EXPECT_EQ(4, get_file(self->dfd, "c", buf, sizeof(buf)));

	/* Into another directory. */
	ASSERT_EQ(0, mkdirat(self->dfd, "dir", 0755));
	ASSERT_EQ(0, renameat(self->dfd, "c", self->dfd, "dir/moved"));
	ASSERT_EQ(0, fstatat(self->dfd, "dir/moved", &st, 0));
	EXPECT_EQ(a.st_ino, st.st_ino);
	EXPECT_EQ(2, nlink_at(self->dfd, "dir"));

	/* Over a hard link to itself: both names stay (POSIX). */
	ASSERT_EQ(0, linkat(self->dfd, "dir/moved", self->dfd, "dir/alias", 0));
	ASSERT_EQ(0, renameat(self->dfd, "dir/moved", self->dfd, "dir/alias"));
	EXPECT_EQ(0, fstatat(self->dfd, "dir/moved", &st, 0));
	EXPECT_EQ(2, (long)st.st_nlink);
}

static int rename_dir_sequence(int dfd, long *out)
{
	int n = 0;

	if (mkdirat(dfd, "p1", 0755) || mkdirat(dfd, "p2", 0755) ||
	    mkdirat(dfd, "p1/x", 0755) || put_file(dfd, "p1/x/file", "xf", 2, 0644) ||
	    mkdirat(dfd, "empty", 0755))
		return -1;
	out[n++] = nlink_at(dfd, ".");
	if (renameat(dfd, "p1/x", dfd, "p2/x"))		/* between parents */
		return -1;
	out[n++] = nlink_at(dfd, "p1");
	out[n++] = nlink_at(dfd, "p2");
	if (renameat(dfd, "p2/x", dfd, "y"))		/* up to the root */
		return -1;
	out[n++] = nlink_at(dfd, "p2");
	out[n++] = nlink_at(dfd, ".");
	if (renameat(dfd, "y", dfd, "empty"))		/* over an empty directory */
		return -1;
	out[n++] = nlink_at(dfd, ".");
	out[n++] = nlink_at(dfd, "empty");
	return n;
}

TEST_F(fs, rename_dir)
{
	long got[8], ref[8], root0;
	struct stat st, dotdot, p2;
	char buf[8];
	int i, n;

	root0 = nlink_at(self->dfd, ".");
	n = rename_dir_sequence(self->dfd, got);
	ASSERT_EQ(7, n);
	ASSERT_EQ(7, rename_dir_sequence(self->rfd, ref));
	EXPECT_EQ(root0 + 3, got[0]);
	EXPECT_EQ(2, got[1]);
	EXPECT_EQ(3, got[2]);
	EXPECT_EQ(2, got[3]);
	EXPECT_EQ(root0 + 4, got[4]);
	EXPECT_EQ(root0 + 3, got[5]);
	EXPECT_EQ(2, got[6]);
	for (i = 0; i < n; i++)
		EXPECT_EQ(ref[i], got[i]) {
			TH_LOG("step %d: tmpfs %ld, %s %ld", i, ref[i], variant->fstype, got[i]);
		}

	/* The contents travelled with the directory. */
	EXPECT_EQ(ENOENT, ERRNO_OF(fstatat(self->dfd, "y", &st, 0)));
	EXPECT_EQ(2, get_file(self->dfd, "empty/file", buf, sizeof(buf)));
	EXPECT_STREQ("xf", buf);

	/* ".." of a moved directory points at its new parent. */
	ASSERT_EQ(0, mkdirat(self->dfd, "p1/z", 0755));
	ASSERT_EQ(0, renameat(self->dfd, "p1/z", self->dfd, "p2/z"));
	ASSERT_EQ(0, fstatat(self->dfd, "p2/z/..", &dotdot, 0));
	ASSERT_EQ(0, fstatat(self->dfd, "p2", &p2, 0));
	EXPECT_EQ(p2.st_ino, dotdot.st_ino);
}

TEST_F(fs, hard_links)
{
	struct stat a, b;
	char buf[16];

	ASSERT_EQ(0, put_file(self->dfd, "a", "one", 3, 0640));
	ASSERT_EQ(0, linkat(self->dfd, "a", self->dfd, "b", 0));
	ASSERT_EQ(0, fstatat(self->dfd, "a", &a, 0));
	ASSERT_EQ(0, fstatat(self->dfd, "b", &b, 0));
	EXPECT_EQ(a.st_ino, b.st_ino);
	EXPECT_EQ(2, (long)a.st_nlink);
	EXPECT_EQ(2, (long)b.st_nlink);
	EXPECT_EQ(0640, PERM(b));

	/* One inode: writes through one name show through the other. */
	ASSERT_EQ(0, put_file(self->dfd, "b", "two!", 4, 0));
	EXPECT_EQ(4, get_file(self->dfd, "a", buf, sizeof(buf)));
	EXPECT_STREQ("two!", buf);

	/* A link in another directory, then drop the original names. */
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, linkat(self->dfd, "a", self->dfd, "d/c", 0));
	EXPECT_EQ(3, nlink_at(self->dfd, "a"));
	ASSERT_EQ(0, unlinkat(self->dfd, "a", 0));
	ASSERT_EQ(0, unlinkat(self->dfd, "b", 0));
	EXPECT_EQ(1, nlink_at(self->dfd, "d/c"));
	EXPECT_EQ(4, get_file(self->dfd, "d/c", buf, sizeof(buf)));
	EXPECT_STREQ("two!", buf);

	/* Directories cannot be hard-linked; existing names are not replaced. */
	EXPECT_EQ(EPERM, ERRNO_OF(linkat(self->dfd, "d", self->dfd, "d2", 0)));
	ASSERT_EQ(0, put_file(self->dfd, "other", "", 0, 0644));
	EXPECT_EQ(EEXIST, ERRNO_OF(linkat(self->dfd, "d/c", self->dfd, "other", 0)));
}

TEST_F(fs, symlinks)
{
	char target[4096], buf[4200];
	struct stat st, f;
	int fd;

	ASSERT_EQ(0, put_file(self->dfd, "f", "content", 7, 0644));
	ASSERT_EQ(0, symlinkat("f", self->dfd, "l"));
	ASSERT_EQ(0, fstatat(self->dfd, "l", &st, AT_SYMLINK_NOFOLLOW));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	EXPECT_EQ(1, st.st_size);
	EXPECT_EQ(0777, PERM(st));
	EXPECT_EQ(1, readlinkat(self->dfd, "l", buf, sizeof(buf)));
	EXPECT_EQ('f', buf[0]);

	/* Following it reaches the file. */
	ASSERT_EQ(0, fstatat(self->dfd, "l", &st, 0));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &f, 0));
	EXPECT_EQ(f.st_ino, st.st_ino);
	fd = openat(self->dfd, "l", O_RDONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(7, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "content", 7));
	close(fd);
	EXPECT_EQ(ELOOP, ERRNO_OF(openat(self->dfd, "l", O_RDONLY | O_NOFOLLOW)));

	/* Relative targets resolve from the link's directory. */
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, symlinkat("../f", self->dfd, "d/up"));
	EXPECT_EQ(7, get_file(self->dfd, "d/up", buf, sizeof(buf)));

	/* Long targets (past any inline storage) read back whole. */
	memset(target, 'a', sizeof(target));
	for (int i = 100; i < 4000; i += 100)
		target[i] = '/';
	target[4000] = '\0';
	ASSERT_EQ(0, symlinkat(target, self->dfd, "long"));
	ASSERT_EQ(0, fstatat(self->dfd, "long", &st, AT_SYMLINK_NOFOLLOW));
	EXPECT_EQ(4000, st.st_size);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(4000, readlinkat(self->dfd, "long", buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, target, 4000));

	/* Dangling links and loops. */
	ASSERT_EQ(0, symlinkat("nowhere", self->dfd, "dangling"));
	EXPECT_EQ(ENOENT, ERRNO_OF(fstatat(self->dfd, "dangling", &st, 0)));
	EXPECT_EQ(0, fstatat(self->dfd, "dangling", &st, AT_SYMLINK_NOFOLLOW));
	ASSERT_EQ(0, symlinkat("loop2", self->dfd, "loop1"));
	ASSERT_EQ(0, symlinkat("loop1", self->dfd, "loop2"));
	EXPECT_EQ(ELOOP, ERRNO_OF(fstatat(self->dfd, "loop1", &st, 0)));

	/* Removing the link leaves the file. */
	ASSERT_EQ(0, unlinkat(self->dfd, "l", 0));
	EXPECT_EQ(0, fstatat(self->dfd, "f", &st, 0));
}

TEST_F(fs, mknod_fifo)
{
	struct stat st, ref;
	char buf[8];
	int fd;

	ASSERT_EQ(0, mknodat(self->dfd, "fifo", S_IFIFO | 0640, 0));
	ASSERT_EQ(0, mknodat(self->rfd, "fifo", S_IFIFO | 0640, 0));
	ASSERT_EQ(0, fstatat(self->dfd, "fifo", &st, 0));
	ASSERT_EQ(0, fstatat(self->rfd, "fifo", &ref, 0));
	EXPECT_TRUE(S_ISFIFO(st.st_mode));
	EXPECT_EQ(0640, PERM(st));
	EXPECT_EQ(0, st.st_size);
	EXPECT_EQ(1, (long)st.st_nlink);
	EXPECT_EQ(ref.st_mode, st.st_mode);

	/* It is a working pipe. */
	fd = openat(self->dfd, "fifo", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	ASSERT_EQ(5, write(fd, "piped", 5));
	ASSERT_EQ(5, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(0, memcmp(buf, "piped", 5));
	EXPECT_EQ(EAGAIN, ERRNO_OF(read(fd, buf, sizeof(buf))));
	close(fd);

	ASSERT_EQ(0, mkfifoat(self->dfd, "fifo2", 0600));
	ASSERT_EQ(0, fstatat(self->dfd, "fifo2", &st, 0));
	EXPECT_TRUE(S_ISFIFO(st.st_mode));
	ASSERT_EQ(0, unlinkat(self->dfd, "fifo2", 0));
}

/* ---------------------------------------------------------- attributes */

static int chmod_chown_sequence(int dfd, int *modes, int *ids)
{
	struct stat st;
	int n = 0;

	if (put_file(dfd, "f", "x", 1, 0644) || fchmodat(dfd, "f", 04755, 0))
		return -1;
	if (fstatat(dfd, "f", &st, 0))
		return -1;
	modes[n] = PERM(st);
	ids[n++] = st.st_uid * 100000 + st.st_gid;
	/* chown of an executable drops the set-user-ID bit */
	if (fchownat(dfd, "f", TEST_UID, TEST_GID, 0) || fstatat(dfd, "f", &st, 0))
		return -1;
	modes[n] = PERM(st);
	ids[n++] = st.st_uid * 100000 + st.st_gid;
	if (fchownat(dfd, "f", -1, 0, 0) || fstatat(dfd, "f", &st, 0))
		return -1;
	modes[n] = PERM(st);
	ids[n++] = st.st_uid * 100000 + st.st_gid;
	return n;
}

struct path_op {
	const char *path;
	mode_t mode;
};

static int child_chmod(void *arg)
{
	struct path_op *op = arg;

	return chmod(op->path, op->mode) ? errno : 0;
}

TEST_F(fs, chmod_chown)
{
	int modes[4], ids[4], rmodes[4], rids[4], i;
	struct stat before, st;
	char path[128];
	struct path_op op = { path, 0600 };

	ASSERT_EQ(3, chmod_chown_sequence(self->dfd, modes, ids));
	ASSERT_EQ(3, chmod_chown_sequence(self->rfd, rmodes, rids));
	EXPECT_EQ(04755, modes[0]);
	EXPECT_EQ(0755, modes[1]);
	EXPECT_EQ(0, ids[0]);
	EXPECT_EQ(TEST_UID * 100000 + TEST_GID, ids[1]);
	EXPECT_EQ(TEST_UID * 100000, ids[2]);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(rmodes[i], modes[i]) {
			TH_LOG("step %d: tmpfs mode %o, %s %o", i, rmodes[i], variant->fstype, modes[i]);
		}
		EXPECT_EQ(rids[i], ids[i]);
	}

	/* chmod changes the ctime. */
	ASSERT_EQ(0, fstatat(self->dfd, "f", &before, 0));
	usleep(50 * 1000);
	ASSERT_EQ(0, fchmodat(self->dfd, "f", 0640, 0));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &st, 0));
	EXPECT_EQ(0640, PERM(st));
	EXPECT_GT(0, timespec_cmp(&before.st_ctim, &st.st_ctim));

	/* The owner (uid 1000 now) may chmod; anybody else may not. */
	snprintf(path, sizeof(path), "%s/f", self->dir);
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, child_chmod, &op));
	ASSERT_EQ(0, fstatat(self->dfd, "f", &st, 0));
	EXPECT_EQ(0600, PERM(st));
	EXPECT_EQ(EPERM, run_as(TEST_UID + 1, TEST_GID + 1, child_chmod, &op));
}

TEST_F(fs, utimensat_timestamps)
{
	const struct timespec set[2] = {
		{ .tv_sec = 1000000000, .tv_nsec = 123456789 },	/* atime */
		{ .tv_sec = 1200000000, .tv_nsec = 987654321 },	/* mtime */
	};
	struct timespec t0, t1, omit_now[2];
	struct stat st, ref;
	struct statx stx;
	int fd;

	ASSERT_EQ(0, put_file(self->dfd, "f", "x", 1, 0644));
	ASSERT_EQ(0, put_file(self->rfd, "f", "x", 1, 0644));
	ASSERT_EQ(0, utimensat(self->dfd, "f", set, 0));
	ASSERT_EQ(0, utimensat(self->rfd, "f", set, 0));

	/* Read back to the nanosecond, through stat and statx, as on tmpfs. */
	ASSERT_EQ(0, fstatat(self->dfd, "f", &st, 0));
	ASSERT_EQ(0, fstatat(self->rfd, "f", &ref, 0));
	EXPECT_EQ(0, timespec_cmp(&set[0], &st.st_atim));
	EXPECT_EQ(0, timespec_cmp(&set[1], &st.st_mtim)) {
		TH_LOG("mtime %lld.%09ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	}
	EXPECT_EQ(0, timespec_cmp(&ref.st_atim, &st.st_atim));
	EXPECT_EQ(0, timespec_cmp(&ref.st_mtim, &st.st_mtim));
	ASSERT_EQ(0, statx(self->dfd, "f", 0, STATX_ATIME | STATX_MTIME | STATX_CTIME, &stx));
	EXPECT_TRUE((stx.stx_mask & (STATX_ATIME | STATX_MTIME)) == (STATX_ATIME | STATX_MTIME));
	EXPECT_EQ(set[0].tv_sec, stx.stx_atime.tv_sec);
	EXPECT_EQ(set[0].tv_nsec, (long)stx.stx_atime.tv_nsec);
	EXPECT_EQ(set[1].tv_sec, stx.stx_mtime.tv_sec);
	EXPECT_EQ(set[1].tv_nsec, (long)stx.stx_mtime.tv_nsec);

	/* UTIME_OMIT keeps atime; UTIME_NOW takes the current time. */
	omit_now[0].tv_nsec = UTIME_OMIT;
	omit_now[1].tv_nsec = UTIME_NOW;
	clock_gettime(CLOCK_REALTIME, &t0);
	ASSERT_EQ(0, utimensat(self->dfd, "f", omit_now, 0));
	clock_gettime(CLOCK_REALTIME, &t1);
	ASSERT_EQ(0, fstatat(self->dfd, "f", &st, 0));
	EXPECT_EQ(0, timespec_cmp(&set[0], &st.st_atim));
	EXPECT_TRUE(time_near(&st.st_mtim, &t0, &t1));
	EXPECT_TRUE(time_near(&st.st_ctim, &t0, &t1));

	/* Writing and truncating update mtime and ctime. */
	ASSERT_EQ(0, utimensat(self->dfd, "f", set, 0));
	fd = openat(self->dfd, "f", O_WRONLY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	clock_gettime(CLOCK_REALTIME, &t0);
	ASSERT_EQ(3, write(fd, "new", 3));
	clock_gettime(CLOCK_REALTIME, &t1);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_TRUE(time_near(&st.st_mtim, &t0, &t1)) {
		TH_LOG("mtime after write: %lld", (long long)st.st_mtim.tv_sec);
	}
	EXPECT_TRUE(time_near(&st.st_ctim, &t0, &t1));
	ASSERT_EQ(0, futimens(fd, set));
	clock_gettime(CLOCK_REALTIME, &t0);
	ASSERT_EQ(0, ftruncate(fd, 1000));
	clock_gettime(CLOCK_REALTIME, &t1);
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_TRUE(time_near(&st.st_mtim, &t0, &t1));
	EXPECT_TRUE(time_near(&st.st_ctim, &t0, &t1));
	close(fd);

	/* Creating an entry updates the directory's mtime. */
	ASSERT_EQ(0, mkdirat(self->dfd, "d", 0755));
	ASSERT_EQ(0, utimensat(self->dfd, "d", set, 0));
	clock_gettime(CLOCK_REALTIME, &t0);
	ASSERT_EQ(0, put_file(self->dfd, "d/new", "", 0, 0644));
	clock_gettime(CLOCK_REALTIME, &t1);
	ASSERT_EQ(0, fstatat(self->dfd, "d", &st, 0));
	EXPECT_TRUE(time_near(&st.st_mtim, &t0, &t1));
	EXPECT_EQ(0, timespec_cmp(&set[0], &st.st_atim));
}

struct create_op {
	int dfd;
	const char *name;
	int flags;
};

static int child_openat(void *arg)
{
	struct create_op *op = arg;
	int fd = openat(op->dfd, op->name, op->flags, 0640);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

TEST_F(fs, permissions_other_user)
{
	struct create_op rd = { self->dfd, "secret", O_RDONLY };
	struct create_op in_root = { self->dfd, "mine", O_CREAT | O_EXCL | O_RDWR };
	struct create_op in_pub = { self->dfd, "pub/mine", O_CREAT | O_EXCL | O_RDWR };
	struct create_op pub_rd = { self->dfd, "pub/readable", O_RDONLY };
	struct create_op pub_wr = { self->dfd, "pub/readable", O_WRONLY };
	struct stat st;

	ASSERT_EQ(0, put_file(self->dfd, "secret", "s", 1, 0600));
	ASSERT_EQ(0, mkdirat(self->dfd, "pub", 0777));
	ASSERT_EQ(0, put_file(self->dfd, "pub/readable", "r", 1, 0644));

	EXPECT_EQ(EACCES, run_as(TEST_UID, TEST_GID, child_openat, &rd));
	EXPECT_EQ(EACCES, run_as(TEST_UID, TEST_GID, child_openat, &in_root));	/* root dir 0755 */
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, child_openat, &pub_rd));
	EXPECT_EQ(EACCES, run_as(TEST_UID, TEST_GID, child_openat, &pub_wr));
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, child_openat, &in_pub));

	/* New files belong to their creator. */
	ASSERT_EQ(0, fstatat(self->dfd, "pub/mine", &st, 0));
	EXPECT_EQ(TEST_UID, (int)st.st_uid);
	EXPECT_EQ(TEST_GID, (int)st.st_gid);
	EXPECT_EQ(0640, PERM(st));

	/* Group permission applies through the group. */
	ASSERT_EQ(0, fchownat(self->dfd, "secret", 0, TEST_GID, 0));
	ASSERT_EQ(0, fchmodat(self->dfd, "secret", 0640, 0));
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, child_openat, &rd));
	EXPECT_EQ(EACCES, run_as(TEST_UID, TEST_GID + 1, child_openat, &rd));
}

/* ------------------------------------------------------- mount options */

TEST_F(fs, mount_mode_uid_gid)
{
	char sub[128], ref[128];
	struct create_op op;
	struct stat st, rst;
	int fd;

	snprintf(sub, sizeof(sub), "%s/mnt", self->dir);
	snprintf(ref, sizeof(ref), "%s/mnt", self->ref);
	ASSERT_EQ(0, mkdir(sub, 0755));
	ASSERT_EQ(0, mkdir(ref, 0755));

	ASSERT_EQ(0, mount(variant->fstype, sub, variant->fstype, 0, "mode=0700,uid=1000,gid=1000"));
	ASSERT_EQ(0, mount("tmpfs", ref, "tmpfs", 0, "mode=0700,uid=1000,gid=1000"));
	ASSERT_EQ(0, stat(sub, &st));
	ASSERT_EQ(0, stat(ref, &rst));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0700, PERM(st));
	EXPECT_EQ(TEST_UID, (int)st.st_uid);
	EXPECT_EQ(TEST_GID, (int)st.st_gid);
	EXPECT_EQ(rst.st_mode, st.st_mode);

	/* uid 1000 owns the new root and can create in it. */
	fd = open(sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	op.dfd = fd;
	op.name = "by-owner";
	op.flags = O_CREAT | O_EXCL | O_RDWR;
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, child_openat, &op));
	op.name = "by-other";
	EXPECT_EQ(EACCES, run_as(TEST_UID + 1, TEST_GID + 1, child_openat, &op));
	close(fd);
	ASSERT_EQ(0, umount(sub));
	ASSERT_EQ(0, umount(ref));

	/* The sticky bit survives, and mode= masks to 07777. */
	ASSERT_EQ(0, mount(variant->fstype, sub, variant->fstype, 0, "mode=1777"));
	ASSERT_EQ(0, stat(sub, &st));
	EXPECT_EQ(01777, PERM(st));
	EXPECT_EQ(0, (int)st.st_uid);
	ASSERT_EQ(0, umount(sub));
}

TEST_F(fs, mount_nr_inodes_limits)
{
	static const struct {
		const char *opts;
		unsigned long long files;
	} good[] = {
		{ "nr_inodes=1000", 1000 }, { "nr_inodes=1k", 1024 },
		{ "nr_inodes=2m", 2ULL << 20 }, { "nr_inodes=1G", 1ULL << 30 },
		{ "nr_inodes=0x20", 32 }, { "nr_inodes=010", 8 },
		{ "nr_inodes=512,mode=0750", 512 },
	};
	char sub[128];
	struct statfs sfs;
	unsigned int i;

	snprintf(sub, sizeof(sub), "%s/mnt", self->dir);
	ASSERT_EQ(0, mkdir(sub, 0755));
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		EXPECT_EQ(0, ERRNO_OF(mount(variant->fstype, sub, variant->fstype, 0, good[i].opts))) {
			TH_LOG("-o %s: %s", good[i].opts, strerror(errno));
			continue;
		}
		EXPECT_EQ(0, statfs(sub, &sfs));
		EXPECT_EQ(variant->magic, (long)sfs.f_type);
		/* The root directory is the one inode in use. */
		EXPECT_EQ(good[i].files, (unsigned long long)sfs.f_files);
		EXPECT_EQ(good[i].files - 1, (unsigned long long)sfs.f_ffree);
		EXPECT_EQ(0, umount(sub));
	}
}

TEST_F(fs, nr_inodes_enforced)
{
	char sub[128], path[192];
	struct statfs sfs;
	int i, fd;

	snprintf(sub, sizeof(sub), "%s/mnt", self->dir);
	ASSERT_EQ(0, mkdir(sub, 0755));
	ASSERT_EQ(0, mount(variant->fstype, sub, variant->fstype, 0, "nr_inodes=4"));
	/* Root plus three more fill the limit. */
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/f%d", sub, i);
		fd = open(path, O_CREAT | O_WRONLY, 0644);
		ASSERT_LE(0, fd);
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/one-too-many", sub);
	EXPECT_EQ(ENOSPC, ERRNO_OF(open(path, O_CREAT | O_WRONLY, 0644)));
	EXPECT_EQ(ENOSPC, ERRNO_OF(mkdir(path, 0755)));
	EXPECT_EQ(ENOSPC, ERRNO_OF(symlink("x", path)));
	ASSERT_EQ(0, statfs(sub, &sfs));
	EXPECT_EQ(0, (long)sfs.f_ffree);
	/* Unlinking gives the inode back. */
	snprintf(path, sizeof(path), "%s/f0", sub);
	ASSERT_EQ(0, unlink(path));
	ASSERT_EQ(0, statfs(sub, &sfs));
	EXPECT_EQ(1, (long)sfs.f_ffree);
	snprintf(path, sizeof(path), "%s/again", sub);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	EXPECT_LE(0, fd);
	if (fd >= 0)
		close(fd);
	/* Remount under tmpfs's rules: not below what is in use, unlimited is fine. */
	EXPECT_EQ(EINVAL, ERRNO_OF(mount(NULL, sub, NULL, MS_REMOUNT, "nr_inodes=2")));
	EXPECT_EQ(0, ERRNO_OF(mount(NULL, sub, NULL, MS_REMOUNT, "nr_inodes=8")));
	ASSERT_EQ(0, statfs(sub, &sfs));
	EXPECT_EQ(8, (long)sfs.f_files);
	EXPECT_EQ(0, ERRNO_OF(mount(NULL, sub, NULL, MS_REMOUNT, "nr_inodes=0")));
	EXPECT_EQ(EINVAL, ERRNO_OF(mount(NULL, sub, NULL, MS_REMOUNT, "nr_inodes=100")));
	ASSERT_EQ(0, umount(sub));
}

TEST_F(fs, mount_size_options)
{
	static const struct {
		const char *opts;
		unsigned long long blocks;
	} sizes[] = {
		{ "size=1048576", 256 }, { "size=64k", 16 }, { "size=16M", 4096 },
		{ "size=4097", 2 }, { "nr_blocks=100", 100 }, { "mode=755,size=4k", 1 },
	};
	char sub[128], ref_line[512], line[512];
	struct statfs sfs, rsfs;
	unsigned int i;

	snprintf(sub, sizeof(sub), "%s/mnt", self->dir);
	ASSERT_EQ(0, mkdir(sub, 0755));
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int err = ERRNO_OF(mount(variant->fstype, sub, variant->fstype, 0, sizes[i].opts));

		EXPECT_EQ(0, err) {
			TH_LOG("-o %s: %s", sizes[i].opts, strerror(err));
			continue;
		}
		EXPECT_EQ(0, statfs(sub, &sfs));
		EXPECT_EQ(sizes[i].blocks, (unsigned long long)sfs.f_blocks);
		EXPECT_EQ(sizes[i].blocks, (unsigned long long)sfs.f_bfree);
		EXPECT_EQ(0, umount(sub));
	}
	/* A percentage of RAM comes out as on tmpfs, and shows the same in mountinfo. */
	ASSERT_EQ(0, mount(variant->fstype, sub, variant->fstype, 0, "size=10%"));
	ASSERT_EQ(0, mount("tmpfs", self->ref, "tmpfs", MS_REMOUNT, "size=10%"));
	ASSERT_EQ(0, statfs(sub, &sfs));
	ASSERT_EQ(0, statfs(self->ref, &rsfs));
	EXPECT_EQ(rsfs.f_blocks, sfs.f_blocks);
	ASSERT_EQ(0, mount_options_of(sub, line, sizeof(line)));
	ASSERT_EQ(0, mount_options_of(self->ref, ref_line, sizeof(ref_line)));
	ASSERT_NE(NULL, strstr(ref_line, ",size="));
	*strchrnul(strstr(ref_line, ",size=") + 1, ',') = '\0';
	EXPECT_NE(NULL, strstr(line, strstr(ref_line, ",size="))) TH_LOG("%s vs %s", line, ref_line);
	EXPECT_EQ(0, umount(sub));
}

/* Writes 64 KiB chunks until the filesystem is full; returns the bytes written. */
static long long fill_up(int fd)
{
	static char chunk[65536];
	long long total = 0;
	ssize_t n;

	memset(chunk, 0xab, sizeof(chunk));
	while ((n = write(fd, chunk, sizeof(chunk))) > 0)
		total += n;
	return total;
}

TEST_F(fs, size_limit_enforced)
{
	long long wrote[2];
	int errs[2][6], side, i;

	for (side = 0; side < 2; side++) {
		const char *fstype = side ? variant->fstype : "tmpfs";
		char sub[128], buf[4096], *map;
		struct statfs sfs;
		struct stat st;
		int fd, status, bad;
		long long off;
		pid_t pid;

		snprintf(sub, sizeof(sub), "%s/lim", side ? self->dir : self->ref);
		ASSERT_EQ(0, mkdir(sub, 0755));
		ASSERT_EQ(0, mount(fstype, sub, fstype, 0, "size=1m"));
		fd = open(strcat(sub, "/f"), O_CREAT | O_RDWR, 0644);
		ASSERT_LE(0, fd);
		wrote[side] = fill_up(fd);
		errs[side][0] = errno;
		ASSERT_EQ(0, fstat(fd, &st));
		EXPECT_EQ(wrote[side], (long long)st.st_size);
		EXPECT_EQ(wrote[side] / 512, (long long)st.st_blocks);
		ASSERT_EQ(0, fstatfs(fd, &sfs));
		EXPECT_EQ(0, (long)sfs.f_bfree);
		/* Every byte written is intact. */
		bad = 0;
		for (off = 0; off < wrote[side]; off += sizeof(buf)) {
			ASSERT_EQ((ssize_t)sizeof(buf), pread(fd, buf, sizeof(buf), off));
			for (i = 0; i < (int)sizeof(buf); i++)
				bad |= (unsigned char)buf[i] != 0xab;
		}
		EXPECT_EQ(0, bad);
		/* Reading a hole past the data neither fails nor uses space. */
		ASSERT_EQ(0, ftruncate(fd, wrote[side] + (1 << 20)));
		errs[side][1] = ERRNO_OF(pread(fd, buf, sizeof(buf), wrote[side] + 4096));
		ASSERT_EQ(0, fstat(fd, &st));
		EXPECT_EQ(wrote[side] / 512, (long long)st.st_blocks);
		/* A store into the hole through a mapping gets SIGBUS. */
		map = mmap(NULL, wrote[side] + (1 << 20), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			map[wrote[side] + 8192] = 1;
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		errs[side][2] = WIFSIGNALED(status) ? WTERMSIG(status) : -1;
		munmap(map, wrote[side] + (1 << 20));
		/* Preallocation is refused up front; freeing space makes room again. */
		errs[side][3] = ERRNO_OF(fallocate(fd, 0, wrote[side], 4096));
		ASSERT_EQ(0, ftruncate(fd, 0));
		ASSERT_EQ(0, fstatfs(fd, &sfs));
		EXPECT_EQ(256, (long)sfs.f_bfree);
		errs[side][4] = ERRNO_OF(fallocate(fd, 0, 0, 512 * 1024));
		ASSERT_EQ(0, fstat(fd, &st));
		EXPECT_EQ(512 * 1024, (long long)st.st_size);
		EXPECT_EQ(1024, (long long)st.st_blocks);
		errs[side][5] = ERRNO_OF(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 256 * 1024));
		ASSERT_EQ(0, fstat(fd, &st));
		EXPECT_EQ(512, (long long)st.st_blocks);
		close(fd);
		*strrchr(sub, '/') = '\0';
		/* Remount under tmpfs's rules. */
		EXPECT_EQ(EINVAL, ERRNO_OF(mount(NULL, sub, NULL, MS_REMOUNT, "size=64k")));
		EXPECT_EQ(0, ERRNO_OF(mount(NULL, sub, NULL, MS_REMOUNT, "size=2m")));
		ASSERT_EQ(0, statfs(sub, &sfs));
		EXPECT_EQ(512, (long)sfs.f_blocks);
		/* size=0 lifts the limit for good: no remount brings one back. */
		EXPECT_EQ(0, ERRNO_OF(mount(NULL, sub, NULL, MS_REMOUNT, "size=0")));
		ASSERT_EQ(0, statfs(sub, &sfs));
		EXPECT_EQ(0, (long)sfs.f_blocks);
		EXPECT_EQ(EINVAL, ERRNO_OF(mount(NULL, sub, NULL, MS_REMOUNT, "size=4m")));
		ASSERT_EQ(0, umount(sub));
	}
	EXPECT_EQ(wrote[0], wrote[1]);
	EXPECT_EQ(1 << 20, wrote[1]);
	for (i = 0; i < 6; i++)
		EXPECT_EQ(errs[0][i], errs[1][i]) TH_LOG("step %d", i);
	EXPECT_EQ(ENOSPC, errs[1][0]);
	EXPECT_EQ(SIGBUS, errs[1][2]);
	EXPECT_EQ(ENOSPC, errs[1][3]);
}

TEST_F(fs, mount_bad_options_einval)
{
	static const char * const bad[] = {
		"mode=abc", "mode=99999999", "mode=0789", "uid=x", "uid=-1", "gid=x",
		"gid=-1", "nr_inodes=12q", "nr_inodes=1k2", "size=12q", "size=1mb",
		"size=10%%", "nr_blocks=1k2",
		"bogus", "bogus=1", "mode=0755,bogus",
	};
	struct stat before, after;
	char sub[128];
	unsigned int i;

	snprintf(sub, sizeof(sub), "%s/mnt", self->dir);
	ASSERT_EQ(0, mkdir(sub, 0755));
	ASSERT_EQ(0, stat(sub, &before));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = ERRNO_OF(mount(variant->fstype, sub, variant->fstype, 0, bad[i]));

		EXPECT_EQ(EINVAL, err) {
			TH_LOG("-o %s: %s", bad[i], err ? strerror(err) : "mounted");
		}
		if (!err)
			umount(sub);
		/* Nothing got mounted. */
		ASSERT_EQ(0, stat(sub, &after));
		EXPECT_EQ(before.st_dev, after.st_dev);
		EXPECT_EQ(before.st_ino, after.st_ino);
	}
}

/* Reads one message from an fs context; returns its length or -errno. */
static int fc_message(int fsfd, char *buf, size_t size)
{
	ssize_t n = read(fsfd, buf, size - 1);

	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return n;
}

/* fsconfig(SET_STRING) that must fail with EINVAL and log "e <fstype>: ...'<key>'...". */
static void fc_bad_param(struct __test_metadata *_metadata, const char *fstype,
			 const char *key, const char *value)
{
	char msg[256], prefix[64], quoted[64], refmsg[256] = "";
	int fsfd, rfd;

	fsfd = fsopen(fstype, FSOPEN_CLOEXEC);
	ASSERT_GE(fsfd, 0);
	EXPECT_EQ(EINVAL, ERRNO_OF(fsconfig(fsfd, FSCONFIG_SET_STRING, key, value, 0))) {
		TH_LOG("%s=%s was accepted", key, value);
	}
	ASSERT_LT(0, fc_message(fsfd, msg, sizeof(msg))) {
		TH_LOG("no message for %s=%s", key, value);
	}

	/* What tmpfs says, for the log. */
	rfd = fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (rfd >= 0) {
		if (fsconfig(rfd, FSCONFIG_SET_STRING, key, value, 0))
			fc_message(rfd, refmsg, sizeof(refmsg));
		close(rfd);
	}

	snprintf(prefix, sizeof(prefix), "e %s: ", fstype);
	snprintf(quoted, sizeof(quoted), "'%s'", key);
	EXPECT_EQ(0, strncmp(msg, prefix, strlen(prefix))) {
		TH_LOG("%s=%s: message \"%s\" (tmpfs: \"%s\")", key, value, msg, refmsg);
	}
	EXPECT_NE(NULL, strstr(msg, quoted)) {
		TH_LOG("%s=%s: message \"%s\" does not name the key", key, value, msg);
	}
	/*
	 * A failure may log more than one line (tmpfs logs "Bad value for
	 * 'uid'" twice); all are errors, then the log is empty.
	 */
	while (fc_message(fsfd, msg, sizeof(msg)) > 0)
		EXPECT_EQ(0, strncmp(msg, "e ", 2));
	EXPECT_EQ(-ENODATA, fc_message(fsfd, msg, sizeof(msg)));
	close(fsfd);
}

TEST_F(fs, fsconfig_error_messages)
{
	char msg[256], sub[128], path[160];
	int fsfd, mfd, fd;
	struct statfs sfs;
	struct stat st;

	fc_bad_param(_metadata, variant->fstype, "mode", "abc");
	fc_bad_param(_metadata, variant->fstype, "mode", "99999999");
	fc_bad_param(_metadata, variant->fstype, "uid", "x");
	fc_bad_param(_metadata, variant->fstype, "uid", "-1");
	fc_bad_param(_metadata, variant->fstype, "gid", "x");
	fc_bad_param(_metadata, variant->fstype, "nr_inodes", "12q");
	fc_bad_param(_metadata, variant->fstype, "size", "12q");
	fc_bad_param(_metadata, variant->fstype, "no_such_option", "1");

	/* A good configuration mounts through the new API. */
	fsfd = fsopen(variant->fstype, FSOPEN_CLOEXEC);
	ASSERT_GE(fsfd, 0);
	EXPECT_EQ(-ENODATA, fc_message(fsfd, msg, sizeof(msg)));
	ASSERT_EQ(0, fsconfig(fsfd, FSCONFIG_SET_STRING, "mode", "0710", 0));
	ASSERT_EQ(0, fsconfig(fsfd, FSCONFIG_SET_STRING, "uid", "1000", 0));
	ASSERT_EQ(0, fsconfig(fsfd, FSCONFIG_SET_STRING, "gid", "1000", 0));
	ASSERT_EQ(0, fsconfig(fsfd, FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	mfd = fsmount(fsfd, FSMOUNT_CLOEXEC, MOUNT_ATTR_NODEV);
	ASSERT_GE(mfd, 0);
	close(fsfd);
	ASSERT_EQ(0, fstatfs(mfd, &sfs));
	EXPECT_EQ(variant->magic, (long)sfs.f_type);
	ASSERT_EQ(0, fstat(mfd, &st));
	EXPECT_EQ(0710, PERM(st));
	EXPECT_EQ(TEST_UID, (int)st.st_uid);
	EXPECT_EQ(TEST_GID, (int)st.st_gid);

	snprintf(sub, sizeof(sub), "%s/newapi", self->dir);
	ASSERT_EQ(0, mkdir(sub, 0755));
	ASSERT_EQ(0, move_mount(mfd, "", AT_FDCWD, sub, MOVE_MOUNT_F_EMPTY_PATH));
	ASSERT_EQ(0, stat(sub, &st));
	EXPECT_EQ(0710, PERM(st));
	snprintf(path, sizeof(path), "%s/file", sub);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(4, write(fd, "data", 4));
	close(fd);
	close(mfd);
	EXPECT_EQ(0, umount(sub));
}

TEST_HARNESS_MAIN

/* ------------------------------------------------- namespace, against tmpfs */

/* Runs the same namespace operations under @dfd, recording each directory's st_size. */
static int dir_size_trace(int dfd, long *sizes)
{
	struct stat st;
	int n = 0, fd;

#define SNAP(path) ({ if (fstatat(dfd, path, &st, 0)) return -1; sizes[n++] = st.st_size; })
	if (mkdirat(dfd, "d", 0755))
		return -1;
	SNAP("d");
	fd = openat(dfd, "d/a", O_CREAT | O_WRONLY, 0644);
	if (fd < 0)
		return -1;
	close(fd);
	SNAP("d");
	if (mkdirat(dfd, "d/sub", 0755) || symlinkat("a", dfd, "d/l") ||
	    mknodat(dfd, "d/fifo", S_IFIFO | 0644, 0))
		return -1;
	SNAP("d");
	SNAP("d/sub");
	if (linkat(dfd, "d/a", dfd, "d/b", 0))
		return -1;
	SNAP("d");
	if (renameat(dfd, "d/b", dfd, "d/sub/b"))
		return -1;
	SNAP("d");
	SNAP("d/sub");
	if (renameat(dfd, "d/a", dfd, "d/sub/b"))	/* over an existing name */
		return -1;
	SNAP("d");
	SNAP("d/sub");
	if (unlinkat(dfd, "d/sub/b", 0) || unlinkat(dfd, "d/l", 0))
		return -1;
	SNAP("d");
	SNAP("d/sub");
	if (unlinkat(dfd, "d/sub", AT_REMOVEDIR))
		return -1;
	SNAP("d");
#undef SNAP
	return n;
}

TEST_F(fs, dir_sizes_match_tmpfs)
{
	long got[32], ref[32];
	int n, i;

	n = dir_size_trace(self->rfd, ref);
	ASSERT_LT(0, n);
	ASSERT_EQ(n, dir_size_trace(self->dfd, got));
	for (i = 0; i < n; i++)
		EXPECT_EQ(ref[i], got[i]) TH_LOG("step %d", i);
}

TEST_F(fs, o_tmpfile_then_linkat)
{
	char path[64], buf[16];
	struct stat st;
	int fd;

	fd = openat(self->dfd, ".", O_TMPFILE | O_RDWR, 0640);
	ASSERT_LE(0, fd) TH_LOG("O_TMPFILE: %s", strerror(errno));
	ASSERT_EQ(5, write(fd, "hello", 5));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(0, (long)st.st_nlink);
	EXPECT_EQ(0640, PERM(st));
	EXPECT_EQ(S_IFREG, (int)(st.st_mode & S_IFMT));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ASSERT_EQ(0, linkat(AT_FDCWD, path, self->dfd, "named", AT_SYMLINK_FOLLOW));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(1, (long)st.st_nlink);
	close(fd);
	EXPECT_EQ(5, get_file(self->dfd, "named", buf, sizeof(buf)));
	EXPECT_STREQ("hello", buf);
	/* O_TMPFILE | O_EXCL cannot be linked. */
	fd = openat(self->dfd, ".", O_TMPFILE | O_RDWR | O_EXCL, 0600);
	ASSERT_LE(0, fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	EXPECT_EQ(ENOENT, ERRNO_OF(linkat(AT_FDCWD, path, self->dfd, "never", AT_SYMLINK_FOLLOW)));
	close(fd);
}

TEST_F(fs, renameat2_flags)
{
	char buf[16];
	struct stat st;

	ASSERT_EQ(0, put_file(self->dfd, "x", "xx", 2, 0644));
	ASSERT_EQ(0, put_file(self->dfd, "y", "yyy", 3, 0644));
	EXPECT_EQ(EEXIST, ERRNO_OF(renameat2(self->dfd, "x", self->dfd, "y", RENAME_NOREPLACE)));
	EXPECT_EQ(0, renameat2(self->dfd, "x", self->dfd, "z", RENAME_NOREPLACE));
	EXPECT_EQ(0, renameat2(self->dfd, "z", self->dfd, "y", RENAME_EXCHANGE));
	EXPECT_EQ(3, get_file(self->dfd, "z", buf, sizeof(buf)));
	EXPECT_EQ(2, get_file(self->dfd, "y", buf, sizeof(buf)));
	EXPECT_EQ(ENOENT, ERRNO_OF(renameat2(self->dfd, "z", self->dfd, "nope", RENAME_EXCHANGE)));
	EXPECT_EQ(EINVAL, ERRNO_OF(renameat2(self->dfd, "z", self->dfd, "y",
					     RENAME_EXCHANGE | RENAME_NOREPLACE)));
	/* A whiteout is a 0:0 character device left under the old name. */
	ASSERT_EQ(0, renameat2(self->dfd, "z", self->dfd, "moved", RENAME_WHITEOUT));
	ASSERT_EQ(0, fstatat(self->dfd, "z", &st, AT_SYMLINK_NOFOLLOW));
	EXPECT_EQ(S_IFCHR, (int)(st.st_mode & S_IFMT));
	EXPECT_EQ(0, (long)st.st_rdev);
	EXPECT_EQ(3, get_file(self->dfd, "moved", buf, sizeof(buf)));
	/* And a directory can be exchanged with a file. */
	ASSERT_EQ(0, mkdirat(self->dfd, "dir", 0755));
	EXPECT_EQ(0, renameat2(self->dfd, "dir", self->dfd, "moved", RENAME_EXCHANGE));
	ASSERT_EQ(0, fstatat(self->dfd, "moved", &st, 0));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(3, get_file(self->dfd, "dir", buf, sizeof(buf)));
}

TEST_F(fs, symlink_lengths_match_tmpfs)
{
	static const size_t lens[] = { 1, 126, 127, 128, 129, 4000, 4095, 4096 };
	char *target = malloc(8192), *back = malloc(8192);
	unsigned int i;

	ASSERT_NE(NULL, target);
	ASSERT_NE(NULL, back);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char name[32];
		int e_ref, e_got;
		struct stat st;

		memset(target, 'a' + i, lens[i]);
		target[lens[i]] = '\0';
		snprintf(name, sizeof(name), "l%zu", lens[i]);
		e_ref = ERRNO_OF(symlinkat(target, self->rfd, name));
		e_got = ERRNO_OF(symlinkat(target, self->dfd, name));
		EXPECT_EQ(e_ref, e_got) TH_LOG("length %zu", lens[i]);
		if (e_got)
			continue;
		ASSERT_EQ((ssize_t)lens[i], readlinkat(self->dfd, name, back, 8192));
		EXPECT_EQ(0, memcmp(target, back, lens[i]));
		ASSERT_EQ(0, fstatat(self->dfd, name, &st, AT_SYMLINK_NOFOLLOW));
		EXPECT_EQ((long)lens[i], (long)st.st_size);
	}
	free(target);
	free(back);
}

TEST_F(fs, hard_links_count_as_inodes)
{
	int results[2][6], side, i;

	for (side = 0; side < 2; side++) {
		const char *fstype = side ? variant->fstype : "tmpfs";
		char sub[128];
		int dfd;

		snprintf(sub, sizeof(sub), "%s/mnt", side ? self->dir : self->ref);
		ASSERT_EQ(0, mkdir(sub, 0755));
		ASSERT_EQ(0, mount(fstype, sub, fstype, 0, "nr_inodes=4"));
		dfd = open(sub, O_RDONLY | O_DIRECTORY);
		ASSERT_LE(0, dfd);
		ASSERT_EQ(0, put_file(dfd, "f", "1", 1, 0644));
		results[side][0] = ERRNO_OF(linkat(dfd, "f", dfd, "l1", 0));
		results[side][1] = ERRNO_OF(linkat(dfd, "f", dfd, "l2", 0));
		results[side][2] = ERRNO_OF(linkat(dfd, "f", dfd, "l3", 0));
		results[side][3] = ERRNO_OF(unlinkat(dfd, "l1", 0));
		results[side][4] = ERRNO_OF(linkat(dfd, "f", dfd, "l3", 0));
		results[side][5] = ERRNO_OF(mkdirat(dfd, "d", 0755));
		close(dfd);
		ASSERT_EQ(0, umount(sub));
	}
	for (i = 0; i < 6; i++)
		EXPECT_EQ(results[0][i], results[1][i]) TH_LOG("step %d", i);
	/* Root, f, l1 and l2 fill nr_inodes=4. */
	EXPECT_EQ(ENOSPC, results[1][2]);
	EXPECT_EQ(0, results[1][4]);
}

/* Entries that stay through a readdir are seen exactly once, whatever else changes. */
TEST_F(fs, readdir_while_changing)
{
	enum { N = 200 };
	char name[32], seen[N];
	struct dirent *de;
	DIR *d;
	int i, count = 0;

	for (i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "keep%03d", i);
		ASSERT_EQ(0, put_file(self->dfd, name, "", 0, 0644));
		snprintf(name, sizeof(name), "drop%03d", i);
		ASSERT_EQ(0, put_file(self->dfd, name, "", 0, 0644));
	}
	memset(seen, 0, sizeof(seen));
	d = opendir(self->dir);
	ASSERT_NE(NULL, d);
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "keep%d", &i) == 1) {
			ASSERT_TRUE(i >= 0 && i < N);
			EXPECT_EQ(0, seen[i]) TH_LOG("keep%03d seen twice", i);
			seen[i]++;
		}
		/* Churn: remove a dropped name and add a new one on every step. */
		if (count < N) {
			snprintf(name, sizeof(name), "drop%03d", count);
			EXPECT_EQ(0, unlinkat(self->dfd, name, 0));
			snprintf(name, sizeof(name), "new%03d", count);
			EXPECT_EQ(0, put_file(self->dfd, name, "", 0, 0644));
		}
		count++;
	}
	closedir(d);
	for (i = 0; i < N; i++)
		EXPECT_EQ(1, seen[i]) TH_LOG("keep%03d seen %d times", i, seen[i]);
}

/* Touching one page of a sparse shared mapping allocates that page, no neighbours. */
TEST_F(fs, mmap_touch_allocates_what_it_touches)
{
	const size_t len = 4 << 20;
	long long blocks[2][3];
	int side;

	for (side = 0; side < 2; side++) {
		int fd = openat(side ? self->dfd : self->rfd, "sparse", O_CREAT | O_RDWR, 0644);
		struct stat st;
		char *map;

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, ftruncate(fd, len));
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		ASSERT_NE(MAP_FAILED, map);
		map[len / 2] = 1;
		ASSERT_EQ(0, fstat(fd, &st));
		blocks[side][0] = st.st_blocks;
		EXPECT_EQ(0, map[len / 2 + self->page]);	/* a read fault */
		ASSERT_EQ(0, fstat(fd, &st));
		blocks[side][1] = st.st_blocks;
		ASSERT_EQ(0, munmap(map, len));
		ASSERT_EQ(0, pwrite(fd, "x", 1, 0) == 1 ? 0 : -1);
		ASSERT_EQ(0, fstat(fd, &st));
		blocks[side][2] = st.st_blocks;
		close(fd);
	}
	EXPECT_EQ(blocks[0][0], blocks[1][0]);
	EXPECT_EQ(blocks[0][1], blocks[1][1]);
	EXPECT_EQ(blocks[0][2], blocks[1][2]);
	EXPECT_EQ(self->page / 512, blocks[1][0]);
}

/* -------------------------------------------------- file I/O, against tmpfs */

/* SEEK_DATA/SEEK_HOLE answers for a file with data, holes and a preallocated range. */
static int seek_trace(int dfd, long long *out)
{
	static const long long probes[] = { 0, 1, 4095, 4096, 8192, 65536, 100000, 131072,
					    200000, 262143, 262144, 300000 };
	char page[4096];
	int fd, n = 0;
	unsigned int i;

	memset(page, 'd', sizeof(page));
	fd = openat(dfd, "holes", O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	if (pwrite(fd, page, 100, 4096) != 100 ||			/* data in page 1 */
	    pwrite(fd, page, sizeof(page), 131072) != 4096 ||		/* data in page 32 */
	    fallocate(fd, FALLOC_FL_KEEP_SIZE, 196608, 8192) ||	/* zeroed pages 48-49 */
	    ftruncate(fd, 262144))
		return -1;
	for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
		out[n] = lseek(fd, probes[i], SEEK_DATA);
		out[n + 1] = out[n] < 0 ? -errno : 0;
		n += 2;
		out[n] = lseek(fd, probes[i], SEEK_HOLE);
		out[n + 1] = out[n] < 0 ? -errno : 0;
		n += 2;
	}
	out[n++] = lseek(fd, -1, SEEK_DATA) < 0 ? -errno : 0;
	close(fd);
	return n;
}

TEST_F(fs, seek_data_hole_match_tmpfs)
{
	long long got[64], ref[64];
	int n, i;

	n = seek_trace(self->rfd, ref);
	ASSERT_LT(0, n);
	ASSERT_EQ(n, seek_trace(self->dfd, got));
	for (i = 0; i < n; i++)
		EXPECT_EQ(ref[i], got[i]) TH_LOG("entry %d", i);
}

TEST_F(fs, o_direct_o_append)
{
	char *buf;
	struct stat st;
	int fd;

	/* tmpfs accepts O_DIRECT and serves it from the page cache. */
	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, 8192));
	memset(buf, 'o', 8192);
	fd = openat(self->dfd, "direct", O_CREAT | O_RDWR | O_DIRECT, 0644);
	ASSERT_LE(0, fd) TH_LOG("O_DIRECT: %s", strerror(errno));
	ASSERT_EQ(8192, pwrite(fd, buf, 8192, 0));
	memset(buf, 0, 8192);
	ASSERT_EQ(8192, pread(fd, buf, 8192, 0));
	EXPECT_EQ('o', buf[8191]);
	close(fd);
	/* O_APPEND writes land at the end whatever the offset. */
	fd = openat(self->dfd, "direct", O_WRONLY | O_APPEND);
	ASSERT_LE(0, fd);
	ASSERT_EQ(3, pwrite(fd, "abc", 3, 0));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_EQ(8195, (long)st.st_size);
	close(fd);
	free(buf);
}

TEST_F(fs, splice_sendfile_copy_file_range)
{
	char buf[64 * 1024], back[sizeof(buf)];
	int src, dst, pipefd[2];
	off_t off = 0;
	loff_t in = 0, out = 0;

	fill_pattern(buf, sizeof(buf), 0, 0x51);
	ASSERT_EQ(0, put_file(self->dfd, "src", buf, sizeof(buf), 0644));
	src = openat(self->dfd, "src", O_RDONLY);
	ASSERT_LE(0, src);
	dst = openat(self->dfd, "sent", O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, dst);
	ASSERT_EQ((ssize_t)sizeof(buf), sendfile(dst, src, &off, sizeof(buf)));
	ASSERT_EQ((ssize_t)sizeof(buf), pread(dst, back, sizeof(back), 0));
	EXPECT_EQ(0, memcmp(buf, back, sizeof(buf)));
	close(dst);
	dst = openat(self->dfd, "copied", O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, dst);
	ASSERT_EQ((ssize_t)sizeof(buf), copy_file_range(src, &in, dst, &out, sizeof(buf), 0));
	ASSERT_EQ((ssize_t)sizeof(buf), pread(dst, back, sizeof(back), 0));
	EXPECT_EQ(0, memcmp(buf, back, sizeof(buf)));
	close(dst);
	ASSERT_EQ(0, pipe(pipefd));
	in = 4096;
	ASSERT_EQ(4096, splice(src, &in, pipefd[1], NULL, 4096, 0));
	dst = openat(self->dfd, "spliced", O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, dst);
	ASSERT_EQ(4096, splice(pipefd[0], NULL, dst, NULL, 4096, 0));
	ASSERT_EQ(4096, pread(dst, back, 4096, 0));
	EXPECT_EQ(0, memcmp(buf + 4096, back, 4096));
	close(dst);
	close(pipefd[0]);
	close(pipefd[1]);
	close(src);
}

/*
 * Reading a sparse file with sendfile, copy_file_range and splice leaves its holes and its
 * preallocated (never written) pages as they were: same st_blocks and SEEK_DATA/SEEK_HOLE
 * answers after as before, and zeros read from them, as on tmpfs (shmem_file_splice_read).
 * Records [blocks before, blocks after, data/hole answers before and after, bytes checked].
 */
static int splice_hole_trace(int dfd, long long *out)
{
	static const long long probes[] = { 0, 8192, 40960, 65536, 131072 };
	const size_t len = 256 * 1024;
	char *buf = malloc(len), *back = malloc(len), data[100];
	int src = -1, dst = -1, pipefd[2] = { -1, -1 }, n = 0, ret = -1;
	loff_t in = 0, outoff = 0;
	off_t off = 0;
	struct stat st;
	unsigned int i, pass;

	memset(data, 'd', sizeof(data));
	if (!buf || !back)
		goto out;
	src = openat(dfd, "sparse_src", O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (src < 0 || pwrite(src, data, sizeof(data), 4096) != sizeof(data) ||	/* page 1 */
	    fallocate(src, 0, 32768, 16384) ||						/* pages 8-11 */
	    ftruncate(src, len))
		goto out;
	memset(buf, 0, len);
	memcpy(buf + 4096, data, sizeof(data));
	for (pass = 0; pass < 2; pass++) {
		if (fstat(src, &st))
			goto out;
		out[n++] = st.st_blocks;
		for (i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
			out[n++] = lseek(src, probes[i], SEEK_DATA);
			out[n++] = lseek(src, probes[i], SEEK_HOLE);
		}
		if (pass)
			break;
		/* sendfile, copy_file_range, then splice of a hole and of a preallocated page. */
		dst = openat(dfd, "sparse_sent", O_CREAT | O_RDWR | O_TRUNC, 0644);
		if (dst < 0 || sendfile(dst, src, &off, len) != (ssize_t)len ||
		    pread(dst, back, len, 0) != (ssize_t)len)
			goto out;
		out[n++] = memcmp(buf, back, len);
		close(dst);
		dst = openat(dfd, "sparse_copied", O_CREAT | O_RDWR | O_TRUNC, 0644);
		if (dst < 0 || copy_file_range(src, &in, dst, &outoff, len, 0) != (ssize_t)len ||
		    pread(dst, back, len, 0) != (ssize_t)len)
			goto out;
		out[n++] = memcmp(buf, back, len);
		if (pipe(pipefd))
			goto out;
		in = 4000;	/* the end of a hole, the data page, a hole */
		if (splice(src, &in, pipefd[1], NULL, 12288, 0) != 12288 ||
		    read(pipefd[0], back, 12288) != 12288)
			goto out;
		out[n++] = memcmp(buf + 4000, back, 12288);
		in = 32768 + 100;	/* inside the preallocated pages */
		if (splice(src, &in, pipefd[1], NULL, 8192, 0) != 8192 ||
		    read(pipefd[0], back, 8192) != 8192)
			goto out;
		out[n++] = memcmp(buf + 32768 + 100, back, 8192);
		in = len - 10;	/* stops at the end of the file */
		out[n++] = splice(src, &in, pipefd[1], NULL, 4096, 0);
		out[n++] = splice(src, &in, pipefd[1], NULL, 4096, 0);
	}
	ret = n;
out:
	if (dst >= 0)
		close(dst);
	if (src >= 0)
		close(src);
	if (pipefd[0] >= 0) {
		close(pipefd[0]);
		close(pipefd[1]);
	}
	free(buf);
	free(back);
	return ret;
}

TEST_F(fs, splice_reads_keep_holes_match_tmpfs)
{
	long long got[64], ref[64];
	int n, i, half;

	n = splice_hole_trace(self->rfd, ref);
	ASSERT_LT(0, n);
	ASSERT_EQ(n, splice_hole_trace(self->dfd, got)) TH_LOG("%s", strerror(errno));
	for (i = 0; i < n; i++)
		EXPECT_EQ(ref[i], got[i]) TH_LOG("entry %d", i);
	/* On the variant itself: the reads changed neither st_blocks nor the data/hole map. */
	half = 11;
	EXPECT_EQ(got[0], got[n - half]);
	for (i = 1; i < half; i++)
		EXPECT_EQ(got[i], got[n - half + i]) TH_LOG("probe answer %d", i);
	EXPECT_EQ(0, got[half]);	/* sendfile read the right bytes */
	EXPECT_EQ(0, got[half + 1]);	/* copy_file_range */
	EXPECT_EQ(0, got[half + 2]);	/* splice over a hole and data */
	EXPECT_EQ(0, got[half + 3]);	/* splice of preallocated pages */
	EXPECT_EQ(10, got[half + 4]);
	EXPECT_EQ(0, got[half + 5]);
}

TEST_F(fs, mmap_write_updates_mtime_and_statx_btime)
{
	struct statx before, after;
	struct timespec pause = { 0, 20 * 1000 * 1000 };
	char *map;
	int fd;

	fd = openat(self->dfd, "times", O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 4096));
	ASSERT_EQ(0, statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &before));
	EXPECT_TRUE((before.stx_mask & STATX_BTIME) != 0);
	EXPECT_EQ(before.stx_btime.tv_sec, before.stx_ctime.tv_sec);
	nanosleep(&pause, NULL);
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	map[0] = 1;
	ASSERT_EQ(0, msync(map, 4096, MS_SYNC));
	ASSERT_EQ(0, statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS | STATX_BTIME, &after));
	EXPECT_TRUE(after.stx_mtime.tv_sec > before.stx_mtime.tv_sec ||
		    (after.stx_mtime.tv_sec == before.stx_mtime.tv_sec &&
		     after.stx_mtime.tv_nsec > before.stx_mtime.tv_nsec));
	EXPECT_EQ(before.stx_btime.tv_sec, after.stx_btime.tv_sec);
	EXPECT_EQ(before.stx_btime.tv_nsec, after.stx_btime.tv_nsec);
	munmap(map, 4096);
	close(fd);
	/* Directories and symlinks have a birth time too. */
	ASSERT_EQ(0, statx(self->dfd, "", AT_EMPTY_PATH, STATX_BTIME, &after));
	EXPECT_TRUE((after.stx_mask & STATX_BTIME) != 0);
}

/* ------------------------------------------------ extended attributes, against tmpfs */

/* Runs xattr calls under @dfd and records each result (value or -errno) in @out. */
static int xattr_trace(int dfd, const char *root, long *out)
{
	char path[256], buf[256], big[65537];
	int n = 0, fd;

#define R(call) ({ long __r = (long)(call); out[n++] = __r < 0 ? -errno : __r; })
	fd = openat(dfd, "x", O_CREAT | O_RDWR, 0644);
	if (fd < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/x", root);
	R(fsetxattr(fd, "user.a", "1", 1, 0));
	R(fsetxattr(fd, "user.a", "22", 2, XATTR_CREATE));
	R(fsetxattr(fd, "user.b", "333", 3, XATTR_REPLACE));
	R(fsetxattr(fd, "user.b", "", 0, 0));
	R(fgetxattr(fd, "user.a", NULL, 0));
	R(fgetxattr(fd, "user.a", buf, 0));
	R(fgetxattr(fd, "user.a", buf, sizeof(buf)));
	out[n++] = buf[0];
	R(fsetxattr(fd, "user.a", "4444", 4, XATTR_REPLACE));
	R(fgetxattr(fd, "user.a", buf, 2));
	R(fgetxattr(fd, "user.b", buf, sizeof(buf)));
	R(fgetxattr(fd, "user.none", buf, sizeof(buf)));
	R(fsetxattr(fd, "trusted.t", "t", 1, 0));
	R(fsetxattr(fd, "security.s", "s", 1, 0));
	R(flistxattr(fd, NULL, 0));
	R(flistxattr(fd, buf, 3));
	R(fremovexattr(fd, "user.b"));
	R(fremovexattr(fd, "user.b"));
	R(flistxattr(fd, NULL, 0));
	memset(big, 'v', sizeof(big));
	R(fsetxattr(fd, "user.big", big, sizeof(big) - 1, 0));
	R(fgetxattr(fd, "user.big", big, sizeof(big) - 1));
	R(fsetxattr(fd, "user.toobig", big, sizeof(big), 0));
	R(fsetxattr(fd, "bogus.x", "1", 1, 0));
	R(fsetxattr(fd, "user.", "1", 1, 0));
	/* user.* is for regular files and directories only. */
	if (symlinkat("x", dfd, "sl") || mkfifoat(dfd, "ff", 0644))
		return -1;
	snprintf(path, sizeof(path), "%s/sl", root);
	R(lsetxattr(path, "user.a", "1", 1, 0));
	R(lsetxattr(path, "trusted.a", "1", 1, 0));
	R(lgetxattr(path, "trusted.a", buf, sizeof(buf)));
	snprintf(path, sizeof(path), "%s/ff", root);
	R(lsetxattr(path, "user.a", "1", 1, 0));
	R(setxattr(root, "user.dir", "d", 1, 0));
	R(getxattr(root, "user.dir", buf, sizeof(buf)));
	close(fd);
#undef R
	return n;
}

TEST_F(fs, xattrs_match_tmpfs)
{
	long got[64], ref[64];
	int n, i;

	n = xattr_trace(self->rfd, self->ref, ref);
	ASSERT_LT(0, n);
	ASSERT_EQ(n, xattr_trace(self->dfd, self->dir, got));
	for (i = 0; i < n; i++)
		EXPECT_EQ(ref[i], got[i]) TH_LOG("call %d", i);
}

static int child_listxattr(void *arg)
{
	char buf[256];
	ssize_t len = listxattr(arg, buf, sizeof(buf)), i;

	if (len < 0)
		return 2;
	for (i = 0; i < len; i += strlen(buf + i) + 1)
		if (!strncmp(buf + i, "trusted.", 8))
			return 1;
	return 0;
}

TEST_F(fs, trusted_xattrs_hidden_from_users)
{
	char path[256], buf[256];
	int fd;

	fd = openat(self->dfd, "t", O_CREAT | O_RDWR, 0644);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fsetxattr(fd, "trusted.secret", "x", 1, 0));
	ASSERT_EQ(0, fsetxattr(fd, "user.open", "y", 1, 0));
	ASSERT_LT(0, flistxattr(fd, buf, sizeof(buf)));
	close(fd);
	snprintf(path, sizeof(path), "%s/t", self->dir);
	EXPECT_EQ(0, run_as(TEST_UID, TEST_GID, child_listxattr, path));
}

TEST_F(fs, xattrs_take_inode_budget)
{
	long res[2][4];
	int side, i;

	for (side = 0; side < 2; side++) {
		const char *fstype = side ? variant->fstype : "tmpfs";
		char sub[128], val[900];
		int dfd, fd;

		memset(val, 'z', sizeof(val));
		snprintf(sub, sizeof(sub), "%s/budget", side ? self->dir : self->ref);
		ASSERT_EQ(0, mkdir(sub, 0755));
		ASSERT_EQ(0, mount(fstype, sub, fstype, 0, "nr_inodes=3"));
		dfd = open(sub, O_RDONLY | O_DIRECTORY);
		ASSERT_LE(0, dfd);
		fd = openat(dfd, "f", O_CREAT | O_RDWR, 0644);
		ASSERT_LE(0, fd);
		/* Root and f use 2 of 3 inodes; 1024 bytes of budget are left. */
		res[side][0] = fsetxattr(fd, "user.a", val, sizeof(val), 0) ? -errno : 0;
		res[side][1] = fsetxattr(fd, "user.b", val, sizeof(val), 0) ? -errno : 0;
		res[side][2] = openat(dfd, "g", O_CREAT | O_RDWR, 0644) < 0 ? -errno : 0;
		res[side][3] = fremovexattr(fd, "user.a") ? -errno : 0;
		close(fd);
		close(dfd);
		ASSERT_EQ(0, umount(sub));
	}
	for (i = 0; i < 4; i++)
		EXPECT_EQ(res[0][i], res[1][i]) TH_LOG("step %d", i);
	EXPECT_EQ(0, res[1][0]);
	EXPECT_EQ(-ENOSPC, res[1][1]);
}

/* ------------------------------------------------------ POSIX ACLs, against tmpfs */

/* The system.posix_acl_* xattr format (linux/posix_acl_xattr.h). */
struct acl_ent {
	uint16_t tag, perm;
	uint32_t id;
};

static size_t acl_blob(char *buf, const struct acl_ent *ents, int n)
{
	uint32_t version = 2;
	int i;

	memcpy(buf, &version, 4);
	for (i = 0; i < n; i++)
		memcpy(buf + 4 + 8 * i, &ents[i], 8);
	return 4 + 8 * n;
}

/* A checksum of an xattr value, or -errno. */
static long xattr_sum(const char *path, const char *name)
{
	unsigned char buf[512];
	ssize_t n = getxattr(path, name, buf, sizeof(buf)), i;
	long sum = 0;

	if (n < 0)
		return -errno;
	for (i = 0; i < n; i++)
		sum = sum * 31 + buf[i];
	return sum * 1000 + n;
}

static int child_open(void *arg)
{
	const char *path = arg;
	int r = open(path, O_RDONLY) >= 0 ? 1 : 0;

	return r | (open(path, O_WRONLY) >= 0 ? 2 : 0);
}

static int acl_trace(const char *root, long *out)
{
	static const struct acl_ent file_acl[] = {
		{ 0x01, 6, -1 }, { 0x02, 4, TEST_UID }, { 0x04, 4, -1 }, { 0x10, 4, -1 }, { 0x20, 0, -1 },
	};
	static const struct acl_ent dir_default[] = {
		{ 0x01, 7, -1 }, { 0x02, 7, TEST_UID }, { 0x04, 5, -1 }, { 0x10, 7, -1 }, { 0x20, 0, -1 },
	};
	char path[256], sub[256], blob[128], names[256];
	struct stat st;
	int n = 0, fd;
	size_t len;

#define R(call) ({ long __r = (long)(call); out[n++] = __r < 0 ? -errno : __r; })
#define MODE(p) ({ out[n++] = stat(p, &st) ? -errno : (long)(st.st_mode & 07777); })
	snprintf(path, sizeof(path), "%s/f", root);
	umask(0);
	fd = open(path, O_CREAT | O_RDWR, 0640);
	if (fd < 0)
		return -1;
	close(fd);
	if (chmod(root, 0755))
		return -1;
	len = acl_blob(blob, file_acl, 5);
	R(setxattr(path, "system.posix_acl_access", blob, len, 0));
	MODE(path);
	R(xattr_sum(path, "system.posix_acl_access"));
	R(run_as(TEST_UID, TEST_GID, child_open, path));
	R(chmod(path, 0600));
	R(xattr_sum(path, "system.posix_acl_access"));
	R(run_as(TEST_UID, TEST_GID, child_open, path));
	R(listxattr(path, names, sizeof(names)));
	R(removexattr(path, "system.posix_acl_access"));
	MODE(path);
	R(xattr_sum(path, "system.posix_acl_access"));
	/* Default ACLs are inherited, and replace the umask. */
	snprintf(sub, sizeof(sub), "%s/d", root);
	R(mkdir(sub, 0777));
	len = acl_blob(blob, dir_default, 5);
	R(setxattr(sub, "system.posix_acl_default", blob, len, 0));
	R(xattr_sum(sub, "system.posix_acl_default"));
	umask(022);
	snprintf(path, sizeof(path), "%s/d/inherits", root);
	fd = open(path, O_CREAT | O_RDWR, 0666);
	R(fd);
	if (fd >= 0)
		close(fd);
	MODE(path);
	R(xattr_sum(path, "system.posix_acl_access"));
	R(xattr_sum(path, "system.posix_acl_default"));
	R(run_as(TEST_UID, TEST_GID, child_open, path));
	snprintf(path, sizeof(path), "%s/d/subdir", root);
	R(mkdir(path, 0777));
	MODE(path);
	R(xattr_sum(path, "system.posix_acl_default"));
	/* Without a default ACL, the umask applies. */
	umask(027);
	snprintf(path, sizeof(path), "%s/masked", root);
	fd = open(path, O_CREAT | O_RDWR, 0666);
	R(fd);
	if (fd >= 0)
		close(fd);
	MODE(path);
	snprintf(path, sizeof(path), "%s/maskeddir", root);
	R(mkdir(path, 0777));
	MODE(path);
	umask(0);
#undef R
#undef MODE
	return n;
}

/* Runs acl_trace() in a child of its own, so both traces start from the same process state. */
static int acl_trace_in_child(const char *root, long *out)
{
	long *shared = mmap(NULL, 65 * sizeof(long), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int status, n;
	pid_t pid;

	if (shared == MAP_FAILED)
		return -1;
	pid = fork();
	if (pid == 0) {
		shared[0] = acl_trace(root, shared + 1);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
		munmap(shared, 65 * sizeof(long));
		return -1;
	}
	n = shared[0];
	if (n > 0)
		memcpy(out, shared + 1, n * sizeof(long));
	munmap(shared, 65 * sizeof(long));
	return n;
}

TEST_F(fs, posix_acls_match_tmpfs)
{
	long got[64], ref[64];
	int n, i;

	n = acl_trace_in_child(self->ref, ref);
	ASSERT_LT(0, n);
	ASSERT_EQ(n, acl_trace_in_child(self->dir, got));
	for (i = 0; i < n; i++)
		EXPECT_EQ(ref[i], got[i]) TH_LOG("step %d: tmpfs %ld, %s %ld", i, ref[i],
						  variant->fstype, got[i]);
}

TEST_F(fs, mount_flags_match_tmpfs)
{
	static const char * const opts[] = {
		"inode32", "inode64", "noswap", "huge=never", "inode32,noswap,nr_inodes=100",
		"huge=always", "huge=within_size", "huge=advise", "huge=always,inode32",
	};
	char sub[128], rsub[128], line[512], rline[512], path[192];
	struct stat st, rst;
	unsigned int i;

	snprintf(sub, sizeof(sub), "%s/flags", self->dir);
	snprintf(rsub, sizeof(rsub), "%s/flags", self->ref);
	ASSERT_EQ(0, mkdir(sub, 0755));
	ASSERT_EQ(0, mkdir(rsub, 0755));
	for (i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
		ASSERT_EQ(0, mount("tmpfs", rsub, "tmpfs", 0, opts[i]));
		ASSERT_EQ(0, mount(variant->fstype, sub, variant->fstype, 0, opts[i]))
			TH_LOG("-o %s: %s", opts[i], strerror(errno));
		ASSERT_EQ(0, mount_options_of(sub, line, sizeof(line)));
		ASSERT_EQ(0, mount_options_of(rsub, rline, sizeof(rline)));
		EXPECT_STREQ(rline, line);
		/* Inode numbers count up per mount, from the root, like tmpfs's. */
		ASSERT_EQ(0, stat(sub, &st));
		ASSERT_EQ(0, stat(rsub, &rst));
		EXPECT_EQ(rst.st_ino, st.st_ino);
		snprintf(path, sizeof(path), "%s/f", sub);
		ASSERT_EQ(0, mkdir(path, 0755));
		ASSERT_EQ(0, stat(path, &st));
		snprintf(path, sizeof(path), "%s/f", rsub);
		ASSERT_EQ(0, mkdir(path, 0755));
		ASSERT_EQ(0, stat(path, &rst));
		EXPECT_EQ(rst.st_ino, st.st_ino);
		/* noswap cannot be turned on by a remount. */
		EXPECT_EQ(ERRNO_OF(mount(NULL, rsub, NULL, MS_REMOUNT, "noswap")),
			  ERRNO_OF(mount(NULL, sub, NULL, MS_REMOUNT, "noswap")));
		ASSERT_EQ(0, umount(sub));
		ASSERT_EQ(0, umount(rsub));
	}
	EXPECT_EQ(EINVAL, ERRNO_OF(mount(variant->fstype, sub, variant->fstype, 0, "huge=bogus")));
	EXPECT_EQ(EINVAL, ERRNO_OF(mount(variant->fstype, sub, variant->fstype, 0, "huge=deny")));
}
