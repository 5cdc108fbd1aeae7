// SPDX-License-Identifier: GPL-2.0
/*
 * System V shared memory on rust_shmem (/dev/rust_shmem_sysv, through tools/sysv_shim.c)
 * against the kernel's own (ipc/shm.c).
 *
 * Each case is a scenario: a sequence of shmget/shmat/shmdt/shmctl calls written once against an
 * ops table. It runs in a forked child in a fresh IPC namespace (unshare(CLONE_NEWIPC)), so ids
 * start from 0 on both sides, and records every return value, errno and shmid_ds/shm_info field
 * it looks at in a trace kept in shared memory. Each case runs the scenario on the kernel's calls
 * and on the variant's (the kernel again, or rust_shmem) and the two traces must be equal entry
 * by entry. Some entries are also checked against what ipc/shm.c is known to do ("want"), which
 * the kernel variant thereby checks against the kernel itself. Every attached segment's backing
 * file is proven by the statfs magic of /proc/self/map_files/<range>: TMPFS_MAGIC for the
 * kernel's, RUST_SHMEM_MAGIC for ours.
 *
 * Tests of the device itself (bad ioctl input, module pinning, the /proc/sysvipc/shm listing)
 * follow the scenarios.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "test_util.h"
#include "map_util.h"

#define RUST_SHMEM_SYSV_SHIM_PREFIX rs_
#include "../tools/sysv_shim.c"

#define PAGE		4096UL
#define KEY		0x5259534bL	/* "RYSK" */
#define PARAM_DIR	"/sys/module/rust_shmem/parameters/"

/* ------------------------------------------------------------------ the two implementations */

struct sysv_ops {
	const char *name;
	int (*get)(key_t key, size_t size, int shmflg);
	void *(*at)(int shmid, const void *shmaddr, int shmflg);
	int (*dt)(const void *shmaddr);
	int (*ctl)(int shmid, int cmd, struct shmid_ds *buf);
	long magic;		/* statfs magic of an attached segment's file */
	const char *limit_dir;	/* where shmmax & co. are set */
};

/* .magic is the kernel's shmem's, or ours under the takeover (set up in main). */
static struct sysv_ops kernel_ops = {
	.name = "kernel", .get = shmget, .at = shmat, .dt = shmdt, .ctl = shmctl,
	.magic = TMPFS_MAGIC, .limit_dir = "/proc/sys/kernel/",
};

static const struct sysv_ops rust_ops = {
	.name = "rust_shmem", .get = rs_shmget, .at = rs_shmat, .dt = rs_shmdt, .ctl = rs_shmctl,
	.magic = RUST_SHMEM_MAGIC, .limit_dir = PARAM_DIR,
};

/* Under the takeover (RS_TAKEOVER=1) the kernel's segments live on rust_shmem. */
__attribute__((constructor)) static void kernel_side_magic(void)
{
	kernel_ops.magic = kernel_shmem_magic();
}

/* ------------------------------------------------------------------------------- traces */

#define TRACE_MAX	600
/*
 * concurrent_churn's limit in seconds: 17.0 and 26.0 s in two debug-kernel runs under TCG with
 * 2 CPUs and no hung task (the harness's default 30 s killed it in one debug run), 0.3 s on the
 * plain kernel; 180 s leaves a margin of about 7 for a loaded host.
 */
#define CHURN_TIMEOUT	180

struct trace {
	int n;
	int overflow;
	int status;		/* the scenario child's wait status */
	int bad;		/* entries that differ from "want" */
	char bad_what[8][96];
	long val[TRACE_MAX];
	char label[TRACE_MAX][48];
};

static struct trace *T;

static void rec(const char *label, long v)
{
	if (T->n >= TRACE_MAX) {
		T->overflow = 1;
		return;
	}
	snprintf(T->label[T->n], sizeof(T->label[0]), "%s", label);
	T->val[T->n++] = v;
}

/* Records a call's result and errno (0 if it succeeded); returns the result. */
static long call(const char *label, long ret)
{
	int err = errno;
	char l[48];

	rec(label, ret);
	snprintf(l, sizeof(l), "%s errno", label);
	rec(l, ret == -1 ? err : 0);
	errno = err;
	return ret;
}

/* Records v and checks it against what the kernel is known to do. */
static void want(const char *label, long v, long expected)
{
	rec(label, v);
	if (v != expected) {
		if (T->bad < 8)
			snprintf(T->bad_what[T->bad], sizeof(T->bad_what[0]),
				 "%s: %ld, want %ld", label, v, expected);
		T->bad++;
	}
}

#define CALL(label, expr)	call(label, (long)(expr))
#define WANT_ERR(label, expr, e) do {						\
		errno = 0;							\
		long __r = (long)(expr);					\
		want(label, __r == -1 ? errno : 0, e);				\
	} while (0)

/* shmat, recorded as success/errno and proven ours by the map_files magic. */
static void *attach(const struct sysv_ops *ops, const char *label, int id, const void *addr,
		    int flg, size_t size)
{
	void *p = ops->at(id, addr, flg);
	char l[48];

	rec(label, p == (void *)-1 ? -1 : 0);
	snprintf(l, sizeof(l), "%s errno", label);
	rec(l, p == (void *)-1 ? errno : 0);
	if (p != (void *)-1) {
		snprintf(l, sizeof(l), "%s is ours", label);
		want(l, map_file_magic(p, (size + PAGE - 1) & ~(PAGE - 1)) == ops->magic, 1);
	}
	return p;
}

static struct shmid_ds stat_of(const struct sysv_ops *ops, int id)
{
	struct shmid_ds ds;

	memset(&ds, 0, sizeof(ds));
	if (ops->ctl(id, IPC_STAT, &ds))
		memset(&ds, 0xff, sizeof(ds));
	return ds;
}

