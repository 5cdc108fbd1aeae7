// SPDX-License-Identifier: GPL-2.0
/*
 * The takeover livepatch (src/takeover/rust_shmem_takeover.ko): loaded, it sends the kernel's
 * shared anonymous mappings, MAP_SHARED mappings of /dev/zero and shmget() segments to
 * rust_shmem; disabled and unloaded, new ones go back to tmpfs while existing ones keep working
 * and keep rust_shmem pinned. memfd_create() stays on tmpfs (its seals need a shmem file).
 *
 * The kernel's SysV layer casts a segment's inode with SHMEM_I() (ipc/shm.c shm_destroy and
 * shmctl_do_lock -> shmem_lock(), which writes SHMEM_F_LOCKED in info->flags; shm_add_rss_swap,
 * which reads info->swapped for SHM_INFO and /proc/sysvipc/shm). rust_shmem's inode sits in a
 * struct shmem_inode_info shell, so these must be in bounds (KASAN on the debug kernel) and
 * behave as on tmpfs: the same trace of SHM_LOCK/SHM_UNLOCK results under a small
 * RLIMIT_MEMLOCK (user_shm_lock() charges and uncharges only when the flag says so), and the
 * same SHM_INFO and /proc/sysvipc/shm figures, once with tmpfs segments and once taken over.
 *
 * Each test starts and ends with the livepatch unloaded (the fixture makes sure).
 */
#include "test_util.h"
#include "map_util.h"

#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include "takeover_util.h"
#include "kselftest_harness.h"

#define PAGE		4096UL
FIXTURE(takeover) {
	int unused;
};

FIXTURE_SETUP(takeover)
{
	ASSERT_EQ(0, access(TAKEOVER_KO, R_OK));
	ASSERT_EQ(0, takeover_off());
	ASSERT_EQ(-1, module_refcount(TAKEOVER));
}

FIXTURE_TEARDOWN(takeover)
{
	EXPECT_EQ(0, takeover_off());
}

/* A shared anonymous mapping of @pages, filled with @c; NULL on failure. */
static char *shared_anon(size_t pages, char c)
{
	char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, c, pages * PAGE);
	return p;
}

static char *shared_dev_zero(size_t pages, char c)
{
	int fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	char *p;

	if (fd < 0)
		return NULL;
	p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return NULL;
	memset(p, c, pages * PAGE);
	return p;
}

/* A new private SysV segment of @pages, attached and filled with @c; NULL on failure. */
static char *segment(size_t pages, char c, int *id)
{
	char *p;

	*id = shmget(IPC_PRIVATE, pages * PAGE, IPC_CREAT | 0600);
	if (*id < 0)
		return NULL;
	p = shmat(*id, NULL, 0);
	if (p == (void *)-1)
		return NULL;
	memset(p, c, pages * PAGE);
	return p;
}

/* Whether a child sees @c at @p and can write @d there. */
static bool child_shares(char *p, size_t len, char c, char d)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (!all_bytes(p, len, c))
			_exit(1);
		memset(p, d, len);
		_exit(0);
	}
	status = wait_child(pid);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 && all_bytes(p, len, d);
}

/*
 * Load, use, disable, unload with mappings and segments alive: what is made while the livepatch
 * is on is rust_shmem's and stays so; what is made before or after is tmpfs's; nothing is lost;
 * each object holds one reference on rust_shmem until it goes; the livepatch holds one while
 * loaded (it links to rust_shmem's exports).
 */
