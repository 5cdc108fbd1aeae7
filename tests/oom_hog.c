// SPDX-License-Identifier: GPL-2.0
/*
 * oom_hog: the memory-pressure workload of tests/suites/oom_refs.sh (not a kselftest).
 *
 *	oom_hog SECONDS SHM_DIR
 *	oom_hog hold zero|sysv-ns MIB SECONDS	(see hold())
 *
 * For SECONDS, runs a set of processes that fill memory with rust_shmem objects until the OOM
 * killer (or SIGBUS at a full mount) ends them, and restarts every one that dies:
 *   - big shared mappings touched page by page: /dev/rust_shmem_zero, a SysV segment of
 *     /dev/rust_shmem_sysv (removed once attached, so it goes with its last attachment), an
 *     unlinked file in SHM_DIR; the same shared with two forked children after a VMA split, the
 *     SysV one in a private IPC namespace and never removed (the module reaps the namespace);
 *   - an O_TMPFILE written and an unlinked file preallocated until the mount is full, then
 *     truncated and filled again; a MAP_PRIVATE copy of a preallocated file (stress-ng's dev-shm);
 *   - churners doing many small operations, so that kills and failed allocations land in the
 *     middle of them: zero mappings, SysV get/attach/fork/detach/remove (also in a private IPC
 *     namespace), named files created/written/mapped/renamed/unlinked in SHM_DIR, and mounts of
 *     rust_shmem in a private mount namespace with files left open across a lazy unmount.
 * Every process of the workload runs with oom_score_adj 1000 (this one at -1000) and dies with
 * its parent. At the end everything left is killed and every descendant reaped (this process is
 * their subreaper): when oom_hog returns, no process of the workload exists any more.
 *
 * RS_OOM_ROLES (comma-separated role names, see roles[]) runs only those.
 *
 * Output: one "# role: ..." line per role with how its processes ended. Exit status 0, 1 if a
 * process died of a signal other than SIGKILL (the OOM killer, or the final kill) or SIGBUS
 * (a fault past a full mount), or read back wrong data, 2 on bad usage or set-up.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/falloc.h>

#define RUST_SHMEM_SYSV_SHIM_PREFIX rs_
#include "../tools/sysv_shim.c"

#define EXIT_BAD_DATA	20
#define MB		(1UL << 20)

enum kind { ZERO, SYSV, SYSV_NS, FILE_, TMPFILE, MOUNT };
enum method { MAP, FORK, WRITE, FALLOC, PRIVATE, CHURN };

struct role {
	const char *name;
	enum kind kind;
	enum method method;
	/* how its processes ended */
	pid_t pid;
	unsigned int spawned, oom, killed, sigbus, exited, other;
	int other_status;
};

static struct role roles[] = {
	{ .name = "zero-map", .kind = ZERO, .method = MAP },
	{ .name = "sysv-map", .kind = SYSV, .method = MAP },
	{ .name = "file-map", .kind = FILE_, .method = MAP },
	{ .name = "zero-fork-split", .kind = ZERO, .method = FORK },
	{ .name = "sysv-ns-fork-split", .kind = SYSV_NS, .method = FORK },
	{ .name = "tmpfile-write", .kind = TMPFILE, .method = WRITE },
	{ .name = "file-falloc", .kind = FILE_, .method = FALLOC },
	{ .name = "file-private", .kind = FILE_, .method = PRIVATE },
	{ .name = "zero-churn", .kind = ZERO, .method = CHURN },
	{ .name = "sysv-churn", .kind = SYSV, .method = CHURN },
	{ .name = "sysv-ns-churn", .kind = SYSV_NS, .method = CHURN },
	{ .name = "file-churn", .kind = FILE_, .method = CHURN },
	{ .name = "mount-churn", .kind = MOUNT, .method = CHURN },
};
#define NROLES (sizeof(roles) / sizeof(roles[0]))

