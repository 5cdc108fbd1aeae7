/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the stress kselftests (hostile_*, pressure, concurrency): run-time scale and seed from
 * the environment, a seeded random generator, a watch on the kernel log, shared memory for
 * forked workers, and a watchdog for workers that may get stuck in a system call.  Header only;
 * include after kselftest_harness.h and test_util.h.
 *
 * Environment (also reachable in the guest through the kernel command line, e.g.
 * RUST_SHMEM_APPEND="RS_STRESS_SCALE=3 RS_FUZZ_SEED=0x1234" make check):
 *   RS_STRESS_SCALE  multiplies iterations and durations (default 1; 0.1 .. 1000)
 *   RS_FUZZ_SEED     seed of the random inputs (default STRESS_DEFAULT_SEED)
 */
#ifndef RUST_SHMEM_STRESS_UTIL_H
#define RUST_SHMEM_STRESS_UTIL_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <time.h>
#include <sys/mman.h>

#define STRESS_DEFAULT_SEED	0x5eed0f5ba5eULL

/* ------------------------------------------------------------------ knobs */

static inline double stress_scale(void)
{
	const char *s = getenv("RS_STRESS_SCALE");
	double v = s && *s ? strtod(s, NULL) : 1.0;

	if (!(v >= 0.1))
		v = v > 0 ? 0.1 : 1.0;
	if (v > 1000)
		v = 1000;
	return v;
}

static inline uint64_t stress_seed(void)
{
	const char *s = getenv("RS_FUZZ_SEED");

	return s && *s ? strtoull(s, NULL, 0) : STRESS_DEFAULT_SEED;
}

static inline double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --------------------------------------------------------------- randomness */

/* splitmix64: small, seedable, good enough to pick inputs. */
struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static inline struct rng rng_seeded(uint64_t seed, const char *stream)
{
	struct rng r = { seed };

	/* FNV-1a of the stream name, so that every case has its own sequence. */
	for (uint64_t h = 0xcbf29ce484222325ULL; ; stream++) {
		if (!*stream) {
			r.s ^= h;
			break;
		}
		h = (h ^ (unsigned char)*stream) * 0x100000001b3ULL;
	}
	rng_next(&r);
	return r;
}

/* Uniform in [0, n); 0 when n is 0. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return n ? rng_next(r) % n : 0;
}

/* True with probability pct/100. */
static inline bool rng_pct(struct rng *r, unsigned int pct)
{
	return rng_below(r, 100) < pct;
}

static inline void rng_fill(struct rng *r, void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i += 8) {
		uint64_t v = rng_next(r);
		size_t n = len - i < 8 ? len - i : 8;

		memcpy(p + i, &v, n);
	}
}

/* ---------------------------------------------------------------- kernel log */

/*
 * What makes a kernel log line a splat: qemu/splat.match's patterns plus the leak and corruption
 * messages lifecycle.c watches for.
 */
static const char * const stress_splat_patterns[] = {
	"BUG:", "WARNING:", "Oops", "panicked", "KASAN", "KFENCE", "possible circular locking",
	"lockdep", "kmemleak", "Call Trace", "kernel BUG", "cut here", "general protection fault",
	"Bad page", "UBSAN", "refcount_t:", "list_add corruption", "list_del corruption",
	"VFS: Busy inodes", "Objects remaining", "still has objects", "rcu_sched detected stall",
	"self-detected stall", "soft lockup", "hung_task", "blocked for more than",
};

