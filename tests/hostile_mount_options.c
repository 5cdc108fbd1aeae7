// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile mount options against rust_shmem, with tmpfs as the reference (fixture, watchdog and
 * comparisons: hostile_util.h): random option strings (valid keys with malformed, overflowing,
 * negative, empty or huge values, repeated keys, stray commas, random bytes, very long strings)
 * through mount(2), fsopen/fsconfig/fsmount and remount; success or errno must match, and so
 * must statfs, the root's mode/owner and the /proc/mounts options of what got mounted.
 */
#include "hostile_util.h"

/* ====================================================== mount options */

/*
 * Values: tmpfs's (mm/shmem.c, lib/cmdline.c memparse) arithmetic, to find the inputs where tmpfs
 * wraps or saturates and rust_shmem documents that it refuses instead.
 */
enum diff { DIFF_NONE, DIFF_WRAP_OK, DIFF_REFUSE };

/* memparse() with simple_strtoull's base 0; *ovf when a step saturated at ULLONG_MAX. */
static uint64_t k_memparse(const char *s, const char **rest, bool *ovf)
{
	const char *p = s;
	unsigned int base = 10, shl = 0;
	uint64_t v = 0;

	*ovf = false;
	if (p[0] == '0') {
		if (tolower((unsigned char)p[1]) == 'x' && isxdigit((unsigned char)p[2])) {
			base = 16;
			p += 2;
		} else {
			base = 8;
		}
	}
	for (;; p++) {
		int ch = (unsigned char)*p, lc = tolower(ch);
		unsigned int d;
		unsigned __int128 n;

		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (lc >= 'a' && lc <= 'f')
			d = lc - 'a' + 10;
		else
			break;
		if (d >= base)
			break;
		n = (unsigned __int128)v * base + d;
		if (n > UINT64_MAX) {
			v = UINT64_MAX;
			*ovf = true;
		} else {
			v = (uint64_t)n;
		}
	}
	switch (*p) {
	case 'E': case 'e': shl += 10; /* fallthrough */
	case 'P': case 'p': shl += 10; /* fallthrough */
	case 'T': case 't': shl += 10; /* fallthrough */
	case 'G': case 'g': shl += 10; /* fallthrough */
	case 'M': case 'm': shl += 10; /* fallthrough */
	case 'K': case 'k': shl += 10; /* fallthrough */
	default: break;
	}
	if (shl && p != s) {
		if (v > (UINT64_MAX >> shl)) {
			v = UINT64_MAX;
			*ovf = true;
		} else {
			v <<= shl;
		}
		p++;
	}
	*rest = p;
	return v;
}

/* Is key=value one of the documented differences? */
static enum diff classify(struct ctx *c, const char *key, const char *val)
{
	const char *rest;
	bool ovf, pct;
	uint64_t v, size;

	if (!val || c->ref_variant)
		return DIFF_NONE;
	if (strcmp(key, "size"))
		return DIFF_NONE;	/* nr_blocks=, nr_inodes=: tmpfs's limit checks catch overflow */
	v = k_memparse(val, &rest, &ovf);
	pct = *rest == '%';
	if (pct)
		rest++;
	if (*rest)
		return DIFF_NONE;	/* both refuse */
	if (pct) {
		unsigned __int128 x = (unsigned __int128)v << 12;

		if (ovf || x > UINT64_MAX)
			return DIFF_REFUSE;
		x *= c->totalram_pages;
		if (x > UINT64_MAX)
			return DIFF_REFUSE;
		size = (uint64_t)(x / 100);
	} else {
		if (ovf)
			return DIFF_REFUSE;
		size = v;
	}
	/* DIV_ROUND_UP(size, PAGE_SIZE) wraps to 0 (unlimited) in tmpfs. */
	return size > UINT64_MAX - 4095 ? DIFF_WRAP_OK : DIFF_NONE;
}

/* Classifies a comma-separated option string, split as the VFS does and as tmpfs does. */
static enum diff classify_string(struct ctx *c, const char *opts)
{
	enum diff worst = DIFF_NONE;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		char *copy = strdup(opts), *s = copy;

