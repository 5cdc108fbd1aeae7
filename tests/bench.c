// SPDX-License-Identifier: GPL-2.0
/*
 * make bench: rust_shmem side by side with the kernel's own implementations in one guest.
 * Not a test: it prints each workload's throughput on both and the ratio rust_shmem/reference
 * (higher is better for rust_shmem; 1.00 is parity). Each pair runs REPS times, alternating
 * which side goes first, and the best time of each side counts.
 *
 * The file workloads run twice: with single pages (huge=never, the default) and with large folios
 * (both remounted huge=always).
 *
 * Environment: RS_BENCH_MB (size of the big file and mapping, default 1024), RS_BENCH_FILES
 * (create+unlink count, default 100000), RS_BENCH_REPS (default 3); for profiling (make profile),
 * RS_BENCH_ONLY (comma-separated workload names: only those) and RS_BENCH_SIDE (ref or ours: that
 * side alone, so that a profile of the run holds one implementation).
 *
 * sysv_cycle: shmget of a 1 MiB IPC_PRIVATE segment, shmat, a write to each page, shmdt and
 * IPC_RMID, with the kernel's system calls and through /dev/rust_shmem_sysv (tools/sysv_shim.c).
 *
 * zero_fault_takeover, zero_cycle_takeover, sysv_cycle_takeover: the same through the kernel's
 * own entry points (/dev/zero, shmget) on both sides; the reference runs on tmpfs, ours with the
 * takeover livepatch loaded (src/takeover/), which is loaded and unloaded around each of our runs.
 * Left out when /lib/modules/rust_shmem_takeover.ko is missing.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define RUST_SHMEM_SYSV_SHIM_PREFIX rs_
#include "../tools/sysv_shim.c"
#include "test_util.h"
#include "map_util.h"
#include "takeover_util.h"

#define MiB (1UL << 20)

static size_t big_mb = 1024, nfiles = 100000;
static int reps = 3;
static const char *only;	/* RS_BENCH_ONLY */
static const char *side_only;	/* RS_BENCH_SIDE */
static long page;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* One side of a comparison: a directory on a mount, or a zero device. */
struct side {
	const char *name;
	int reference;		/* the kernel's own implementation */
	const char *dir;	/* file workloads */
	const char *dev;	/* device workloads */
	/* SysV workloads */
	int (*shmget)(key_t key, size_t size, int shmflg);
	void *(*shmat)(int shmid, const void *shmaddr, int shmflg);
	int (*shmdt)(const void *shmaddr);
	int (*shmctl)(int shmid, int cmd, struct shmid_ds *buf);
	int takeover;		/* 1: runs with the takeover livepatch loaded, -1: either way */
};

typedef double (*workload)(const struct side *s);	/* returns seconds */

static char *path_in(const struct side *s, const char *name)
{
	static char buf[256];

	snprintf(buf, sizeof(buf), "%s/%s", s->dir, name);
	return buf;
}

