/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Headers whose items `kernel::bindings` lacks. bindgen runs over this file at build time with the
 * kernel's own clang flags (see gen_bindings.sh); only the allowlisted items are emitted, every
 * other type is taken from `kernel::bindings`.
 */
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/statfs.h>
#include <linux/mman.h>
#include <linux/falloc.h>
#include <linux/shmem_fs.h>
#include <linux/exportfs.h>
#include <linux/huge_mm.h>
#include <linux/posix_acl.h>
#include <linux/fileattr.h>
#include <linux/pipe_fs_i.h>
#include <linux/splice.h>
#include <linux/shm.h>
#include <linux/ipc_namespace.h>
#include "helpers.h"
/* Our own UAPI: the SysV device's ioctl structures, generated rather than written twice. */
#include "../include/uapi/linux/rust_shmem_sysv.h"
#include "sysv/params.h"

/* Macro constants bindgen cannot evaluate on its own (BIT(), casts): bound as typed consts. */
const unsigned int RUST_SHMEM_SB_KERNMOUNT = SB_KERNMOUNT;
const unsigned int RUST_SHMEM_SB_NOUSER = SB_NOUSER;
const unsigned int RUST_SHMEM_SB_NOSEC = SB_NOSEC;
const unsigned int RUST_SHMEM_DCACHE_DONTCACHE = DCACHE_DONTCACHE;
const gfp_t RUST_SHMEM_GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER_MOVABLE;
/* Large folios are allocated like tmpfs's without madvise: no reclaim, no retry, no warning. */
const gfp_t RUST_SHMEM_GFP_RECLAIM = __GFP_RECLAIM;
const gfp_t RUST_SHMEM_GFP_DIRECT_RECLAIM = __GFP_DIRECT_RECLAIM;
const gfp_t RUST_SHMEM_GFP_LARGE_FOLIO = __GFP_NOWARN | __GFP_NORETRY | __GFP_NOMEMALLOC;
const unsigned long RUST_SHMEM_HPAGE_PMD_SIZE = HPAGE_PMD_SIZE;
const loff_t RUST_SHMEM_MAX_LFS_FILESIZE = MAX_LFS_FILESIZE;
const int RUST_SHMEM_ENOPARAM = ENOPARAM;
const slab_flags_t RUST_SHMEM_SLAB_ACCOUNT = SLAB_ACCOUNT;
const int RUST_SHMEM_IOCB_NOWAIT = IOCB_NOWAIT;
const unsigned long RUST_SHMEM_MAP_SHARED = MAP_SHARED;
const int RUST_SHMEM_FALLOC_FL_KEEP_SIZE = FALLOC_FL_KEEP_SIZE;
const int RUST_SHMEM_FALLOC_FL_PUNCH_HOLE = FALLOC_FL_PUNCH_HOLE;
const fmode_t RUST_SHMEM_FMODE_CAN_ODIRECT = FMODE_CAN_ODIRECT;
const unsigned int RUST_SHMEM_SB_POSIXACL = SB_POSIXACL;
const int RUST_SHMEM_ACL_TYPE_ACCESS = ACL_TYPE_ACCESS;
const int RUST_SHMEM_ACL_TYPE_DEFAULT = ACL_TYPE_DEFAULT;
const unsigned long RUST_SHMEM_MAP_FIXED = MAP_FIXED;
const unsigned long RUST_SHMEM_MAP_FIXED_NOREPLACE = MAP_FIXED_NOREPLACE;
const unsigned long RUST_SHMEM_PROT_READ = PROT_READ;
const unsigned long RUST_SHMEM_PROT_WRITE = PROT_WRITE;
const unsigned long RUST_SHMEM_PROT_EXEC = PROT_EXEC;
const unsigned long RUST_SHMEM_SHMLBA = SHMLBA;
const fgf_t RUST_SHMEM_FGP_LOCK = FGP_LOCK;