		while (s) {
			char *tok = s, *comma, *eq;
			enum diff d;

			/* pass 1: tmpfs's shmem_next_opt keeps ",<digit>" inside the value */
			for (comma = strchr(s, ','); pass && comma && isdigit((unsigned char)comma[1]);)
				comma = strchr(comma + 1, ',');
			if (comma) {
				*comma = '\0';
				s = comma + 1;
			} else {
				s = NULL;
			}
			eq = strchr(tok, '=');
			if (eq)
				*eq = '\0';
			d = classify(c, tok, eq ? eq + 1 : NULL);
			if (d > worst)
				worst = d;
		}
		free(copy);
	}
	return worst;
}

static const char * const size_suffixes[] = { "", "k", "K", "m", "M", "g", "G", "t", "T", "p", "P",
					      "e", "E", "%", "kk", "q", "kb", "b", " ", "%%", "k%" };

static void gen_number(struct rng *r, char *out, size_t size, bool pct_ok)
{
	static const char * const specials[] = {
		"18446744073709551615", "18446744073709551616", "18446744073709547520",
		"18446744073709547521", "9223372036854775807", "9223372036854775808",
		"4294967295", "4294967296", "18014398509481983", "18014398509481984",
		"0xffffffffffffffff", "0x10000000000000000", "01777777777777777777777",
		"02000000000000000000000", "16e", "15e", "16383p", "16384p", "17179869184g",
		"0", "00", "0x", "0x0", "0xk", "k", "%", "-1", "-0", "+1", " 1", "1 ", "",
		"1k%", "99999999999%", "10000000000%", "4503599627370496%", "1e%", "100%", "0%",
		"0x1e", "0x1g", "08", "09k", "1.5m", "1,5", "1_000", "٣", "\xff\xfe",
	};
	size_t len = 0;
	unsigned int i, n;

	switch (rng_below(r, 10)) {
	case 0:
	case 1:
		snprintf(out, size, "%s", specials[rng_below(r, sizeof(specials) / sizeof(specials[0]))]);
		break;
	case 2:	/* plain decimal */
		snprintf(out, size, "%llu", (unsigned long long)rng_below(r, 1 << 24));
		break;
	case 3:	/* huge decimal */
		n = 15 + rng_below(r, 30);
		for (i = 0; i < n && len + 1 < size; i++)
			out[len++] = '0' + (i ? rng_below(r, 10) : 1 + rng_below(r, 9));
		out[len] = '\0';
		break;
	case 4:	/* hex */
		n = 1 + rng_below(r, 20);
		len = snprintf(out, size, "0%c", rng_pct(r, 50) ? 'x' : 'X');
		for (i = 0; i < n && len + 1 < size; i++)
			out[len++] = "0123456789abcdefABCDEF"[rng_below(r, 22)];
		out[len] = '\0';
		break;
	case 5:	/* octal */
		snprintf(out, size, "0%llo", (unsigned long long)rng_below(r, 1ULL << (3 * rng_below(r, 22))));
		break;
	case 6:	/* many leading zeros */
		n = rng_below(r, 3500);
		for (i = 0; i < n && len + 16 < size; i++)
			out[len++] = '0';
		snprintf(out + len, size - len, "%u", (unsigned int)rng_below(r, 1000));
		break;
	default:	/* number with suffix */
		snprintf(out, size, "%llu", (unsigned long long)rng_below(r, 1ULL << rng_below(r, 40)));
		break;
	}
	if (rng_pct(r, 40)) {
		const char *suf = size_suffixes[rng_below(r, sizeof(size_suffixes) / sizeof(size_suffixes[0]))];

		if (pct_ok || !strchr(suf, '%'))
			strncat(out, suf, size - strlen(out) - 1);
	}
}

static void gen_junk(struct rng *r, char *out, size_t size, size_t maxlen, bool commas)
{
	size_t n = 1 + rng_below(r, maxlen), i;

	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++) {
		unsigned char ch;

		do {
			ch = rng_pct(r, 70) ? 0x21 + rng_below(r, 0x5e) : 1 + rng_below(r, 255);
		} while (!commas && ch == ',');
		out[i] = ch;
	}
	out[n] = '\0';
}

