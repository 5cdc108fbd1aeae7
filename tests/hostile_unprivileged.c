// SPDX-License-Identifier: GPL-2.0
/*
 * An unprivileged user against rust_shmem, with tmpfs as the reference (fixture, watchdog and
 * comparisons: hostile_util.h): uid 1000 (setresuid in a child) trying chmod/chown/utimes/
 * xattrs/unlink/rename/link/open/truncate on root's files in a sticky 1777 and a 0755
 * directory; errnos and the resulting tree must match.
 */
#include "hostile_util.h"

/* ============================================================== unprivileged */

/*
 * Objects in each round's tree "t<round>" (created by root, the same on both sides):
 *   sticky/ (1777) and plain/ (0755), each holding
 *     r644, r600, r666 (root's), r600x (root's, with user.x), u644 (uid 1000's), o644 (uid 1001's),
 *     rdir/ (root's 0755, with a file), udir/ (uid 1000's 0700)
 */
static const char * const uobj_dirs[] = { "sticky", "plain" };
static const char * const uobj_files[] = { "r644", "r600", "r666", "r600x", "u644", "o644", "rdir",
					   "udir", "newf", "rdir/inner" };
#define N_UDIRS		2
#define N_UFILES	(sizeof(uobj_files) / sizeof(uobj_files[0]))

enum uop {
	U_OPEN_R, U_OPEN_W, U_OPEN_RW_TRUNC, U_OPEN_CREAT, U_OPEN_CREAT_EXCL, U_CHMOD, U_FCHMOD,
	U_CHOWN_UID, U_CHOWN_GID, U_CHOWN_NOOP, U_CHOWN_ROOT, U_UTIMES_NULL, U_UTIMES_NOW,
	U_UTIMES_SET, U_UTIMES_OMIT, U_SETXATTR_USER, U_SETXATTR_TRUSTED, U_SETXATTR_SECURITY,
	U_SETXATTR_ACL, U_SETXATTR_ACL_BAD, U_GETXATTR, U_LISTXATTR, U_REMOVEXATTR, U_TRUNCATE,
	U_ACCESS_W, U_LINK, U_RENAME, U_RENAME_BACK, U_UNLINK, U_RMDIR, U_MKDIR, U_SYMLINK,
	U_MKFIFO, U_RENAME_OVER, U_NR
};

static const char * const uop_names[U_NR] = {
	"open(O_RDONLY)", "open(O_WRONLY)", "open(O_RDWR|O_TRUNC)", "open(O_WRONLY|O_CREAT)",
	"open(O_CREAT|O_EXCL)", "chmod", "fchmod", "chown(1000, -1)", "chown(-1, 1000)",
	"chown(-1, -1)", "chown(0, 0)", "utimensat(NULL)", "utimensat(UTIME_NOW)",
	"utimensat(explicit)", "utimensat(UTIME_OMIT)", "setxattr(user.t)", "setxattr(trusted.t)",
	"setxattr(security.t)", "setxattr(system.posix_acl_access)", "setxattr(acl, garbage)",
	"getxattr(user.x)", "listxattr", "removexattr(user.x)", "truncate", "access(W_OK)", "link",
	"rename", "rename back", "unlink", "rmdir", "mkdir", "symlink", "mkfifo",
	"rename own file over it",
};

struct ustep {
	uint8_t op, dir, obj;
	uint32_t arg;
};

#define MAX_USTEPS	96

struct ushared {
	int nsteps;
	struct ustep steps[MAX_USTEPS];
	int err[NSIDES][MAX_USTEPS];
	char root[NSIDES][256];
};

/* A minimal POSIX ACL xattr: user::rwx, group::r-x, other::r-x (v2 header). */
static size_t acl_blob(char *buf, uint32_t arg)
{
	static const uint16_t tags[3] = { 0x01, 0x04, 0x20 };	/* USER_OBJ, GROUP_OBJ, OTHER */
	uint32_t version = 2;
	size_t len = 4;
	int i;

	memcpy(buf, &version, 4);
	for (i = 0; i < 3; i++) {
		uint16_t tag = tags[i], perm = (arg >> (3 * i)) & 7;
		uint32_t id = (uint32_t)-1;

		memcpy(buf + len, &tag, 2);
		memcpy(buf + len + 2, &perm, 2);
		memcpy(buf + len + 4, &id, 4);
		len += 8;
	}
	return len;
}

