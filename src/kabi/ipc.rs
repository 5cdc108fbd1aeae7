// SPDX-License-Identifier: GPL-2.0

//! What a System V IPC implementation needs from the kernel around it: IPC namespaces, the
//! caller's credentials and capabilities, process ids and module references.

use crate::bindings;
use core::ptr::NonNull;
use kernel::prelude::*;

/// A reference on an IPC namespace (`get_ipc_ns`/`put_ipc_ns`).
///
/// # Invariants
///
/// `0` points to a live `ipc_namespace` on which this object owns one reference.
pub(crate) struct IpcNs(NonNull<bindings::ipc_namespace>);

// SAFETY: Namespace references may be taken and dropped on any thread.
unsafe impl Send for IpcNs {}
// SAFETY: `&IpcNs` only reads the namespace through thread-safe kernel functions.
unsafe impl Sync for IpcNs {}

impl IpcNs {
    /// The IPC namespace of the calling task.
    pub(crate) fn current() -> Result<Self> {
        // SAFETY: A task in a system call has an `nsproxy`; the helper takes a reference.
        let ns = unsafe { bindings::rust_shmem_current_ipc_ns_get() };
        // INVARIANT: The helper returned a live namespace with a reference for us.
        NonNull::new(ns).map(Self).ok_or(EINVAL)
    }

    /// Whether both refer to the same namespace.
    pub(crate) fn is(&self, other: &Self) -> bool {
        self.0 == other.0
    }

    /// No task, file or mapping uses the namespace any more: ours is its last reference. An
    /// initial namespace is never unused.
    pub(crate) fn unused(&self) -> bool {
        // SAFETY: The namespace is live by the type invariant.
        unsafe { bindings::rust_shmem_ipc_ns_unused(self.0.as_ptr()) }
    }

    /// The initial IPC namespace, which never dies.
    pub(crate) fn is_initial(&self) -> bool {
        // SAFETY: The namespace is live by the type invariant.
        unsafe { bindings::rust_shmem_ipc_ns_is_initial(self.0.as_ptr()) }
    }

    /// `ns_capable(ns->user_ns, cap)` for the calling task.
    pub(crate) fn capable(&self, cap: u32) -> bool {
        // SAFETY: The namespace is live by the type invariant.
        unsafe { bindings::rust_shmem_ipc_ns_capable(self.0.as_ptr(), cap as c_int) }
    }
}

impl Clone for IpcNs {
    fn clone(&self) -> Self {
        // SAFETY: The namespace is live by the type invariant; this takes a further reference.
        unsafe { bindings::rust_shmem_ipc_ns_get(self.0.as_ptr()) };
        // INVARIANT: The new object owns the reference just taken.
        Self(self.0)
    }
}

impl Drop for IpcNs {
    fn drop(&mut self) {
        // SAFETY: We own one reference by the type invariant.
        unsafe { bindings::put_ipc_ns(self.0.as_ptr()) };
    }
}

/// A reference on a `struct pid` (`get_pid`/`put_pid`).
///
/// # Invariants
///
/// `0` points to a live `struct pid` on which this object owns one reference.
pub(crate) struct PidRef(NonNull<bindings::pid>);

// SAFETY: Pid references may be dropped on any thread.
unsafe impl Send for PidRef {}
// SAFETY: `&PidRef` only calls `pid_vnr`, which is thread safe.
unsafe impl Sync for PidRef {}

impl PidRef {
    /// The thread-group id of the calling task.
    pub(crate) fn current_tgid() -> Option<Self> {
        // SAFETY: The helper takes a reference on the caller's tgid (or returns NULL).
        let pid = unsafe { bindings::rust_shmem_current_tgid_get() };
        // INVARIANT: A live pid with a reference for us.
        NonNull::new(pid).map(Self)
    }

    /// A live thread group still has this id.
    pub(crate) fn alive(&self) -> bool {
        // SAFETY: The pid is live by the type invariant.
        unsafe { bindings::rust_shmem_pid_has_tgid_task(self.0.as_ptr()) }
    }