static double seq_write(const struct side *s)
{
	char *buf = malloc(MiB);
	double t;
	size_t i;
	int fd;

	memset(buf, 0x5a, MiB);
	unlink(path_in(s, "big"));
	fd = open(path_in(s, "big"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0)
		die("open big");
	t = now();
	for (i = 0; i < big_mb; i++)
		if (write(fd, buf, MiB) != (ssize_t)MiB)
			die("write");
	t = now() - t;
	close(fd);
	free(buf);
	return t;
}

static double seq_read(const struct side *s)
{
	char *buf = malloc(MiB);
	double t;
	size_t i;
	int fd = open(path_in(s, "big"), O_RDONLY);

	if (fd < 0)
		die("open big");
	t = now();
	for (i = 0; i < big_mb; i++)
		if (read(fd, buf, MiB) != (ssize_t)MiB)
			die("read");
	t = now() - t;
	close(fd);
	free(buf);
	return t;
}

#define RAND_OPS 65536

static double rand_4k(const struct side *s)
{
	uint64_t x = 0x9e3779b97f4a7c15ULL, pages = big_mb * MiB / 4096;
	char buf[4096];
	double t;
	int i, fd = open(path_in(s, "big"), O_RDWR);

	if (fd < 0)
		die("open big");
	memset(buf, 7, sizeof(buf));
	t = now();
	for (i = 0; i < RAND_OPS; i++) {
		off_t off;

		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		off = (off_t)(x % pages) * 4096;
		if ((i & 1 ? pwrite(fd, buf, 4096, off) : pread(fd, buf, 4096, off)) != 4096)
			die("rand io");
	}
	t = now() - t;
	close(fd);
	return t;
}

/* How the last mmap_fault run on each side got its folios, read outside the timed loop. */
struct fault_folios {
	long pmd_mapped_kb;	/* FilePmdMapped + ShmemPmdMapped (tmpfs's folios count as shmem) */
	long thp_file_alloc;	/* PMD-sized page cache folios allocated */
	long thp_file_fallback;	/* PMD-sized allocations that failed */
};

static struct fault_folios last_fault_folios[2];

static double mmap_fault(const struct side *s)
{
	size_t len = big_mb * MiB / 4, off;
	struct fault_folios ff;
	double t;
	char *p;
	int fd;

	unlink(path_in(s, "map"));
	fd = open(path_in(s, "map"), O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, len))
		die("map file");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap");
	ff = (struct fault_folios){ 0, -proc_field("/proc/vmstat", "thp_file_alloc"),
				    -proc_field("/proc/vmstat", "thp_file_fallback") };
	t = now();
	for (off = 0; off < len; off += page)
		p[off] = 1;
	t = now() - t;
	ff.pmd_mapped_kb = proc_field("/proc/self/smaps_rollup", "FilePmdMapped") +
			   proc_field("/proc/self/smaps_rollup", "ShmemPmdMapped");
	ff.thp_file_alloc += proc_field("/proc/vmstat", "thp_file_alloc");
	ff.thp_file_fallback += proc_field("/proc/vmstat", "thp_file_fallback");
	last_fault_folios[s->reference ? 0 : 1] = ff;
	munmap(p, len);
	close(fd);
	unlink(path_in(s, "map"));
	return t;
}

static double create_unlink(const struct side *s)
{
	char name[64];
	double t;
	size_t i;

	mkdir(path_in(s, "many"), 0755);
	t = now();
	for (i = 0; i < nfiles; i++) {
		int fd;

		snprintf(name, sizeof(name), "many/%zu", i);
		fd = open(path_in(s, name), O_CREAT | O_EXCL | O_WRONLY, 0644);
		if (fd < 0)
			die("create");
		close(fd);
	}
	for (i = 0; i < nfiles; i++) {
		snprintf(name, sizeof(name), "many/%zu", i);
		if (unlink(path_in(s, name)))
			die("unlink");
	}
	t = now() - t;
	rmdir(path_in(s, "many"));
	return t;
}

static double zero_fault(const struct side *s)
{
	size_t len = big_mb * MiB, off;
	int fd = open(s->dev, O_RDWR);
	double t;
	char *p;

	if (fd < 0)
		die(s->dev);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap zero");
	t = now();
	for (off = 0; off < len; off += page)
		p[off] = 1;
	t = now() - t;
	munmap(p, len);
	close(fd);
	return t;
}

#define CYCLES 2000