static double deadline;
static const char *shm_dir;
static char mnt_dir[64];	/* mount point of the mount churner (its own namespace) */
static size_t page;
static size_t big;		/* bytes of a big mapping: 3/4 of MemTotal */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool time_left(void)
{
	return now() < deadline;
}

/* A failed call under memory pressure is retried after a pause. */
static void pause_a_bit(void)
{
	usleep(10 * 1000);
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static size_t mem_total(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long kb = 0;
	char line[128];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %lu kB", &kb) == 1)
			break;
	fclose(f);
	return kb * 1024;
}

/* Touches every page of @p[0..@len), skipping the page at @skip (or none if NULL). */
static void touch(char *p, size_t len, const char *skip, unsigned char v)
{
	size_t off;

	for (off = 0; off < len; off += page) {
		if (p + off == skip)
			continue;
		p[off] = (char)(v + off / page);
		if ((off / page) % 1024 == 0 && !time_left())
			return;
	}
}

/* Checks what touch() wrote; exits with EXIT_BAD_DATA on a mismatch. */
static void check(const char *p, size_t len, const char *skip, unsigned char v)
{
	size_t off;

	for (off = 0; off < len; off += page) {
		if (p + off == skip)
			continue;
		if (p[off] != (char)(v + off / page)) {
			fprintf(stderr, "oom_hog: wrong data at offset %zu of %zu\n", off, len);
			_exit(EXIT_BAD_DATA);
		}
	}
}

/* An unlinked file in SHM_DIR (or an O_TMPFILE there), retried until it can be made. */
static int open_unlinked(enum kind kind)
{
	static unsigned int n;
	char path[PATH_MAX];
	int fd;

	while (time_left()) {
		if (kind == TMPFILE) {
			fd = open(shm_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		} else {
			snprintf(path, sizeof(path), "%s/hog.%d.%u", shm_dir, getpid(), n++);
			fd = open(path, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
			if (fd >= 0)
				unlink(path);
		}
		if (fd >= 0)
			return fd;
		pause_a_bit();
	}
	_exit(0);
}

/*
 * A shared mapping of @len bytes of a new object of @kind; NULL when it cannot be made now.
 * SysV segments of the initial namespace are removed at once (they go with their last
 * attachment); with @keep (private namespaces only) they are left for the namespace's reaping.
 */
static char *map_new(enum kind kind, size_t len, bool keep)
{
	char *p = MAP_FAILED;
	int fd, id;

	switch (kind) {
	case ZERO:
		fd = open("/dev/rust_shmem_zero", O_RDWR | O_CLOEXEC);
		if (fd < 0)
			return NULL;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		break;
	case SYSV:
	case SYSV_NS:
		id = rs_shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
		if (id < 0)
			return NULL;
		p = rs_shmat(id, NULL, 0);
		if (p == (void *)-1)
			p = MAP_FAILED;
		if (!keep || p == MAP_FAILED)
			rs_shmctl(id, IPC_RMID, NULL);
		break;
	case FILE_:
	case TMPFILE:
		fd = open_unlinked(kind);
		if (ftruncate(fd, len) == 0)
			p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		close(fd);
		break;
	case MOUNT:
		break;
	}
	return p == MAP_FAILED ? NULL : p;
}

static void unmap(enum kind kind, char *p, size_t len)
{
	if (kind == SYSV || kind == SYSV_NS)
		rs_shmdt(p);
	else
		munmap(p, len);
}

/* A child that dies with its parent and touches its third of @p until the end. */
static void fork_toucher(char *p, size_t len, const char *skip, unsigned char v)
{
	pid_t pid = fork();

	if (pid != 0)
		return;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(0);
	while (time_left())
		touch(p, len, skip, v);
	_exit(0);
}

/* MAP, FORK: one big shared mapping touched over and over (by three processes for FORK). */
static void run_map(enum kind kind, bool split)
{
	size_t len = split ? big / 3 / page * page : big / page * page;
	char *p, *skip = NULL;

	while (!(p = map_new(kind, len, kind == SYSV_NS))) {
		if (!time_left())
			_exit(0);
		pause_a_bit();
	}
	if (split) {
		/* Three VMAs, copied into two children (vm_open for SysV). */
		skip = p + len / 2 / page * page;
		mprotect(skip, page, PROT_READ);
		fork_toucher(p, len / 3, NULL, 1);
		fork_toucher(p + len / 3, len / 3, skip, 2);
	}
	while (time_left())
		touch(p, len, skip, 3);
	_exit(0);
}

/* WRITE, FALLOC: an unlinked file grown until the mount or memory is full, then emptied. */
static void run_grow(enum kind kind, bool falloc)
{
	static char buf[MB];
	int fd = open_unlinked(kind);
	off_t off = 0;
	int n = 0;

	memset(buf, 0x5a, sizeof(buf));
	while (time_left()) {
		int ret;

		if (falloc)
			ret = fallocate(fd, 0, off, 8 * MB) ? -1 : (int)(8 * MB);
		else
			ret = pwrite(fd, buf, sizeof(buf), off);
		if (ret <= 0) {
			/* ENOSPC, EFBIG, ENOMEM, EINTR: start again. */
			if (ftruncate(fd, 0))
				pause_a_bit();
			off = 0;
			continue;
		}
		off += ret;
		if (falloc && ++n % 16 == 0)
			fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off / 2, 8 * MB);
	}
	_exit(0);
}

/* PRIVATE: a preallocated file mapped MAP_PRIVATE and written (copies on write), as dev-shm. */
static void run_private(void)
{
	int fd = open_unlinked(FILE_);
	size_t len = big / 2 / page * page;
	char *p;

	while (time_left()) {
		while (len > page && fallocate(fd, 0, 0, len))
			len = len / 2 / page * page;
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			pause_a_bit();
			continue;
		}
		touch(p, len, NULL, 4);
		if (time_left())
			check(p, len, NULL, 4);
		munmap(p, len);
		if (ftruncate(fd, 0))
			pause_a_bit();
		len = big / 2 / page * page;
	}
	_exit(0);
}

/* One small object of @kind: mapped, touched, shared with a short-lived child, checked. */
static void churn_once(enum kind kind, unsigned int i)
{
	size_t len = (1 + i % 4) * MB;
	static unsigned int kept;
	bool keep = kind == SYSV_NS && i % 16 == 0 && kept < 8;
	char *p = map_new(kind, len, keep);
	pid_t pid;

	if (!p) {
		pause_a_bit();
		return;
	}
	kept += keep;
	touch(p, len, NULL, (unsigned char)i);
	if (i % 4 == 0) {
		pid = fork();
		if (pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			touch(p, len, NULL, (unsigned char)i);
			_exit(0);
		}
		if (pid > 0)
			waitpid(pid, NULL, 0);
	}
	if (i % 3 == 0 && kind != SYSV && kind != SYSV_NS)
		mremap(p, len, len / 2, 0);	/* shrinks in place */
	else if (time_left())
		check(p, len, NULL, (unsigned char)i);
	unmap(kind, p, len);
}

/* Named files in SHM_DIR: created, written, mapped, punched, renamed, linked, unlinked. */
static void churn_file(unsigned int i)
{
	static char buf[64 * 1024];
	char a[PATH_MAX], b[PATH_MAX];
	size_t len = MB;
	char *p;
	int fd;

	snprintf(a, sizeof(a), "%s/churn.%d.a", shm_dir, getpid());
	snprintf(b, sizeof(b), "%s/churn.%d.b", shm_dir, getpid());
	fd = open(a, O_CREAT | O_TRUNC | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		pause_a_bit();
		return;
	}
	memset(buf, (int)i, sizeof(buf));
	if (pwrite(fd, buf, sizeof(buf), (off_t)(i % 16) * sizeof(buf)) < 0)
		pause_a_bit();
	if (ftruncate(fd, len) == 0) {
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED) {
			touch(p, len, NULL, (unsigned char)i);
			fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, len / 2);
			munmap(p, len);
		}
	}
	if (rename(a, b) == 0 && link(b, a) == 0)
		unlink(a);
	close(fd);
	unlink(b);
	unlink(a);
}