/* One "key[=value]" token. */
static void gen_token(struct rng *r, char *out, size_t size, bool mostly_valid)
{
	static const char * const flags[] = {
		"inode32", "inode64", "noswap", "ro", "rw", "sync", "dirsync", "lazytime",
		"nolazytime", "nomand", "silent", "posixacl", "quota", "usrquota",
		"grpquota", "casefold", "strict_encoding", "noatime", "relatime", "nosuid",
		"nodev", "noexec", "remount", "bind", "defaults", "x-mount.mkdir",
	};
	static const char * const huge[] = {
		"never", "always", "within_size", "advise", "deny", "force", "NEVER", "",
		"never ", "nevers", "1",
	};
	static const char * const odd_keys[] = {
		"", "SIZE", "Size", "size ", " size", "size\t", "mode ", "uid=", "=", "nr-inodes",
		"nr_inodes\n", "mpol", "usrquota_block_hardlimit", "grpquota_inode_hardlimit",
	};
	char val[4096], key[300];
	unsigned int k = rng_below(r, 100);

	val[0] = '\0';
	if (k < 40) {
		static const char * const nk[] = { "size", "nr_blocks", "nr_inodes" };

		snprintf(key, sizeof(key), "%s", nk[rng_below(r, 3)]);
		if (mostly_valid)
			snprintf(val, sizeof(val), "%llu%s", (unsigned long long)rng_below(r, 4096),
				 (const char *[]){ "k", "m", "", "%" }[rng_below(r, strcmp(key, "size") ? 3 : 4)]);
		else
			gen_number(r, val, sizeof(val), !strcmp(key, "size"));
	} else if (k < 52) {
		snprintf(key, sizeof(key), "mode");
		if (mostly_valid || rng_pct(r, 50))
			snprintf(val, sizeof(val), "0%llo", (unsigned long long)rng_below(r, 1ULL << (3 * (1 + rng_below(r, 12)))));
		else
			gen_number(r, val, sizeof(val), false);
	} else if (k < 62) {
		static const char * const ids[] = {
			"0", "1000", "65534", "4294967295", "4294967294", "-1", "2147483648",
			"x", "", " 0", "0x10", "010", "99999999999", "1000k",
		};

		snprintf(key, sizeof(key), "%s", rng_pct(r, 50) ? "uid" : "gid");
		snprintf(val, sizeof(val), "%s", mostly_valid ? (rng_pct(r, 50) ? "0" : "1000") :
			 ids[rng_below(r, sizeof(ids) / sizeof(ids[0]))]);
	} else if (k < 70) {
		snprintf(key, sizeof(key), "huge");
		snprintf(val, sizeof(val), "%s", huge[rng_below(r, mostly_valid ? 4 : sizeof(huge) / sizeof(huge[0]))]);
	} else if (k < 84) {
		snprintf(out, size, "%s%s", flags[rng_below(r, mostly_valid ? 3 : sizeof(flags) / sizeof(flags[0]))],
			 rng_pct(r, mostly_valid ? 0 : 20) ? (rng_pct(r, 50) ? "=" : "=1") : "");
		return;
	} else if (k < 90) {
		snprintf(key, sizeof(key), "source");
		if (mostly_valid)
			snprintf(val, sizeof(val), "src%u", (unsigned int)rng_below(r, 100));
		else
			gen_junk(r, val, sizeof(val), 40, true);
	} else if (k < 95) {
		snprintf(key, sizeof(key), "%s", odd_keys[rng_below(r, sizeof(odd_keys) / sizeof(odd_keys[0]))]);
		gen_number(r, val, sizeof(val), true);
	} else {
		gen_junk(r, key, sizeof(key), rng_pct(r, 90) ? 20 : 290, false);
		if (rng_pct(r, 50)) {
			snprintf(out, size, "%s", key);
			return;
		}
		gen_junk(r, val, sizeof(val), 30, false);
	}
	snprintf(out, size, "%s=%s", key, val);
}

