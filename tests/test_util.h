/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small helpers shared by the rust_shmem kselftests (header only: every test
 * is one self-contained binary).  Include after kselftest_harness.h.
 */
#ifndef RUST_SHMEM_TEST_UTIL_H
#define RUST_SHMEM_TEST_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <linux/rust_shmem.h>

#define RUST_SHMEM_FSTYPE	"rust_shmem"

/* The unprivileged user of the guest image (no /etc/passwd entry needed). */
#define TEST_UID		1000
#define TEST_GID		1000

/* Permission bits of a struct stat, as an int for ASSERT_EQ(0640, PERM(st)). */
#define PERM(st)		((int)((st).st_mode & 07777))

/*
 * errno of a call that returns -1 (or MAP_FAILED) on failure, 0 when it
 * succeeded: EXPECT_EQ(EEXIST, ERRNO_OF(mkdir(path, 0755))).
 */
#define ERRNO_OF(call) ({					\
	long __r;						\
	errno = 0;						\
	__r = (long)(call);					\
	__r == -1 ? errno : 0;					\
})

/* Closes @fd if it is open: a fixture's teardown, whose descriptors start as -1. */
static inline void close_if_open(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* A private mount namespace in which "/" propagates nothing back to the host. */
static inline int enter_private_mntns(void)
{
	if (unshare(CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	return 0;
}

/*
 * Deterministic file content: the 64-bit word at byte offset @off (a multiple
 * of 8) is pattern_word(off, salt), so any misplaced or stale page shows.
 */
static inline uint64_t pattern_word(uint64_t off, uint64_t salt)
{
	uint64_t x = ((off >> 3) + 1) * 0x9e3779b97f4a7c15ULL ^ salt;

	return x ^ (x >> 31);
}

/* Fills @len bytes (multiple of 8) at @buf as the file range starting at @off. */
static inline void fill_pattern(void *buf, size_t len, uint64_t off, uint64_t salt)
{
	uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = pattern_word(off + i * 8, salt);
}

/* Returns the byte index of the first wrong word in @buf, or -1 if all match. */
static inline long check_pattern(const void *buf, size_t len, uint64_t off, uint64_t salt)
{
	const uint64_t *w = buf;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != pattern_word(off + i * 8, salt))
			return (long)(i * 8);
	return -1;
}

/* Returns 1 if every byte of @buf is zero. */
static inline int all_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

/* waitpid() for one child; returns its raw status or -1. */
static inline int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/*
 * Runs fn(arg) in a forked child that dropped to uid/gid with no supplementary
 * groups.  Returns fn's result (0..254), 255 if dropping privileges failed, or
 * -1 if the child did not exit normally.  fn returns an errno value or 0.
 */
static inline int run_as(uid_t uid, gid_t gid, int (*fn)(void *), void *arg)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) ||
		    setresuid(uid, uid, uid))
			_exit(255);
		_exit(fn(arg) & 0xff);
	}
	status = wait_child(pid);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Reads a whole (small, pseudo) file into a NUL-terminated malloc'ed buffer. */
static inline char *read_text_file(const char *path)
{
	size_t cap = 16384, len = 0;
	char *buf = malloc(cap);
	ssize_t n;
	int fd;

	if (!buf)
		return NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(buf);
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			char *nbuf = realloc(buf, cap * 2);

			if (!nbuf)
				break;
			buf = nbuf;
			cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	return buf;
}

/*
 * The number after "@name:" or "@name " at the start of a line of @path (/proc/meminfo,
 * /proc/vmstat, /proc/self/smaps_rollup): -1 if there is no such line or no such file.
 */
static inline long proc_field(const char *path, const char *name)
{
	char *text = read_text_file(path);
	size_t n = strlen(name);
	char *line, *save = NULL;
	long val = -1;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, name, n) && (line[n] == ':' || line[n] == ' '))
			val = strtol(line + n + 1, NULL, 10);
	free(text);
	return val;
}

/* 1 if /proc/filesystems has the line "nodev\t<name>", 0 if not, -1 on error. */
static inline int proc_filesystems_has(const char *name)
{
	char *text = read_text_file("/proc/filesystems");
	char *line, *save = NULL;
	int found = 0;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, "nodev\t", 6) && !strcmp(line + 6, name))
			found = 1;
	free(text);
	return found;
}

/*
 * File system type of the topmost mount on @mnt_point according to
 * /proc/self/mountinfo, copied into @fstype; returns 0, or -1 if none.
 */
static inline int mountinfo_fstype(const char *mnt_point, char *fstype, size_t size)
{
	char *text = read_text_file("/proc/self/mountinfo");
	char *line, *save = NULL;
	int ret = -1;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char mp[4096], fs[64];
		char *sep = strstr(line, " - ");

		/* id parent major:minor root mount-point ... - fstype source opts */
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    sscanf(sep + 3, "%63s", fs) != 1)
			continue;
		if (strcmp(mp, mnt_point))
			continue;
		/* later lines are on top */
		strncpy(fstype, fs, size - 1);
		fstype[size - 1] = '\0';
		ret = 0;
	}
	free(text);
	return ret;
}

/* The options field of @mnt's line in /proc/self/mounts (last one wins). */
static inline int mount_options_of(const char *mnt, char *out, size_t size)
{
	char *text = read_text_file("/proc/self/mounts"), *line, *save = NULL;
	int found = -1;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char dir[512], opts[1024];

		if (sscanf(line, "%*s %511s %*s %1023s", dir, opts) == 2 && !strcmp(dir, mnt)) {
			size_t n = strlen(opts);

			found = n < size ? 0 : -1;
			if (!found)
				memcpy(out, opts, n + 1);
		}
	}
	free(text);
	return found;
}

#endif /* RUST_SHMEM_TEST_UTIL_H */