/* Records the fields of IPC_STAT that do not depend on the clock or the pid. */
static void rec_stat(const struct sysv_ops *ops, const char *what, int id)
{
	struct shmid_ds ds;
	char l[48];
	long r;

	memset(&ds, 0, sizeof(ds));
	errno = 0;
	r = ops->ctl(id, IPC_STAT, &ds);
	snprintf(l, sizeof(l), "%s stat", what);
	call(l, r);
	if (r)
		return;
#define F(name, val) do { snprintf(l, sizeof(l), "%s " name, what); rec(l, (long)(val)); } while (0)
	F("key", ds.shm_perm.__key);
	F("uid", ds.shm_perm.uid);
	F("gid", ds.shm_perm.gid);
	F("cuid", ds.shm_perm.cuid);
	F("cgid", ds.shm_perm.cgid);
	F("mode", ds.shm_perm.mode);
	F("seq", ds.shm_perm.__seq);
	F("segsz", ds.shm_segsz);
	F("nattch", ds.shm_nattch);
	F("atime set", ds.shm_atime != 0);
	F("dtime set", ds.shm_dtime != 0);
	F("ctime recent", labs((long)(time(NULL) - ds.shm_ctime)) <= 5);
	F("cpid is me", ds.shm_cpid == getpid());
#undef F
}

static void rec_shm_info(const struct sysv_ops *ops, const char *what)
{
	struct shm_info info;
	char l[48];

	memset(&info, 0, sizeof(info));
	snprintf(l, sizeof(l), "%s SHM_INFO", what);
	if (call(l, ops->ctl(0, SHM_INFO, (struct shmid_ds *)&info)) < 0)
		return;
	snprintf(l, sizeof(l), "%s used_ids", what);
	rec(l, info.used_ids);
	snprintf(l, sizeof(l), "%s shm_tot", what);
	rec(l, info.shm_tot);
	snprintf(l, sizeof(l), "%s shm_rss", what);
	rec(l, info.shm_rss);
	snprintf(l, sizeof(l), "%s shm_swp", what);
	rec(l, info.shm_swp);
}

typedef void (*scenario_fn)(const struct sysv_ops *ops);

/* Runs @fn on @ops in a child in a new IPC namespace; the trace lives in shared memory. */
static struct trace *run_scenario(scenario_fn fn, const struct sysv_ops *ops)
{
	struct trace *t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	if (t == MAP_FAILED)
		return NULL;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		T = t;
		if (unshare(CLONE_NEWIPC)) {
			want("unshare(CLONE_NEWIPC)", errno, 0);
			_exit(1);
		}
		fn(ops);
		_exit(0);
	}
	t->status = pid < 0 ? -1 : wait_child(pid);
	return t;
}

static void compare(struct __test_metadata *_metadata, scenario_fn fn,
		    const struct sysv_ops *variant)
{
	struct trace *ref = run_scenario(fn, &kernel_ops);
	struct trace *var = run_scenario(fn, variant);
	int i;

	ASSERT_NE(NULL, ref);
	ASSERT_NE(NULL, var);
	for (i = 0; i < ref->bad && i < 8; i++)
		TH_LOG("kernel: %s", ref->bad_what[i]);
	for (i = 0; i < var->bad && i < 8; i++)
		TH_LOG("%s: %s", variant->name, var->bad_what[i]);
	EXPECT_EQ(0, ref->status);
	EXPECT_EQ(0, var->status);
	EXPECT_EQ(0, ref->overflow);
	EXPECT_EQ(0, ref->bad);
	EXPECT_EQ(0, var->bad);
	EXPECT_EQ(ref->n, var->n);
	for (i = 0; i < ref->n && i < var->n; i++) {
		EXPECT_STREQ(ref->label[i], var->label[i]);
		EXPECT_EQ(ref->val[i], var->val[i]) {
			TH_LOG("%s: kernel %ld, %s %ld", ref->label[i], ref->val[i],
			       variant->name, var->val[i]);
		}
	}
	munmap(ref, sizeof(*ref));
	munmap(var, sizeof(*var));
}

/* Runs @fn in a child as @uid/@gid (no supplementary groups); the trace is shared. */
static void as_user(uid_t uid, gid_t gid, void (*fn)(const struct sysv_ops *, int), const struct sysv_ops *ops,
		    int arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
			_exit(1);
		fn(ops, arg);
		_exit(0);
	}
	want("as_user status", pid < 0 ? -1 : wait_child(pid), 0);
}

/* ------------------------------------------------------------------------------- scenarios */

