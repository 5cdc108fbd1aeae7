/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the mapping tests (devzero_*, setup_api_*): fault probes, /proc/self/maps and
 * map_files, /proc/meminfo and /proc/modules.  Header only; include after test_util.h.
 */
#ifndef RUST_SHMEM_MAP_UTIL_H
#define RUST_SHMEM_MAP_UTIL_H

#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>

#define MIB		(1UL << 20)

/*
 * Reads (or writes @val to) the byte at @addr in a forked child: 0 if that worked, the signal
 * that killed the child (SIGSEGV, SIGBUS), or -1 if something else went wrong.  A write to a
 * MAP_SHARED mapping is seen by the caller.
 */
static inline int probe(volatile char *addr, bool write, char val)
{
	struct rlimit no_core = { 0, 0 };
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setrlimit(RLIMIT_CORE, &no_core);
		if (write)
			*addr = val;
		else
			(void)*addr;
		_exit(0);
	}
	status = wait_child(pid);
	if (status == -1)
		return -1;
	if (WIFSIGNALED(status))
		return WTERMSIG(status);
	return WEXITSTATUS(status) ? -1 : 0;
}

/* mmap() of @fd: the address, or NULL with *@err = errno (0 on success). */
static inline char *map(int fd, size_t len, int prot, int flags, off_t off, int *err)
{
	void *p;

	errno = 0;
	p = mmap(NULL, len, prot, flags, fd, off);
	*err = p == MAP_FAILED ? errno : 0;
	return p == MAP_FAILED ? NULL : p;
}

/* mmap() errno (0: it worked, and the mapping is gone again). */
static inline int mmap_errno(int fd, size_t len, int prot, int flags, off_t off)
{
	int err;
	char *p = map(fd, len, prot, flags, off, &err);

	if (p)
		munmap(p, len);
	return err;
}

static inline bool all_bytes(const char *p, size_t len, char c)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != c)
			return false;
	return true;
}

/* The /proc/self/maps line of the mapping that starts at @addr, split up. */
struct maps_entry {
	unsigned long start, end;
	char perms[8];
	unsigned long long ino;
	char path[256];		/* "" for none */
};

static inline int maps_lookup(const void *addr, struct maps_entry *e)
{
	char *text = read_text_file("/proc/self/maps");
	char *line, *save = NULL;
	int ret = -1;

	if (!text)
		return -1;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int n = 0;

		memset(e, 0, sizeof(*e));
		/* start-end perms offset dev inode [path] */
		if (sscanf(line, "%lx-%lx %7s %*s %*s %llu %n", &e->start, &e->end, e->perms,
			   &e->ino, &n) < 4)
			continue;
		if (e->start != (unsigned long)addr)
			continue;
		if (n > 0) {
			strncpy(e->path, line + n, sizeof(e->path) - 1);
			e->path[sizeof(e->path) - 1] = '\0';
		}
		ret = 0;
		break;
	}
	free(text);
	return ret;
}

/* Opens /proc/self/map_files/<start>-<end>: the file behind the mapping at @addr (root only). */
static inline int open_map_file(const void *addr, size_t len, int flags)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/self/map_files/%lx-%lx", (unsigned long)addr,
		 (unsigned long)addr + len);
	return open(path, flags | O_CLOEXEC);
}

/* statfs f_type of the file behind the mapping at @addr, or -1. */
static inline long map_file_magic(const void *addr, size_t len)
{
	struct statfs sfs;
	int fd = open_map_file(addr, len, O_RDONLY);
	long ret = -1;

	if (fd < 0)
		return -1;
	if (!fstatfs(fd, &sfs))
		ret = (long)sfs.f_type;
	close(fd);
	return ret;
}

/*
 * Whether the kernel's own shared memory (shared anonymous mappings, MAP_SHARED of /dev/zero,
 * SysV segments made by shmget) is rust_shmem's: the takeover livepatch is on. Set as
 * RS_TAKEOVER=1 by tests/suites/takeover_mode.sh, which loads it; the magic checks then expect
 * RUST_SHMEM_MAGIC on the kernel's side too, so a run without the livepatch fails them.
 */
static inline bool kernel_side_taken_over(void)
{
	const char *t = getenv("RS_TAKEOVER");

	return t && !strcmp(t, "1");
}

/* statfs magic of the file behind the kernel's own shared memory: tmpfs's, or ours taken over. */
static inline long kernel_shmem_magic(void)
{
	return kernel_side_taken_over() ? RUST_SHMEM_MAGIC : TMPFS_MAGIC;
}

/* A field of /proc/meminfo in kB, or -1. */
static inline long meminfo_kb(const char *field)
{
	return proc_field("/proc/meminfo", field);
}

/*
 * Reference count of module @name in /proc/modules ("name size refcnt deps state addr"), -1 if
 * it is not loaded, -2 if the file cannot be read.
 */
static inline int module_refcount(const char *name)
{
	char *text = read_text_file("/proc/modules");
	char *line, *save = NULL;
	int ret = -1;

	if (!text)
		return -2;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char mod[64];
		int refcnt;

		if (sscanf(line, "%63s %*s %d", mod, &refcnt) == 2 && !strcmp(mod, name))
			ret = refcnt;
	}
	free(text);
	return ret;
}

#endif /* RUST_SHMEM_MAP_UTIL_H */
