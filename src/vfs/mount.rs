// SPDX-License-Identifier: GPL-2.0

//! Mounts: borrowed and counted references, the internal mount of a filesystem type
//! (`kern_mount`, like `shm_mnt`), and its publication for exported functions.

use crate::bindings;
use core::{
    marker::PhantomData,
    ops::Deref,
    ptr::{self, NonNull},
};
use kernel::{
    error::from_err_ptr,
    prelude::*,
    sync::{
        atomic::{Acquire, Atomic, Full, Release},
        rcu,
    },
    time::{delay::fsleep, Delta},
    types::Opaque,
};

use super::{FileSystem, SuperBlock};

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
    /// `fs` must be null or the `file_system_type` of a `super::FsRegistration<T>` that is live for
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
    ///
    /// # Safety
    ///
    /// `fs` must be a registered filesystem type that stays registered until the mount is
    /// dropped.
    pub(crate) unsafe fn new(fs: *mut bindings::file_system_type) -> Result<Self> {
        // SAFETY: `fs` is a registered filesystem type per the contract.
        let mnt = from_err_ptr(unsafe { bindings::kern_mount(fs) })?;
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

/// A reference on a mount (`mntget`/`mntput`).
///
/// # Invariants
///
/// `0` points to a live mount on which this object owns one reference.
pub(crate) struct MountRef(NonNull<bindings::vfsmount>);

// SAFETY: Mount references may be taken and dropped on any thread.
unsafe impl Send for MountRef {}
// SAFETY: `&MountRef` only reads the mount, which the VFS synchronises.
unsafe impl Sync for MountRef {}

impl Deref for MountRef {
    type Target = Mount;

    fn deref(&self) -> &Mount {
        // SAFETY: The mount is live while we hold our reference.
        unsafe { Mount::from_raw(self.0.as_ptr()) }
    }
}

impl Drop for MountRef {
    fn drop(&mut self) {
        // SAFETY: Gives back the reference owned by the type invariant.
        unsafe { bindings::mntput(self.0.as_ptr()) };
    }
}

/// A filesystem type of `T` and its internal mount, published for code that has no other way
/// to reach them: functions exported to other modules and called by the kernel's hooks.
///
/// # Invariants
///
/// While [`Published::publish`]'s guard lives, `fs` points to `T`'s registered type and `mnt`
/// to a live internal mount of it; both are null otherwise. Readers load them inside an RCU
/// read-side section, and the guard waits for a grace period after withdrawing them, so a
/// pointer loaded inside a section stays valid until it ends.
pub(crate) struct Published<T: FileSystem> {
    fs: Atomic<*mut bindings::file_system_type>,
    mnt: Atomic<*mut bindings::vfsmount>,
    _t: PhantomData<T>,
}

// SAFETY: The pointers are only read atomically, and what they point to is synchronised by the
// VFS (see the type invariant for their lifetime).
unsafe impl<T: FileSystem> Sync for Published<T> {}

impl<T: FileSystem> Published<T> {
    /// Nothing published.
    pub(crate) const fn new() -> Self {
        // INVARIANT: Both null.
        Self {
            fs: Atomic::new(ptr::null_mut()),
            mnt: Atomic::new(ptr::null_mut()),
            _t: PhantomData,
        }
    }

    /// Publishes `fs` and `mnt`, a mount of it, until the guard is dropped. Errors: `EBUSY` if
    /// something is published already.
    ///
    /// # Safety
    ///
    /// `fs` must be `T`'s type, registered, and `mnt` a mount of it; both must stay so until the
    /// returned guard is dropped.
    pub(super) unsafe fn publish(
        &'static self,
        fs: *mut bindings::file_system_type,
        mnt: &Mount,
    ) -> Result<PublishGuard<T>> {
        if self.fs.cmpxchg(ptr::null_mut(), fs, Full).is_err() {
            return Err(EBUSY);
        }
        // INVARIANT: The caller keeps both alive for the guard's life; readers see `mnt` null
        // until it is stored.
        self.mnt.store(mnt.as_raw(), Release);
        Ok(PublishGuard(self))
    }

    /// A reference on the internal mount; `ENODEV` when nothing is published (the module is
    /// coming up or going away).
    pub(crate) fn mount(&self) -> Result<MountRef> {
        let _rcu = rcu::read_lock();
        let mnt = NonNull::new(self.mnt.load(Acquire)).ok_or(ENODEV)?;
        // SAFETY: Loaded inside the RCU section, the mount is live (type invariant); the
        // reference taken keeps it so after the section.
        unsafe { bindings::mntget(mnt.as_ptr()) };
        // INVARIANT: The reference was taken above.
        Ok(MountRef(mnt))
    }

    /// `mnt`'s superblock, if `mnt` is a mount of `T`'s type.
    pub(crate) fn super_block<'a>(&self, mnt: &'a Mount) -> Option<&'a SuperBlock<T>> {
        let _rcu = rcu::read_lock();
        let fs = self.fs.load(Acquire);
        // SAFETY: `fs` is null or `T`'s registered type, live during the RCU section (type
        // invariant).
        unsafe { mnt.super_block::<T>(fs) }
    }

    /// `shmem_mapping()` for `T`: whether `mapping` is the page cache of an inode of `T`.
    ///
    /// # Safety
    ///
    /// `mapping` must be null or point to a live `address_space` whose host inode (if any) is
    /// live.
    pub(crate) unsafe fn owns_mapping(&self, mapping: *const bindings::address_space) -> bool {
        let _rcu = rcu::read_lock();
        let fs = self.fs.load(Acquire);
        // SAFETY: The caller's promise is the callee's contract; only compared with `fs`.
        !fs.is_null() && unsafe { super::aops::mapping_of_type(mapping, fs) }
    }
}

/// Withdraws what [`Published::publish`] published when dropped.
pub(crate) struct PublishGuard<T: FileSystem + 'static>(&'static Published<T>);

impl<T: FileSystem> Drop for PublishGuard<T> {
    fn drop(&mut self) {
        self.0.mnt.store(ptr::null_mut(), Release);
        self.0.fs.store(ptr::null_mut(), Release);
        // Readers that loaded the pointers are done after a grace period.
        rcu::synchronize_rcu();
    }
}