/* A whole option string (at most size - 1 bytes). */
static void gen_options(struct rng *r, char *out, size_t size)
{
	unsigned int kind = rng_below(r, 100), n, i;
	bool valid = kind >= 55;
	size_t len = 0;

	out[0] = '\0';
	if (kind < 6) {			/* random bytes */
		gen_junk(r, out, size, 300, true);
		return;
	}
	if (kind < 10) {		/* very long */
		char tok[4200];
		size_t want = 1000 + rng_below(r, 7000);

		if (want >= size)
			want = size - 1;
		gen_token(r, tok, sizeof(tok), rng_pct(r, 50));
		while (len + strlen(tok) + 1 < want) {
			len += snprintf(out + len, size - len, "%s%s", len ? "," : "", tok);
			if (rng_pct(r, 20))
				gen_token(r, tok, sizeof(tok), rng_pct(r, 50));
		}
		return;
	}
	n = 1 + rng_below(r, valid ? 4 : 6);
	if (rng_pct(r, 5))
		len += snprintf(out + len, size - len, ",");
	for (i = 0; i < n && len + 1 < size; i++) {
		char tok[4200];

		if (!valid && rng_pct(r, 8))
			snprintf(tok, sizeof(tok), "%s", (const char *[]){ "1", "0x10", "2m", "0", "1%" }[rng_below(r, 5)]);
		else if (valid && rng_pct(r, 6))	/* a digit token after a value */
			snprintf(tok, sizeof(tok), "%u", (unsigned int)rng_below(r, 10));
		else
			gen_token(r, tok, sizeof(tok), valid && rng_pct(r, 85));
		len += snprintf(out + len, size - len, "%s%s%s", i ? "," : "",
				rng_pct(r, 3) ? "," : "", tok);
	}
	if (len < size && rng_pct(r, 5))
		snprintf(out + len, size - len, ",");
}

/* A printable, bounded rendering of an option string for the log. */
static const char *shown(const char *s, char *buf, size_t size)
{
	size_t i, o = 0, n = strlen(s);

	for (i = 0; i < n && o + 8 < size; i++) {
		unsigned char ch = s[i];

		if (i == 160 && n > 200) {
			o += snprintf(buf + o, size - o, "...(%zu bytes)...", n);
			i = n - 30;
		}
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			buf[o++] = ch;
		else
			o += snprintf(buf + o, size - o, "\\x%02x", ch);
	}
	buf[o] = '\0';
	return buf;
}

/* What a mount looks like from user space: statfs, the root inode, /proc/mounts options. */
struct mount_view {
	struct statfs sfs;
	struct stat st;
	char opts[1024];
};

static int view_mount(const char *mp, int mfd, struct mount_view *v)
{
	memset(v, 0, sizeof(*v));
	if (mfd >= 0)
		return fstatfs(mfd, &v->sfs) || fstat(mfd, &v->st) ? -1 : 0;
	if (statfs(mp, &v->sfs) || stat(mp, &v->st))
		return -1;
	return mount_options_of(mp, v->opts, sizeof(v->opts));
}

static void compare_views(struct ctx *c, const char *cls, const char *what,
			  struct mount_view v[NSIDES])
{
#define VIEW_FIELD(fmt, f) do {								\
		if (v[0].f != v[1].f)							\
			fuzz_finding(c->rep, false, cls, "%s: " #f " tmpfs " fmt ", %s " fmt,	\
				     what, v[0].f, c->fstype[1], v[1].f);			\
	} while (0)
	VIEW_FIELD("%ld", sfs.f_bsize);
	VIEW_FIELD("%lu", sfs.f_blocks);
	VIEW_FIELD("%lu", sfs.f_bfree);
	VIEW_FIELD("%lu", sfs.f_files);
	VIEW_FIELD("%lu", sfs.f_ffree);
	VIEW_FIELD("%ld", sfs.f_namelen);
	VIEW_FIELD("0x%lx", sfs.f_flags);
	VIEW_FIELD("0%o", st.st_mode);
	VIEW_FIELD("%u", st.st_uid);
	VIEW_FIELD("%u", st.st_gid);
	VIEW_FIELD("%lu", st.st_nlink);
#undef VIEW_FIELD
	if (strcmp(v[0].opts, v[1].opts))
		fuzz_finding(c->rep, false, cls, "%s: /proc/mounts options tmpfs \"%s\", %s \"%s\"",
			     what, v[0].opts, c->fstype[1], v[1].opts);
}

/* Drains an fs_context's log into @buf as "msg|msg|..." with the fs name replaced by "FS". */
static void fc_messages(int fsfd, const char *fstype, char *buf, size_t size)
{
	char msg[1024];
	size_t len = 0;
	ssize_t n;

	buf[0] = '\0';
	while ((n = read(fsfd, msg, sizeof(msg) - 1)) > 0) {
		char *p, *at;

		msg[n] = '\0';
		for (p = msg; (at = strstr(p, fstype)); p = at + 2) {
			memmove(at + 2, at + strlen(fstype), strlen(at + strlen(fstype)) + 1);
			memcpy(at, "FS", 2);
		}
		len += snprintf(buf + len, len < size ? size - len : 0, "%s%s", len ? "|" : "", msg);
	}
}

