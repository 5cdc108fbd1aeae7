/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading and unloading the takeover livepatch (src/takeover/rust_shmem_takeover.ko) from a
 * test or the bench: finit_module, wait for the livepatch transition to end; disable through
 * sysfs, wait for its directory to go, delete_module. Needs test_util.h and map_util.h first.
 */
#ifndef RUST_SHMEM_TAKEOVER_UTIL_H
#define RUST_SHMEM_TAKEOVER_UTIL_H

#include <sys/syscall.h>

#define TAKEOVER	"rust_shmem_takeover"
#define TAKEOVER_KO	"/lib/modules/" TAKEOVER ".ko"
#define KLP_DIR		"/sys/kernel/livepatch/" TAKEOVER

/* Polls until @done() holds, up to @secs seconds; returns 0 or -1 on timeout. */
static inline int wait_for(bool (*done)(void), int secs)
{
	int i;

	for (i = 0; i < secs * 20; i++) {
		if (done())
			return 0;
		usleep(50000);
	}
	return -1;
}

static inline long klp_attr(const char *attr)
{
	char path[128];
	char *text;
	long v;

	snprintf(path, sizeof(path), KLP_DIR "/%s", attr);
	text = read_text_file(path);
	if (!text)
		return -1;
	v = strtol(text, NULL, 10);
	free(text);
	return v;
}

static inline bool patched(void)
{
	return klp_attr("enabled") == 1 && klp_attr("transition") == 0;
}

static inline bool klp_gone(void)
{
	return access(KLP_DIR, F_OK) && errno == ENOENT;
}

/* Loads the livepatch (if not loaded) and waits until every task runs the patched functions. */
static inline int takeover_on(void)
{
	int fd, ret;

	if (module_refcount(TAKEOVER) >= 0)	/* loaded already: wait for its transition */
		return wait_for(patched, 60) ? -ETIMEDOUT : 0;
	fd = open(TAKEOVER_KO, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(__NR_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	if (ret)
		return ret;
	return wait_for(patched, 60) ? -ETIMEDOUT : 0;
}

/* Disables the livepatch, waits for the transition to end, and unloads it. */
static inline int takeover_off(void)
{
	int fd, i;

	if (module_refcount(TAKEOVER) == -1)
		return 0;
	fd = open(KLP_DIR "/enabled", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "0", 1) != 1 && errno != EINVAL)	/* EINVAL: already disabled */
			return close(fd), -errno;
		close(fd);
	}
	if (wait_for(klp_gone, 60))
		return -ETIMEDOUT;
	/* The livepatch core drops its module reference just after the directory goes. */
	for (i = 0; i < 100; i++) {
		if (!syscall(__NR_delete_module, TAKEOVER, O_NONBLOCK))
			return 0;
		if (errno != EWOULDBLOCK)
			return -errno;
		usleep(50000);
	}
	return -EWOULDBLOCK;
}

#endif /* RUST_SHMEM_TAKEOVER_UTIL_H */
