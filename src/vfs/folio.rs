// SPDX-License-Identifier: GPL-2.0

//! Folios of an inode's page cache.

use crate::bindings;
use core::{marker::PhantomData, ptr::NonNull};
use kernel::{
    error::{from_err_ptr, to_result},
    iov::IovIterDest,
    prelude::*,
};

use super::{FileSystem, Inode};

/// An owned reference to a page-cache folio, released with `folio_put`.
///
/// # Invariants
///
/// We own one reference on a valid folio.
pub(crate) struct FolioRef(NonNull<bindings::folio>);

/// The fields of a folio's first page that make it a page-cache folio (`folio->mapping` & co.).
///
/// # Safety
///
/// `folio` must point to a valid folio.
unsafe fn fields(folio: *mut bindings::folio) -> *mut bindings::folio__bindgen_ty_1__bindgen_ty_1 {
    // SAFETY: Per the contract; only the address is computed.
    unsafe { &raw mut (*folio).__bindgen_anon_1.__bindgen_anon_1 }
}

/// The page cache a folio is in (`folio->mapping`), null when it has been taken out.
///
/// # Safety
///
/// `folio` must point to a valid folio that the caller holds locked (which keeps its mapping).
pub(crate) unsafe fn folio_mapping(folio: *mut bindings::folio) -> *mut bindings::address_space {
    // SAFETY: Per the contract.
    unsafe { (*fields(folio)).mapping }
}

/// The inode whose page cache a folio is in (`folio_inode`: `folio->mapping->host`).
///
/// # Safety
///
/// `folio` must point to a valid folio that the caller holds locked and that is in a page cache.
pub(crate) unsafe fn folio_inode(folio: *mut bindings::folio) -> *mut bindings::inode {
    // SAFETY: Per the contract, the folio has a mapping, which lives as long as its host.
    unsafe { (*folio_mapping(folio)).host }
}

/// Whether a folio is dirty (`folio_test_dirty`: `PG_dirty`, read like `test_bit` does).
///
/// # Safety
///
/// `folio` must point to a valid folio.
pub(crate) unsafe fn folio_test_dirty(folio: *mut bindings::folio) -> bool {
    // SAFETY: Per the contract; the flags change atomically under us, hence the volatile read.
    let flags = unsafe { core::ptr::read_volatile(&raw const (*fields(folio)).flags.f) };
    flags & (1 << bindings::pageflags_PG_dirty) != 0
}

/// Page `n` of a folio (`folio_page`: the folio's pages follow its first in the memory map).
///
/// # Safety
///
/// `folio` must point to a valid folio of more than `n` pages.
unsafe fn folio_page(folio: *mut bindings::folio, n: usize) -> *mut bindings::page {
    // SAFETY: Per the contract; only the address is computed.
    let first = unsafe { &raw mut (*folio).__bindgen_anon_1.page };
    first.wrapping_add(n)
}

/// The page of a folio that holds page `index` of its file (`folio_file_page`).
///
/// # Safety
///
/// `folio` must point to a valid folio that holds page `index` of its file.
unsafe fn folio_file_page(folio: *mut bindings::folio, index: u64) -> *mut bindings::page {
    // SAFETY: Per the contract.
    let nr = unsafe { bindings::rust_shmem_folio_nr_pages(folio) } as u64;
    // SAFETY: Per the contract; the page is within the folio.
    unsafe { folio_page(folio, (index & (nr - 1)) as usize) }
}

impl FolioRef {
    fn raw(&self) -> *mut bindings::folio {
        self.0.as_ptr()
    }

    /// Whether the folio holds valid data (`folio_test_uptodate`).
    pub(crate) fn is_uptodate(&self) -> bool {
        // SAFETY: The folio is valid by the type invariant.
        unsafe { bindings::rust_shmem_folio_test_uptodate(self.raw()) }
    }

    /// Copies `len` bytes from `offset` in page `index` of the file, which the folio holds, to
    /// `dest`; returns how many were copied.
    pub(crate) fn copy_to(
        &self,
        index: u64,
        offset: usize,
        len: usize,
        dest: &mut IovIterDest<'_>,
    ) -> usize {
        let offset = (index - self.index()) as usize * bindings::PAGE_SIZE + offset;
        // SAFETY: The folio is valid and we hold a reference; `dest` is a valid iterator. The
        // copy from its first page on is bounds-checked against the folio by
        // `copy_page_to_iter` (this is `copy_folio_to_iter`).
        unsafe {
            bindings::copy_page_to_iter(folio_page(self.raw(), 0), offset, len, dest.as_raw())
        }
    }