    /// The number of the pid in the caller's pid namespace (`pid_vnr`), 0 if it has none there.
    pub(crate) fn vnr(&self) -> i32 {
        // SAFETY: The pid is live by the type invariant.
        unsafe { bindings::pid_vnr(self.0.as_ptr()) }
    }
}

impl Drop for PidRef {
    fn drop(&mut self) {
        // SAFETY: We own one reference by the type invariant.
        unsafe { bindings::put_pid(self.0.as_ptr()) };
    }
}

/// A reference on a module, which keeps it loaded.
///
/// # Invariants
///
/// The object owns one reference on `0`, taken with `try_module_get`.
pub(crate) struct ModuleRef(&'static ThisModule);

impl ModuleRef {
    /// Takes a reference on `module`; `ENOENT` while it is going away.
    pub(crate) fn get(module: &'static ThisModule) -> Result<Self> {
        // SAFETY: A `ThisModule` with a `'static` lifetime describes a module that is loaded
        // while its code can be reached, which it is: it handed us the reference.
        if unsafe { bindings::try_module_get(module.as_ptr()) } {
            // INVARIANT: The reference was taken.
            Ok(Self(module))
        } else {
            Err(ENOENT)
        }
    }
}

impl Drop for ModuleRef {
    fn drop(&mut self) {
        // SAFETY: Gives back the reference owned by the type invariant.
        unsafe { bindings::module_put(self.0.as_ptr()) };
    }
}

/// Kernel uid/gid values (`kuid_t`/`kgid_t`) of the calling task, and conversions from and to the
/// ids of its user namespace.
pub(crate) mod cred {
    use super::bindings;
    use kernel::prelude::*;

    /// `current_euid()`.
    pub(crate) fn euid() -> u32 {
        // SAFETY: Reads the caller's credentials.
        unsafe { bindings::rust_shmem_current_euid() }
    }

    /// `current_egid()`.
    pub(crate) fn egid() -> u32 {
        // SAFETY: Reads the caller's credentials.
        unsafe { bindings::rust_shmem_current_egid() }
    }

    /// `in_group_p(kgid)`.
    pub(crate) fn in_group(kgid: u32) -> bool {
        // SAFETY: Reads the caller's credentials.
        unsafe { bindings::rust_shmem_in_group_p(kgid) }
    }

    /// `from_kuid_munged(current_user_ns(), kuid)`.
    pub(crate) fn uid_to_user(kuid: u32) -> u32 {
        // SAFETY: Pure conversion in the caller's user namespace.
        unsafe { bindings::rust_shmem_uid_to_user(kuid) }
    }

    /// `from_kgid_munged(current_user_ns(), kgid)`.
    pub(crate) fn gid_to_user(kgid: u32) -> u32 {
        // SAFETY: Pure conversion in the caller's user namespace.
        unsafe { bindings::rust_shmem_gid_to_user(kgid) }
    }

    /// `make_kuid(current_user_ns(), uid)`; `EINVAL` if it has no mapping.
    pub(crate) fn uid_from_user(uid: u32) -> Result<u32> {
        let mut kuid = 0;
        // SAFETY: `kuid` is a valid place to write.
        kernel::error::to_result(unsafe { bindings::rust_shmem_uid_from_user(uid, &mut kuid) })?;
        Ok(kuid)
    }

    /// `make_kgid(current_user_ns(), gid)`; `EINVAL` if it has no mapping.
    pub(crate) fn gid_from_user(gid: u32) -> Result<u32> {
        let mut kgid = 0;
        // SAFETY: `kgid` is a valid place to write.
        kernel::error::to_result(unsafe { bindings::rust_shmem_gid_from_user(gid, &mut kgid) })?;
        Ok(kgid)
    }

    /// `rlimit(RLIMIT_MEMLOCK)` of the caller.
    pub(crate) fn rlimit_memlock() -> u64 {
        // SAFETY: Reads the caller's limits.
        unsafe { bindings::rust_shmem_rlimit_memlock() as u64 }
    }
}