TEST_F(takeover, load_use_disable_unload)
{
	char *before, *anon, *zero, *seg, *after, *after_seg;
	int seg_id, before_id, after_id, memfd, base;
	struct statfs sfs;

	ASSERT_EQ(0, unshare(CLONE_NEWIPC));
	before = segment(2, 'b', &before_id);
	ASSERT_NE(NULL, before);
	EXPECT_EQ(TMPFS_MAGIC, map_file_magic(before, 2 * PAGE));
	base = module_refcount("rust_shmem");
	ASSERT_GE(base, 0);

	ASSERT_EQ(0, takeover_on());
	EXPECT_EQ(base + 1, module_refcount("rust_shmem"));
	anon = shared_anon(3, 'a');
	zero = shared_dev_zero(2, 'z');
	seg = segment(4, 's', &seg_id);
	ASSERT_NE(NULL, anon);
	ASSERT_NE(NULL, zero);
	ASSERT_NE(NULL, seg);
	EXPECT_EQ(RUST_SHMEM_MAGIC, map_file_magic(anon, 3 * PAGE));
	EXPECT_EQ(RUST_SHMEM_MAGIC, map_file_magic(zero, 2 * PAGE));
	EXPECT_EQ(RUST_SHMEM_MAGIC, map_file_magic(seg, 4 * PAGE));
	/* Each object's rust_shmem file holds one (a segment's attach shares its file). */
	EXPECT_EQ(base + 1 + 3, module_refcount("rust_shmem"));
	/* memfd_create stays on tmpfs: shmem_file_setup is not patched, seals work. */
	memfd = memfd_create("takeover", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	ASSERT_GE(memfd, 0);
	ASSERT_EQ(0, fstatfs(memfd, &sfs));
	EXPECT_EQ(TMPFS_MAGIC, (long)sfs.f_type);
	EXPECT_EQ(0, fcntl(memfd, F_ADD_SEALS, F_SEAL_GROW));
	close(memfd);
	EXPECT_TRUE(child_shares(anon, 3 * PAGE, 'a', 'A'));
	EXPECT_TRUE(child_shares(zero, 2 * PAGE, 'z', 'Z'));
	EXPECT_TRUE(child_shares(seg, 4 * PAGE, 's', 'S'));

	ASSERT_EQ(0, takeover_off());
	EXPECT_EQ(-1, module_refcount(TAKEOVER));
	after = shared_anon(1, 'n');
	after_seg = segment(1, 'm', &after_id);
	ASSERT_NE(NULL, after);
	ASSERT_NE(NULL, after_seg);
	EXPECT_EQ(TMPFS_MAGIC, map_file_magic(after, PAGE));
	EXPECT_EQ(TMPFS_MAGIC, map_file_magic(after_seg, PAGE));
	/* What the takeover made outlives it, with its data, shared as before. */
	EXPECT_TRUE(all_bytes(anon, 3 * PAGE, 'A'));
	EXPECT_TRUE(all_bytes(zero, 2 * PAGE, 'Z'));
	EXPECT_TRUE(all_bytes(seg, 4 * PAGE, 'S'));
	EXPECT_TRUE(child_shares(seg, 4 * PAGE, 'S', 't'));
	EXPECT_TRUE(all_bytes(before, 2 * PAGE, 'b'));
	EXPECT_EQ(base + 3, module_refcount("rust_shmem"));

	EXPECT_EQ(0, munmap(anon, 3 * PAGE));
	EXPECT_EQ(0, munmap(zero, 2 * PAGE));
	EXPECT_EQ(base + 1, module_refcount("rust_shmem"));
	EXPECT_EQ(0, shmctl(seg_id, IPC_RMID, NULL));
	EXPECT_EQ(0, shmdt(seg));
	EXPECT_EQ(base, module_refcount("rust_shmem"));
	EXPECT_EQ(0, shmdt(after_seg));
	EXPECT_EQ(0, shmdt(before));
	EXPECT_EQ(0, munmap(after, PAGE));
}

/* --------------------------------------------------------- the SysV layer's SHMEM_I() uses */

#define LOCK_TRACE	10

/*
 * SHM_LOCK/SHM_UNLOCK as an unprivileged user with RLIMIT_MEMLOCK of 16 pages, on two segments
 * of 12: the second lock must fail while the first is held, and succeed once the first is
 * unlocked or a locked segment is destroyed. Each step's errno goes to trace[].
 */
static int lock_scenario(void *arg)
{
	int *trace = arg, a, b, k = 0;
	struct rlimit rl = { 16 * PAGE, 16 * PAGE };
	struct shmid_ds ds;

#define STEP(call) (trace[k++] = (call) ? errno : 0)
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		return 100;
	a = shmget(IPC_PRIVATE, 12 * PAGE, IPC_CREAT | 0600);
	b = shmget(IPC_PRIVATE, 12 * PAGE, IPC_CREAT | 0600);
	if (a < 0 || b < 0)
		return 101;
	STEP(shmctl(a, SHM_LOCK, NULL));
	STEP(shmctl(a, SHM_LOCK, NULL));		/* already locked: no second charge */
	STEP(shmctl(b, SHM_LOCK, NULL));		/* 24 pages > 16: ENOMEM */
	STEP(shmctl(a, IPC_STAT, &ds));
	trace[k++] = !!(ds.shm_perm.mode & SHM_LOCKED);
	STEP(shmctl(a, SHM_UNLOCK, NULL));		/* uncharges (SHMEM_F_LOCKED was kept) */
	STEP(shmctl(b, SHM_LOCK, NULL));
	STEP(shmctl(b, IPC_RMID, NULL));		/* shm_destroy -> shmem_lock(, 0, ) */
	STEP(shmctl(a, SHM_LOCK, NULL));		/* b's charge went with it */
	STEP(shmctl(a, IPC_RMID, NULL));
#undef STEP
	return k == LOCK_TRACE ? 0 : 102;
}

static void sysvipc_line(int id, char *out, size_t size)
{
	char *text = read_text_file("/proc/sysvipc/shm"), *line, *save = NULL;

	out[0] = '\0';
	if (!text)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int key, shmid;

		if (sscanf(line, "%d %d", &key, &shmid) == 2 && shmid == id) {
			snprintf(out, size, "%s", line);
			break;
		}
	}
	free(text);
}