/* The result a documented difference allows rust_shmem: a clean EINVAL (or success if tmpfs wraps). */
static void check_documented(struct ctx *c, enum diff d, struct res got, const char *what)
{
	char b[96];

	if (got.ret == -1 && got.err == EINVAL)
		return;
	if (d == DIFF_WRAP_OK && got.ret == 0)
		return;
	fuzz_finding(c->rep, false, "documented difference", "%s: %s gave %s, expected EINVAL",
		     what, c->fstype[1], res_str(got, b, sizeof(b)));
}

static const unsigned long mount_flag_choices[] = {
	MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_SYNCHRONOUS, MS_DIRSYNC, MS_NOATIME,
	MS_NODIRATIME, MS_SILENT, MS_POSIXACL, MS_LAZYTIME, MS_STRICTATIME, MS_I_VERSION, MS_RELATIME,
};

/* mount(2) of a new instance on both sides with one option string. */
static void fuzz_mount2(struct ctx *c, const char *mp[NSIDES], const char *opts)
{
	unsigned long flags = 0;
	enum diff d = classify_string(c, opts);
	struct res r[NSIDES];
	char what[700], sh[600];
	int s;

	if (rng_pct(&c->rng, 15))
		flags |= mount_flag_choices[rng_below(&c->rng, sizeof(mount_flag_choices) / sizeof(mount_flag_choices[0]))];
	snprintf(what, sizeof(what), "mount(2) flags 0x%lx -o \"%s\"", flags, shown(opts, sh, sizeof(sh)));
	for (s = 0; s < NSIDES; s++) {
		fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
		r[s] = CALL(mount(c->fstype[s], mp[s], c->fstype[s], flags, opts));
		beat(c, 1);
	}
	if (d != DIFF_NONE)
		check_documented(c, d, r[1], what);
	else if (check_res(c, "mount(2) result", r, what) && r[0].ret == 0) {
		struct mount_view v[NSIDES];

		for (s = 0; s < NSIDES; s++)
			view_mount(mp[s], -1, &v[s]);
		compare_views(c, "mount(2) outcome", what, v);
	}
	for (s = 0; s < NSIDES; s++)
		if (r[s].ret == 0 && umount2(mp[s], 0))
			umount2(mp[s], MNT_DETACH);
}

