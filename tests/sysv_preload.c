// SPDX-License-Identifier: GPL-2.0
/*
 * tools/librust_shmem_sysv.so under LD_PRELOAD: an unmodified, dynamically linked program's
 * shmget/shmat/shmdt/shmctl reach /dev/rust_shmem_sysv instead of the kernel's SysV IPC.
 *
 * The only dynamically linked test: it runs itself again with LD_PRELOAD set and "child" as its
 * argument; the child does an ordinary SysV round trip and reports which filesystem the attached
 * segment lives on (statfs magic of /proc/self/map_files/<range>). Without the preload the same
 * round trip lands on the kernel's (tmpfs) segments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "map_util.h"

#define SHIM "/usr/lib/librust_shmem_sysv.so"

/* A SysV round trip; exit status 0 if the segment's file has magic @magic. */
static int round_trip(long magic)
{
	struct shmid_ds ds;
	int id = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	char *p;
	int ok;

	if (id < 0)
		return 10;
	p = shmat(id, NULL, 0);
	if (p == (void *)-1)
		return 11;
	strcpy(p, "preloaded");
	ok = map_file_magic(p, 8192) == magic;
	if (shmctl(id, IPC_STAT, &ds) || ds.shm_nattch != 1 || ds.shm_segsz != 8192)
		ok = 0;
	if (shmdt(p) || shmctl(id, IPC_RMID, NULL))
		ok = 0;
	return ok ? 0 : 12;
}

/* Runs this program again as "child @magic", with LD_PRELOAD=@preload if not NULL. */
static int run_child(const char *preload, long magic)
{
	char arg[32];
	pid_t pid;

	snprintf(arg, sizeof(arg), "%ld", magic);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (preload)
			setenv("LD_PRELOAD", preload, 1);
		else
			unsetenv("LD_PRELOAD");
		execl("/proc/self/exe", "sysv_preload", "child", arg, (char *)NULL);
		_exit(127);
	}
	return wait_child(pid);
}

TEST(preloaded_calls_use_rust_shmem)
{
	ASSERT_EQ(0, access(SHIM, R_OK));
	EXPECT_EQ(0, run_child(SHIM, RUST_SHMEM_MAGIC));
}

TEST(plain_calls_use_the_kernel)
{
	EXPECT_EQ(0, run_child(NULL, TMPFS_MAGIC));
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "child"))
		return round_trip(strtol(argv[2], NULL, 10));
	return test_harness_run(argc, argv);
}
