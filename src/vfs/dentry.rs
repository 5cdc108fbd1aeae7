// SPDX-License-Identifier: GPL-2.0

//! Directory entries.

use crate::bindings;
use kernel::types::Opaque;

/// A `struct dentry` the VFS lent us for the duration of a callback.
///
/// # Invariants
///
/// The wrapped dentry is valid for the lifetime of every reference to this type.
#[repr(transparent)]
pub(crate) struct Dentry(Opaque<bindings::dentry>);

impl Dentry {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid dentry that stays valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::dentry) -> &'a Self {
        // SAFETY: `Dentry` is a transparent wrapper; the caller guarantees validity for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer.
    pub(crate) fn as_raw(&self) -> *mut bindings::dentry {
        self.0.get()
    }

    /// Returns the name of this entry, as the VFS's `struct qstr`.
    pub(crate) fn name(&self) -> *const bindings::qstr {
        // SAFETY: The dentry is valid by the type invariant; `d_name` is a field of it. Only the
        // address is taken, nothing is read.
        unsafe { &raw const (*self.as_raw()).__bindgen_anon_1.d_name }
    }
}
