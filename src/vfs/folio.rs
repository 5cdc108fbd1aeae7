// SPDX-License-Identifier: GPL-2.0

//! Folios of an inode's page cache.

use crate::bindings;
use core::{marker::PhantomData, ptr::NonNull};
use kernel::{error::from_err_ptr, iov::IovIterDest, prelude::*};

use super::{FileSystem, Inode};

/// An owned reference to a page-cache folio, released with `folio_put`.
///
/// # Invariants
///
/// We own one reference on a valid folio.
pub(crate) struct FolioRef(NonNull<bindings::folio>);

impl FolioRef {
    fn raw(&self) -> *mut bindings::folio {
        self.0.as_ptr()
    }

    /// Whether the folio holds valid data (`folio_test_uptodate`).
    pub(crate) fn is_uptodate(&self) -> bool {
        // SAFETY: The folio is valid by the type invariant.
        unsafe { bindings::rust_shmem_folio_test_uptodate(self.raw()) }
    }

    /// Copies `len` bytes from `offset` in the folio to `dest`; returns how many were copied.
    pub(crate) fn copy_to(&self, offset: usize, len: usize, dest: &mut IovIterDest<'_>) -> usize {
        // SAFETY: The folio is valid and we hold a reference; `dest` is a valid iterator. The
        // copy is bounds-checked against the folio by `copy_page_to_iter`.
        unsafe { bindings::rust_shmem_copy_folio_to_iter(self.raw(), offset, len, dest.as_raw()) }
    }
}

impl Drop for FolioRef {
    fn drop(&mut self) {
        // SAFETY: We own one reference.
        unsafe { bindings::rust_shmem_folio_put(self.raw()) };
    }
}

/// A folio we hold locked and referenced; unlocked and released on drop.
pub(crate) struct LockedFolio(FolioRef);

impl LockedFolio {
    /// Whether the folio holds valid data.
    pub(crate) fn is_uptodate(&self) -> bool {
        self.0.is_uptodate()
    }

    /// Fills a new folio with zeros and marks it valid and dirty: memory of ours that nothing
    /// but truncation may drop.
    pub(crate) fn zero_fill(&self) {
        // SAFETY: We hold the folio locked, so we may initialise its contents and flags.
        unsafe {
            bindings::rust_shmem_folio_zero(self.0.raw());
            bindings::rust_shmem_folio_mark_uptodate(self.0.raw());
            bindings::folio_mark_dirty(self.0.raw());
        }
    }
}

impl Drop for LockedFolio {
    fn drop(&mut self) {
        // SAFETY: We hold the lock; the reference is dropped right after by `FolioRef`.
        unsafe { bindings::folio_unlock(self.0.raw()) };
    }
}

/// The page cache of an inode of `T`.
pub(crate) struct PageCache<'a, T: FileSystem>(&'a Inode<T>, PhantomData<T>);

impl<'a, T: FileSystem> PageCache<'a, T> {
    /// The page cache of `inode`.
    pub(crate) fn of(inode: &'a Inode<T>) -> Self {
        Self(inode, PhantomData)
    }

    fn mapping(&self) -> *mut bindings::address_space {
        // SAFETY: The inode is valid; `i_mapping` never changes for our inodes.
        unsafe { (*self.0.as_raw()).i_mapping }
    }

    /// The folio at page `index`, if there is one.
    pub(crate) fn lookup(&self, index: u64) -> Option<FolioRef> {
        // SAFETY: The mapping is valid; the lookup takes a reference on what it returns.
        let folio = unsafe { bindings::rust_shmem_folio_lookup(self.mapping(), index as c_ulong) };
        // INVARIANT: A non-null result carries a reference for us.
        NonNull::new(folio).map(FolioRef)
    }

    /// The folio at page `index`, created if missing, locked.
    pub(crate) fn get_or_create(&self, index: u64) -> Result<LockedFolio> {
        // SAFETY: The mapping is valid; the result is locked and referenced, or an error.
        let folio = from_err_ptr(unsafe {
            bindings::rust_shmem_folio_create_locked(self.mapping(), index as c_ulong)
        })?;
        // INVARIANT: As above.
        Ok(LockedFolio(FolioRef(NonNull::new(folio).ok_or(ENOMEM)?)))
    }

    /// The number of pages the cache holds.
    pub(crate) fn nr_pages(&self) -> u64 {
        // SAFETY: The mapping is valid; `nrpages` is read like the C `READ_ONCE`.
        unsafe { core::ptr::read_volatile(&raw const (*self.mapping()).nrpages) as u64 }
    }
}
