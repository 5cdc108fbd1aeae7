// SPDX-License-Identifier: GPL-2.0
/*
 * The System V limits of ipc/shm.c's sysctls (kernel.shmmax, shmall, shmmni, shm_rmid_forced) as
 * module parameters, writable at run time under /sys/module/rust_shmem/parameters/. They are
 * global, not per IPC namespace. src/kabi/sysv_params.rs reads them.
 *
 * Why this is C: 7.3's Rust module parameters are read-only and absent from sysfs
 * (rust/macros/module.rs:169 sets `perm: 0`, "Will not appear in sysfs";
 * rust/kernel/module_param.rs:53, "we only support read-only parameters that are not readable
 * from sysfs"), so `module!` cannot declare these. A store through sysfs may race with a reader:
 * the getters read with READ_ONCE.
 */
#include <linux/moduleparam.h>
#include <uapi/linux/shm.h>

#include "params.h"

static unsigned long rust_shmem_shmmax = SHMMAX;
static unsigned long rust_shmem_shmall = SHMALL;
static int rust_shmem_shmmni = SHMMNI;
static int rust_shmem_shm_rmid_forced;
module_param_named(shmmax, rust_shmem_shmmax, ulong, 0644);
MODULE_PARM_DESC(shmmax, "largest SysV segment in bytes (kernel.shmmax)");
module_param_named(shmall, rust_shmem_shmall, ulong, 0644);
MODULE_PARM_DESC(shmall, "pages of SysV segments per IPC namespace (kernel.shmall)");
module_param_named(shmmni, rust_shmem_shmmni, int, 0644);
MODULE_PARM_DESC(shmmni, "SysV segments per IPC namespace (kernel.shmmni)");
module_param_named(shm_rmid_forced, rust_shmem_shm_rmid_forced, int, 0644);
MODULE_PARM_DESC(shm_rmid_forced, "destroy SysV segments when their last attachment goes");

unsigned long rust_shmem_sysv_shmmax(void)
{
	return READ_ONCE(rust_shmem_shmmax);
}

unsigned long rust_shmem_sysv_shmall(void)
{
	return READ_ONCE(rust_shmem_shmall);
}

int rust_shmem_sysv_shmmni(void)
{
	return READ_ONCE(rust_shmem_shmmni);
}

int rust_shmem_sysv_shm_rmid_forced(void)
{
	return READ_ONCE(rust_shmem_shm_rmid_forced);
}