struct shm_figures {
	int lock_trace[LOCK_TRACE];
	int lock_rc;
	unsigned long info_rss, info_swp;	/* SHM_INFO, pages */
	unsigned long proc_rss, proc_swp;	/* /proc/sysvipc/shm, bytes */
	int fields;
};

/*
 * The figures of one implementation, in a new IPC namespace that holds only its segments;
 * @trace is shared memory for the lock scenario's child.
 */
static void shm_figures(struct __test_metadata *_metadata, struct shm_figures *f, int *trace)
{
	struct shm_info info;
	char line[512];
	int id;
	char *p;

	memset(f, 0, sizeof(*f));
	ASSERT_EQ(0, unshare(CLONE_NEWIPC));
	memset(trace, 0xff, LOCK_TRACE * sizeof(int));
	f->lock_rc = run_as(TEST_UID, TEST_GID, lock_scenario, trace);
	memcpy(f->lock_trace, trace, sizeof(f->lock_trace));
	p = segment(16, 'r', &id);
	ASSERT_NE(NULL, p);
	/* 5 of 16 pages in memory: drop 11 */
	ASSERT_EQ(0, madvise(p + 5 * PAGE, 11 * PAGE, MADV_REMOVE));
	ASSERT_LE(0, shmctl(0, SHM_INFO, (struct shmid_ds *)&info));
	f->info_rss = info.shm_rss;
	f->info_swp = info.shm_swp;
	sysvipc_line(id, line, sizeof(line));
	/* key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime rss swap */
	f->fields = sscanf(line, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %lu %lu",
			   &f->proc_rss, &f->proc_swp);
	EXPECT_EQ(0, shmdt(p));
	EXPECT_EQ(0, shmctl(id, IPC_RMID, NULL));
}

