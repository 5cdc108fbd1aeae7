/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * User-visible constants of the rust_shmem filesystem, a Rust re-creation of
 * tmpfs (mm/shmem.c) that mounts as filesystem type "rust_shmem".
 */
#ifndef _UAPI_LINUX_RUST_SHMEM_H
#define _UAPI_LINUX_RUST_SHMEM_H

/*
 * statfs(2) f_type of a rust_shmem superblock: the ASCII bytes "RSMH".
 * It differs from tmpfs's TMPFS_MAGIC (0x01021994 in <linux/magic.h>), which
 * is how user space tells the two apart.
 */
#define RUST_SHMEM_MAGIC	0x52534d48

#endif /* _UAPI_LINUX_RUST_SHMEM_H */
