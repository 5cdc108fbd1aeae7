// SPDX-License-Identifier: GPL-2.0
/*
 * rust_shmem_file_setup_with_mnt's mount argument, through the consumer module (shared parts:
 * setup_api_util.h): which mounts it takes ("with_mnt", on the consumer's kernel-internal mount
 * and on a user mount), and what only a user mount has ("user_mount"): its inode limit, its
 * lifetime and idmapped clones of it.
 */
#include "setup_api_util.h"

/* -------------------------------------------------- with_mnt's mount argument */

/* file_setup_with_mnt on either mount: the consumer's kernel-internal one or a user mount. */
FIXTURE(with_mnt) {
	int dev;		/* /dev/rust_shmem_consumer */
	int mnt_fd;		/* the user mount, or RSC_MNT_PRIVATE for the consumer's own */
	char mnt[SCRATCH_LEN];	/* the user mount, if any */
};

FIXTURE_VARIANT(with_mnt) {
	bool user_mount;	/* on a rust_shmem mount made by this test */
};

FIXTURE_VARIANT_ADD(with_mnt, kern_mount) {
	.user_mount = false,
};

FIXTURE_VARIANT_ADD(with_mnt, user_mount) {
	.user_mount = true,
};

FIXTURE_SETUP(with_mnt)
{
	self->dev = -1;
	self->mnt_fd = RSC_MNT_PRIVATE;
	self->mnt[0] = '\0';
	open_consumer(_metadata, &self->dev);
	if (variant->user_mount)
		make_user_mount(_metadata, self->mnt, &self->mnt_fd);
}

FIXTURE_TEARDOWN_PARENT(with_mnt)
{
	remove_mount_dir(self->mnt);
}

/* with_mnt wants a rust_shmem mount: another filesystem's is refused. */
TEST_F(with_mnt, with_mnt_other_fs)
{
	char dir[] = "/tmp/setup_api_tmpfs.XXXXXX";
	struct rsc_create req;
	int fd;

	/* The variant's own mount is taken. */
	ASSERT_EQ(0, rsc_create(self->dev, RSC_SETUP_WITH_MNT, self->mnt_fd, "rsc own", 1, 0, &req));
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));

	ASSERT_EQ(0, enter_private_mntns());
	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("tmpfs", dir, "tmpfs", 0, NULL));
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	ASSERT_GE(fd, 0);
	EXPECT_EQ(-EINVAL, rsc_create(self->dev, RSC_SETUP_WITH_MNT, fd, "rsc other", 1, 0, &req));
	close(fd);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}

/* ------------------------------------------------ with_mnt on user mounts */

/* What only a user mount has, with file_setup_with_mnt on it (the api fixture's user mount). */
FIXTURE(user_mount) {
	int dev;		/* /dev/rust_shmem_consumer */
	int mnt_fd;		/* the user mount */
	char mnt[SCRATCH_LEN];	/* where it is mounted */
};

FIXTURE_SETUP(user_mount)
{
	self->dev = self->mnt_fd = -1;
	self->mnt[0] = '\0';
	open_consumer(_metadata, &self->dev);
	make_user_mount(_metadata, self->mnt, &self->mnt_fd);
}

FIXTURE_TEARDOWN_PARENT(user_mount)
{
	remove_mount_dir(self->mnt);
}

/* Creates an object on the user mount; 0 or -errno. */
static long create_on_mount(FIXTURE_DATA(user_mount) *self, const char *name, int64_t size,
			    struct rsc_create *req)
{
	return rsc_create(self->dev, RSC_SETUP_WITH_MNT, self->mnt_fd, name, size, 0, req);
}

/* The user mount's inode limit covers unlinked files made on it (tmpfs: shmem_reserve_inode). */
TEST_F(user_mount, user_mount_inode_limit)
{
	uint32_t handles[USER_MOUNT_INODES];
	struct statfs before, during, after;
	struct rsc_create req;
	long ret = 0;
	int n = 0, i;

	ASSERT_EQ(0, fstatfs(self->mnt_fd, &before));
	ASSERT_GT((long)before.f_ffree, 0);
	while (n < USER_MOUNT_INODES) {
		ret = create_on_mount(self, "rsc inode", 0, &req);
		if (ret)
			break;
		handles[n++] = req.handle;
	}
	EXPECT_EQ(-ENOSPC, ret);
	EXPECT_EQ((long)before.f_ffree, n);
	ASSERT_EQ(0, fstatfs(self->mnt_fd, &during));
	EXPECT_EQ(0, (long)during.f_ffree);
	for (i = 0; i < n; i++)
		EXPECT_EQ(0, rsc_release(self->dev, handles[i]));
	ASSERT_EQ(0, fstatfs(self->mnt_fd, &after));
	EXPECT_EQ((long)before.f_ffree, (long)after.f_ffree);
}

