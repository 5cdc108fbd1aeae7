// SPDX-License-Identifier: GPL-2.0

//! The internal mount of a filesystem type (`kern_mount`), like `shm_mnt`.

use crate::bindings;
use core::{ops::Deref, ptr::NonNull};
use kernel::{
    error::from_err_ptr,
    prelude::*,
    time::{delay::fsleep, Delta},
    types::Opaque,
};

use super::{FileSystem, FsRegistration, SuperBlock};

/// A mount (`struct vfsmount`) someone lent us.
///
/// # Invariants
///
/// The wrapped mount is live for the lifetime of every reference to this type.
#[repr(transparent)]
pub(crate) struct Mount(Opaque<bindings::vfsmount>);

impl Mount {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a live mount that stays live for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::vfsmount) -> &'a Self {
        // SAFETY: Transparent wrapper; the caller guarantees liveness for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer.
    pub(crate) fn as_raw(&self) -> *mut bindings::vfsmount {
        self.0.get()
    }

    /// Whether the mount has an idmapping other than the identity.
    pub(crate) fn is_idmapped(&self) -> bool {
        // SAFETY: The mount is live by the type invariant.
        unsafe { bindings::rust_shmem_is_idmapped_mnt(self.as_raw()) }
    }

    /// The mount's superblock, if the mount is one of filesystem type `fs`.
    ///
    /// # Safety
    ///
    /// `fs` must be null or the `file_system_type` of an [`FsRegistration<T>`] that is live for
    /// the duration of the call: that is what makes a superblock of type `fs` one of `T`.
    pub(crate) unsafe fn super_block<T: FileSystem>(
        &self,
        fs: *const bindings::file_system_type,
    ) -> Option<&SuperBlock<T>> {
        // SAFETY: A live mount has a live superblock for as long as the mount lives.
        let sb = unsafe { (*self.as_raw()).mnt_sb };
        // SAFETY: As above; `s_type` is set at creation and never changes.
        if fs.is_null() || unsafe { (*sb).s_type }.cast_const() != fs {
            return None;
        }
        // SAFETY: The superblock is of type `fs`, which is `T`'s per the contract, so its
        // `s_fs_info` holds a `T::SbInfo` for as long as it is mounted.
        Some(unsafe { SuperBlock::from_raw(sb) })
    }
}

/// An internal mount, unmounted on drop.
///
/// A superblock pins its filesystem type's module, so left alone the internal mount would make
/// the module impossible to unload. It gives that reference back at creation and takes it again
/// just before unmounting: user mounts, open files and mappings still pin the module, the
/// internal mount does not.
///
/// Its files are then the only thing that pins the module for their inodes, and they give their
/// reference back too early: `__fput` drops it (`fops_put`) before it puts the dentry, which
/// evicts the inode through the filesystem's operations (truncating the page cache, queueing the
/// RCU free of the inode), and before it puts the mount. So the module may be unloading while
/// the last files of the internal mount are still on their way out; `drop` waits for them.
///
/// # Invariants
///
/// `mnt` is a live mount made by `kern_mount`; the reference its superblock took on its type's
/// `owner` has been dropped and is re-taken exactly once, in `drop`.
pub(crate) struct KernMount {
    mnt: NonNull<bindings::vfsmount>,
}

// SAFETY: A `vfsmount` may be used and released from any thread.
unsafe impl Send for KernMount {}
// SAFETY: `&self` only exposes the raw pointer; the VFS synchronises users of the mount.
unsafe impl Sync for KernMount {}

impl KernMount {
    /// Mounts `fs` internally.
    pub(crate) fn new<T: FileSystem>(fs: &FsRegistration<T>) -> Result<Self> {
        // SAFETY: `fs` is a registered filesystem type.
        let mnt = from_err_ptr(unsafe { bindings::kern_mount(fs.as_raw()) })?;
        let this = Self {
            mnt: NonNull::new(mnt).ok_or(ENOMEM)?,
        };
        // SAFETY: The new superblock holds a reference on its type's `owner` (`sget_fc`); it is
        // given back here and re-taken in `drop` before the unmount releases it.
        unsafe { bindings::module_put(this.owner()) };
        // INVARIANT: The mount is live and its module reference has been dropped.
        Ok(this)
    }

    /// The module that owns the mount's filesystem type (null for built-in code).
    fn owner(&self) -> *mut bindings::module {
        // SAFETY: The mount is live, hence its superblock and type; `owner` is set at
        // registration and never changes.
        unsafe { (*(*(*self.mnt.as_ptr()).mnt_sb).s_type).owner }
    }
}

impl Deref for KernMount {
    type Target = Mount;

    fn deref(&self) -> &Mount {
        // SAFETY: The mount is live until `drop`.
        unsafe { Mount::from_raw(self.mnt.as_ptr()) }
    }
}

impl KernMount {
    /// Waits until nothing but this object holds the mount: every file of the mount has been
    /// through `__fput` up to its final `mntput`, so none will run the filesystem's code again
    /// (the RCU frees of their inodes aside, which the inode cache waits for).
    ///
    /// Must not be called by a task that has a file of the mount in its pending task work: that
    /// `__fput` would only run after the wait.
    fn wait_for_users(&self) {
        let mnt = self.mnt.as_ptr();
        // SAFETY: The mount is live by the type invariant; the reference is dropped below.
        unsafe { bindings::mntget(mnt) };
        let mut waited_ms = 0u32;
        // `may_umount_tree` sees a lone mount as busy while it has more than two references:
        // the one from `kern_mount` and the one just taken.
        // SAFETY: The mount is live.
        while unsafe { bindings::may_umount_tree(mnt) } == 0 {
            if waited_ms % 10_000 == 9_990 {
                pr_warn!("waiting for the files of the internal mount to be released\n");
            }
            fsleep(Delta::from_millis(10));
            waited_ms = waited_ms.wrapping_add(10);
        }
        // SAFETY: Drops the reference taken above, which is not the last: `kern_mount`'s remains.
        unsafe { bindings::mntput(mnt) };
    }
}

impl Drop for KernMount {
    fn drop(&mut self) {
        self.wait_for_users();
        // SAFETY: The owner is still loaded: it is this module, whose exit is running us (a
        // `ThisModule` reaches no other); restore the reference the superblock will drop when
        // `kern_unmount` tears it down.
        unsafe { bindings::__module_get(self.owner()) };
        // SAFETY: `mnt` is live by the type invariant and released exactly once, here.
        unsafe { bindings::kern_unmount(self.mnt.as_ptr()) };
    }
}
