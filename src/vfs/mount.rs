// SPDX-License-Identifier: GPL-2.0

//! The internal mount of a filesystem type (`kern_mount`), like `shm_mnt`.

use crate::bindings;
use core::ptr::NonNull;
use kernel::{error::from_err_ptr, prelude::*, ThisModule};

use super::{FileSystem, FsRegistration};

/// An internal mount, unmounted on drop.
///
/// A superblock pins its filesystem type's module, so left alone the internal mount would make
/// the module impossible to unload. It gives that reference back at creation and takes it again
/// just before unmounting: user mounts, open files and mappings still pin the module, the
/// internal mount does not.
///
/// # Invariants
///
/// `mnt` is a live mount made by `kern_mount`; the module reference its superblock took has been
/// dropped and is re-taken exactly once, in `drop`.
pub(crate) struct KernMount {
    mnt: NonNull<bindings::vfsmount>,
    module: &'static ThisModule,
}

// SAFETY: A `vfsmount` may be used and released from any thread.
unsafe impl Send for KernMount {}
// SAFETY: `&self` only exposes the raw pointer; the VFS synchronises users of the mount.
unsafe impl Sync for KernMount {}

impl KernMount {
    /// Mounts `fs` internally.
    pub(crate) fn new<T: FileSystem>(
        fs: &FsRegistration<T>,
        module: &'static ThisModule,
    ) -> Result<Self> {
        // SAFETY: `fs` is a registered filesystem type.
        let mnt = from_err_ptr(unsafe { bindings::kern_mount(fs.as_raw()) })?;
        let mnt = NonNull::new(mnt).ok_or(ENOMEM)?;
        // SAFETY: The new superblock holds a reference on `module`, taken through the type's
        // `owner`; it is given back here and re-taken in `drop` before the unmount releases it.
        unsafe { bindings::module_put(module.as_ptr()) };
        // INVARIANT: The mount is live and its module reference has been dropped.
        Ok(Self { mnt, module })
    }
}

impl Drop for KernMount {
    fn drop(&mut self) {
        // SAFETY: The module is still loaded (we are part of it); restore the reference the
        // superblock will drop when `kern_unmount` tears it down.
        unsafe { bindings::__module_get(self.module.as_ptr()) };
        // SAFETY: `mnt` is live by the type invariant and released exactly once, here.
        unsafe { bindings::kern_unmount(self.mnt.as_ptr()) };
    }
}