/*
 * Mounts in this process's own mount namespace (gone with it): mounted, used, unmounted, with
 * a file sometimes kept open (and mapped) across a lazy unmount.
 */
static void churn_mount(unsigned int i, const char *mnt)
{
	static int held = -1;
	static char *held_map;
	char path[PATH_MAX + 8];
	char *p;
	int fd;

	if (mount("oom_hog", mnt, "rust_shmem", 0, i % 2 ? "size=4m" : NULL)) {
		pause_a_bit();
		return;
	}
	snprintf(path, sizeof(path), "%s/f", mnt);
	fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 && ftruncate(fd, 2 * MB) == 0) {
		p = mmap(NULL, 2 * MB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p != MAP_FAILED) {
			touch(p, 2 * MB, NULL, (unsigned char)i);
			if (i % 5 == 0 && held < 0) {
				held = fd;
				held_map = p;
				fd = -1;
			} else {
				munmap(p, 2 * MB);
			}
		}
	}
	if (fd >= 0)
		close(fd);
	if (umount2(mnt, held >= 0 ? MNT_DETACH : 0))
		umount2(mnt, MNT_DETACH);
	if (held >= 0 && i % 5 == 3) {
		munmap(held_map, 2 * MB);
		close(held);
		held = -1;
	}
}

