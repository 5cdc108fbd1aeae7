// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile ioctls against rust_shmem, with tmpfs as the reference (fixture, watchdog and
 * comparisons: hostile_util.h): random commands and arguments (NULL, unmapped, kernel-looking
 * pointers, valid and truncated buffers, fds) on files, directories, O_PATH fds and
 * /dev/rust_shmem_zero against /dev/zero.
 */
#include "hostile_util.h"

/* uapi bits the build host's headers may lack (values from the 7.3 headers). */
#ifndef FS_IOC_GETFSUUID
struct fsuuid2 {
	uint8_t len;
	uint8_t uuid[16];
};
#define FS_IOC_GETFSUUID	_IOR(0x15, 0, struct fsuuid2)
#endif
#ifndef FS_IOC_GETFSSYSFSPATH
struct fs_sysfs_path {
	uint8_t len;
	uint8_t name[128];
};
#define FS_IOC_GETFSSYSFSPATH	_IOR(0x15, 1, struct fs_sysfs_path)
#endif
struct space_resv_ {
	int16_t l_type;
	int16_t l_whence;
	int64_t l_start;
	int64_t l_len;
	int32_t l_sysid;
	uint32_t l_pid;
	int32_t l_pad[4];
};
#define RESVSP_		_IOW('X', 40, struct space_resv_)
#define UNRESVSP_	_IOW('X', 41, struct space_resv_)
#define RESVSP64_	_IOW('X', 42, struct space_resv_)
#define UNRESVSP64_	_IOW('X', 43, struct space_resv_)
#define ZERO_RANGE_	_IOW('X', 57, struct space_resv_)
#define FS_IOC_SHUTDOWN_	_IOR('X', 125, uint32_t)

/* ==================================================================== ioctls */

struct ioctl_known {
	unsigned int cmd;
	const char *name;
	bool compare_out;	/* output is deterministic: compare what the kernel wrote */
	bool setter;		/* changes state: never on the shared devices */
};

static const struct ioctl_known known_ioctls[] = {
	{ FIOCLEX, "FIOCLEX", false, false },
	{ FIONCLEX, "FIONCLEX", false, false },
	{ FIONBIO, "FIONBIO", false, false },
	{ FIOASYNC, "FIOASYNC", false, false },
	{ FIOQSIZE, "FIOQSIZE", true, false },
	{ FIONREAD, "FIONREAD", true, false },
	{ FIBMAP, "FIBMAP", true, false },
	{ FIGETBSZ, "FIGETBSZ", true, false },
	{ FIFREEZE, "FIFREEZE", false, true },
	{ FITHAW, "FITHAW", false, true },
	{ FITRIM, "FITRIM", false, true },
	{ FICLONE, "FICLONE", false, true },
	{ FICLONERANGE, "FICLONERANGE", false, true },
	{ FIDEDUPERANGE, "FIDEDUPERANGE", false, true },
	{ FS_IOC_GETFLAGS, "FS_IOC_GETFLAGS", true, false },
	{ FS_IOC_SETFLAGS, "FS_IOC_SETFLAGS", false, true },
	{ FS_IOC_GETVERSION, "FS_IOC_GETVERSION", false, false },
	{ FS_IOC_SETVERSION, "FS_IOC_SETVERSION", false, true },
	{ _IOWR('f', 11, char[32]), "FS_IOC_FIEMAP", false, false },
	{ FS_IOC_FSGETXATTR, "FS_IOC_FSGETXATTR", true, false },
	{ FS_IOC_FSSETXATTR, "FS_IOC_FSSETXATTR", false, true },
	{ FS_IOC_GETFSLABEL, "FS_IOC_GETFSLABEL", true, false },
	{ FS_IOC_SETFSLABEL, "FS_IOC_SETFSLABEL", false, true },
	{ FS_IOC_GETFSUUID, "FS_IOC_GETFSUUID", false, false },
	{ FS_IOC_GETFSSYSFSPATH, "FS_IOC_GETFSSYSFSPATH", false, false },
	{ RESVSP_, "FS_IOC_RESVSP", false, true },
	{ UNRESVSP_, "FS_IOC_UNRESVSP", false, true },
	{ RESVSP64_, "FS_IOC_RESVSP64", false, true },
	{ UNRESVSP64_, "FS_IOC_UNRESVSP64", false, true },
	{ ZERO_RANGE_, "FS_IOC_ZERO_RANGE", false, true },
	{ FS_IOC_SHUTDOWN_, "FS_IOC_SHUTDOWN", false, true },
	{ TCGETS, "TCGETS", false, false },
	{ TIOCGWINSZ, "TIOCGWINSZ", false, false },
	{ TIOCGPGRP, "TIOCGPGRP", false, false },
	{ FIONCLEX + 0x100, "0x5550", false, false },
};

