/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * /dev/rust_shmem_sysv: System V shared memory (shmget/shmat/shmdt/shmctl, ipc/shm.c) on
 * rust_shmem, driven by ioctls.
 *
 * Every argument structure starts with its own size (sizeof() of the structure as user space
 * compiled it): a different size is refused with EINVAL, which versions the ABI. Padding and
 * reserved fields must be zero (EINVAL otherwise). All fields have fixed widths and natural
 * alignment, so the layout is the same for 32- and 64-bit user space; addresses travel as __u64.
 * On success an ioctl returns what the system call would (an id, 0, or the SHM_STAT/IPC_INFO
 * value) and on failure -1 with the system call's errno.
 *
 * Reading the device gives the caller's IPC namespace's segments in the format of
 * /proc/sysvipc/shm.
 */
#ifndef _UAPI_LINUX_RUST_SHMEM_SYSV_H
#define _UAPI_LINUX_RUST_SHMEM_SYSV_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define RUST_SHMEM_SYSV_DEVICE	"/dev/rust_shmem_sysv"

/* shmget(key, size, shmflg): returns the id. */
struct rust_shmem_sysv_get {
	__u32 size;		/* sizeof(struct rust_shmem_sysv_get) */
	__s32 key;
	__u64 segsz;
	__s32 shmflg;
	__u32 pad;		/* must be 0 */
};

/* shmat(shmid, shmaddr, shmflg): returns 0 and sets addr. */
struct rust_shmem_sysv_at {
	__u32 size;		/* sizeof(struct rust_shmem_sysv_at) */
	__s32 shmid;
	__u64 shmaddr;
	__s32 shmflg;
	__u32 pad;		/* must be 0 */
	__u64 addr;		/* out: where the segment was attached */
};

/* shmdt(shmaddr): returns 0. */
struct rust_shmem_sysv_dt {
	__u32 size;		/* sizeof(struct rust_shmem_sysv_dt) */
	__u32 pad;		/* must be 0 */
	__u64 shmaddr;
};

/* struct shmid64_ds, with fixed widths. */
struct rust_shmem_sysv_ds {
	__s32 key;
	__u32 uid;
	__u32 gid;
	__u32 cuid;
	__u32 cgid;
	__u32 mode;
	__u32 seq;
	__u32 pad;		/* must be 0 */
	__u64 segsz;
	__s64 atime;
	__s64 dtime;
	__s64 ctime;
	__s32 cpid;
	__s32 lpid;
	__u64 nattch;
};

/* struct shminfo64 (IPC_INFO) followed by struct shm_info (SHM_INFO). */
struct rust_shmem_sysv_info {
	__u64 shmmax;
	__u64 shmmin;
	__u64 shmmni;
	__u64 shmseg;
	__u64 shmall;
	__u64 used_ids;
	__u64 shm_tot;
	__u64 shm_rss;
	__u64 shm_swp;
	__u64 swap_attempts;
	__u64 swap_successes;
};

/*
 * shmctl(shmid, cmd, buf): IPC_STAT, SHM_STAT and SHM_STAT_ANY fill ds; IPC_SET reads ds.uid,
 * ds.gid and ds.mode; IPC_INFO fills info.shmmax..shmall, SHM_INFO info.used_ids..; IPC_RMID,
 * SHM_LOCK and SHM_UNLOCK use neither. Returns what shmctl() returns.
 */
struct rust_shmem_sysv_ctl {
	__u32 size;		/* sizeof(struct rust_shmem_sysv_ctl) */
	__s32 shmid;
	__s32 cmd;
	__u32 pad;		/* must be 0 */
	struct rust_shmem_sysv_ds ds;
	struct rust_shmem_sysv_info info;
};

#define RUST_SHMEM_SYSV_IOC_MAGIC	0xB6
#define RUST_SHMEM_SYSV_GET	_IOWR(RUST_SHMEM_SYSV_IOC_MAGIC, 1, struct rust_shmem_sysv_get)
#define RUST_SHMEM_SYSV_AT	_IOWR(RUST_SHMEM_SYSV_IOC_MAGIC, 2, struct rust_shmem_sysv_at)
#define RUST_SHMEM_SYSV_DT	_IOWR(RUST_SHMEM_SYSV_IOC_MAGIC, 3, struct rust_shmem_sysv_dt)
#define RUST_SHMEM_SYSV_CTL	_IOWR(RUST_SHMEM_SYSV_IOC_MAGIC, 4, struct rust_shmem_sysv_ctl)

#endif /* _UAPI_LINUX_RUST_SHMEM_SYSV_H */