/* /dev/kmsg positioned at its end: only what the kernel logs from now on is read. */
static inline int kmsg_open_end(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Reads the records logged since kmsg_open_end() (or the previous call) as text, one message per
 * line, into a malloc'ed string (NULL if nothing could be read).
 */
static inline char *kmsg_read_new(int fd)
{
	size_t cap = 65536, len = 0;
	char *out = malloc(cap), rec[8192];
	ssize_t n;

	if (!out || fd < 0) {
		free(out);
		return NULL;
	}
	out[0] = '\0';
	for (;;) {
		char *msg;
		size_t mlen;

		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* records overwritten meanwhile: go on */
			continue;
		if (n <= 0)
			break;
		rec[n] = '\0';
		/* "prio,seq,usec,flags;text\n" followed by " KEY=value" lines */
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		mlen = strcspn(msg, "\n");
		if (len + mlen + 2 > cap) {
			char *bigger = realloc(out, cap * 2 + mlen);

			if (!bigger)
				break;
			out = bigger;
			cap = cap * 2 + mlen;
		}
		memcpy(out + len, msg, mlen);
		len += mlen;
		out[len++] = '\n';
		out[len] = '\0';
	}
	return out;
}

static inline bool is_splat_line(const char *line, size_t len)
{
	char buf[1024];
	size_t i;

	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, line, len);
	buf[len] = '\0';
	for (i = 0; i < sizeof(stress_splat_patterns) / sizeof(stress_splat_patterns[0]); i++)
		if (strstr(buf, stress_splat_patterns[i]))
			return true;
	return false;
}

/*
 * Logs (TH_LOG) and counts the splat lines in @text.  With @oom_victim > 0, the stack dump of an
 * OOM-killer report ("... invoked oom-killer: ..." up to "Out of memory: Killed process N") is
 * expected and not counted, as long as every such report kills @oom_victim; a report that kills
 * anything else counts as a problem.
 */
#define kmsg_splats(text, oom_victim) __kmsg_splats(_metadata, text, oom_victim)
static inline int __kmsg_splats(struct __test_metadata *_metadata, const char *text,
				pid_t oom_victim)
{
	const char *line = text, *end;
	bool in_oom = false;
	int bad = 0;

	if (!text)
		return 0;
	for (; *line; line = *end ? end + 1 : end) {
		size_t len;

		end = strchrnul(line, '\n');
		len = end - line;
		if (oom_victim > 0 && memmem(line, len, "invoked oom-killer:", 19)) {
			in_oom = true;
			continue;
		}
		if (oom_victim > 0 && memmem(line, len, "Out of memory: Killed process ", 30)) {
			const char *p = memmem(line, len, "Killed process ", 15) + 15;

			in_oom = false;
			if (strtol(p, NULL, 10) != oom_victim) {
				TH_LOG("kernel log: OOM killer chose another victim: %.*s", (int)len, line);
				bad++;
			}
			continue;
		}
		if (!is_splat_line(line, len))
			continue;
		if (in_oom && memmem(line, len, "Call Trace:", 11))
			continue;
		if (bad < 40)
			TH_LOG("kernel log: %.*s", (int)len, line);
		bad++;
	}
	return bad;
}

/* ---------------------------------------------------------------- shared memory */

static inline void *shared_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* -------------------------------------------------------------- fuzz bookkeeping */

#define FUZZ_MAX_CLASSES	64
#define FUZZ_MSG		512

/*
 * What a fuzz worker (a forked child) reports to the test: calls made, mismatches found (with the
 * first of each class logged in full), notes (differences that are not failures), and what it is
 * doing right now, for the watchdog.
 */
struct fuzz_report {
	volatile uint64_t heartbeat;	/* bumped after every call */
	volatile uint64_t calls;	/* system calls made on the file systems under test */
	volatile uint64_t mismatches;	/* results that differ from the reference */
	volatile uint64_t notes;
	volatile int done;
	volatile uint64_t resume_iter;	/* the iteration in progress, and the random state at */
	volatile uint64_t resume_rng;	/* its start: where a new worker goes on after a hang */
	volatile int hangs;
	char inflight[FUZZ_MSG];	/* the call in progress */
	int nclasses;
	struct {
		char key[64];
		uint64_t count;
		bool note;
		char first[FUZZ_MSG];
	} classes[FUZZ_MAX_CLASSES];
};

