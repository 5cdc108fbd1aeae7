// SPDX-License-Identifier: GPL-2.0

//! The SysV limits (`kernel.shmmax` & co.): writable module parameters, which `src/sysv/params.c`
//! keeps because 7.3's `module!` only makes read-only ones.

use crate::bindings;

/// `shm_ctlmax`.
pub(crate) fn shmmax() -> u64 {
    // SAFETY: Reads a module parameter (`READ_ONCE`); no preconditions.
    unsafe { bindings::rust_shmem_sysv_shmmax() as u64 }
}

/// `shm_ctlall`, in pages.
pub(crate) fn shmall() -> u64 {
    // SAFETY: As above.
    unsafe { bindings::rust_shmem_sysv_shmall() as u64 }
}

/// `shm_ctlmni`; negative values count as 0, like an unreachable limit.
pub(crate) fn shmmni() -> usize {
    // SAFETY: As above.
    usize::try_from(unsafe { bindings::rust_shmem_sysv_shmmni() }).unwrap_or(0)
}

/// `shm_rmid_forced`.
pub(crate) fn rmid_forced() -> bool {
    // SAFETY: As above.
    unsafe { bindings::rust_shmem_sysv_shm_rmid_forced() != 0 }
}