enum target { T_FILE, T_DIR, T_OPATH, T_ZERO, T_NR };
static const char * const target_names[T_NR] = { "file", "directory", "O_PATH file", "zero device" };

/* A file with the same content on both sides, and a directory, for one round of ioctls. */
static int ioctl_round_setup(struct ctx *c, int round, int fds[T_NR][NSIDES], int peer[NSIDES])
{
	struct rng rr = { (uint64_t)round * 1000 + c->gen };	/* not the fuzz stream: resumable */
	char path[256], data[9000];
	int s, n;

	rng_fill(&rr, data, sizeof(data));
	n = 1 + rng_below(&rr, sizeof(data));
	for (s = 0; s < NSIDES; s++) {
		snprintf(path, sizeof(path), "%s/i%d_%d", c->root[s], c->gen, round);
		fds[T_FILE][s] = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fds[T_FILE][s] < 0 || write(fds[T_FILE][s], data, n) != n)
			return -1;
		fds[T_OPATH][s] = open(path, O_PATH | O_CLOEXEC);
		snprintf(path, sizeof(path), "%s/p%d_%d", c->root[s], c->gen, round);
		peer[s] = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (peer[s] < 0 || write(peer[s], data, n / 2) != n / 2)
			return -1;
		snprintf(path, sizeof(path), "%s/d%d_%d", c->root[s], c->gen, round);
		if (mkdir(path, 0755))
			return -1;
		fds[T_DIR][s] = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		fds[T_ZERO][s] = open(c->zero[s], O_RDWR | O_CLOEXEC);
		beat(c, 9);
		if (fds[T_OPATH][s] < 0 || fds[T_DIR][s] < 0 || fds[T_ZERO][s] < 0)
			return -1;
	}
	return 0;
}

static void ioctl_round_teardown(struct ctx *c, int round, int fds[T_NR][NSIDES], int peer[NSIDES])
{
	char path[256];
	int s, t;

	for (s = 0; s < NSIDES; s++) {
		for (t = 0; t < T_NR; t++)
			if (fds[t][s] >= 0)
				close(fds[t][s]);
		if (peer[s] >= 0)
			close(peer[s]);
		/* (a file made immutable by FS_IOC_SETFLAGS stays; the mount goes at the end) */
		snprintf(path, sizeof(path), "%s/i%d_%d", c->root[s], c->gen, round);
		unlink(path);
		snprintf(path, sizeof(path), "%s/p%d_%d", c->root[s], c->gen, round);
		unlink(path);
		snprintf(path, sizeof(path), "%s/d%d_%d", c->root[s], c->gen, round);
		rmdir(path);
	}
}

