// SPDX-License-Identifier: GPL-2.0

//! A small safe layer over the VFS bindings.
//!
//! The kernel has no Rust filesystem abstraction yet, so this module carries one, shaped after
//! `kernel::miscdevice`: traits with safe methods that a filesystem implements, and vtables whose
//! `extern "C"` trampolines turn the raw pointers the VFS hands us into references with the
//! lifetimes the VFS guarantees. Nothing in here knows about rust_shmem's own policy.

pub(crate) mod acl;
pub(crate) mod aops;
pub(crate) mod consts;
pub(crate) mod dentry;
pub(crate) mod dir_ops;
pub(crate) mod export;
pub(crate) mod file;
pub(crate) mod fileattr;
pub(crate) mod folio;
pub(crate) mod fs_context;
pub(crate) mod fs_type;
pub(crate) mod inode;
pub(crate) mod inode_cache;
pub(crate) mod inode_kinds;
pub(crate) mod mount;
pub(crate) mod params;
pub(crate) mod private_file;
pub(crate) mod splice;
pub(crate) mod super_block;
pub(crate) mod xattr;

pub(crate) use dentry::Dentry;
pub(crate) use fs_context::FsContext;
pub(crate) use fs_type::{FileSystem, FsRegistration};
pub(crate) use inode::{Inode, Kgid, Kuid, NewInode};
pub(crate) use super_block::SuperBlock;

/// Gives the CPU away if a reschedule is due, in long loops of process-context work.
///
/// Like [`kernel::task::might_sleep`], it must not be called in atomic context; doing so is a
/// reported bug (`DEBUG_ATOMIC_SLEEP`), not memory unsafety.
pub(crate) fn cond_resched() {
    // SAFETY: `cond_resched` has no preconditions beyond a sleepable context (see above).
    unsafe { crate::bindings::rust_shmem_cond_resched() };
}

/// Whether the current task has been killed: long kernel work stops for that, but not for other
/// signals, which would make it restart forever (`fatal_signal_pending`).
pub(crate) fn fatal_signal_pending() -> bool {
    // SAFETY: Reads the current task's pending signals; no preconditions.
    unsafe { crate::bindings::rust_shmem_fatal_signal_pending() }
}