/* The same option string through fsopen/fsconfig/fsmount, one fsconfig call per token. */
static void fuzz_fsconfig(struct ctx *c, const char *opts)
{
	char *copy = strdup(opts), *s = copy, what[900], sh[600];
	int fsfd[NSIDES], i;
	enum diff whole = DIFF_NONE;
	bool tmpfs_keeps_refused = false;
	struct res r[NSIDES];

	for (i = 0; i < NSIDES; i++) {
		fsfd[i] = fsopen(c->fstype[i], FSOPEN_CLOEXEC);
		beat(c, 1);
	}
	if (fsfd[0] < 0 || fsfd[1] < 0) {
		fuzz_finding(c->rep, false, "fsopen", "fsopen: tmpfs %d, %s %d (%s)", fsfd[0],
			     c->fstype[1], fsfd[1], strerror(errno));
		goto out;
	}
	while (s) {
		char *tok = s, *comma = strchr(s, ','), *eq;
		char msg[NSIDES][1024];
		unsigned int cmd;
		enum diff d;
		int aux;

		if (comma) {
			*comma = '\0';
			s = comma + 1;
		} else {
			s = NULL;
		}
		eq = strchr(tok, '=');
		if (eq)
			*eq = '\0';
		cmd = eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG;
		/* now and then the wrong command, or a NULL value */
		if (rng_pct(&c->rng, 4))
			cmd = (unsigned int[]){ FSCONFIG_SET_BINARY, FSCONFIG_SET_PATH,
						FSCONFIG_SET_PATH_EMPTY, FSCONFIG_SET_FD,
						FSCONFIG_SET_FLAG, FSCONFIG_SET_STRING, 99 }[rng_below(&c->rng, 7)];
		d = classify(c, tok, eq ? eq + 1 : NULL);
		if (cmd != FSCONFIG_SET_STRING)
			d = DIFF_NONE;
		if (d > whole)
			whole = d;
		snprintf(what, sizeof(what), "fsconfig(cmd %u, \"%s\", %s%s%s)", cmd,
			 shown(tok, sh, 300), eq ? "\"" : "NULL", eq ? shown(eq + 1, sh + 300, 300) : "",
			 eq ? "\"" : "");
		if (cmd == FSCONFIG_SET_BINARY && eq)
			aux = strlen(eq + 1);
		else if (cmd == FSCONFIG_SET_FD)
			aux = rng_pct(&c->rng, 50) ? 0 : 9999;
		else if (cmd == FSCONFIG_SET_PATH || cmd == FSCONFIG_SET_PATH_EMPTY)
			aux = AT_FDCWD;
		else
			aux = 0;
		for (i = 0; i < NSIDES; i++) {
			const void *val = eq ? eq + 1 : NULL;
			fuzz_inflight(c->rep, "%s on %s", what, c->fstype[i]);
			r[i] = CALL(syscall(__NR_fsconfig, fsfd[i], cmd, tok, val, aux));
			beat(c, 1);
			fc_messages(fsfd[i], c->fstype[i], msg[i], sizeof(msg[i]));
		}
		/*
		 * tmpfs stores nr_blocks=/nr_inodes= before checking them against its limits, so a
		 * value it refused still counts for CMD_CREATE: not comparable afterwards.
		 */
		if (!c->ref_variant && cmd == FSCONFIG_SET_STRING && eq && r[0].ret == -1 &&
		    (!strcmp(tok, "nr_blocks") || !strcmp(tok, "nr_inodes"))) {
			const char *rest;
			bool ovf;

			k_memparse(eq + 1, &rest, &ovf);
			if (eq[1]) {
				tmpfs_keeps_refused = true;
				fuzz_finding(c->rep, true, "tmpfs keeps a refused value",
					     "%s: tmpfs refuses it but keeps the value for CMD_CREATE (mm/shmem.c assigns before checking); %s does not",
					     what, c->fstype[1]);
			}
		}
		if (d != DIFF_NONE)
			check_documented(c, d, r[1], what);
		else if (check_res(c, "fsconfig result", r, what) && strcmp(msg[0], msg[1]))
			fuzz_finding(c->rep, true, "fsconfig message", "%s: tmpfs logs \"%s\", %s \"%s\"",
				     what, msg[0], c->fstype[1], msg[1]);
	}
	snprintf(what, sizeof(what), "fsconfig(CMD_CREATE) after \"%s\"", shown(opts, sh, sizeof(sh)));
	for (i = 0; i < NSIDES; i++) {
		fuzz_inflight(c->rep, "%s on %s", what, c->fstype[i]);
		r[i] = CALL(fsconfig(fsfd[i], FSCONFIG_CMD_CREATE, NULL, NULL, 0));
		beat(c, 1);
	}
	if (whole != DIFF_NONE || tmpfs_keeps_refused) {
		if (r[1].ret != 0)
			check_documented(c, DIFF_REFUSE, r[1], what);
	} else if (check_res(c, "fsconfig create", r, what) && r[0].ret == 0) {
		struct mount_view v[NSIDES];
		int mfd[NSIDES];

		for (i = 0; i < NSIDES; i++) {
			mfd[i] = fsmount(fsfd[i], FSMOUNT_CLOEXEC, 0);
			beat(c, 1);
			view_mount(NULL, mfd[i], &v[i]);
		}
		if (mfd[0] < 0 || mfd[1] < 0)
			fuzz_finding(c->rep, false, "fsmount", "fsmount after \"%s\": tmpfs %d, %s %d",
				     shown(opts, sh, sizeof(sh)), mfd[0], c->fstype[1], mfd[1]);
		else if (!tmpfs_keeps_refused)
			compare_views(c, "fsmount outcome", what, v);
		for (i = 0; i < NSIDES; i++)
			if (mfd[i] >= 0)
				close(mfd[i]);
	}
out:
	for (i = 0; i < NSIDES; i++)
		if (fsfd[i] >= 0)
			close(fsfd[i]);
	free(copy);
}