static void ioctls_worker(void *arg)
{
	struct ctx *c = arg;
	struct rng *r = &c->rng;
	int fds[T_NR][NSIDES], peer[NSIDES], round = 0;
	uint64_t mismatches_seen = c->rep->mismatches;
	char *buf[NSIDES], *none, what[300], input[4096];
	uint64_t i;
	int s;

	none = mmap(NULL, c->page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (s = 0; s < NSIDES; s++) {
		buf[s] = guarded_buffer(c->page);
		if (!buf[s] || none == MAP_FAILED) {
			fuzz_finding(c->rep, false, "setup", "no memory for the ioctl buffers");
			return;
		}
	}
	memset(fds, -1, sizeof(fds));
	memset(peer, -1, sizeof(peer));
	round = c->first_iter / 200;
	if (ioctl_round_setup(c, round, fds, peer)) {
		fuzz_finding(c->rep, false, "setup", "cannot set up the ioctl targets: %s", strerror(errno));
		return;
	}
	for (i = c->first_iter; !out_of_time(c, i); i++) {
		enum target t;
		const struct ioctl_known *known = NULL;
		unsigned int cmd, argkind;
		unsigned long argv[NSIDES];
		struct res res[NSIDES];
		char argdesc[64];
		size_t bufoff = 0;

		c->rep->resume_iter = i;
		c->rep->resume_rng = r->s;
		t = rng_pct(r, 45) ? T_FILE : (enum target)rng_below(r, T_NR);
		argkind = rng_below(r, 16);
		if (i > c->first_iter && (i % 200 == 0 || c->rep->mismatches != mismatches_seen)) {
			/* new targets every 200 calls, and after a difference (the two may now differ) */
			mismatches_seen = c->rep->mismatches;
			ioctl_round_teardown(c, round, fds, peer);
			memset(fds, -1, sizeof(fds));
			memset(peer, -1, sizeof(peer));
			if (ioctl_round_setup(c, ++round, fds, peer)) {
				fuzz_finding(c->rep, false, "setup", "cannot set up ioctl round %d: %s", round,
					     strerror(errno));
				break;
			}
		}
		switch (rng_below(r, 10)) {
		case 0:
		case 1:
		case 2:
		case 3:
			known = &known_ioctls[rng_below(r, sizeof(known_ioctls) / sizeof(known_ioctls[0]))];
			cmd = known->cmd;
			break;
		case 4:
		case 5:
		case 6:
			{
				static const unsigned int types[] = { 'f', 'X', 0x15, 0x94, 'T', 0x12, 'v', 0,
								      'V', '$', 'f', 'X' };
				unsigned int type = types[rng_below(r, 12)];

				if (rng_pct(r, 10))
					type = rng_below(r, 256);
				cmd = _IOC(rng_below(r, 4), type, rng_below(r, 140), rng_below(r, 600));
			}
			break;
		default:
			cmd = (unsigned int)rng_next(r);
			break;
		}
		/* setters on the shared /dev nodes could change them for everybody */
		if (t == T_ZERO && known && known->setter)
			t = T_FILE;
		if (!known)
			for (size_t k = 0; k < sizeof(known_ioctls) / sizeof(known_ioctls[0]); k++)
				if (known_ioctls[k].cmd == cmd && known_ioctls[k].setter && t == T_ZERO)
					t = T_FILE;
		rng_fill(r, input, sizeof(input));
		if (known && (known->cmd == RESVSP_ || known->cmd == RESVSP64_ || known->cmd == UNRESVSP_ ||
			      known->cmd == UNRESVSP64_ || known->cmd == ZERO_RANGE_) && rng_pct(r, 80)) {
			struct space_resv_ sr = { 0 };

			sr.l_whence = rng_pct(r, 85) ? (int16_t)rng_below(r, 3) : (int16_t)rng_next(r);
			sr.l_start = rng_pct(r, 50) ? (int64_t)rng_below(r, 1 << 22) : gen_off(r, 8192, c->page);
			sr.l_len = gen_len(r, sr.l_start, c->page);
			if (c->tame && sr.l_len > (1 << 30))
				sr.l_len = 1 << 30;
			memcpy(input, &sr, sizeof(sr));
		} else if (c->tame && known && (known->cmd == RESVSP_ || known->cmd == RESVSP64_ ||
						known->cmd == UNRESVSP_ || known->cmd == UNRESVSP64_ ||
						known->cmd == ZERO_RANGE_)) {
			struct space_resv_ sr = { 0 };	/* tame: a short range */

			sr.l_len = 1 + rng_below(r, 1 << 20);
			memcpy(input, &sr, sizeof(sr));
		} else if (known && (known->cmd == FS_IOC_SETFLAGS || known->cmd == FS_IOC_FSSETXATTR) &&
			   rng_pct(r, 50)) {
			uint32_t flags = (uint32_t[]){ 0, FS_NOATIME_FL, FS_NODUMP_FL, FS_APPEND_FL,
						       FS_IMMUTABLE_FL, FS_SYNC_FL, FS_NOCOW_FL }[rng_below(r, 7)];

			memcpy(input, &flags, sizeof(flags));
		} else if (known && (known->cmd == FICLONERANGE || known->cmd == FIDEDUPERANGE)) {
			int64_t v = rng_pct(r, 50) ? -1 : 9999;	/* a source/destination fd that is no fd */

			memcpy(input, &v, sizeof(v));
			if (known->cmd == FIDEDUPERANGE) {
				uint16_t count = rng_below(r, 3);

				memcpy(input + 16, &count, sizeof(count));
				for (uint16_t k = 0; k < count; k++)
					memcpy(input + 24 + 32 * k, &v, sizeof(v));
			}
		}
		switch (argkind) {
		case 0:
			snprintf(argdesc, sizeof(argdesc), "NULL");
			argv[0] = argv[1] = 0;
			break;
		case 1:
			snprintf(argdesc, sizeof(argdesc), "unmapped 0x1000");
			argv[0] = argv[1] = 0x1000;
			break;
		case 2:
			snprintf(argdesc, sizeof(argdesc), "PROT_NONE page");
			argv[0] = argv[1] = (unsigned long)none;
			break;
		case 3:
			argv[0] = argv[1] = (unsigned long[]){ 0xffffffff81000000UL, 0xffff888000000000UL,
							       0xffffc90000000000UL, ~0UL,
							       0x8000000000000000UL }[rng_below(r, 5)];
			snprintf(argdesc, sizeof(argdesc), "0x%lx", argv[0]);
			break;
		case 4:
			bufoff = IOBUF - 1 - rng_below(r, 24);
			snprintf(argdesc, sizeof(argdesc), "%zu bytes before a guard page", IOBUF - bufoff);
			argv[0] = (unsigned long)buf[0] + bufoff;
			argv[1] = (unsigned long)buf[1] + bufoff;
			break;
		case 5:	/* small numbers, but none of our own descriptors (they differ per side) */
			argv[0] = argv[1] = rng_pct(r, 50) ? rng_below(r, 3) : 1000 + rng_below(r, 64);
			snprintf(argdesc, sizeof(argdesc), "%lu", argv[0]);
			break;
		case 6:
			snprintf(argdesc, sizeof(argdesc), "fd: the target itself");
			argv[0] = fds[t][0];
			argv[1] = fds[t][1];
			break;
		case 7:
			snprintf(argdesc, sizeof(argdesc), "fd: another file of the same fs");
			argv[0] = peer[0];
			argv[1] = peer[1];
			break;
		case 8:
			argv[0] = argv[1] = rng_next(r);
			snprintf(argdesc, sizeof(argdesc), "0x%lx", argv[0]);
			break;
		default:
			snprintf(argdesc, sizeof(argdesc), "valid buffer");
			argv[0] = (unsigned long)buf[0];
			argv[1] = (unsigned long)buf[1];
			break;
		}
		for (s = 0; s < NSIDES; s++) {
			memcpy(buf[s], input, sizeof(input));
			memcpy(buf[s] + IOBUF - sizeof(input), input, sizeof(input));
		}
		snprintf(what, sizeof(what), "ioctl(%s, %s0x%08x, %s)", target_names[t],
			 known ? known->name : "", cmd, argdesc);
		if (known)
			snprintf(what, sizeof(what), "ioctl(%s, %s, %s)", target_names[t], known->name, argdesc);
		for (s = 0; s < NSIDES; s++) {
			double t0 = now_sec();

			fuzz_inflight(c->rep, "%s on %s (%s)", what, c->fstype[s], t == T_ZERO ? c->zero[s] : "");
			res[s] = CALL(ioctl(fds[t][s], cmd, argv[s]));
			beat(c, 1);
			if (now_sec() - t0 > 5)
				fuzz_finding(c->rep, false, "slow ioctl", "%s took %.1f s on %s", what,
					     now_sec() - t0, c->fstype[s]);
		}
		{
			char cls[64];

			/* one class per command, so that each differing command is shown */
			snprintf(cls, sizeof(cls), "ioctl %s on %s", known ? known->name : "(random)",
				 target_names[t]);
			if (!known) {
				for (size_t k = 0; k < sizeof(known_ioctls) / sizeof(known_ioctls[0]); k++)
					if (known_ioctls[k].cmd == cmd)
						snprintf(cls, sizeof(cls), "ioctl %s on %s", known_ioctls[k].name,
							 target_names[t]);
			}
			if (t == T_ZERO)
				snprintf(what + strlen(what), sizeof(what) - strlen(what), " [/dev/zero vs %s]",
					 c->zero[1]);
			if (check_res(c, cls, res, what) && res[0].ret >= 0 && known && known->compare_out &&
			    argkind >= 9 && memcmp(buf[0], buf[1], 64))
				fuzz_finding(c->rep, false, cls, "%s: different output", what);
		}
		/* FIOASYNC/FIONBIO/FIOCLEX change fd flags alike on both sides; keep the files writable */
		if (t == T_FILE && i % 50 == 0)
			compare_fstat(c, fds[T_FILE], "the file", what);
	}
	ioctl_round_teardown(c, round, fds, peer);
}

TEST_F_TIMEOUT(hostile, ioctls, 900)
{
	struct ctx c = make_ctx(self, variant, "ioctls", 20000, 3);
	int guarded = run_resumable(_metadata, self, &c, ioctls_worker);

	finish_case(_metadata, self, "ioctls", &c, guarded);
}

TEST_HARNESS_MAIN