static double zero_cycle(const struct side *s)
{
	int i, fd = open(s->dev, O_RDWR);
	double t;

	if (fd < 0)
		die(s->dev);
	t = now();
	for (i = 0; i < CYCLES; i++) {
		char *p = mmap(NULL, MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		size_t off;

		if (p == MAP_FAILED)
			die("mmap zero");
		for (off = 0; off < MiB; off += page)
			p[off] = 1;
		munmap(p, MiB);
	}
	t = now() - t;
	close(fd);
	return t;
}

static double sysv_cycle(const struct side *s)
{
	double t = now();
	int i;

	for (i = 0; i < CYCLES; i++) {
		int id = s->shmget(IPC_PRIVATE, MiB, IPC_CREAT | 0600);
		size_t off;
		char *p;

		if (id < 0)
			die("shmget");
		p = s->shmat(id, NULL, 0);
		if (p == (void *)-1)
			die("shmat");
		for (off = 0; off < MiB; off += page)
			p[off] = 1;
		if (s->shmdt(p) || s->shmctl(id, IPC_RMID, NULL))
			die("shmdt/IPC_RMID");
	}
	return now() - t;
}

/* Whether workload @name runs: all do, or those RS_BENCH_ONLY lists (comma-separated). */
static int selected(const char *name)
{
	size_t n = strlen(name);

	if (!only)
		return 1;
	for (const char *p = only; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (!strncmp(p, name, n) && (p[n] == ',' || !p[n]))
			return 1;
	return 0;
}

/* Whether the reference side (@reference) or ours runs: both do, unless RS_BENCH_SIDE says. */
static int side_runs(int reference)
{
	return !side_only || !strcmp(side_only, reference ? "ref" : "ours");
}

/* Runs @fn on side @s, with the takeover livepatch loaded or not as the side asks. */
static double run_side(workload fn, const struct side *s)
{
	if (s->takeover >= 0 && (s->takeover ? takeover_on() : takeover_off()))
		die(s->takeover ? "loading the takeover livepatch" : "unloading the takeover livepatch");
	return fn(s);
}

/* Runs @fn on both sides, alternating the order, and prints work/second for each and the ratio. */
static void compare(const char *name, workload fn, const struct side *ref,
		    const struct side *ours, double work, const char *unit)
{
	double best_ref = 1e30, best_ours = 1e30;
	int r;

	if (!selected(name))
		return;
	if (side_only) {
		const struct side *s = side_runs(1) ? ref : ours;
		double best = 1e30;

		for (r = 0; r < reps; r++) {
			double t = run_side(fn, s);

			best = t < best ? t : best;
		}
		printf("%-20s %-22s %10.1f %s   (one side only)\n", name, s->name, work / best, unit);
		fflush(stdout);
		return;
	}
	for (r = 0; r < reps; r++) {
		const struct side *first = r & 1 ? ours : ref, *second = r & 1 ? ref : ours;
		double a = run_side(fn, first), b = run_side(fn, second);
		double tr = first == ref ? a : b, to = first == ref ? b : a;

		if (tr < best_ref)
			best_ref = tr;
		if (to < best_ours)
			best_ours = to;
	}
	printf("%-20s %-22s %10.1f %s   %-22s %10.1f %s   ratio %.2f\n", name, ref->name,
	       work / best_ref, unit, ours->name, work / best_ours, unit, best_ref / best_ours);
	fflush(stdout);
}

/* The big-file workloads, each named with @suffix appended. */
static void file_workloads(const struct side *ref, const struct side *ours, const char *suffix)
{
	double mb = (double)big_mb;
	char name[32];

#define NAMED(base) (snprintf(name, sizeof(name), "%s%s", base, suffix), name)
	compare(NAMED("seq_write"), seq_write, ref, ours, mb, "MiB/s");
	compare(NAMED("seq_read"), seq_read, ref, ours, mb, "MiB/s");
	compare(NAMED("rand_4k_rw"), rand_4k, ref, ours, RAND_OPS, "op/s ");
	unlink(path_in(ref, "big"));
	unlink(path_in(ours, "big"));
	compare(NAMED("mmap_fault"), mmap_fault, ref, ours, mb / 4 * MiB / page, "pf/s ");
	/* Like for like: how each side's last run got its folios. */
	for (int i = 0; i < 2; i++)
		if (selected(name) && side_runs(!i))
			printf("#   mmap_fault%s on %s: %ld of %zu MiB PMD-mapped, thp_file_alloc +%ld, "
			       "thp_file_fallback +%ld\n", suffix, i ? ours->name : ref->name,
			       last_fault_folios[i].pmd_mapped_kb / 1024, big_mb / 4,
			       last_fault_folios[i].thp_file_alloc,
			       last_fault_folios[i].thp_file_fallback);
#undef NAMED
}

/* An environment variable's value, NULL if it is unset or empty. */
static const char *env_str(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static size_t env_num(const char *name, size_t def)
{
	const char *v = env_str(name);

	return v ? strtoul(v, NULL, 10) : def;
}

int main(void)
{
	struct side tmpfs = { "tmpfs", 1, "/bench/tmpfs", "/dev/zero", shmget, shmat, shmdt, shmctl,
			      -1 };
	struct side ours = { "rust_shmem", 0, "/bench/rust_shmem", "/dev/rust_shmem_zero",
			     rs_shmget, rs_shmat, rs_shmdt, rs_shmctl, -1 };
	/* The kernel's entry points, without and with the takeover. */
	struct side plain = { "/dev/zero (tmpfs)", 1, NULL, "/dev/zero", shmget, shmat, shmdt,
			      shmctl, 0 };
	struct side taken = { "/dev/zero (takeover)", 0, NULL, "/dev/zero", shmget, shmat, shmdt,
			      shmctl, 1 };
	char opts[64];
	double mb;

	big_mb = env_num("RS_BENCH_MB", big_mb);
	nfiles = env_num("RS_BENCH_FILES", nfiles);
	reps = (int)env_num("RS_BENCH_REPS", reps);
	only = env_str("RS_BENCH_ONLY");
	side_only = env_str("RS_BENCH_SIDE");
	if (side_only && strcmp(side_only, "ref") && strcmp(side_only, "ours")) {
		fprintf(stderr, "bench: RS_BENCH_SIDE must be ref or ours\n");
		return 2;
	}
	page = sysconf(_SC_PAGESIZE);
	mb = (double)big_mb;

	mkdir("/bench", 0755);
	mkdir(tmpfs.dir, 0755);
	mkdir(ours.dir, 0755);
	/* Room for the big file and the mapping on the reference too (its default is half of RAM). */
	snprintf(opts, sizeof(opts), "size=%zum", big_mb * 2);
	if (mount("tmpfs", tmpfs.dir, "tmpfs", 0, opts))
		die("mount tmpfs");
	if (mount("rust_shmem", ours.dir, "rust_shmem", 0, NULL))
		die("mount rust_shmem");

	printf("# %zu MiB files and mappings, %zu files, best of %d, ratio = rust_shmem/reference\n",
	       big_mb, nfiles, reps);
	file_workloads(&tmpfs, &ours, "");
	compare("create_unlink", create_unlink, &tmpfs, &ours, nfiles, "file/s");
	/* Large folios: the file workloads again with huge=always on both. */
	if (mount(NULL, tmpfs.dir, NULL, MS_REMOUNT, "huge=always") ||
	    mount(NULL, ours.dir, NULL, MS_REMOUNT, "huge=always"))
		die("remount huge=always");
	file_workloads(&tmpfs, &ours, "_huge");
	tmpfs.name = "/dev/zero";
	ours.name = "/dev/rust_shmem_zero";
	compare("zero_fault", zero_fault, &tmpfs, &ours, mb * MiB / page, "pf/s ");
	compare("zero_cycle", zero_cycle, &tmpfs, &ours, CYCLES, "cyc/s");
	tmpfs.name = "SysV (ipc/shm.c)";
	ours.name = "/dev/rust_shmem_sysv";
	compare("sysv_cycle", sysv_cycle, &tmpfs, &ours, CYCLES, "cyc/s");
	if (!access(TAKEOVER_KO, R_OK)) {
		compare("zero_fault_takeover", zero_fault, &plain, &taken, mb * MiB / page, "pf/s ");
		compare("zero_cycle_takeover", zero_cycle, &plain, &taken, CYCLES, "cyc/s");
		plain.name = "shmget (tmpfs)";
		taken.name = "shmget (takeover)";
		compare("sysv_cycle_takeover", sysv_cycle, &plain, &taken, CYCLES, "cyc/s");
		if (takeover_off())
			die("unloading the takeover livepatch");
	}

	umount(tmpfs.dir);
	umount(ours.dir);
	return 0;
}
