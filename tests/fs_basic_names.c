// SPDX-License-Identifier: GPL-2.0
/*
 * rust_shmem's namespace against tmpfs (fixture and variants: fs_basic_util.h): directories,
 * creating, renaming and unlinking, hard and symbolic links, special files, and namespace
 * traces compared call by call with tmpfs (directory sizes, O_TMPFILE, renameat2 flags, readdir
 * while the directory changes).
 */
#include "fs_basic_util.h"

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

TEST_HARNESS_MAIN