static int do_ustep(const char *root, const struct ustep *u)
{
	char path[512], other[512], blob[64];
	struct timespec ts[2];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s/%s", root, uobj_dirs[u->dir], uobj_files[u->obj]);
	errno = 0;
	switch (u->op) {
	case U_OPEN_R:
	case U_OPEN_W:
	case U_OPEN_RW_TRUNC:
	case U_OPEN_CREAT:
	case U_OPEN_CREAT_EXCL:
		fd = open(path, (int[]){ O_RDONLY, O_WRONLY, O_RDWR | O_TRUNC, O_WRONLY | O_CREAT,
					 O_WRONLY | O_CREAT | O_EXCL }[u->op - U_OPEN_R] | O_CLOEXEC | O_NONBLOCK,
			  0644);
		if (fd >= 0)
			close(fd);
		ret = fd < 0 ? -1 : 0;
		break;
	case U_CHMOD:
		ret = chmod(path, u->arg & 07777);
		break;
	case U_FCHMOD:
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (fd < 0)
			return errno;
		ret = fchmod(fd, u->arg & 07777);
		if (ret)
			ret = errno;
		close(fd);
		return ret;
	case U_CHOWN_UID:
		ret = chown(path, TEST_UID, -1);
		break;
	case U_CHOWN_GID:
		ret = chown(path, -1, TEST_GID);
		break;
	case U_CHOWN_NOOP:
		ret = chown(path, -1, -1);
		break;
	case U_CHOWN_ROOT:
		ret = lchown(path, 0, 0);
		break;
	case U_UTIMES_NULL:
		ret = utimensat(AT_FDCWD, path, NULL, 0);
		break;
	case U_UTIMES_NOW:
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_NOW;
		ret = utimensat(AT_FDCWD, path, ts, 0);
		break;
	case U_UTIMES_SET:
		ts[0] = (struct timespec){ u->arg, 0 };
		ts[1] = (struct timespec){ u->arg / 2, 999999999 };
		ret = utimensat(AT_FDCWD, path, ts, 0);
		break;
	case U_UTIMES_OMIT:
		ts[0].tv_nsec = ts[1].tv_nsec = UTIME_OMIT;
		ret = utimensat(AT_FDCWD, path, ts, 0);
		break;
	case U_SETXATTR_USER:
	case U_SETXATTR_TRUSTED:
	case U_SETXATTR_SECURITY:
		ret = setxattr(path, (const char *[]){ "user.t", "trusted.t", "security.t" }[u->op - U_SETXATTR_USER],
			       "value", 1 + u->arg % 5, (int[]){ 0, XATTR_CREATE, XATTR_REPLACE }[u->arg % 3]);
		break;
	case U_SETXATTR_ACL:
		ret = setxattr(path, "system.posix_acl_access", blob, acl_blob(blob, u->arg), 0);
		break;
	case U_SETXATTR_ACL_BAD:
		memset(blob, (int)u->arg, sizeof(blob));
		ret = setxattr(path, "system.posix_acl_access", blob, 1 + u->arg % 40, 0);
		break;
	case U_GETXATTR:
		ret = getxattr(path, "user.x", blob, sizeof(blob)) < 0 ? -1 : 0;
		break;
	case U_LISTXATTR:
		ret = listxattr(path, blob, sizeof(blob)) < 0 ? -1 : 0;
		break;
	case U_REMOVEXATTR:
		ret = removexattr(path, "user.x");
		break;
	case U_TRUNCATE:
		ret = truncate(path, u->arg % 10000);
		break;
	case U_ACCESS_W:
		ret = access(path, W_OK);
		break;
	case U_LINK:
		snprintf(other, sizeof(other), "%s/%s/link%u", root, uobj_dirs[u->arg % N_UDIRS], u->arg % 7);
		ret = link(path, other);
		break;
	case U_RENAME:
	case U_RENAME_BACK:
		snprintf(other, sizeof(other), "%s/%s/moved_%s", root, uobj_dirs[u->arg % N_UDIRS],
			 uobj_files[u->obj] + (u->obj == N_UFILES - 1 ? 5 : 0));
		ret = u->op == U_RENAME ? rename(path, other) : rename(other, path);
		break;
	case U_UNLINK:
		ret = unlink(path);
		break;
	case U_RMDIR:
		ret = rmdir(path);
		break;
	case U_MKDIR:
		ret = mkdir(path, u->arg & 0777);
		break;
	case U_SYMLINK:
		ret = symlink("target", path);
		break;
	case U_MKFIFO:
		ret = mkfifo(path, u->arg & 0777);
		break;
	case U_RENAME_OVER:
		/* a file of our own (made if we can), renamed over the object */
		snprintf(other, sizeof(other), "%s/%s/mine%u", root, uobj_dirs[u->dir], u->arg % 5);
		fd = open(other, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		errno = 0;
		ret = rename(other, path);
		break;
	}
	return ret ? (errno ? errno : 255) : 0;
}

/* Runs the steps as uid/gid 1000 on side @s, recording each errno. */
static int run_usteps(struct ushared *sh, int s)
{
	pid_t pid;
	int status, i;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(TEST_GID, TEST_GID, TEST_GID) ||
		    setresuid(TEST_UID, TEST_UID, TEST_UID))
			_exit(1);
		for (i = 0; i < sh->nsteps; i++)
			sh->err[s][i] = do_ustep(sh->root[s], &sh->steps[i]);
		_exit(0);
	}
	status = wait_child(pid);
	return status == 0 ? 0 : -1;
}