TEST_F(takeover, sysv_shmem_fields)
{
	static const int expected[LOCK_TRACE] = { 0, 0, ENOMEM, 0, 1, 0, 0, 0, 0, 0 };
	struct shm_figures kernel, ours;
	int *trace;
	int i;

	/* The lock scenario runs in a child: its trace comes back through shared memory. */
	trace = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, trace);
	shm_figures(_metadata, &kernel, trace);
	ASSERT_EQ(0, takeover_on());
	shm_figures(_metadata, &ours, trace);
	ASSERT_EQ(0, takeover_off());

	/* tmpfs's own figures are what ipc/shm.c promises */
	EXPECT_EQ(0, kernel.lock_rc);
	for (i = 0; i < LOCK_TRACE; i++) {
		int got = kernel.lock_trace[i];

		EXPECT_EQ(expected[i], got) {
			TH_LOG("tmpfs lock step %d: %d", i, got);
		}
	}
	EXPECT_EQ(5UL, kernel.info_rss);
	EXPECT_EQ(0UL, kernel.info_swp);
	EXPECT_EQ(2, kernel.fields);
	EXPECT_EQ(5 * PAGE, kernel.proc_rss);
	/* and ours are the same */
	EXPECT_EQ(kernel.lock_rc, ours.lock_rc);
	for (i = 0; i < LOCK_TRACE; i++) {
		int theirs = kernel.lock_trace[i], got = ours.lock_trace[i];

		EXPECT_EQ(theirs, got) {
			TH_LOG("lock step %d: %d, tmpfs %d", i, got, theirs);
		}
	}
	EXPECT_EQ(kernel.info_rss, ours.info_rss);
	EXPECT_EQ(kernel.info_swp, ours.info_swp);
	EXPECT_EQ(kernel.fields, ours.fields);
	EXPECT_EQ(kernel.proc_rss, ours.proc_rss);
	EXPECT_EQ(kernel.proc_swp, ours.proc_swp);
	munmap(trace, PAGE);
}

/*
 * Drains every CPU's per-CPU LRU batch, so /proc/meminfo is current: mlock() drains the batch of
 * the CPU it runs on (mm/mlock.c lru_add_drain), so it runs once on each CPU.
 */
static void lru_drain(void)
{
	static char page[PAGE] __attribute__((aligned(PAGE)));
	long cpu, cpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t saved, one;

	if (sched_getaffinity(0, sizeof(saved), &saved))
		return;
	for (cpu = 0; cpu < cpus; cpu++) {
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		if (!sched_setaffinity(0, sizeof(one), &one) && !mlock(page, PAGE))
			munlock(page, PAGE);
	}
	sched_setaffinity(0, sizeof(saved), &saved);
}

/*
 * SHM_UNLOCK clears the mapping's unevictable flag (shmem_lock) and moves its pages to the
 * evictable LRUs (shmem_unlock_mapping). rust_shmem's pages have no swap behind them and must
 * stay resident: with the takeover they stay on the unevictable LRU (meminfo "Unevictable"),
 * and their data stays.
 */
TEST_F(takeover, sysv_unlock_keeps_pages_resident)
{
	const size_t pages = 1024;
	long before, after;
	char *p;
	int id;

	ASSERT_EQ(0, unshare(CLONE_NEWIPC));
	ASSERT_EQ(0, takeover_on());
	p = segment(pages, 'u', &id);
	ASSERT_NE(NULL, p);
	lru_drain();
	before = meminfo_kb("Unevictable");
	/*
	 * rust_shmem's pages are unevictable from the start (most of them: a few may still wait in
	 * a per-CPU batch that mlock does not drain, 16 of 1024 seen).
	 */
	EXPECT_GE(before, (long)(pages * PAGE / 1024 * 3 / 4));
	EXPECT_EQ(0, shmctl(id, SHM_LOCK, NULL));
	EXPECT_EQ(0, shmctl(id, SHM_UNLOCK, NULL));
	lru_drain();
	after = meminfo_kb("Unevictable");
	EXPECT_GE(after, before - 256) {
		TH_LOG("Unevictable %ld kB before SHM_LOCK/SHM_UNLOCK, %ld kB after", before, after);
	}
	EXPECT_TRUE(all_bytes(p, pages * PAGE, 'u'));
	EXPECT_EQ(0, shmdt(p));
	EXPECT_EQ(0, shmctl(id, IPC_RMID, NULL));
}

/* --------------------------------------- what differs when the takeover is on (README) */

/*
 * What one side shows for a shared anonymous mapping of 1024 written pages: the growth of
 * /proc/meminfo's Shmem and of this process's RssShmem and RssFile (kB), PR_SET_VMA_ANON_NAME's
 * errno and the name /proc/self/maps then gives it, and UFFDIO_REGISTER's errno (missing mode).
 */
struct anon_view {
	long shmem_kb, rss_shmem_kb, rss_file_kb;
	int name_err;
	char name[256];
	int uffd_err;
};

