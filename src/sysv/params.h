/* SPDX-License-Identifier: GPL-2.0 */
/* The SysV limits, writable module parameters kept in C (see params.c for why). */
#ifndef RUST_SHMEM_SYSV_PARAMS_H
#define RUST_SHMEM_SYSV_PARAMS_H

unsigned long rust_shmem_sysv_shmmax(void);
unsigned long rust_shmem_sysv_shmall(void);
int rust_shmem_sysv_shmmni(void);
int rust_shmem_sysv_shm_rmid_forced(void);

#endif /* RUST_SHMEM_SYSV_PARAMS_H */