static int make_utree(const char *root, int round, char *out, size_t size)
{
	char base[256], path[512];
	size_t d;
	int fd;

	snprintf(base, sizeof(base), "%s/t%d", root, round);
	snprintf(out, size, "%s", base);
	if (mkdir(base, 0755))
		return -1;
	for (d = 0; d < N_UDIRS; d++) {
		static const struct { const char *name; mode_t mode; uid_t uid; } files[] = {
			{ "r644", 0644, 0 }, { "r600", 0600, 0 }, { "r666", 0666, 0 },
			{ "r600x", 0600, 0 }, { "u644", 0644, TEST_UID }, { "o644", 0644, TEST_UID + 1 },
		};
		size_t f;

		snprintf(path, sizeof(path), "%s/%s", base, uobj_dirs[d]);
		if (mkdir(path, d ? 0755 : 01777) || chmod(path, d ? 0755 : 01777))
			return -1;
		for (f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
			snprintf(path, sizeof(path), "%s/%s/%s", base, uobj_dirs[d], files[f].name);
			fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, files[f].mode);
			if (fd < 0 || write(fd, "content\n", 8) != 8)
				return -1;
			close(fd);
			if (chown(path, files[f].uid, files[f].uid) || chmod(path, files[f].mode))
				return -1;
			if (!strcmp(files[f].name, "r600x") && setxattr(path, "user.x", "x", 1, 0))
				return -1;
		}
		snprintf(path, sizeof(path), "%s/%s/rdir", base, uobj_dirs[d]);
		if (mkdir(path, 0755))
			return -1;
		snprintf(path, sizeof(path), "%s/%s/rdir/inner", base, uobj_dirs[d]);
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return -1;
		close(fd);
		snprintf(path, sizeof(path), "%s/%s/udir", base, uobj_dirs[d]);
		if (mkdir(path, 0700) || chown(path, TEST_UID, TEST_GID))
			return -1;
	}
	return 0;
}

/* Everything root sees of one object: "mode uid gid size nlink xattrs". */
static void describe(const char *path, char *out, size_t size)
{
	char names[512];
	struct stat st;
	ssize_t n, i;

	if (lstat(path, &st)) {
		snprintf(out, size, "%s", strerror(errno));
		return;
	}
	n = llistxattr(path, names, sizeof(names));
	for (i = 0; i < n; i++)
		if (!names[i])
			names[i] = ',';
	snprintf(out, size, "mode 0%o uid %u gid %u size %lld nlink %lu xattrs [%.*s]", st.st_mode,
		 st.st_uid, st.st_gid, S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size,
		 (unsigned long)st.st_nlink, n > 0 ? (int)n : 0, names);
}

/* rm -r @path (as root); returns 0 if everything went. */
static int remove_tree(const char *path)
{
	struct dirent *de;
	struct stat st;
	int ret = 0;
	DIR *d;

	if (lstat(path, &st))
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char sub[1024];

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		ret |= remove_tree(sub);
	}
	closedir(d);
	return ret | rmdir(path);
}

