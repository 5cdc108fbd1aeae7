// SPDX-License-Identifier: GPL-2.0

//! Superblocks.

use crate::bindings;
use core::marker::PhantomData;
use kernel::types::Opaque;

use super::FileSystem;

/// A superblock of filesystem `T`.
///
/// # Invariants
///
/// The wrapped superblock is valid for the lifetime of every reference to this type, belongs to
/// `T`, and its `s_fs_info` points to a live `T::SbInfo`.
#[repr(transparent)]
pub(crate) struct SuperBlock<T: FileSystem>(Opaque<bindings::super_block>, PhantomData<T>);

impl<T: FileSystem> SuperBlock<T> {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid superblock of `T`, valid for `'a`, whose `s_fs_info` holds a
    /// `T::SbInfo` for all of `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::super_block) -> &'a Self {
        // SAFETY: Transparent wrapper; the caller guarantees the invariants for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer.
    pub(crate) fn as_raw(&self) -> *mut bindings::super_block {
        self.0.get()
    }

    /// Returns the filesystem's per-superblock data.
    pub(crate) fn info(&self) -> &T::SbInfo {
        // SAFETY: By the type invariant `s_fs_info` points to a `T::SbInfo` that outlives `self`.
        unsafe { &*(*self.as_raw()).s_fs_info.cast::<T::SbInfo>() }
    }
}
