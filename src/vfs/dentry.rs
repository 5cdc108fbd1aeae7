// SPDX-License-Identifier: GPL-2.0

//! Directory entries.

use crate::bindings;
use core::{marker::PhantomData, ops::Deref, ptr::NonNull};
use kernel::{prelude::*, types::Opaque};

use super::{FileSystem, Inode};

/// A `struct dentry` of filesystem `T` the VFS lent us for the duration of a callback.
///
/// # Invariants
///
/// The wrapped dentry is valid for the lifetime of every reference to this type and belongs to a
/// superblock of `T`, so its inode, if any, is one of `T`'s.
#[repr(transparent)]
pub(crate) struct Dentry<T: FileSystem>(Opaque<bindings::dentry>, PhantomData<T>);

impl<T: FileSystem> Dentry<T> {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid dentry on a superblock of `T` that stays valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::dentry) -> &'a Self {
        // SAFETY: `Dentry` is a transparent wrapper; the caller guarantees the invariants.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer.
    pub(crate) fn as_raw(&self) -> *mut bindings::dentry {
        self.0.get()
    }

    /// Returns the name of this entry, as the VFS's `struct qstr`.
    pub(crate) fn name(&self) -> *const bindings::qstr {
        // SAFETY: The dentry is valid by the type invariant; only the address is taken.
        unsafe { &raw const (*self.as_raw()).__bindgen_anon_1.d_name }
    }

    /// The inode of a positive dentry (`d_inode`), `None` for a negative one.
    pub(crate) fn inode(&self) -> Option<&Inode<T>> {
        // SAFETY: The dentry is valid; callers hold the locks that keep `d_inode` stable.
        let inode = unsafe { (*self.as_raw()).d_inode };
        // SAFETY: A positive dentry of `T` pins an inode of `T` for as long as the dentry lives.
        (!inode.is_null()).then(|| unsafe { Inode::from_raw(inode) })
    }

    /// Whether the entry is a directory with entries other than `.` and `..` (`!simple_empty`).
    pub(crate) fn has_children(&self) -> bool {
        // SAFETY: The dentry is valid by the type invariant.
        unsafe { bindings::simple_empty(self.as_raw()) == 0 }
    }

    /// A new negative dentry with this one's parent and name, not hashed (`d_alloc`), as a
    /// placeholder for a whiteout.
    pub(crate) fn alloc_twin(&self) -> Result<DentryRef<T>> {
        // SAFETY: The dentry is valid; its parent and name are stable under the rename locks the
        // VFS holds in every caller.
        let twin = unsafe { bindings::d_alloc((*self.as_raw()).d_parent, self.name()) };
        // INVARIANT: `d_alloc` returns a new dentry with one reference, on our superblock.
        Ok(DentryRef(NonNull::new(twin).ok_or(ENOMEM)?, PhantomData))
    }
}

/// An owned reference to a dentry of `T`, released with `dput`.
///
/// # Invariants
///
/// We own one reference on a valid dentry of a superblock of `T`.
pub(crate) struct DentryRef<T: FileSystem>(NonNull<bindings::dentry>, PhantomData<T>);

impl<T: FileSystem> Deref for DentryRef<T> {
    type Target = Dentry<T>;

    fn deref(&self) -> &Dentry<T> {
        // SAFETY: Our reference keeps the dentry valid.
        unsafe { Dentry::from_raw(self.0.as_ptr()) }
    }
}

impl<T: FileSystem> Drop for DentryRef<T> {
    fn drop(&mut self) {
        // SAFETY: We own one reference by the type invariant.
        unsafe { bindings::dput(self.0.as_ptr()) };
    }
}
