// SPDX-License-Identifier: GPL-2.0
/*
 * Reads and writes of /dev/rust_shmem_zero against the kernel's /dev/zero (fixture and
 * variants: devzero_util.h): zeros read, pread/readv/lseek, partial faults, writes swallowed,
 * splice.
 */
#include "devzero_util.h"

/* ------------------------------------------------------------ read / write */

TEST_F(devzero, read_gives_zeros)
{
	static const size_t sizes[] = { 0, 1, 7, 4095, 4096, 4097, 65536, 3 * MIB + 5 };
	char *buf = malloc(3 * MIB + 5);
	size_t i;

	ASSERT_NE(NULL, buf);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ssize_t n, rn;

		fill_bytes(buf, sizes[i], 0x5a);
		rn = read(self->ref, buf, sizes[i]);
		ASSERT_EQ((ssize_t)sizes[i], rn);
		fill_bytes(buf, sizes[i], 0x5a);
		n = read(self->fd, buf, sizes[i]);
		EXPECT_EQ(rn, n) {
			TH_LOG("read of %zu bytes", sizes[i]);
		}
		EXPECT_TRUE(all_zero(buf, sizes[i]));
	}
	free(buf);
}

TEST_F(devzero, pread_readv_lseek)
{
	char a[100], b[5000], c[3];
	struct iovec iov[3] = { { a, sizeof(a) }, { b, sizeof(b) }, { c, sizeof(c) } };
	int fds[2] = { self->ref, self->fd };
	ssize_t res[2][4];
	off_t pos[2][3];
	int i;

	for (i = 0; i < 2; i++) {
		memset(a, 1, sizeof(a));
		memset(b, 1, sizeof(b));
		memset(c, 1, sizeof(c));
		res[i][0] = pread(fds[i], a, sizeof(a), 12345);
		res[i][1] = readv(fds[i], iov, 3);
		res[i][2] = preadv(fds[i], iov, 3, 1L << 40);
		res[i][3] = pread(fds[i], a, 1, -1) == -1 ? -errno : 0;
		EXPECT_TRUE(all_zero(a, sizeof(a)) && all_zero(b, sizeof(b)) && all_zero(c, sizeof(c)));
		pos[i][0] = lseek(fds[i], 100, SEEK_SET);
		pos[i][1] = lseek(fds[i], 100, SEEK_CUR);
		pos[i][2] = lseek(fds[i], -5, SEEK_END);
	}
	EXPECT_EQ((ssize_t)sizeof(a), res[0][0]);
	EXPECT_EQ((ssize_t)(sizeof(a) + sizeof(b) + sizeof(c)), res[0][1]);
	EXPECT_EQ(-EINVAL, res[0][3]);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(res[0][i], res[1][i]) {
			TH_LOG("call %d", i);
		}
	}
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(pos[0][i], pos[1][i]) {
			TH_LOG("lseek %d: /dev/zero %ld, %s %ld", i, (long)pos[0][i], variant->path,
			       (long)pos[1][i]);
		}
	}
}

/* A read into a buffer whose second page is not accessible: a short read, then EFAULT. */
TEST_F(devzero, read_partial_fault)
{
	int fds[2] = { self->ref, self->fd };
	ssize_t res[2][2];
	int err[2][2];
	char *buf;
	int i;

	buf = mmap(NULL, 2 * self->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		   -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	ASSERT_EQ(0, mprotect(buf + self->page, self->page, PROT_NONE));
	for (i = 0; i < 2; i++) {
		memset(buf, 0x77, self->page);
		errno = 0;
		res[i][0] = read(fds[i], buf + 100, 2 * self->page);
		err[i][0] = errno;
		EXPECT_TRUE(all_zero(buf + 100, self->page - 100));
		errno = 0;
		res[i][1] = read(fds[i], buf + self->page, 10);
		err[i][1] = errno;
	}
	EXPECT_EQ(self->page - 100, res[0][0]);
	EXPECT_EQ(-1, res[0][1]);
	EXPECT_EQ(EFAULT, err[0][1]);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(res[0][i], res[1][i]);
		if (res[0][i] < 0) {
			EXPECT_EQ(err[0][i], err[1][i]);
		}
	}
	munmap(buf, 2 * self->page);
}

TEST_F(devzero, write_swallows)
{
	static const size_t sizes[] = { 0, 1, 4096, 65537, 2 * MIB };
	char *buf = calloc(1, 2 * MIB);
	int fds[2] = { self->ref, self->fd };
	struct iovec iov[2];
	ssize_t res[2][6];
	size_t i;
	int k;

	ASSERT_NE(NULL, buf);
	iov[0] = (struct iovec){ buf, 10 };
	iov[1] = (struct iovec){ buf + 10, 5000 };
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		ssize_t rn = write(self->ref, buf, sizes[i]);

		ASSERT_EQ((ssize_t)sizes[i], rn);
		EXPECT_EQ(rn, write(self->fd, buf, sizes[i]));
	}
	for (k = 0; k < 2; k++) {
		res[k][0] = writev(fds[k], iov, 2);
		res[k][1] = pwrite(fds[k], buf, 100, 1L << 40);
		res[k][2] = pwrite(fds[k], buf, 100, -1) == -1 ? -errno : 0;
		/* The data is never looked at: an unmapped (but user) address is fine. */
		res[k][3] = write(fds[k], (void *)(uintptr_t)self->page, 64);
		if (res[k][3] < 0)
			res[k][3] = -errno;
		res[k][4] = pwritev(fds[k], iov, 2, 7);
		res[k][5] = lseek(fds[k], 0, SEEK_CUR);
	}
	EXPECT_EQ(5010, res[0][0]);
	EXPECT_EQ(100, res[0][1]);
	EXPECT_EQ(-EINVAL, res[0][2]);
	for (k = 0; k < 6; k++) {
		EXPECT_EQ(res[0][k], res[1][k]) {
			TH_LOG("call %d: /dev/zero %zd, %s %zd", k, res[0][k], variant->path,
			       res[1][k]);
		}
	}
	free(buf);
}

TEST_F(devzero, splice)
{
	int fds[2] = { self->ref, self->fd };
	ssize_t res[2][2];
	char buf[3 * 4096];
	int pipefd[2];
	int k;

	for (k = 0; k < 2; k++) {
		ASSERT_EQ(0, pipe(pipefd));
		res[k][0] = splice(fds[k], NULL, pipefd[1], NULL, sizeof(buf), 0);
		memset(buf, 1, sizeof(buf));
		if (res[k][0] > 0) {
			ASSERT_EQ(res[k][0], read(pipefd[0], buf, res[k][0]));
			EXPECT_TRUE(all_zero(buf, res[k][0]));
		}
		ASSERT_EQ(5000, write(pipefd[1], buf, 5000));
		res[k][1] = splice(pipefd[0], NULL, fds[k], NULL, 5000, 0);
		close(pipefd[0]);
		close(pipefd[1]);
	}
	EXPECT_EQ((ssize_t)sizeof(buf), res[0][0]);
	EXPECT_EQ(5000, res[0][1]);
	EXPECT_EQ(res[0][0], res[1][0]);
	EXPECT_EQ(res[0][1], res[1][1]);
}

TEST_HARNESS_MAIN
