// SPDX-License-Identifier: GPL-2.0
/*
 * rust_shmem's mount options against tmpfs (fixture and variants: fs_basic_util.h): mode,
 * uid, gid, nr_inodes, size and their limits, bad options and the fs_context messages, and the
 * /proc/mounts flags.
 */
#include "fs_basic_util.h"

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

TEST_HARNESS_MAIN