static void unprivileged_worker(void *arg)
{
	struct ctx *c = arg;
	struct rng *r = &c->rng;
	struct ushared *sh = shared_alloc(sizeof(*sh));
	unsigned long long hist[5] = { 0 };	/* ok, EACCES, EPERM, ENOENT, other */
	uint64_t round;
	int s, i;

	if (!sh) {
		fuzz_finding(c->rep, false, "setup", "no shared memory");
		return;
	}
	for (round = c->first_iter; !out_of_time(c, round); round++) {
		c->rep->resume_iter = round;
		c->rep->resume_rng = r->s;
		for (s = 0; s < NSIDES; s++) {
			if (make_utree(c->root[s], round, sh->root[s], sizeof(sh->root[s]))) {
				fuzz_finding(c->rep, false, "setup", "cannot make the tree on %s: %s",
					     c->fstype[s], strerror(errno));
				return;
			}
			beat(c, 60);
		}
		sh->nsteps = 40 + rng_below(r, MAX_USTEPS - 40);
		for (i = 0; i < sh->nsteps; i++)
			sh->steps[i] = (struct ustep){
				.op = rng_below(r, U_NR),
				.dir = rng_below(r, N_UDIRS),
				.obj = rng_below(r, N_UFILES),
				.arg = (uint32_t)rng_next(r),
			};
		for (s = 0; s < NSIDES; s++) {
			fuzz_inflight(c->rep, "round %llu of uid-1000 steps on %s",
				      (unsigned long long)round, c->fstype[s]);
			if (run_usteps(sh, s))
				fuzz_finding(c->rep, false, "setup", "the uid-1000 child failed on %s",
					     c->fstype[s]);
			beat(c, sh->nsteps);
		}
		for (i = 0; i < sh->nsteps; i++) {
			const struct ustep *u = &sh->steps[i];
			char cls[64];

			{
				int e = sh->err[0][i];

				hist[!e ? 0 : e == EACCES ? 1 : e == EPERM ? 2 : e == ENOENT ? 3 : 4]++;
			}
			if (sh->err[0][i] == sh->err[1][i])
				continue;
			snprintf(cls, sizeof(cls), "uid 1000 %s", uop_names[u->op]);
			fuzz_finding(c->rep, false, cls,
				     "round %llu step %d: uid 1000 %s (arg 0x%x) on %s/%s: tmpfs %s, %s %s",
				     (unsigned long long)round, i, uop_names[u->op], u->arg,
				     uobj_dirs[u->dir], uobj_files[u->obj],
				     sh->err[0][i] ? strerrorname_np(sh->err[0][i]) : "ok", c->fstype[1],
				     sh->err[1][i] ? strerrorname_np(sh->err[1][i]) : "ok");
		}
		/* And the trees must have ended up the same. */
		for (size_t d = 0; d < N_UDIRS; d++) {
			DIR *dir;
			struct dirent *de;
			char p[NSIDES][600], desc[NSIDES][700];

			snprintf(p[0], sizeof(p[0]), "%s/%s", sh->root[0], uobj_dirs[d]);
			dir = opendir(p[0]);
			while (dir && (de = readdir(dir))) {
				for (s = 0; s < NSIDES; s++) {
					snprintf(p[s], sizeof(p[s]), "%s/%s/%s", sh->root[s], uobj_dirs[d], de->d_name);
					describe(p[s], desc[s], sizeof(desc[s]));
				}
				beat(c, 4);
				if (strcmp(desc[0], desc[1]))
					fuzz_finding(c->rep, false, "tree after uid 1000",
						     "round %llu: %s/%s: tmpfs \"%s\", %s \"%s\"",
						     (unsigned long long)round, uobj_dirs[d], de->d_name,
						     desc[0], c->fstype[1], desc[1]);
			}
			if (dir)
				closedir(dir);
		}
		/* Gone again, on both sides alike. */
		{
			struct statfs sfs[NSIDES];

			for (s = 0; s < NSIDES; s++) {
				if (remove_tree(sh->root[s]))
					fuzz_finding(c->rep, false, "setup", "cannot remove %s: %s", sh->root[s],
						     strerror(errno));
				statfs(c->root[s], &sfs[s]);
				beat(c, 40);
			}
			if (sfs[0].f_bfree != sfs[1].f_bfree || sfs[0].f_ffree != sfs[1].f_ffree)
				fuzz_finding(c->rep, false, "statfs after uid 1000",
					     "round %llu: after removing the tree f_bfree/f_ffree tmpfs %lu/%lu, %s %lu/%lu",
					     (unsigned long long)round, sfs[0].f_bfree, sfs[0].f_ffree,
					     c->fstype[1], sfs[1].f_bfree, sfs[1].f_ffree);
		}
	}
	fuzz_finding(c->rep, true, "uid 1000 outcomes on tmpfs",
		     "%llu rounds: %llu steps succeeded, %llu EACCES, %llu EPERM, %llu ENOENT, %llu other",
		     (unsigned long long)round, hist[0], hist[1], hist[2], hist[3], hist[4]);
}

TEST_F_TIMEOUT(hostile, unprivileged, 900)
{
	struct ctx c = make_ctx(self, variant, "unprivileged", 150, 3);
	int guarded = run_resumable(_metadata, self, &c, unprivileged_worker);

	finish_case(_metadata, self, "unprivileged", &c, guarded);
}

TEST_HARNESS_MAIN