/* Records a finding of class @key (mismatches of one class are logged once, then counted). */
static inline void __attribute__((format(printf, 4, 5)))
fuzz_finding(struct fuzz_report *rep, bool note, const char *key, const char *fmt, ...)
{
	va_list ap;
	int i;

	if (note)
		rep->notes++;
	else
		rep->mismatches++;
	for (i = 0; i < rep->nclasses; i++)
		if (rep->classes[i].note == note && !strcmp(rep->classes[i].key, key)) {
			rep->classes[i].count++;
			return;
		}
	if (rep->nclasses == FUZZ_MAX_CLASSES)
		return;
	i = rep->nclasses++;
	snprintf(rep->classes[i].key, sizeof(rep->classes[i].key), "%s", key);
	rep->classes[i].count = 1;
	rep->classes[i].note = note;
	va_start(ap, fmt);
	vsnprintf(rep->classes[i].first, sizeof(rep->classes[i].first), fmt, ap);
	va_end(ap);
}

static inline void __attribute__((format(printf, 2, 3)))
fuzz_inflight(struct fuzz_report *rep, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rep->inflight, sizeof(rep->inflight), fmt, ap);
	va_end(ap);
}

/* Logs the per-class summary of a report. */
#define fuzz_summary(rep) __fuzz_summary(_metadata, rep)
static inline void __fuzz_summary(struct __test_metadata *_metadata, struct fuzz_report *rep)
{
	int i;

	for (i = 0; i < rep->nclasses; i++)
		TH_LOG("%s [%s] x%llu: %s", rep->classes[i].note ? "note" : "MISMATCH",
		       rep->classes[i].key, (unsigned long long)rep->classes[i].count,
		       rep->classes[i].first);
}

/*
 * Runs fn(arg) in a forked child and watches its heartbeat.  Returns 0 when the child finished,
 * or -1 when its heartbeat stopped for @hang_secs: the call in progress is logged as a hang and
 * the child is sent SIGKILL (a call stuck in the kernel may not even die; it is left behind).
 */
#define fuzz_run_guarded(rep, fn, arg, hang_secs) \
	__fuzz_run_guarded(_metadata, rep, fn, arg, hang_secs)
static inline int __fuzz_run_guarded(struct __test_metadata *_metadata, struct fuzz_report *rep,
				     void (*fn)(void *), void *arg, double hang_secs)
{
	uint64_t beat = rep->heartbeat;
	double last = now_sec();
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		/*
		 * Findings go to @rep, never to the test's output: a worker stuck in the kernel must
		 * not hold the runner's pipe open.
		 */
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
			close(null);
		}
		fn(arg);
		rep->done = 1;
		_exit(0);
	}
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid) {
			if (!WIFEXITED(status) || WEXITSTATUS(status)) {
				TH_LOG("fuzz worker ended abnormally (status 0x%x) during: %s", status,
				       rep->inflight);
				return -1;
			}
			return 0;
		}
		usleep(100 * 1000);
		if (rep->heartbeat != beat) {
			beat = rep->heartbeat;
			last = now_sec();
			continue;
		}
		if (now_sec() - last < hang_secs)
			continue;
		TH_LOG("HANG: no progress for %.0f s in: %s", hang_secs, rep->inflight);
		fuzz_finding(rep, false, "HANG", "no return for %.0f s from %s", hang_secs, rep->inflight);
		rep->hangs++;
		kill(pid, SIGKILL);
		for (int i = 0; i < 50; i++) {
			if (waitpid(pid, &status, WNOHANG) == pid) {
				TH_LOG("the worker died of SIGKILL");
				return -1;
			}
			usleep(100 * 1000);
		}
		{
			struct sched_param idle = { 0 };

			/* keep it from taking a CPU away from everything that runs after us */
			sched_setscheduler(pid, SCHED_IDLE, &idle);
		}
		TH_LOG("the worker does not die of SIGKILL either (stuck in the kernel); left behind at SCHED_IDLE");
		return -1;
	}
}

/*
 * Adds @calls to this run's total (a file keyed by the session, which the guest runner gives
 * each test binary) and returns the new total.
 */
static inline unsigned long long stress_add_calls(const char *name, unsigned long long calls)
{
	char path[128];
	unsigned long long total = calls, v;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/.%s.calls.%d", name, (int)getsid(0));
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%llu", &v) == 1)
			total += v;
		fclose(f);
	}
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%llu\n", total);
		fclose(f);
	}
	return total;
}

#endif /* RUST_SHMEM_STRESS_UTIL_H */