    /// The number of pages in the folio.
    pub(crate) fn nr_pages(&self) -> u64 {
        // SAFETY: The folio is valid by the type invariant.
        unsafe { bindings::rust_shmem_folio_nr_pages(self.raw()) as u64 }
    }
}

impl FolioRef {
    /// The page index of the folio's first page.
    pub(crate) fn index(&self) -> u64 {
        // SAFETY: The folio is valid while we hold a reference; it stays at its index.
        unsafe { (*fields(self.raw())).__bindgen_anon_2.index as u64 }
    }
}

impl FolioRef {
    /// The page of the folio that holds page `index` of the file, with our folio reference
    /// moved to it: a `put_page` on the page releases it.
    pub(crate) fn into_page(self, index: u64) -> *mut bindings::page {
        let folio = core::mem::ManuallyDrop::new(self);
        // SAFETY: The folio is valid and holds page `index` of its file (the caller looked it up
        // at that index); the reference we own stays on the folio, which the page belongs to.
        unsafe { folio_file_page(folio.raw(), index) }
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

    /// The page index of the folio's first page.
    pub(crate) fn index(&self) -> u64 {
        self.0.index()
    }

    /// The number of pages in the folio.
    pub(crate) fn nr_pages(&self) -> u64 {
        self.0.nr_pages()
    }

    /// Whether the folio is PMD-sized (`folio_test_pmd_mappable`).
    fn is_pmd_mappable(&self) -> bool {
        self.nr_pages() >= 1 << bindings::HPAGE_PMD_ORDER
    }

    /// Takes the folio out of its page cache (`filemap_remove_folio`), as when its pages could
    /// not be charged or it lies past the end of a file that shrank under a fault.
    pub(crate) fn remove(self) {
        // SAFETY: We hold the folio locked, so its mapping cannot change under us.
        let mapping = unsafe { folio_mapping(self.0.raw()) };
        if !mapping.is_null() {
            // SAFETY: A locked folio of `mapping`, whose host is a regular file of ours. The
            // only failure is a folio that left `mapping` already, which leaves nothing to do.
            unsafe { bindings::generic_error_remove_folio(mapping, self.0.raw()) };
        }
    }

    /// Zeroes what a write of `len` bytes at file position `pos` leaves of a folio that holds no
    /// data yet (`simple_write_begin`).
    pub(crate) fn zero_around_write(&self, pos: i64, len: usize) {
        let size = self.nr_pages() as usize * bindings::PAGE_SIZE;
        // `offset_in_folio`: folio sizes are powers of two.
        let from = pos as usize & (size - 1);
        let len = len.min(size - from);
        if len != size {
            // SAFETY: We hold the folio locked; both ranges lie within it.
            unsafe {
                bindings::rust_shmem_folio_zero_segments(self.0.raw(), 0, from, from + len, size)
            };
        }
    }

    /// Marks a folio just added to the page cache as shared memory, as `shmem_add_to_page_cache`
    /// has it: swap-backed, and counted in `NR_SHMEM` (`Shmem` in `/proc/meminfo`, the memcg
    /// `shmem` stat) and, PMD-sized, `NR_SHMEM_THPS` (`ShmemHugePages`) rather than the
    /// `NR_FILE_THPS` that `filemap_add_folio` counted. The mm then counts its mappings as
    /// shared memory too (`RssShmem`, smaps' `Pss_Shmem`/`ShmemPmdMapped`, `NR_SHMEM_PMDMAPPED`),
    /// and `filemap_unaccount_folio` takes it out of `NR_SHMEM` when it leaves the cache.
    ///
    /// `__filemap_add_folio` refuses swap-backed folios (`VM_BUG_ON_FOLIO`), hence after the
    /// insertion; the folio is still locked, so nothing has mapped it or removed it yet, and
    /// every count made at mapping or removal sees the flag. Our mappings are unevictable, so
    /// reclaim never tries to swap the folio out (`folio_evictable` first, in
    /// `shrink_folio_list`).
    fn account_as_shmem(&self) {
        let folio = self.0.raw();
        let nr = self.nr_pages() as c_int;
        let pmd_mappable = self.is_pmd_mappable();
        // SAFETY: The folio is valid and locked by us; `set_bit` is atomic, as flags of a
        // folio in the page cache need. Stat updates take a folio that is in a page cache.
        unsafe {
            bindings::set_bit(
                bindings::pageflags_PG_swapbacked as c_ulong,
                &raw mut (*fields(folio)).flags.f,
            );
            bindings::rust_shmem_lruvec_stat_mod_folio(
                folio,
                bindings::node_stat_item_NR_SHMEM,
                nr,
            );
            if pmd_mappable {
                bindings::rust_shmem_lruvec_stat_mod_folio(
                    folio,
                    bindings::node_stat_item_NR_SHMEM_THPS,
                    nr,
                );
                bindings::rust_shmem_lruvec_stat_mod_folio(
                    folio,
                    bindings::node_stat_item_NR_FILE_THPS,
                    -nr,
                );
            }
        }
    }

    /// Our reference alone, for a folio whose lock someone else has released.
    fn lock_released(self) -> FolioRef {
        let folio = core::mem::ManuallyDrop::new(self);
        // SAFETY: `folio` is never dropped, so the reference is moved out exactly once.
        unsafe { core::ptr::read(&folio.0) }
    }

    /// Hands the folio over locked, with our reference: `write_begin` returns it so.
    pub(crate) fn into_raw(self) -> *mut bindings::folio {
        let folio = core::mem::ManuallyDrop::new(self);
        folio.0.raw()
    }

    /// Hands over the page holding page `index` of the file, locked, with our reference on its
    /// folio: a fault returns it so (`VM_FAULT_LOCKED`).
    pub(crate) fn into_locked_page(self, index: u64) -> *mut bindings::page {
        let folio = self.into_raw();
        // SAFETY: The folio is valid and holds page `index` of its file (looked up there).
        unsafe { folio_file_page(folio, index) }
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
    ///
    /// A page at a time with the architecture's page clearing, as `shmem_get_folio_gfp`'s
    /// "clear:" does: on x86 that is `rep stosb` where ERMS makes it the fastest, which the
    /// `memset` of `folio_zero_range` would not use.
    pub(crate) fn fill_zeroes(&self) {
        let folio = self.0.raw();
        for i in 0..self.nr_pages() as usize {
            // SAFETY: We hold the folio locked; page `i` is one of its pages.
            unsafe { bindings::rust_shmem_clear_highpage(folio_page(folio, i)) };
        }
        // SAFETY: We hold the folio locked, as setting its flags requires; its data is valid.
        unsafe {
            bindings::rust_shmem_flush_dcache_folio(folio);
            bindings::rust_shmem_folio_mark_uptodate(folio);
        }
    }
}

impl Drop for LockedFolio {
    fn drop(&mut self) {
        // SAFETY: We hold the lock; the reference is dropped right after by `FolioRef`.
        unsafe { bindings::folio_unlock(self.0.raw()) };
    }
}

/// The next part of a read, within one folio or hole page (see [`PageCache::read_segment`]).
pub(crate) struct ReadSegment {
    /// The page index in the file.
    pub(crate) index: u64,
    /// Where the segment starts in the page.
    pub(crate) offset: usize,
    /// Its length in bytes, at least 1; it runs past the page only within `folio`.
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
        self.get_folio(index, 0).map(FolioRef)
    }

    /// `__filemap_get_folio(mapping, index, fgp, 0)`: the folio at `index` with a reference for
    /// us, on the terms of `fgp`; `None` if there is none (`-ENOENT`).
    fn get_folio(&self, index: u64, fgp: bindings::fgf_t) -> Option<NonNull<bindings::folio>> {
        // SAFETY: The mapping is valid; the lookup takes a reference on what it returns, and
        // the other flags in `fgp` only lock it. A null policy is `__filemap_get_folio`'s.
        let folio = unsafe {
            bindings::__filemap_get_folio_mpol(
                self.mapping(),
                index as c_ulong,
                fgp,
                0,
                core::ptr::null_mut(),
            )
        };
        from_err_ptr(folio).ok().and_then(NonNull::new)
    }

    /// The folio holding page `index`, if there is one, locked.
    pub(crate) fn lookup_locked(&self, index: u64) -> Option<LockedFolio> {
        // INVARIANT: A folio returned is locked, still in the mapping, and carries a reference
        // for us.
        self.get_folio(index, bindings::RUST_SHMEM_FGP_LOCK)
            .map(|folio| LockedFolio(FolioRef(folio)))
    }

    /// The allocation flags of the mapping (`mapping_gfp_mask`).
    pub(crate) fn gfp(&self) -> bindings::gfp_t {
        // SAFETY: The mapping is valid; its mask is set once, when the inode is made.
        unsafe { (*self.mapping()).gfp_mask }
    }

    /// Adds a new folio holding page `index`, locked and not yet holding data: of the largest
    /// order in `orders` (a bit per order) whose aligned range is empty and which `large_gfp`
    /// can allocate (`shmem_alloc_and_add_folio`), else of a single page. `EEXIST` when
    /// something was added at `index` meanwhile.
    pub(crate) fn add_new(
        &self,
        index: u64,
        mut orders: u64,
        large_gfp: bindings::gfp_t,
    ) -> Result<LockedFolio> {
        while orders != 0 {
            let order = 63 - orders.leading_zeros();
            orders &= !(1 << order);
            let first = index & !((1u64 << order) - 1);
            let last = first + (1u64 << order) - 1;
            if self.range_used(first, last) {
                continue;
            }
            if let Some(folio) = Self::alloc(large_gfp, order) {
                return self.insert(folio, first);
            }
        }
        let folio = Self::alloc(self.gfp(), 0).ok_or(ENOMEM)?;
        self.insert(folio, index)
    }

    /// Whether the page cache has any entry in `first..=last` (the `xa_find` of
    /// `shmem_suitable_orders`).
    fn range_used(&self, first: u64, last: u64) -> bool {
        let mut first = first as c_ulong;
        // SAFETY: The mapping is valid; `xa_find` takes the RCU read lock itself, and only
        // writes `first`.
        let entry = unsafe {
            bindings::xa_find(
                &raw mut (*self.mapping()).i_pages,
                &mut first,
                last as c_ulong,
                bindings::XA_PRESENT,
            )
        };
        !entry.is_null()
    }

    /// A new locked folio of `order` pages that is in no page cache.
    fn alloc(gfp: bindings::gfp_t, order: u32) -> Option<LockedFolio> {
        // SAFETY: Allocation has no precondition; the result is ours, or null.
        let folio = NonNull::new(unsafe { bindings::rust_shmem_filemap_alloc_folio(gfp, order) })?;
        // SAFETY: Nothing else knows the new folio yet: its flags are ours to set without
        // atomics (`__folio_set_locked`).
        unsafe {
            bindings::__set_bit(
                bindings::pageflags_PG_locked as c_ulong,
                &raw mut (*fields(folio.as_ptr())).flags.f,
            )
        };
        // INVARIANT: We own the allocation's reference, and the folio is locked.
        Some(LockedFolio(FolioRef(folio)))
    }

    /// Puts a new locked folio into the page cache at `index`, its first page.
    fn insert(&self, folio: LockedFolio, index: u64) -> Result<LockedFolio> {
        // SAFETY: The mapping is valid; the folio is locked, new, aligned to its size at
        // `index`, and keeps our reference either way (the page cache takes its own).
        let ret = unsafe {
            bindings::filemap_add_folio(self.mapping(), folio.0.raw(), index as c_ulong, self.gfp())
        };
        if let Err(e) = to_result(ret) {
            // On failure `filemap_add_folio` has cleared the lock: only our reference is left.
            drop(folio.lock_released());
            return Err(e);
        }
        folio.account_as_shmem();
        // The vmstat event tmpfs counts for a new PMD-sized folio (`thp_file_alloc`).
        if folio.is_pmd_mappable() {
            // SAFETY: Counting an event has no precondition.
            unsafe { bindings::rust_shmem_count_vm_event(bindings::vm_event_item_THP_FILE_ALLOC) };
        }
        Ok(folio)
    }

    /// What a read of up to `left` bytes at `pos` finds next: the folio holding it if the page
    /// has data, and the segment up to the end of that folio (one copy per large folio, as in
    /// `shmem_file_read_iter`) or of the file; anything else, a hole or a preallocated page,
    /// reads as zeros up to the end of the page. `None` at or past the end of the file.
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
        let room = match &folio {
            // In pages first: byte offsets near the end of a file's range would overflow.
            Some(folio) => {
                let pages_left = (folio.index() + folio.nr_pages()).saturating_sub(index);
                pages_left.min(folio.nr_pages()).max(1) as i64 * page - offset
            }
            None => page - offset,
        };
        let len = (size - pos)
            .min(room)
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
