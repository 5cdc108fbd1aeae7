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

impl FolioRef {
    /// The page index of the folio's first page.
    pub(crate) fn index(&self) -> u64 {
        // SAFETY: The folio is valid and in a mapping while we hold a reference.
        unsafe { bindings::rust_shmem_folio_index(self.raw()) as u64 }
    }
}

impl FolioRef {
    /// The page of the folio that holds page `index` of the file, with our folio reference
    /// moved to it: a `put_page` on the page releases it.
    pub(crate) fn into_page(self, index: u64) -> *mut bindings::page {
        let folio = core::mem::ManuallyDrop::new(self);
        // SAFETY: The folio is valid and holds page `index` of its file (the caller looked it up
        // at that index); the reference we own stays on the folio, which the page belongs to.
        unsafe { bindings::rust_shmem_folio_file_page(folio.raw(), index as c_ulong) }
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

    /// Keeps a new folio as preallocated space, like `shmem_fallocate`: dirty, so nothing but
    /// truncation drops it, and not yet valid, so it reads (and seeks) as a hole until the first
    /// write or fault fills it.
    pub(crate) fn mark_preallocated(&self) {
        // SAFETY: We hold the folio locked, so we may set its flags.
        unsafe { bindings::folio_mark_dirty(self.0.raw()) };
    }
}

impl LockedFolio {
    /// Turns a preallocated folio into zeroed data (`SGP_FALLOC` on a folio fallocated
    /// earlier): from then on it reads, seeks and counts as written.
    pub(crate) fn fill_zeroes(&self) {
        // SAFETY: We hold the folio locked, as zeroing it and setting its flags require.
        unsafe { bindings::rust_shmem_folio_zero_mark_uptodate(self.0.raw()) };
    }
}

impl Drop for LockedFolio {
    fn drop(&mut self) {
        // SAFETY: We hold the lock; the reference is dropped right after by `FolioRef`.
        unsafe { bindings::folio_unlock(self.0.raw()) };
    }
}

/// The next part of a read, within one page (see [`PageCache::read_segment`]).
pub(crate) struct ReadSegment {
    /// The page index in the file.
    pub(crate) index: u64,
    /// Where the segment starts in the page.
    pub(crate) offset: usize,
    /// Its length in bytes, at least 1.
    pub(crate) len: usize,
    /// The folio with the data, or `None` for zeros.
    pub(crate) folio: Option<FolioRef>,
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

    /// What a read of up to `left` bytes at `pos` finds next: the segment up to the end of the
    /// page or of the file, and the folio holding it if the page has data (anything else, a hole
    /// or a preallocated page, reads as zeros). `None` at or past the end of the file.
    pub(crate) fn read_segment(&self, pos: i64, left: usize) -> Option<ReadSegment> {
        let page = bindings::PAGE_SIZE as i64;
        if pos >= self.0.size() {
            return None;
        }
        let index = (pos / page) as u64;
        let folio = self.lookup(index).filter(FolioRef::is_uptodate);
        // Sizes may have changed while we looked: readers do not hold the inode lock.
        let size = self.0.size();
        if pos >= size {
            return None;
        }
        let offset = pos % page;
        let len = (size - pos)
            .min(page - offset)
            .min(i64::try_from(left).unwrap_or(i64::MAX));
        Some(ReadSegment {
            index,
            offset: offset as usize,
            len: len as usize,
            folio,
        })
    }

    /// Whether page `index` holds data: a folio that is there and valid. Anything else reads
    /// as zeros, so `SEEK_DATA`/`SEEK_HOLE` treat it as a hole, as tmpfs does.
    pub(crate) fn has_data(&self, index: u64) -> bool {
        self.lookup(index).is_some_and(|f| f.is_uptodate())
    }

    /// The first page at or after `index`, and before `end`, that holds data.
    pub(crate) fn next_data(&self, mut index: u64, end: u64) -> Option<u64> {
        while index < end {
            let mut batch: bindings::folio_batch = pin_init::zeroed();
            let mut start = index as c_ulong;
            // SAFETY: The mapping is valid; the batch is empty and gets a reference on each
            // folio it returns, which we drop below.
            let found = unsafe {
                bindings::filemap_get_folios(
                    self.mapping(),
                    &mut start,
                    (end - 1) as c_ulong,
                    &mut batch,
                )
            } as usize;
            if found == 0 {
                return None;
            }
            let mut first_data = None;
            for folio in batch.folios[..found]
                .iter()
                .filter_map(|f| NonNull::new(*f))
            {
                // INVARIANT: The batch holds one reference per folio, moved into `FolioRef`.
                let folio = FolioRef(folio);
                if first_data.is_none() && folio.is_uptodate() {
                    first_data = Some(folio.index());
                }
            }
            if let Some(data) = first_data {
                return Some(data.max(index));
            }
            // `start` now points past the last folio returned.
            index = start as u64;
        }
        None
    }

    /// The number of pages the cache holds.
    pub(crate) fn nr_pages(&self) -> u64 {
        // SAFETY: The mapping is valid; `nrpages` is read like the C `READ_ONCE`.
        unsafe { core::ptr::read_volatile(&raw const (*self.mapping()).nrpages) as u64 }
    }
}
