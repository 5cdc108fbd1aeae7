// SPDX-License-Identifier: GPL-2.0

//! What a System V IPC implementation needs from the kernel around it: IPC namespaces, the
//! caller's credentials and capabilities, process ids and module references.

use crate::bindings;
use core::ptr::NonNull;
use kernel::{prelude::*, task::Task};

pub(crate) use crate::kabi::cred;

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
    /// `EINVAL` for an exiting task, which has no namespaces left.
    pub(crate) fn current() -> Result<Self> {
        // SAFETY: Only the task itself changes its `nsproxy` (`setns`, `unshare`, exit), so it
        // may read it without a lock.
        let nsproxy = unsafe { bindings::rust_shmem_current_nsproxy() };
        if nsproxy.is_null() {
            return Err(EINVAL);
        }
        // SAFETY: A task's live `nsproxy` holds a reference on its IPC namespace.
        let ns = unsafe { (*nsproxy).ipc_ns };
        let ns = NonNull::new(ns).ok_or(EINVAL)?;
        // SAFETY: The namespace is live (see above); this takes a reference for us.
        unsafe { bindings::rust_shmem_ipc_ns_get(ns.as_ptr()) };
        // INVARIANT: A live namespace with a reference for us.
        Ok(Self(ns))
    }

    /// Whether both refer to the same namespace.
    pub(crate) fn is(&self, other: &Self) -> bool {
        self.0 == other.0
    }

    /// No task, file or mapping uses the namespace any more: ours is its last reference. An
    /// initial namespace is never unused.
    pub(crate) fn unused(&self) -> bool {
        // SAFETY: The namespace is live by the type invariant.
        !self.is_initial() && unsafe { bindings::rust_shmem_ipc_ns_refs(self.0.as_ptr()) } == 1
    }

    /// The initial IPC namespace, which never dies.
    pub(crate) fn is_initial(&self) -> bool {
        // Only the address of the exported `init_ipc_ns` is taken.
        self.0.as_ptr() == &raw mut bindings::init_ipc_ns
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
        // SAFETY: `current` is valid; `get_task_pid` takes a reference on its tgid (or returns
        // NULL for a task being reaped).
        let pid =
            unsafe { bindings::get_task_pid(Task::current_raw(), bindings::pid_type_PIDTYPE_TGID) };
        // INVARIANT: A live pid with a reference for us.
        NonNull::new(pid).map(Self)
    }

    /// A live thread group still has this id (`pid_has_task(pid, PIDTYPE_TGID)`).
    pub(crate) fn alive(&self) -> bool {
        // SAFETY: The pid is live by the type invariant. Its task lists change under the
        // tasklist lock, which `hlist_empty` reads without, with `READ_ONCE`: a volatile read.
        let first = unsafe {
            let tasks =
                &raw const (*self.0.as_ptr()).tasks[bindings::pid_type_PIDTYPE_TGID as usize];
            core::ptr::read_volatile(&raw const (*tasks).first)
        };
        !first.is_null()
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

/// Seconds since the epoch (`ktime_get_real_seconds`), the unit of `shm_atime` & co.
pub(crate) fn real_seconds() -> i64 {
    // SAFETY: No preconditions.
    unsafe { bindings::ktime_get_real_seconds() }
}