/* A small file system with something in it, for remounts. */
static int populate_remount_target(const char *fstype, const char *mp)
{
	char path[256], buf[4096];
	int i, fd;

	if (mount(fstype, mp, fstype, 0, "size=4m,nr_inodes=64,mode=0755"))
		return -errno;
	memset(buf, 0x5a, sizeof(buf));
	for (i = 0; i < 12; i++) {
		snprintf(path, sizeof(path), "%s/f%d", mp, i);
		fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		if (i < 3)
			for (int j = 0; j < 64; j++)
				if (write(fd, buf, sizeof(buf)) != sizeof(buf))
					break;
		close(fd);
	}
	return 0;
}

static void fuzz_remount(struct ctx *c, const char *mp[NSIDES], const char *opts, bool *reset)
{
	enum diff d = classify_string(c, opts);
	unsigned long flags = MS_REMOUNT;
	struct res r[NSIDES];
	char what[700], sh[600];
	int s;

	if (rng_pct(&c->rng, 10))
		flags |= MS_RDONLY;
	snprintf(what, sizeof(what), "mount(2) remount flags 0x%lx -o \"%s\"", flags,
		 shown(opts, sh, sizeof(sh)));
	for (s = 0; s < NSIDES; s++) {
		fuzz_inflight(c->rep, "%s on %s", what, c->fstype[s]);
		r[s] = CALL(mount(NULL, mp[s], NULL, flags, opts));
		beat(c, 1);
	}
	if (d != DIFF_NONE) {
		check_documented(c, d, r[1], what);
		/* The two may now differ (e.g. tmpfs took a wrapped size=): start over. */
		*reset = r[0].ret == 0 || r[1].ret == 0;
	} else if (check_res(c, "remount result", r, what)) {
		struct mount_view v[NSIDES];

		for (s = 0; s < NSIDES; s++)
			view_mount(mp[s], -1, &v[s]);
		compare_views(c, "remount outcome", what, v);
	} else {
		*reset = true;
	}
	if (flags & MS_RDONLY)
		for (s = 0; s < NSIDES; s++)
			mount(NULL, mp[s], NULL, MS_REMOUNT, NULL);
}

static void mount_options_worker(void *arg)
{
	struct ctx *c = arg;
	char mp_new[NSIDES][256], mp_re[NSIDES][256];
	const char *mpn[NSIDES], *mpr[NSIDES];
	static char opts[9000];
	bool reset = true;
	uint64_t i;
	int s;

	for (s = 0; s < NSIDES; s++) {
		/* both mount points live on the reference tmpfs */
		snprintf(mp_new[s], sizeof(mp_new[s]), "%s/new%d", c->root[0], s);
		snprintf(mp_re[s], sizeof(mp_re[s]), "%s/re%d", c->root[0], s);
		mkdir(mp_new[s], 0755);
		mkdir(mp_re[s], 0755);
		mpn[s] = mp_new[s];
		mpr[s] = mp_re[s];
	}
	for (i = c->first_iter; !out_of_time(c, i); i++) {
		unsigned int how;

		c->rep->resume_iter = i;
		c->rep->resume_rng = c->rng.s;
		how = rng_below(&c->rng, 100);

		gen_options(&c->rng, opts, sizeof(opts));
		if (how < 25) {
			fuzz_mount2(c, mpn, opts);
		} else if (how < 75) {
			fuzz_fsconfig(c, opts);
		} else {
			if (reset) {
				for (s = 0; s < NSIDES; s++) {
					umount2(mpr[s], MNT_DETACH);
					if (populate_remount_target(c->fstype[s], mpr[s]))
						fuzz_finding(c->rep, false, "setup", "cannot set up %s for remounts",
							     c->fstype[s]);
					beat(c, 14);
				}
				reset = false;
			}
			fuzz_remount(c, mpr, opts, &reset);
		}
	}
	for (s = 0; s < NSIDES; s++)
		umount2(mpr[s], MNT_DETACH);
}

TEST_F_TIMEOUT(hostile, mount_options, 900)
{
	struct ctx c = make_ctx(self, variant, "mount_options", 6000, 4);
	int guarded = run_resumable(_metadata, self, &c, mount_options_worker);

	finish_case(_metadata, self, "mount_options", &c, guarded);
}

TEST_HARNESS_MAIN
