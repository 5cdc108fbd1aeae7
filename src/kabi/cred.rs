// SPDX-License-Identifier: GPL-2.0

//! The calling task's credentials (`current_cred()`), its user namespace's id mappings and its
//! resource limits. Ids are kernel ids (`kuid_t`/`kgid_t` values) unless a name says `user`.
//!
//! The `kernel` crate of 7.3 has [`kernel::task::Kuid::current_euid`] and
//! [`kernel::cred::Credential::euid`], but no gids, no fs ids, no `current_cred()` and no id
//! mapping but the unmunged `from_kuid`; the rest is read here the way the C macros do.

use crate::bindings;
use kernel::prelude::*;

/// A kernel id that maps to nothing (`INVALID_UID`, `INVALID_GID`).
const INVALID_ID: u32 = u32::MAX;

/// The calling task's subjective credentials (`current_cred()`).
fn current_cred() -> *const bindings::cred {
    // SAFETY: No preconditions: only the task itself replaces its `cred` (`override_creds`,
    // `commit_creds`), so it reads it without RCU.
    unsafe { bindings::rust_shmem_current_cred() }
}

/// `current_fsuid()`.
pub(crate) fn fsuid() -> u32 {
    // SAFETY: The task holds a reference on its credentials while they are its own (they stay
    // so for this call, see `current_cred`), and committed credentials never change. (Unlike
    // `task_struct`'s, `struct cred`'s Rust layout is C's.)
    unsafe { (*current_cred()).fsuid.val }
}

/// `current_fsgid()`.
pub(crate) fn fsgid() -> u32 {
    // SAFETY: As in `fsuid`.
    unsafe { (*current_cred()).fsgid.val }
}

/// `current_euid()`.
pub(crate) fn euid() -> u32 {
    kernel::task::Kuid::current_euid().into_raw().val
}

/// `current_egid()`.
pub(crate) fn egid() -> u32 {
    // SAFETY: As in `fsuid`.
    unsafe { (*current_cred()).egid.val }
}

/// `in_group_p(kgid)`: `kgid` is the caller's fs group or one of its supplementary groups.
pub(crate) fn in_group(kgid: u32) -> bool {
    // SAFETY: Reads the caller's credentials; any id may be passed.
    unsafe { bindings::in_group_p(bindings::kgid_t { val: kgid }) != 0 }
}

/// `from_kuid_munged(current_user_ns(), kuid)`: the overflow uid where `kuid` has no mapping.
pub(crate) fn uid_to_user(kuid: u32) -> u32 {
    // SAFETY: The caller's user namespace is live while it runs; any id may be passed.
    unsafe {
        bindings::from_kuid_munged(bindings::current_user_ns(), bindings::kuid_t { val: kuid })
    }
}

/// `from_kgid_munged(current_user_ns(), kgid)`: the overflow gid where `kgid` has no mapping.
pub(crate) fn gid_to_user(kgid: u32) -> u32 {
    // SAFETY: As in `uid_to_user`.
    unsafe {
        bindings::from_kgid_munged(bindings::current_user_ns(), bindings::kgid_t { val: kgid })
    }
}

/// `make_kuid(current_user_ns(), uid)`; `EINVAL` if it has no mapping.
pub(crate) fn uid_from_user(uid: u32) -> Result<u32> {
    // SAFETY: As in `uid_to_user`.
    let kuid = unsafe { bindings::make_kuid(bindings::current_user_ns(), uid) }.val;
    if kuid == INVALID_ID {
        return Err(EINVAL);
    }
    Ok(kuid)
}

/// `make_kgid(current_user_ns(), gid)`; `EINVAL` if it has no mapping.
pub(crate) fn gid_from_user(gid: u32) -> Result<u32> {
    // SAFETY: As in `uid_to_user`.
    let kgid = unsafe { bindings::make_kgid(bindings::current_user_ns(), gid) }.val;
    if kgid == INVALID_ID {
        return Err(EINVAL);
    }
    Ok(kgid)
}

/// `rlimit(RLIMIT_MEMLOCK)` of the caller: its soft limit, in bytes.
pub(crate) fn rlimit_memlock() -> u64 {
    // SAFETY: Reads the caller's limits; no preconditions.
    unsafe { bindings::rust_shmem_rlimit(bindings::RLIMIT_MEMLOCK) as u64 }
}
