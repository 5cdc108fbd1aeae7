// SPDX-License-Identifier: GPL-2.0
/*
 * The `make run` demo: two processes talk through POSIX shared memory on
 * /dev/shm, which the guest serves with rust_shmem.
 *
 *   A: shm_open("/rust_shmem_demo"), ftruncate, mmap, write a message
 *   B: (forked) shm_open the same name, mmap, read and print it, write a reply
 *   A: print the reply, show the file system's magic, shm_unlink
 *
 * Exits 0 only if both messages arrived intact and the object lives on
 * rust_shmem.  Not a kselftest (listed in .not-tests).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <linux/magic.h>
#include <linux/rust_shmem.h>

#define SHM_NAME	"/rust_shmem_demo"
#define SHM_SIZE	4096
#define REPLY_OFF	2048

static int fail(const char *what)
{
	fprintf(stderr, "shm_demo: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Process B: find A's message, print it, answer. */
static int process_b(int ready_fd, int done_fd)
{
	char c, *map;
	int fd;

	if (read(ready_fd, &c, 1) != 1)
		return 10;
	fd = shm_open(SHM_NAME, O_RDWR, 0);
	if (fd < 0) {
		fail("B: shm_open");
		return 11;
	}
	map = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED) {
		fail("B: mmap");
		return 12;
	}
	close(fd);

	printf("[B pid %d] read:    \"%s\"\n", getpid(), map);
	snprintf(map + REPLY_OFF, SHM_SIZE - REPLY_OFF,
		 "Hi A, this is process B (pid %d): got your message.", getpid());
	printf("[B pid %d] replied: \"%s\"\n", getpid(), map + REPLY_OFF);
	fflush(stdout);
	munmap(map, SHM_SIZE);
	return write(done_fd, "d", 1) == 1 ? 0 : 13;
}

int main(void)
{
	int to_b[2], to_a[2], fd, status, ok = 1;
	char msg[256], expect_reply[256], c;
	struct statfs sfs;
	char *map;
	pid_t pid;

	printf("rust_shmem demo: two processes share memory through /dev/shm%s\n", SHM_NAME);

	shm_unlink(SHM_NAME);	/* a leftover from an interrupted run */
	fd = shm_open(SHM_NAME, O_CREAT | O_EXCL | O_RDWR, 0600);
	if (fd < 0)
		return fail("A: shm_open");
	if (ftruncate(fd, SHM_SIZE))
		return fail("A: ftruncate");
	map = mmap(NULL, SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return fail("A: mmap");

	snprintf(msg, sizeof(msg), "Hello from process A (pid %d), written into shared memory.",
		 getpid());
	strcpy(map, msg);
	printf("[A pid %d] wrote:   \"%s\"\n", getpid(), msg);
	fflush(stdout);

	if (pipe(to_b) || pipe(to_a))
		return fail("pipe");
	pid = fork();
	if (pid < 0)
		return fail("fork");
	if (pid == 0)
		_exit(process_b(to_b[0], to_a[1]));

	if (write(to_b[1], "r", 1) != 1 || read(to_a[0], &c, 1) != 1)
		ok = 0;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "shm_demo: process B failed\n");
		ok = 0;
	}

	snprintf(expect_reply, sizeof(expect_reply),
		 "Hi A, this is process B (pid %d): got your message.", pid);
	printf("[A pid %d] got:     \"%s\"\n", getpid(), map + REPLY_OFF);
	if (strcmp(map, msg) || strcmp(map + REPLY_OFF, expect_reply)) {
		fprintf(stderr, "shm_demo: the messages do not match\n");
		ok = 0;
	}

	if (fstatfs(fd, &sfs))
		return fail("fstatfs");
	printf("f_type of the shared object: 0x%lx -> %s\n", (unsigned long)sfs.f_type,
	       sfs.f_type == RUST_SHMEM_MAGIC ? "RUST_SHMEM_MAGIC, served by rust_shmem" :
	       sfs.f_type == TMPFS_MAGIC ? "TMPFS_MAGIC, NOT rust_shmem" : "NOT rust_shmem");
	if (sfs.f_type != RUST_SHMEM_MAGIC)
		ok = 0;

	munmap(map, SHM_SIZE);
	close(fd);
	if (shm_unlink(SHM_NAME)) {
		fail("shm_unlink");
		ok = 0;
	}
	printf("demo %s\n", ok ? "OK" : "FAILED");
	return ok ? 0 : 1;
}
