/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rust_shmem's kernel API: unlinked files on rust_shmem, and shared anonymous mappings backed by
 * them. The same signatures and semantics as <linux/shmem_fs.h>'s shmem_* functions of Linux 7.3,
 * under names of their own (the module loader refuses duplicate exported symbols).
 *
 * Every file returned holds a reference on rust_shmem.ko until its last reference is dropped.
 */
#ifndef _LINUX_RUST_SHMEM_H
#define _LINUX_RUST_SHMEM_H

#include <linux/fs.h>
#include <linux/mm_types.h>

/*
 * An unlinked file of @size bytes on rust_shmem's internal mount, named @name (as seen in
 * /proc/<pid>/maps). Unless @flags has VMA_NORESERVE_BIT, the whole size is charged to the
 * commit limit until the file goes. ERR_PTR(-EINVAL) for a negative or too large size.
 */
struct file *rust_shmem_file_setup(const char *name, loff_t size, vma_flags_t flags);

/* As rust_shmem_file_setup(), with an S_PRIVATE inode: no LSM checks on it. */
struct file *rust_shmem_kernel_file_setup(const char *name, loff_t size, vma_flags_t flags);

/* As rust_shmem_file_setup(), on @mnt, which must be a rust_shmem mount without an idmapping. */
struct file *rust_shmem_file_setup_with_mnt(struct vfsmount *mnt, const char *name, loff_t size,
					    vma_flags_t flags);

/* Makes @vma a shared anonymous mapping backed by a new rust_shmem file ("dev/zero"). */
int rust_shmem_zero_setup(struct vm_area_struct *vma);

/* As rust_shmem_zero_setup(), from an mmap_prepare() hook. */
int rust_shmem_zero_setup_desc(struct vm_area_desc *desc);

/*
 * shmem_mapping() for rust_shmem: whether @mapping (NULL allowed) is the page cache of a
 * rust_shmem inode. The caller keeps the mapping's inode alive (holds its file, say).
 */
bool rust_shmem_mapping(const struct address_space *mapping);

#endif /* _LINUX_RUST_SHMEM_H */
