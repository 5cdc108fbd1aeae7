// SPDX-License-Identifier: GPL-2.0
/*
 * rust_shmem's regular files against tmpfs (fixture and variants: fs_basic_util.h): statfs,
 * reads and writes, mappings, truncation, and file I/O compared call by call with tmpfs
 * (SEEK_DATA/SEEK_HOLE, O_DIRECT, O_APPEND, splice, sendfile, copy_file_range, statx).
 */
#include "fs_basic_util.h"

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

TEST_HARNESS_MAIN
