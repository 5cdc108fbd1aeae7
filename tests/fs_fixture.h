/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The fixture set-up that the file-system kselftests share (fs_basic_*, hostile_*, posix_shm,
 * concurrency, pressure, large_folios, lifecycle): the two variants every case runs on, scratch
 * mounts on fresh directories under /tmp, and the tmpfs reference mounted beside the variant.
 * Header only; include after kselftest_harness.h and test_util.h (the helpers assert, so they
 * belong in FIXTURE_SETUP or a test, where _metadata is).
 */
#ifndef RUST_SHMEM_FS_FIXTURE_H
#define RUST_SHMEM_FS_FIXTURE_H

/* Size of the fixtures' directory paths ("/tmp/<tag>.XXXXXX"). */
#define SCRATCH_LEN	64

/*
 * After FIXTURE(@fixture): its variant (the file system type and its statfs magic) and the two
 * variants every case runs on, the kernel's tmpfs and rust_shmem, in that order.
 */
#define FS_VARIANTS(fixture)					\
FIXTURE_VARIANT(fixture) {					\
	const char *fstype;					\
	long magic;						\
};								\
FIXTURE_VARIANT_ADD(fixture, tmpfs) {				\
	.fstype = "tmpfs",					\
	.magic = TMPFS_MAGIC,					\
};								\
FIXTURE_VARIANT_ADD(fixture, rust_shmem) {			\
	.fstype = RUST_SHMEM_FSTYPE,				\
	.magic = RUST_SHMEM_MAGIC,				\
}

/* A fresh directory /tmp/@tag.XXXXXX; its path goes to @dir (SCRATCH_LEN bytes). */
static inline void scratch_dir(struct __test_metadata *_metadata, char *dir, const char *tag)
{
	ASSERT_LT(snprintf(dir, SCRATCH_LEN, "/tmp/%s.XXXXXX", tag), SCRATCH_LEN);
	ASSERT_NE(NULL, mkdtemp(dir));
}

/* Mounts @fstype on @dir with @flags and @opts. */
static inline void mount_at(struct __test_metadata *_metadata, const char *dir,
			    const char *fstype, unsigned long flags, const char *opts)
{
	ASSERT_EQ(0, mount(fstype, dir, fstype, flags, opts)) {
		TH_LOG("mount -t %s -o %s on %s: %s", fstype, opts, dir, strerror(errno));
	}
}

/*
 * @fstype mounted with @opts on a fresh directory /tmp/@tag.XXXXXX (path in @dir). Call it in a
 * private mount namespace (enter_private_mntns()), so that the mount goes with the test's
 * process; unmount_scratch() is the teardown.
 */
static inline void mount_scratch(struct __test_metadata *_metadata, char *dir, const char *tag,
				 const char *fstype, const char *opts)
{
	scratch_dir(_metadata, dir, tag);
	mount_at(_metadata, dir, fstype, 0, opts);
}

/*
 * Side by side, in a new private mount namespace: the variant @fstype on a fresh @dir
 * (/tmp/@tag.XXXXXX) and the kernel's tmpfs, mounted with the same @opts, on a fresh @ref
 * (/tmp/@tag_ref.XXXXXX): the reference that results on @dir are compared with. Both are
 * SCRATCH_LEN bytes; unmount_scratch() each in the teardown.
 */
static inline void mount_side_by_side(struct __test_metadata *_metadata, char *dir, char *ref,
				      const char *tag, const char *fstype, const char *opts)
{
	char ref_tag[SCRATCH_LEN];

	ASSERT_EQ(0, enter_private_mntns());
	mount_scratch(_metadata, dir, tag, fstype, opts);
	snprintf(ref_tag, sizeof(ref_tag), "%s_ref", tag);
	mount_scratch(_metadata, ref, ref_tag, "tmpfs", opts);
}

/* The teardown of a scratch directory: whatever is mounted on it, then the directory. */
static inline void unmount_scratch(const char *dir)
{
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}

#endif /* RUST_SHMEM_FS_FIXTURE_H */
