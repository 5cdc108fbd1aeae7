// SPDX-License-Identifier: GPL-2.0
/*
 * rust_shmem's attributes against tmpfs (fixture and variants: fs_basic_util.h): modes,
 * owners, timestamps, permissions of another user, extended attributes and POSIX ACLs.
 */
#include "fs_basic_util.h"

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

TEST_HARNESS_MAIN
