/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * ioctl ABI of rust_shmem_consumer.ko (tests/consumer/), a test module that uses rust_shmem's
 * exported API (include/linux/rust_shmem.h) the way in-tree users use mm/shmem.c's: DRM GEM
 * objects (drm_gem_object_init + the object's mmap), XFS scrub's xfile (kernel_read/kernel_write
 * through the page cache), ipc/shm.c (kernel_file_setup) and drivers/char/mem.c (zero setup).
 * Shared by the module and the kselftests tests/setup_api_*.c.
 *
 * /dev/rust_shmem_consumer: every open file is a context holding up to RSC_MAX_OBJECTS objects
 * (unlinked rust_shmem files), all released when the file is closed. mmap() of the device:
 *   offset 0                                  rust_shmem_zero_setup(vma) (MAP_SHARED only)
 *   rsc_create.mmap_offset + byte offset      the object, from that offset (DRM's fake offset:
 *                                             vma_set_file() + vfs_mmap() of the object's file)
 * /dev/rust_shmem_consumer_desc: an mmap_prepare() device like /dev/zero: MAP_SHARED goes through
 *   rust_shmem_zero_setup_desc(desc), MAP_PRIVATE is anonymous memory. No ioctls.
 *
 * Errors: unknown command -ENOTTY, bad user pointer -EFAULT, bad handle -ENOENT, bad size,
 * offset, length, flag or reserved field -EINVAL, no free handle -EMFILE; otherwise the error of
 * the rust_shmem function or VFS call.
 */
#ifndef RUST_SHMEM_CONSUMER_H
#define RUST_SHMEM_CONSUMER_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define RSC_MODULE_NAME		"rust_shmem_consumer"
#define RSC_DEV_NAME		"rust_shmem_consumer"
#define RSC_DESC_DEV_NAME	"rust_shmem_consumer_desc"

#define RSC_MAX_OBJECTS		64		/* per open file; handles are 1..RSC_MAX_OBJECTS */
#define RSC_NAME_MAX		64		/* including the NUL */
#define RSC_IO_MAX		(1u << 20)	/* largest RSC_IOC_READ/WRITE */

/*
 * mmap offset of object @h: h << RSC_HANDLE_SHIFT. The low RSC_HANDLE_SHIFT bits are the byte
 * offset into the object, so a mapping may start anywhere in the first 1 TiB of an object and
 * must end within it.
 */
#define RSC_HANDLE_SHIFT	40
#define RSC_MMAP_OFFSET(h)	((__u64)(h) << RSC_HANDLE_SHIFT)

/* rsc_create.setup: which exported function makes the object */
#define RSC_SETUP_FILE		1	/* rust_shmem_file_setup */
#define RSC_SETUP_KERNEL_FILE	2	/* rust_shmem_kernel_file_setup */
#define RSC_SETUP_WITH_MNT	3	/* rust_shmem_file_setup_with_mnt */

/* rsc_create.flags */
#define RSC_F_NORESERVE		(1u << 0)	/* VMA_NORESERVE_BIT: no commit charge */

/*
 * rsc_create.mnt_fd for RSC_SETUP_WITH_MNT: an fd whose f_path.mnt is used (a directory of a
 * mount, an O_PATH fd, or a detached mount from open_tree()), or RSC_MNT_PRIVATE for the
 * module's own kernel-internal rust_shmem mount (fs_context_for_mount(get_fs_type("rust_shmem"),
 * SB_KERNMOUNT) + fc_mount_longterm(), like drm_gem_huge_mnt_create()), made on first use and
 * unmounted when the module unloads. Must be -1 for the other setups.
 */
#define RSC_MNT_PRIVATE		(-1)

struct rsc_create {
	__u32 setup;		/* in: RSC_SETUP_* */
	__u32 flags;		/* in: RSC_F_* */
	__s64 size;		/* in: passed unchecked to the setup function */
	__s32 mnt_fd;		/* in: see RSC_MNT_PRIVATE */
	__u32 handle;		/* out */
	__u64 mmap_offset;	/* out: RSC_MMAP_OFFSET(handle) */
	char name[RSC_NAME_MAX];	/* in: NUL-terminated, non-empty */
};

/* RSC_IOC_READ / RSC_IOC_WRITE: kernel_read()/kernel_write() at @offset; returns the count */
struct rsc_io {
	__u32 handle;
	__u32 reserved;		/* must be 0 */
	__s64 offset;		/* >= 0 */
	__u64 buf;		/* user pointer */
	__u64 len;		/* 1..RSC_IO_MAX */
};

/* RSC_IOC_RESIZE: vfs_truncate() of the object's path */
struct rsc_resize {
	__u32 handle;
	__u32 reserved;		/* must be 0 */
	__s64 size;
};

#define RSC_INFO_PRIVATE	(1u << 0)	/* inode->i_flags & S_PRIVATE */
#define RSC_INFO_OWN_MOUNT	(1u << 1)	/* on the module's private mount */
#define RSC_INFO_FMODE_RW	(1u << 2)	/* file opened for reading and writing */

struct rsc_info {
	__u32 handle;		/* in */
	__u32 flags;		/* out: RSC_INFO_* */
	__s64 size;		/* i_size */
	__u64 magic;		/* sb->s_magic */
	__u64 ino;
	__u32 nlink;
	__u32 mode;		/* i_mode */
	__u64 nrpages;		/* pages in the page cache */
	char fstype[32];	/* sb->s_type->name */
	char name[RSC_NAME_MAX];	/* the dentry's name */
};

#define RSC_IOC_MAGIC		0xb7
#define RSC_IOC_CREATE		_IOWR(RSC_IOC_MAGIC, 1, struct rsc_create)
#define RSC_IOC_RELEASE		_IOW(RSC_IOC_MAGIC, 2, __u32)
#define RSC_IOC_WRITE		_IOW(RSC_IOC_MAGIC, 3, struct rsc_io)
#define RSC_IOC_READ		_IOW(RSC_IOC_MAGIC, 4, struct rsc_io)
#define RSC_IOC_RESIZE		_IOW(RSC_IOC_MAGIC, 5, struct rsc_resize)
#define RSC_IOC_INFO		_IOWR(RSC_IOC_MAGIC, 6, struct rsc_info)

#endif /* RUST_SHMEM_CONSUMER_H */