static void anon_view(struct __test_metadata *_metadata, struct anon_view *v)
{
	const size_t len = 1024 * PAGE;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	long shmem0, shm0, file0;
	struct maps_entry me;
	char *p;
	int uffd;

	memset(v, 0, sizeof(*v));
	lru_drain();
	shmem0 = meminfo_kb("Shmem");
	shm0 = proc_field("/proc/self/status", "RssShmem");
	file0 = proc_field("/proc/self/status", "RssFile");
	p = shared_anon(1024, 'v');
	ASSERT_NE(NULL, p);
	lru_drain();
	v->shmem_kb = meminfo_kb("Shmem") - shmem0;
	v->rss_shmem_kb = proc_field("/proc/self/status", "RssShmem") - shm0;
	v->rss_file_kb = proc_field("/proc/self/status", "RssFile") - file0;

	v->name_err = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, len,
			    (unsigned long)"rs") ? errno : 0;
	ASSERT_EQ(0, maps_lookup(p, &me));
	snprintf(v->name, sizeof(v->name), "%s", me.path);

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	ASSERT_GE(uffd, 0);
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	reg.range.start = (unsigned long)p;
	reg.range.len = len;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	v->uffd_err = ioctl(uffd, UFFDIO_REGISTER, &reg) ? errno : 0;
	close(uffd);
	EXPECT_EQ(0, munmap(p, len));
}

/*
 * The differences a user of shared anonymous memory notices once it is rust_shmem's, each
 * decided by shmem's identity in the kernel (README, "The takeover"); this test pins them, so a
 * change on either side shows:
 * - accounting is the same: rust_shmem's folios are swap-backed and counted in NR_SHMEM like
 *   tmpfs's (src/vfs/folio.rs account_as_shmem), so the mapping's pages are meminfo's Shmem and
 *   the process's RssShmem (include/linux/mm.h mm_counter_file), not RssFile;
 * - PR_SET_VMA_ANON_NAME: EBADF, allowed on a file VMA only if vma_is_anon_shmem()
 *   (mm/madvise.c madvise_vma_behavior);
 * - userfaultfd: UFFDIO_REGISTER gives EINVAL, as the VMA's vm_ops have no uffd_ops
 *   (mm/userfaultfd.c vma_can_userfault).
 */
TEST_F(takeover, shared_anonymous_differences)
{
	struct anon_view kernel, ours;

	anon_view(_metadata, &kernel);
	ASSERT_EQ(0, takeover_on());
	anon_view(_metadata, &ours);
	ASSERT_EQ(0, takeover_off());

	TH_LOG("tmpfs: Shmem +%ld kB, RssShmem +%ld kB, RssFile +%ld kB, anon name %d \"%s\", uffd %d",
	       kernel.shmem_kb, kernel.rss_shmem_kb, kernel.rss_file_kb, kernel.name_err,
	       kernel.name, kernel.uffd_err);
	TH_LOG("ours:  Shmem +%ld kB, RssShmem +%ld kB, RssFile +%ld kB, anon name %d \"%s\", uffd %d",
	       ours.shmem_kb, ours.rss_shmem_kb, ours.rss_file_kb, ours.name_err, ours.name,
	       ours.uffd_err);
	/* tmpfs: 4 MiB of Shmem and RssShmem, a name, a registration */
	EXPECT_GE(kernel.shmem_kb, 3 * 1024);
	EXPECT_GE(kernel.rss_shmem_kb, 4 * 1024);
	EXPECT_LT(kernel.rss_file_kb, 1024);
	EXPECT_EQ(0, kernel.name_err);
	EXPECT_STREQ("[anon_shmem:rs]", kernel.name);
	EXPECT_EQ(0, kernel.uffd_err);
	/* taken over: the same accounting, but no name, no userfaultfd */
	EXPECT_GE(ours.shmem_kb, 3 * 1024);
	EXPECT_GE(ours.rss_shmem_kb, 4 * 1024);
	EXPECT_LT(ours.rss_file_kb, 1024);
	EXPECT_EQ(EBADF, ours.name_err);
	EXPECT_STREQ("/dev/zero (deleted)", ours.name);
	EXPECT_EQ(EINVAL, ours.uffd_err);
}

TEST_HARNESS_MAIN