static void run_churn(enum kind kind)
{
	unsigned int i;

	if (kind == MOUNT &&
	    (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)))
		_exit(2);
	for (i = 0; time_left(); i++) {
		switch (kind) {
		case FILE_:
			churn_file(i);
			break;
		case MOUNT:
			churn_mount(i, mnt_dir);
			break;
		default:
			churn_once(kind, i);
			break;
		}
	}
	_exit(0);
}

static void run_role(const struct role *r)
{
	if (r->kind == SYSV_NS && unshare(CLONE_NEWIPC))
		_exit(2);
	switch (r->method) {
	case MAP:
		run_map(r->kind, false);
		break;
	case FORK:
		run_map(r->kind, true);
		break;
	case WRITE:
		run_grow(r->kind, false);
		break;
	case FALLOC:
		run_grow(r->kind, true);
		break;
	case PRIVATE:
		run_private();
		break;
	case CHURN:
		run_churn(r->kind);
		break;
	}
	_exit(0);
}

/* RS_OOM_ROLES, a comma-separated list of role names, picks some (default: all). */
static bool role_wanted(const char *name)
{
	const char *list = getenv("RS_OOM_ROLES"), *p;
	size_t len = strlen(name);

	if (!list || !*list)
		return true;
	for (p = list; (p = strstr(p, name)); p += len)
		if ((p == list || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
			return true;
	return false;
}

static void spawn(struct role *r)
{
	pid_t pid = fork();

	if (pid < 0) {
		r->pid = 0;
		return;
	}
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (write_text("/proc/self/oom_score_adj", "1000"))
			_exit(2);
		run_role(r);
	}
	setpgid(pid, pid);
	r->pid = pid;
	r->spawned++;
}

/* SIGKILL before the end can only be the OOM killer's; at the end, it is ours. */
static void account(struct role *r, int status, bool end)
{
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !end) {
		r->oom++;
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
		r->killed++;
	} else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS) {
		r->sigbus++;
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		r->exited++;
	} else {
		r->other++;
		r->other_status = status;
	}
}