/* Objects hold their mount: busy for umount, and alive after a lazy detach. */
TEST_F(user_mount, user_mount_lifetime)
{
	struct rsc_create req;
	char buf[8] = "abcdefg", back[8];

	close(self->mnt_fd);
	self->mnt_fd = open(self->mnt, O_PATH | O_CLOEXEC);	/* an O_PATH fd works too */
	ASSERT_GE(self->mnt_fd, 0);
	ASSERT_EQ(0, create_on_mount(self, "rsc lifetime", 8, &req));
	close(self->mnt_fd);
	self->mnt_fd = -1;

	EXPECT_EQ(-1, umount2(self->mnt, 0));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, umount2(self->mnt, MNT_DETACH));
	EXPECT_EQ(8, rsc_rw(self->dev, true, req.handle, 0, buf, 8));
	EXPECT_EQ(8, rsc_rw(self->dev, false, req.handle, 0, back, 8));
	EXPECT_EQ(0, memcmp(buf, back, 8));
	EXPECT_EQ(0, rsc_release(self->dev, req.handle));
	rmdir(self->mnt);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * A user namespace fd mapping 0 -> TEST_UID/TEST_GID, for MOUNT_ATTR_IDMAP: taken from a child
 * that unshares its user namespace and waits; -1 if that is not possible.
 */
static int make_userns(void)
{
	int ready[2], done[2], fd = -1, status;
	char path[64], text[64], c;
	pid_t pid;

	if (pipe(ready))
		return -1;
	if (pipe(done)) {
		close(ready[0]);
		close(ready[1]);
		return -1;
	}
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(ready[0]);
		close(done[1]);
		c = unshare(CLONE_NEWUSER) ? 'e' : 'k';
		if (write(ready[1], &c, 1) != 1 || c != 'k')
			_exit(1);
		/* Until the parent has the namespace (or gave up): EOF on the pipe. */
		while (read(done[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	if (read(ready[0], &c, 1) == 1 && c == 'k') {
		snprintf(path, sizeof(path), "/proc/%d/uid_map", pid);
		snprintf(text, sizeof(text), "0 %d 1", TEST_UID);
		if (!write_file(path, text)) {
			snprintf(path, sizeof(path), "/proc/%d/setgroups", pid);
			write_file(path, "deny");
			snprintf(path, sizeof(path), "/proc/%d/gid_map", pid);
			snprintf(text, sizeof(text), "0 %d 1", TEST_GID);
			if (!write_file(path, text)) {
				snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
				fd = open(path, O_RDONLY | O_CLOEXEC);
			}
		}
	}
	close(ready[0]);
	close(done[1]);
	waitpid(pid, &status, 0);
	return fd;
}

/* A detached idmapped clone of the mount at @dir, or -errno. */
static int idmapped_clone(const char *dir, int userns)
{
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = userns };
	int tree, err;

	tree = syscall(SYS_open_tree, AT_FDCWD, dir, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0)
		return -errno;
	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH, &attr, sizeof(attr))) {
		err = errno;
		close(tree);
		return -err;
	}
	return tree;
}

/*
 * rust_shmem mounts can be idmapped (FS_ALLOW_IDMAP, as tmpfs's), but with_mnt refuses an
 * idmapped one with EINVAL, as __shmem_file_setup does.
 */
TEST_F(user_mount, with_mnt_idmapped)
{
	char ref_dir[] = "/tmp/setup_api_idmap.XXXXXX";
	struct rsc_create req;
	int userns, tree, ref_tree;

	userns = make_userns();
	ASSERT_GE(userns, 0);

	/* tmpfs allows idmapped mounts (FS_ALLOW_IDMAP): the machinery works here. */
	ASSERT_NE(NULL, mkdtemp(ref_dir));
	ASSERT_EQ(0, mount("tmpfs", ref_dir, "tmpfs", 0, NULL));
	ref_tree = idmapped_clone(ref_dir, userns);
	EXPECT_GE(ref_tree, 0) {
		TH_LOG("idmapped clone of tmpfs: %s", strerror(-ref_tree));
	}
	if (ref_tree >= 0)
		close(ref_tree);
	umount2(ref_dir, MNT_DETACH);
	rmdir(ref_dir);

	tree = idmapped_clone(self->mnt, userns);
	close(userns);
	ASSERT_GE(tree, 0) {
		TH_LOG("idmapped clone of rust_shmem: %s", strerror(-tree));
	}
	EXPECT_EQ(-EINVAL, rsc_create(self->dev, RSC_SETUP_WITH_MNT, tree, "rsc idmap", 1, 0, &req));
	close(tree);
}

TEST_HARNESS_MAIN