static void sc_create_lookup(const struct sysv_ops *ops)
{
	struct shminfo ipc_info;
	int a, b, k;

	a = CALL("private", ops->get(IPC_PRIVATE, 4096, IPC_CREAT | 0600));
	b = CALL("private again", ops->get(IPC_PRIVATE, 4096, 0600));
	want("privates differ", a != b, 1);
	WANT_ERR("key absent", ops->get(KEY, 4096, 0600), ENOENT);
	k = CALL("create key", ops->get(KEY, 4096, IPC_CREAT | 0640));
	want("lookup", ops->get(KEY, 4096, 0), k);
	want("lookup size 0", ops->get(KEY, 0, 0), k);
	want("creat existing", ops->get(KEY, 100, IPC_CREAT | 0600), k);
	WANT_ERR("excl", ops->get(KEY, 4096, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	WANT_ERR("excl without creat", ops->get(KEY, 4096, IPC_EXCL), 0);
	rec_stat(ops, "key", k);
	want("key mode", stat_of(ops, k).shm_perm.mode, 0640);
	want("key nattch", stat_of(ops, k).shm_nattch, 0);
	want("key lpid", stat_of(ops, k).shm_lpid, 0);
	rec_shm_info(ops, "3 segs");
	memset(&ipc_info, 0, sizeof(ipc_info));
	CALL("IPC_INFO", ops->ctl(0, IPC_INFO, (struct shmid_ds *)&ipc_info));
	rec("shmmax", ipc_info.shmmax);
	rec("shmmin", ipc_info.shmmin);
	rec("shmmni", ipc_info.shmmni);
	rec("shmseg", ipc_info.shmseg);
	rec("shmall", ipc_info.shmall);
	WANT_ERR("IPC_STAT NULL", ops->ctl(k, IPC_STAT, NULL), EFAULT);
	WANT_ERR("IPC_STAT unmapped", ops->ctl(k, IPC_STAT, (struct shmid_ds *)PAGE), EFAULT);
	WANT_ERR("IPC_INFO unmapped", ops->ctl(0, IPC_INFO, (struct shmid_ds *)PAGE), EFAULT);
	WANT_ERR("SHM_INFO unmapped", ops->ctl(0, SHM_INFO, (struct shmid_ds *)PAGE), EFAULT);
	WANT_ERR("negative id", ops->ctl(-1, IPC_STAT, &(struct shmid_ds){}), EINVAL);
	WANT_ERR("bad cmd", ops->ctl(k, 99, &(struct shmid_ds){}), EINVAL);
	CALL("rmid a", ops->ctl(a, IPC_RMID, NULL));
	CALL("rmid b", ops->ctl(b, IPC_RMID, NULL));
	CALL("rmid k", ops->ctl(k, IPC_RMID, NULL));
	WANT_ERR("rmid twice", ops->ctl(k, IPC_RMID, NULL), EINVAL);
	rec_shm_info(ops, "none");
}

static void sc_size_rules(const struct sysv_ops *ops)
{
	int k, one;

	WANT_ERR("size 0", ops->get(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
	WANT_ERR("size max", ops->get(IPC_PRIVATE, SIZE_MAX, IPC_CREAT | 0600), EINVAL);
	WANT_ERR("size past loff_t", ops->get(IPC_PRIVATE, (size_t)1 << 63, IPC_CREAT | 0600),
		 EINVAL);
	k = CALL("8192", ops->get(KEY, 8192, IPC_CREAT | 0600));
	WANT_ERR("bigger than existing", ops->get(KEY, 8193, 0), EINVAL);
	want("smaller than existing", ops->get(KEY, 4096, 0), k);
	one = CALL("1 byte", ops->get(IPC_PRIVATE, 1, IPC_CREAT | 0600));
	rec_stat(ops, "1 byte", one);
	rec_shm_info(ops, "tot");
	CALL("big", ops->get(IPC_PRIVATE, 1UL << 40, IPC_CREAT | SHM_NORESERVE | 0600));
	rec_shm_info(ops, "tot big");
}

static void deny_child(const struct sysv_ops *ops, int id)
{
	struct shmid_ds ds;

	memset(&ds, 0, sizeof(ds));
	WANT_ERR("user lookup r", ops->get(KEY, 0, 0400), EACCES);
	want("user lookup no mode", ops->get(KEY, 0, 0), id);
	WANT_ERR("user shmat", ops->at(id, NULL, SHM_RDONLY), EACCES);
	WANT_ERR("user IPC_STAT", ops->ctl(id, IPC_STAT, &ds), EACCES);
	WANT_ERR("user SHM_STAT", ops->ctl(id & 0x7fff, SHM_STAT, &ds), EACCES);
	want("user SHM_STAT_ANY", ops->ctl(id & 0x7fff, SHM_STAT_ANY, &ds), id);
	WANT_ERR("user IPC_SET", ops->ctl(id, IPC_SET, &ds), EPERM);
	WANT_ERR("user RMID", ops->ctl(id, IPC_RMID, NULL), EPERM);
	WANT_ERR("user SHM_LOCK", ops->ctl(id, SHM_LOCK, NULL), EPERM);
	WANT_ERR("user SHM_UNLOCK", ops->ctl(id, SHM_UNLOCK, NULL), EPERM);
	WANT_ERR("user creat excl", ops->get(KEY, 0, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
}

/* Unprivileged: no /proc/self/map_files, so no magic check here. */
static void group_child(const struct sysv_ops *ops, int id)
{
	void *p = ops->at(id, NULL, SHM_RDONLY);

	want("group rdonly", p != (void *)-1, 1);
	if (p != (void *)-1)
		want("group dt", ops->dt(p), 0);
	WANT_ERR("group rw", ops->at(id, NULL, 0), EACCES);
	WANT_ERR("group stat", ops->ctl(id, IPC_STAT, &(struct shmid_ds){}), 0);
}

static void owner_child(const struct sysv_ops *ops, int id)
{
	struct rlimit none = { 0, 0 }, one_page = { PAGE, PAGE };
	void *p = ops->at(id, NULL, 0);
	int two;

	want("owner rw", p != (void *)-1, 1);
	if (p != (void *)-1)
		want("owner dt", ops->dt(p), 0);
	setrlimit(RLIMIT_MEMLOCK, &one_page);
	two = ops->get(IPC_PRIVATE, 2 * PAGE, IPC_CREAT | 0600);
	want("owner creates", two >= 0, 1);
	WANT_ERR("SHM_LOCK over rlimit", ops->ctl(two, SHM_LOCK, NULL), ENOMEM);
	WANT_ERR("SHM_LOCK within rlimit", ops->ctl(id, SHM_LOCK, NULL), 0);
	want("locked by owner", stat_of(ops, id).shm_perm.mode, 02600);
	WANT_ERR("owner SHM_UNLOCK first", ops->ctl(id, SHM_UNLOCK, NULL), 0);
	WANT_ERR("rmid own", ops->ctl(two, IPC_RMID, NULL), 0);
	setrlimit(RLIMIT_MEMLOCK, &none);
	WANT_ERR("owner SHM_LOCK no rlimit", ops->ctl(id, SHM_LOCK, NULL), EPERM);
	WANT_ERR("owner SHM_UNLOCK", ops->ctl(id, SHM_UNLOCK, NULL), 0);
	WANT_ERR("owner RMID", ops->ctl(id, IPC_RMID, NULL), 0);
}

static void sc_permissions(const struct sysv_ops *ops)
{
	struct shmid_ds ds;
	int id = CALL("create", ops->get(KEY, PAGE, IPC_CREAT | 0640));

	as_user(TEST_UID, TEST_GID, deny_child, ops, id);
	/* group access through the segment's gid */
	ds = stat_of(ops, id);
	ds.shm_perm.gid = TEST_GID;
	CALL("set gid", ops->ctl(id, IPC_SET, &ds));
	as_user(TEST_UID + 1, TEST_GID, group_child, ops, id);
	/* root locks */
	CALL("SHM_LOCK", ops->ctl(id, SHM_LOCK, NULL));
	want("locked mode", stat_of(ops, id).shm_perm.mode, 02640);
	CALL("SHM_UNLOCK", ops->ctl(id, SHM_UNLOCK, NULL));
	want("unlocked mode", stat_of(ops, id).shm_perm.mode, 0640);
	/* hand it over */
	ds = stat_of(ops, id);
	ds.shm_perm.uid = TEST_UID;
	ds.shm_perm.mode = 0600;
	CALL("give away", ops->ctl(id, IPC_SET, &ds));
	rec_stat(ops, "given", id);
	as_user(TEST_UID, TEST_GID, owner_child, ops, id);
	WANT_ERR("gone", ops->ctl(id, IPC_STAT, &ds), EINVAL);
}

static void sc_attach_fork_exit(const struct sysv_ops *ops)
{
	int id = CALL("create", ops->get(IPC_PRIVATE, 2 * PAGE, IPC_CREAT | 0600));
	struct shmid_ds ds;
	char *p, *q;
	pid_t pid;

	rec_stat(ops, "fresh", id);
	p = attach(ops, "at", id, NULL, 0, 2 * PAGE);
	if (p == (void *)-1)
		return;
	rec_stat(ops, "attached", id);
	want("lpid is me", stat_of(ops, id).shm_lpid == getpid(), 1);
	memset(p, 0x5a, 2 * PAGE);
	rec_shm_info(ops, "touched");
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		want("child sees nattch", stat_of(ops, id).shm_nattch, 2);
		want("child sees data", p[PAGE] == 0x5a, 1);
		p[0] = 0x11;
		_exit(0);	/* exits attached */
	}
	want("child status", wait_child(pid), 0);
	ds = stat_of(ops, id);
	want("after exit nattch", ds.shm_nattch, 1);
	want("after exit lpid is child", ds.shm_lpid == pid, 1);
	want("child write seen", p[0], 0x11);
	want("dtime set", ds.shm_dtime != 0, 1);
	q = attach(ops, "second", id, NULL, SHM_RDONLY, 2 * PAGE);
	want("two attached", stat_of(ops, id).shm_nattch, 2);
	want("same memory", q != (void *)-1 && q[0] == 0x11, 1);
	/* a plain munmap detaches too */
	want("munmap", munmap(q, 2 * PAGE), 0);
	want("after munmap", stat_of(ops, id).shm_nattch, 1);
	/* a partial munmap splits nothing here but leaves one VMA: still attached */
	want("partial munmap", munmap(p + PAGE, PAGE), 0);
	want("after partial munmap", stat_of(ops, id).shm_nattch, 1);
	/* mprotect of half splits the VMA: the kernel counts the split as an attach */
	q = attach(ops, "third", id, NULL, 0, 2 * PAGE);
	want("mprotect half", mprotect(q, PAGE, PROT_READ), 0);
	rec_stat(ops, "split", id);
	CALL("dt", ops->dt(p));
	CALL("dt split", ops->dt(q));
	rec_stat(ops, "detached", id);
	WANT_ERR("dt again", ops->dt(p), EINVAL);
	WANT_ERR("dt unaligned", ops->dt(p + 1), EINVAL);
	WANT_ERR("dt nothing", ops->dt((void *)PAGE), EINVAL);
	CALL("rmid", ops->ctl(id, IPC_RMID, NULL));
}

static void sc_rmid(const struct sysv_ops *ops)
{
	int id = CALL("create", ops->get(KEY, PAGE, IPC_CREAT | 0600));
	int id2 = CALL("create 2", ops->get(KEY + 1, PAGE, IPC_CREAT | 0600));
	int again;
	char *p, *q;

	CALL("rmid unattached", ops->ctl(id2, IPC_RMID, NULL));
	WANT_ERR("stat removed", ops->ctl(id2, IPC_STAT, &(struct shmid_ds){}), EINVAL);
	p = attach(ops, "at", id, NULL, 0, PAGE);
	if (p == (void *)-1)
		return;
	p[0] = 42;
	CALL("rmid attached", ops->ctl(id, IPC_RMID, NULL));
	rec_stat(ops, "dest", id);
	want("dest mode", stat_of(ops, id).shm_perm.mode, 01600);
	want("dest key", stat_of(ops, id).shm_perm.__key, IPC_PRIVATE);
	WANT_ERR("key gone", ops->get(KEY, PAGE, 0600), ENOENT);
	again = CALL("key reusable", ops->get(KEY, PAGE, IPC_CREAT | 0600));
	want("new id", again != id, 1);
	q = attach(ops, "attach dest", id, NULL, 0, PAGE);
	want("same data", q != (void *)-1 && q[0] == 42, 1);
	rec_stat(ops, "dest attached twice", id);
	rec_shm_info(ops, "with dest");
	CALL("rmid again", ops->ctl(id, IPC_RMID, NULL));
	CALL("dt 1", ops->dt(p));
	rec_stat(ops, "dest once", id);
	CALL("dt 2", ops->dt(q));
	WANT_ERR("destroyed", ops->ctl(id, IPC_STAT, &(struct shmid_ds){}), EINVAL);
	rec_shm_info(ops, "after");
	CALL("rmid new", ops->ctl(again, IPC_RMID, NULL));
}

static void sc_ipc_set(const struct sysv_ops *ops)
{
	int id = CALL("create", ops->get(KEY, PAGE, IPC_CREAT | 0600));
	struct shmid_ds ds = stat_of(ops, id);
	void *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ds.shm_perm.uid = 1234;
	ds.shm_perm.gid = 5678;
	ds.shm_perm.mode = 017644;	/* only the low nine bits count */
	ds.shm_perm.cuid = 99;		/* ignored */
	ds.shm_segsz = 1;		/* ignored */
	CALL("IPC_SET", ops->ctl(id, IPC_SET, &ds));
	rec_stat(ops, "set", id);
	ds.shm_perm.uid = (uid_t)-1;
	WANT_ERR("invalid uid", ops->ctl(id, IPC_SET, &ds), EINVAL);
	ds.shm_perm.uid = 0;
	ds.shm_perm.gid = (gid_t)-1;
	WANT_ERR("invalid gid", ops->ctl(id, IPC_SET, &ds), EINVAL);
	WANT_ERR("IPC_SET NULL", ops->ctl(id, IPC_SET, NULL), EFAULT);
	WANT_ERR("IPC_SET unmapped", ops->ctl(id, IPC_SET, (struct shmid_ds *)PAGE), EFAULT);
	want("read-only page", ro != MAP_FAILED, 1);
	if (ro != MAP_FAILED) {
		WANT_ERR("IPC_STAT read-only", ops->ctl(id, IPC_STAT, ro), EFAULT);
		munmap(ro, PAGE);
	}
	rec_stat(ops, "unchanged", id);
	CALL("rmid", ops->ctl(id, IPC_RMID, NULL));
}

static void sc_attach_flags(const struct sysv_ops *ops)
{
	int id = CALL("create", ops->get(IPC_PRIVATE, 3 * PAGE, IPC_CREAT | 0600));
	char *area, *p;

	/* SHM_RDONLY */
	p = attach(ops, "rdonly", id, NULL, SHM_RDONLY, 3 * PAGE);
	if (p != (void *)-1) {
		want("rdonly read", probe(p, false, 0), 0);
		want("rdonly write", probe(p, true, 1), SIGSEGV);
		WANT_ERR("rdonly mprotect", mprotect(p, PAGE, PROT_READ | PROT_WRITE), EACCES);
		CALL("dt rdonly", ops->dt(p));
	}
	p = attach(ops, "exec", id, NULL, SHM_EXEC, 3 * PAGE);
	if (p != (void *)-1) {
		struct maps_entry e;

		want("exec maps", maps_lookup(p, &e), 0);
		want("exec perms", !strcmp(e.perms, "rwxs"), 1);
		CALL("dt exec", ops->dt(p));
	}
	/* a free area */
	area = mmap(NULL, 8 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(area, 8 * PAGE);
	WANT_ERR("unaligned", ops->at(id, area + 123, 0), EINVAL);
	p = attach(ops, "rnd", id, area + PAGE + 123, SHM_RND, 3 * PAGE);
	want("rnd rounded", p == area + PAGE, 1);
	WANT_ERR("overlap", ops->at(id, area + 2 * PAGE, 0), EINVAL);
	WANT_ERR("rnd to 0 with remap", ops->at(id, (void *)123, SHM_RND | SHM_REMAP), EINVAL);
	WANT_ERR("remap without addr", ops->at(id, NULL, SHM_REMAP), EINVAL);
	p = attach(ops, "remap", id, area + 2 * PAGE, SHM_REMAP, 3 * PAGE);
	want("remap placed", p == area + 2 * PAGE, 1);
	/* the remap cut the first attach down to one page: two VMAs, three attachments */
	rec_stat(ops, "remapped", id);
	CALL("dt rnd", ops->dt(area + PAGE));
	CALL("dt remap", ops->dt(area + 2 * PAGE));
	rec_stat(ops, "all detached", id);
	WANT_ERR("bad id", ops->at(-1, NULL, 0), EINVAL);
	WANT_ERR("absent id", ops->at(id + 1, NULL, 0), EINVAL);
	CALL("rmid", ops->ctl(id, IPC_RMID, NULL));
}

/* Writes @val to limit @name of @ops; returns the old value. */
static unsigned long set_limit(const struct sysv_ops *ops, const char *name, unsigned long val)
{
	char path[128], buf[64] = "";
	unsigned long old = 0;
	int fd;

	snprintf(path, sizeof(path), "%s%s", ops->limit_dir, name);
	fd = open(path, O_RDWR);
	if (fd < 0) {
		want("open limit", errno, 0);
		return 0;
	}
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		old = strtoul(buf, NULL, 10);
	snprintf(buf, sizeof(buf), "%lu\n", val);
	want("set limit", pwrite(fd, buf, strlen(buf), 0) == (ssize_t)strlen(buf), 1);
	close(fd);
	return old;
}

static void sc_limits(const struct sysv_ops *ops)
{
	unsigned long shmmax = set_limit(ops, "shmmax", 3 * PAGE);
	unsigned long shmall = set_limit(ops, "shmall", 4);
	unsigned long shmmni = set_limit(ops, "shmmni", 3);
	struct shminfo info;
	int a, b;

	memset(&info, 0, sizeof(info));
	CALL("IPC_INFO", ops->ctl(0, IPC_INFO, (struct shmid_ds *)&info));
	rec("shmmax", info.shmmax);
	rec("shmall", info.shmall);
	rec("shmmni", info.shmmni);
	WANT_ERR("over shmmax", ops->get(IPC_PRIVATE, 3 * PAGE + 1, IPC_CREAT | 0600), EINVAL);
	a = CALL("at shmmax", ops->get(IPC_PRIVATE, 3 * PAGE, IPC_CREAT | 0600));
	WANT_ERR("over shmall", ops->get(IPC_PRIVATE, 2 * PAGE, IPC_CREAT | 0600), ENOSPC);
	b = CALL("fills shmall", ops->get(IPC_PRIVATE, 1, IPC_CREAT | 0600));
	CALL("rmid a", ops->ctl(a, IPC_RMID, NULL));
	CALL("rmid b", ops->ctl(b, IPC_RMID, NULL));
	CALL("1", ops->get(IPC_PRIVATE, 1, IPC_CREAT | 0600));
	CALL("2", ops->get(IPC_PRIVATE, 1, IPC_CREAT | 0600));
	CALL("3", ops->get(IPC_PRIVATE, 1, IPC_CREAT | 0600));
	WANT_ERR("over shmmni", ops->get(IPC_PRIVATE, 1, IPC_CREAT | 0600), ENOSPC);
	rec_shm_info(ops, "full");
	set_limit(ops, "shmmax", shmmax);
	set_limit(ops, "shmall", shmall);
	set_limit(ops, "shmmni", shmmni);
}

/* A child that creates segment @key and exits. */
static void create_and_exit(const struct sysv_ops *ops, int key)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0)
		_exit(ops->get(key, PAGE, IPC_CREAT | 0600) < 0);
	want("creator status", wait_child(pid), 0);
}

static void sc_rmid_forced(const struct sysv_ops *ops)
{
	unsigned long old = set_limit(ops, "shm_rmid_forced", 0);
	int orphan, mine, id;
	char *p;

	/* off: a segment outlives its creator */
	create_and_exit(ops, KEY);
	orphan = CALL("outlives creator", ops->get(KEY, 0, 0));
	/* switched on: orphans without attachments go */
	set_limit(ops, "shm_rmid_forced", 1);
	WANT_ERR("orphan destroyed", ops->ctl(orphan, IPC_STAT, &(struct shmid_ds){}), EINVAL);
	/* on: the creator's exit takes its unattached segments */
	create_and_exit(ops, KEY + 1);
	WANT_ERR("gone with creator", ops->get(KEY + 1, 0, 0), ENOENT);
	/* on: a live creator's unattached segment stays; the last detach takes it */
	mine = CALL("mine", ops->get(IPC_PRIVATE, PAGE, IPC_CREAT | 0600));
	WANT_ERR("mine stays", ops->ctl(mine, IPC_STAT, &(struct shmid_ds){}), 0);
	p = attach(ops, "at", mine, NULL, 0, PAGE);
	if (p != (void *)-1)
		CALL("dt", ops->dt(p));
	WANT_ERR("gone with last detach", ops->ctl(mine, IPC_STAT, &(struct shmid_ds){}), EINVAL);
	/* an attached segment of a creator that exited lives until its last detach */
	id = CALL("attached", ops->get(IPC_PRIVATE, PAGE, IPC_CREAT | 0600));
	p = attach(ops, "at 2", id, NULL, 0, PAGE);
	rec_shm_info(ops, "forced");
	if (p != (void *)-1)
		CALL("dt 2", ops->dt(p));
	WANT_ERR("gone after detach", ops->ctl(id, IPC_STAT, &(struct shmid_ds){}), EINVAL);
	set_limit(ops, "shm_rmid_forced", old);
}

static void sc_stale_ids(const struct sysv_ops *ops)
{
	struct shmid_ds ds;
	int first, id = -1, i;

	first = CALL("first", ops->get(IPC_PRIVATE, 1, IPC_CREAT | 0600));
	CALL("rmid first", ops->ctl(first, IPC_RMID, NULL));
	WANT_ERR("stale", ops->ctl(first, IPC_STAT, &ds), EINVAL);
	/* ids cycle through the slots before reusing one, with the next sequence number */
	for (i = 1; i <= 64; i++) {
		id = ops->get(IPC_PRIVATE, 1, IPC_CREAT | 0600);
		if (i == 1 || i >= 63)
			rec("cycled id", id);
		ops->ctl(id, IPC_RMID, NULL);
	}
	want("reused slot", id, 32768);
	WANT_ERR("stale slot 0", ops->ctl(first, IPC_STAT, &ds), EINVAL);
	WANT_ERR("stale attach", ops->at(first, NULL, 0), EINVAL);
	id = CALL("next", ops->get(IPC_PRIVATE, 1, IPC_CREAT | 0600));
	want("SHM_STAT by index", ops->ctl(id & 0x7fff, SHM_STAT, &ds), id);
	want("SHM_STAT seq", ds.shm_perm.__seq, id >> 15);
	WANT_ERR("SHM_STAT empty", ops->ctl(5000, SHM_STAT, &ds), EINVAL);
	want("IPC_INFO maxidx", ops->ctl(0, IPC_INFO, (struct shmid_ds *)&(struct shminfo){}),
	     id & 0x7fff);
}

static void ns_child(const struct sysv_ops *ops, int id)
{
	if (unshare(CLONE_NEWIPC)) {
		want("child unshare", errno, 0);
		return;
	}
	WANT_ERR("other ns key", ops->get(KEY, 0, 0), ENOENT);
	WANT_ERR("other ns id", ops->ctl(id, IPC_STAT, &(struct shmid_ds){}), EINVAL);
	WANT_ERR("other ns at", ops->at(id, NULL, 0), EINVAL);
	rec_shm_info(ops, "other ns");
	want("own segment", ops->get(KEY, PAGE, IPC_CREAT | 0600), 0);
	rec_shm_info(ops, "other ns own");
}

static void sc_namespaces(const struct sysv_ops *ops)
{
	int id = CALL("create", ops->get(KEY, 2 * PAGE, IPC_CREAT | 0600));
	char *p = attach(ops, "at", id, NULL, 0, 2 * PAGE);

	as_user(0, 0, ns_child, ops, id);
	want("still here", ops->get(KEY, 0, 0), id);
	rec_shm_info(ops, "parent ns");
	rec_stat(ops, "parent", id);
	if (p != (void *)-1)
		ops->dt(p);
}

/* ------------------------------------------------------------------------------- the cases */

FIXTURE(sysv) {
	int unused;
};

FIXTURE_VARIANT(sysv) {
	const struct sysv_ops *ops;
};

FIXTURE_VARIANT_ADD(sysv, kernel) {
	.ops = &kernel_ops,
};

FIXTURE_VARIANT_ADD(sysv, rust_shmem) {
	.ops = &rust_ops,
};

FIXTURE_SETUP(sysv)
{
	ASSERT_EQ(0, access(RUST_SHMEM_SYSV_DEVICE, R_OK | W_OK));
}

FIXTURE_TEARDOWN(sysv)
{
}

TEST_F(sysv, create_lookup_exclusive) { compare(_metadata, sc_create_lookup, variant->ops); }
TEST_F(sysv, size_rules) { compare(_metadata, sc_size_rules, variant->ops); }
TEST_F(sysv, permissions) { compare(_metadata, sc_permissions, variant->ops); }
TEST_F(sysv, attach_fork_exit) { compare(_metadata, sc_attach_fork_exit, variant->ops); }
TEST_F(sysv, rmid) { compare(_metadata, sc_rmid, variant->ops); }
TEST_F(sysv, ipc_set) { compare(_metadata, sc_ipc_set, variant->ops); }
TEST_F(sysv, attach_flags) { compare(_metadata, sc_attach_flags, variant->ops); }
TEST_F(sysv, limits) { compare(_metadata, sc_limits, variant->ops); }
TEST_F(sysv, shm_rmid_forced) { compare(_metadata, sc_rmid_forced, variant->ops); }
TEST_F(sysv, stale_ids) { compare(_metadata, sc_stale_ids, variant->ops); }
TEST_F(sysv, namespaces) { compare(_metadata, sc_namespaces, variant->ops); }

/* ----------------------------------------------------------------- the device on its own */

static int sysv_ioctl(unsigned long cmd, void *arg)
{
	int fd = shim_dev();

	return fd < 0 ? -1 : ioctl(fd, cmd, arg);
}

TEST(bad_ioctl_input)
{
	struct rust_shmem_sysv_get get = { .size = sizeof(get), .segsz = PAGE,
					   .shmflg = IPC_CREAT | 0600 };
	struct rust_shmem_sysv_at at = { .size = sizeof(at) };
	struct rust_shmem_sysv_ctl ctl = { .size = sizeof(ctl), .cmd = IPC_RMID };
	void *ro;
	int id;

	ASSERT_EQ(0, unshare(CLONE_NEWIPC));
	EXPECT_EQ(EFAULT, ERRNO_OF(sysv_ioctl(RUST_SHMEM_SYSV_GET, NULL)));
	EXPECT_EQ(EFAULT, ERRNO_OF(sysv_ioctl(RUST_SHMEM_SYSV_CTL, (void *)PAGE)));
	EXPECT_EQ(EFAULT, ERRNO_OF(sysv_ioctl(RUST_SHMEM_SYSV_AT, (void *)-4096L)));
	EXPECT_EQ(ENOTTY, ERRNO_OF(sysv_ioctl(_IOWR(RUST_SHMEM_SYSV_IOC_MAGIC, 9, get), &get)));
	EXPECT_EQ(ENOTTY, ERRNO_OF(sysv_ioctl(_IOWR(RUST_SHMEM_SYSV_IOC_MAGIC, 1, int), &get)));
	get.size = sizeof(get) + 8;
	EXPECT_EQ(EINVAL, ERRNO_OF(sysv_ioctl(RUST_SHMEM_SYSV_GET, &get)));
	get.size = 0;
	EXPECT_EQ(EINVAL, ERRNO_OF(sysv_ioctl(RUST_SHMEM_SYSV_GET, &get)));
	get.size = sizeof(get);
	get.pad = 1;
	EXPECT_EQ(EINVAL, ERRNO_OF(sysv_ioctl(RUST_SHMEM_SYSV_GET, &get)));
	get.pad = 0;
	get.segsz = ~0ULL;
	EXPECT_EQ(EINVAL, ERRNO_OF(sysv_ioctl(RUST_SHMEM_SYSV_GET, &get)));
	get.segsz = PAGE;
	id = sysv_ioctl(RUST_SHMEM_SYSV_GET, &get);
	ASSERT_GE(id, 0);
	ctl.shmid = id;
	ctl.ds.pad = 7;
	EXPECT_EQ(EINVAL, ERRNO_OF(sysv_ioctl(RUST_SHMEM_SYSV_CTL, &ctl)));
	ctl.ds.pad = 0;
	ctl.cmd = 0x7fffffff;
	EXPECT_EQ(EINVAL, ERRNO_OF(sysv_ioctl(RUST_SHMEM_SYSV_CTL, &ctl)));
	/* an attach whose result cannot be written back is undone */
	at.shmid = id;
	ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memcpy(ro, &at, sizeof(at));
	ASSERT_EQ(0, mprotect(ro, PAGE, PROT_READ));
	EXPECT_EQ(EFAULT, ERRNO_OF(sysv_ioctl(RUST_SHMEM_SYSV_AT, ro)));
	EXPECT_EQ(0UL, stat_of(&rust_ops, id).shm_nattch);
	at.shmaddr = 1;
	at.shmflg = 0;
	EXPECT_EQ(EINVAL, ERRNO_OF(sysv_ioctl(RUST_SHMEM_SYSV_AT, &at)));
	at.shmaddr = ~0ULL & ~(PAGE - 1);
	EXPECT_NE(0, ERRNO_OF(sysv_ioctl(RUST_SHMEM_SYSV_AT, &at)));
	ctl.cmd = IPC_RMID;
	EXPECT_EQ(0, sysv_ioctl(RUST_SHMEM_SYSV_CTL, &ctl));
}

/* Segments pin the module; a dead namespace's segments are freed at the next operation. */
TEST(module_pinned_by_segments)
{
	int base, id, status;
	pid_t pid;

	/*
	 * Under the takeover every shared anonymous mapping in the guest (kselftest_harness's own
	 * result pages among them, made and dropped around each case) is a rust_shmem file holding
	 * a module reference, so the exact count of our segments' references cannot be read off
	 * /proc/modules (seen off by 4 on the debug kernel). tests/takeover.c counts them instead.
	 */
	if (kernel_side_taken_over())
		SKIP(return, "module refcounts are shared with every shared anonymous mapping");
	ASSERT_EQ(0, unshare(CLONE_NEWIPC));
	ASSERT_LE(0, rs_shmget(IPC_PRIVATE, 1, 0600));	/* opens the device, reaps */
	ASSERT_EQ(0, rs_shmctl(0, IPC_RMID, NULL));
	base = module_refcount("rust_shmem");
	ASSERT_GE(base, 0);
	id = rs_shmget(IPC_PRIVATE, PAGE, IPC_CREAT | 0600);
	ASSERT_GE(id, 0);
	/* the segment's file and the segment itself each hold a reference */
	EXPECT_EQ(base + 2, module_refcount("rust_shmem"));
	EXPECT_EQ(0, rs_shmctl(id, IPC_RMID, NULL));
	EXPECT_EQ(base, module_refcount("rust_shmem"));
	/* a child namespace that dies with two segments in it */
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWIPC))
			_exit(1);
		if (rs_shmget(IPC_PRIVATE, PAGE, 0600) < 0 || rs_shmget(KEY, PAGE, IPC_CREAT | 0600) < 0)
			_exit(2);
		_exit(module_refcount("rust_shmem") == base + 4 ? 0 : 3);
	}
	status = wait_child(pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("child status %#x", status);
	}
	/* the next operation reaps the namespace */
	EXPECT_EQ(ENOENT, ERRNO_OF(rs_shmget(KEY, 0, 0)));
	EXPECT_EQ(base, module_refcount("rust_shmem"));
}

/* The device's listing is /proc/sysvipc/shm's, for the same segments. */
TEST(listing)
{
	char *theirs, *ours, *sa = NULL, *sb = NULL, *la, *lb;
	int n = 0;

	ASSERT_EQ(0, unshare(CLONE_NEWIPC));
	ASSERT_EQ(0, shmget(KEY, 5000, IPC_CREAT | 0640));
	ASSERT_EQ(0, rs_shmget(KEY, 5000, IPC_CREAT | 0640));
	ASSERT_EQ(1, shmget(IPC_PRIVATE, PAGE, 0600));
	ASSERT_EQ(1, rs_shmget(IPC_PRIVATE, PAGE, 0600));
	theirs = read_text_file("/proc/sysvipc/shm");
	ours = read_text_file(RUST_SHMEM_SYSV_DEVICE);
	ASSERT_NE(NULL, theirs);
	ASSERT_NE(NULL, ours);
	la = strtok_r(theirs, "\n", &sa);
	lb = strtok_r(ours, "\n", &sb);
	while (la && lb) {
		/* key .. cgid: the first 94 columns; the times may differ by a second */
		EXPECT_EQ(0, strncmp(la, lb, 94)) {
			TH_LOG("kernel:     %s", la);
			TH_LOG("rust_shmem: %s", lb);
		}
		n++;
		la = strtok_r(NULL, "\n", &sa);
		lb = strtok_r(NULL, "\n", &sb);
	}
	EXPECT_EQ(NULL, la);
	EXPECT_EQ(NULL, lb);
	EXPECT_EQ(3, n);
	free(theirs);
	free(ours);
}

/*
 * Several processes create, attach, touch, fork, detach and remove segments under shared keys
 * at once; afterwards nothing is left and the kernel log is clean (checked by the runner).
 * A fixture of its own only for TEST_F_TIMEOUT: the harness's 30 s default is too short for
 * the debug kernel under TCG (see CHURN_TIMEOUT).
 */
FIXTURE(churn) {};
FIXTURE_SETUP(churn) {}
FIXTURE_TEARDOWN(churn) {}

TEST_F_TIMEOUT(churn, concurrent_churn, CHURN_TIMEOUT)
{
	const int workers = 4, rounds = 300;
	struct shm_info info;
	int w, status, failures = 0;

	ASSERT_EQ(0, unshare(CLONE_NEWIPC));
	for (w = 0; w < workers; w++) {
		fflush(NULL);
		if (fork() == 0) {
			int r, bad = 0;

			srand(w + 1);
			for (r = 0; r < rounds; r++) {
				int id = rs_shmget(KEY + rand() % 3, 2 * PAGE, IPC_CREAT | 0600);
				struct shmid_ds ds;
				char *p;

				if (id < 0)
					continue;	/* removed under our feet */
				p = rs_shmat(id, NULL, rand() % 2 ? SHM_RDONLY : 0);
				if (p == (void *)-1) {
					bad += errno != EINVAL && errno != EIDRM;
					continue;
				}
				(void)*(volatile char *)p;
				if (r % 16 == 0) {
					pid_t pid = fork();

					if (pid == 0)
						_exit(0);
					waitpid(pid, NULL, 0);
				}
				if (rs_shmctl(id, IPC_STAT, &ds) == 0 && ds.shm_nattch < 1)
					bad++;
				if (rand() % 2)
					rs_shmctl(id, IPC_RMID, NULL);
				bad += rs_shmdt(p) != 0;
			}
			_exit(bad ? 1 : 0);
		}
	}
	for (w = 0; w < workers; w++) {
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			failures++;
	}
	EXPECT_EQ(0, failures);
	for (w = 0; w < 3; w++) {
		int id = rs_shmget(KEY + w, 0, 0);

		if (id >= 0) {
			EXPECT_EQ(0UL, stat_of(&rust_ops, id).shm_nattch);
			EXPECT_EQ(0, rs_shmctl(id, IPC_RMID, NULL));
		}
	}
	memset(&info, 0, sizeof(info));
	EXPECT_EQ(0, rs_shmctl(0, SHM_INFO, (struct shmid_ds *)&info));
	EXPECT_EQ(0, info.used_ids);
	EXPECT_EQ(0UL, info.shm_tot);
}

TEST_HARNESS_MAIN