/*
 * oom_hog hold zero|sysv-ns MiB SECONDS: one object of that size (a SysV one in a private IPC
 * namespace, never removed), mapped and touched for at most SECONDS; then "ready" on stdout, and
 * a wait for a signal.
 */
static int hold(const char *what, size_t len, int secs)
{
	enum kind kind = strcmp(what, "zero") ? SYSV_NS : ZERO;
	char *p;

	deadline = now() + secs;
	if (kind == SYSV_NS && unshare(CLONE_NEWIPC))
		return 2;
	p = map_new(kind, len, true);
	if (!p)
		return 2;
	touch(p, len, NULL, 5);
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	unsigned int i, oom = 0;
	int status, bad = 0;
	double end;
	pid_t pid;

	page = sysconf(_SC_PAGESIZE);
	if (argc == 5 && !strcmp(argv[1], "hold") && atoi(argv[3]) > 0 && atoi(argv[4]) > 0)
		return hold(argv[2], (size_t)atoi(argv[3]) * MB, atoi(argv[4]));
	if (argc != 3 || atoi(argv[1]) <= 0) {
		fprintf(stderr,
			"usage: oom_hog SECONDS SHM_DIR | oom_hog hold zero|sysv-ns MIB SECONDS\n");
		return 2;
	}
	shm_dir = argv[2];
	big = mem_total() / 4 * 3;
	if (!big || write_text("/proc/self/oom_score_adj", "-1000") ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		fprintf(stderr, "oom_hog: set-up failed: %s\n", strerror(errno));
		return 2;
	}
	snprintf(mnt_dir, sizeof(mnt_dir), "/tmp/oom_hog.%d", getpid());
	if (mkdir(mnt_dir, 0700)) {
		fprintf(stderr, "oom_hog: mkdir %s: %s\n", mnt_dir, strerror(errno));
		return 2;
	}
	deadline = now() + atoi(argv[1]);
	for (i = 0; i < NROLES; i++)
		if (role_wanted(roles[i].name))
			spawn(&roles[i]);
	while (time_left()) {
		pid = waitpid(-1, &status, WNOHANG);
		if (pid <= 0) {
			usleep(20 * 1000);
			continue;
		}
		for (i = 0; i < NROLES; i++) {
			if (roles[i].pid == pid) {
				account(&roles[i], status, false);
				roles[i].pid = 0;
				if (time_left())
					spawn(&roles[i]);
			}
		}
	}
	/* The end: every role's process group is killed, then every descendant reaped. */
	for (i = 0; i < NROLES; i++) {
		if (roles[i].pid > 0) {
			kill(-roles[i].pid, SIGKILL);
			kill(roles[i].pid, SIGKILL);
		}
	}
	end = now();
	while ((pid = waitpid(-1, &status, 0)) > 0 || errno == EINTR) {
		for (i = 0; i < NROLES; i++) {
			if (pid > 0 && roles[i].pid == pid) {
				account(&roles[i], status, true);
				roles[i].pid = 0;
			}
		}
	}
	rmdir(mnt_dir);
	printf("# workload: %s s, big mappings %zu MiB; every process reaped %.1f s after the end\n",
	       argv[1], big / MB, now() - end);
	for (i = 0; i < NROLES; i++) {
		const struct role *r = &roles[i];

		oom += r->oom;
		printf("#   %-18s spawned %3u: OOM-killed %3u, SIGBUS %3u, exit 0 %3u, killed at the end %u, other %u",
		       r->name, r->spawned, r->oom, r->sigbus, r->exited, r->killed, r->other);
		if (r->other) {
			printf(" (last: %s %d)", WIFSIGNALED(r->other_status) ? "signal" : "exit",
			       WIFSIGNALED(r->other_status) ? WTERMSIG(r->other_status) :
							      WEXITSTATUS(r->other_status));
			bad = 1;
		}
		printf("\n");
	}
	printf("# workload: %u process(es) OOM-killed\n", oom);
	return bad;
}
