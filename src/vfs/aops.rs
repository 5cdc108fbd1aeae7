// SPDX-License-Identifier: GPL-2.0

//! The page cache of a memory-only filesystem: libfs's `ram_aops` (new pages are zeroed, written
//! pages stay dirty, nothing is written back), with a charge taken for every page that enters the
//! cache, and a read path that reads holes as zeros without filling them.
//!
//! Lock order (`mm/filemap.c`'s): `i_rwsem` → `mmap_lock` (a write's copy faulting in user
//! pages) → folio lock → the filesystem's charge locks ([`PageCacheOps::charge`]).

use crate::bindings;
use crate::kabi::vma::{unmapped_area, VmOps};
use core::marker::PhantomData;
use kernel::{
    iov::IovIterDest,
    mm::virt::{flags as vm_flags, VmaRef},
    prelude::*,
};

use super::{
    file::file_accessed,
    folio::{folio_inode, folio_mapping, folio_test_dirty, LockedFolio, PageCache},
    inode::Locked,
    FileSystem, Inode,
};

/// What a filesystem decides about its page cache.
pub(crate) trait PageCacheOps: FileSystem {
    /// Charges `pages` pages about to enter `inode`'s page cache; `ENOSPC` refuses them.
    fn charge(inode: &Inode<Self>, pages: u64) -> Result;

    /// Gives back a charge that no page used.
    fn uncharge(inode: &Inode<Self>, pages: u64);

    /// Called after pages may have left the cache (truncation, hole punching).
    fn pages_dropped(inode: &Inode<Self>);

    /// Called before `inode`'s size changes from `old` to `new`; an error refuses the change.
    fn resize(inode: &Inode<Self>, old: i64, new: i64) -> Result;

    /// The orders of large folio (a bit per order) a new folio holding page `index` of `inode`
    /// may have, the largest tried first; 0 for single pages only. `write_end` is where a write
    /// in progress ends (0 for none); `advised` says that a mapping asked for huge pages
    /// (`MADV_HUGEPAGE`).
    fn large_folio_orders(inode: &Inode<Self>, index: u64, write_end: i64, advised: bool) -> u64;

    /// Whether files of `inode`'s filesystem may get large folios at all: their mappings are
    /// then placed at addresses that huge pages can map.
    fn large_folios_enabled(inode: &Inode<Self>) -> bool;

    /// The operations of mappings of regular files ([`PageCacheVtable::VM_OPS`] made static).
    const VM_OPS: &'static VmOps<Self>;
}

/// What a caller of [`PageCacheVtable::get_folio`] does with the folio, which decides what the
/// folio must hold when it is returned.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum FolioUse {
    /// A write fills part of it; `write_begin` zeroes the rest of a folio without data.
    Write,
    /// A fault maps it: it must hold data, zeros where nothing was written.
    Fault,
    /// `fallocate` reserves it: a new folio is kept preallocated, and a folio preallocated
    /// earlier becomes zeroed data (`SGP_FALLOC`).
    Preallocate,
}

/// The mapping a page fault is in, and where: large folios must suit both.
///
/// # Invariants
///
/// `vma` is the VMA of the fault being handled, which keeps it valid (mmap or per-VMA lock held)
/// for as long as this object lives: only the fault handler makes one, and it does not outlive
/// the fault.
pub(crate) struct FaultSite {
    vma: *mut bindings::vm_area_struct,
    address: c_ulong,
}

impl FaultSite {
    /// Whether the mapping asked for huge pages (`MADV_HUGEPAGE`).
    fn advised(&self) -> bool {
        // SAFETY: The fault's mapping is valid for the fault, which holds its lock (the mmap
        // lock or the VMA's own).
        let vma = unsafe { VmaRef::from_raw(self.vma) };
        vma.flags() & vm_flags::HUGEPAGE != 0
    }

    /// Whether huge pages are off for the mapping (`MADV_NOHUGEPAGE`, `PR_SET_THP_DISABLE`).
    fn thp_disabled(&self) -> bool {
        // SAFETY: The fault's mapping is valid for the fault.
        unsafe { bindings::rust_shmem_vma_thp_disabled(self.vma) }
    }
}

/// Whether the machine has huge pages (`has_transparent_hugepage`): without them there are no
/// large folios.
pub(crate) fn has_transparent_hugepage() -> bool {
    // SAFETY: Reads a CPU feature; no preconditions.
    unsafe { bindings::rust_shmem_has_transparent_hugepage() }
}

/// The fault result for an error (`vmf_error`).
fn vmf_error(e: Error) -> bindings::vm_fault_t {
    if e == ENOMEM {
        bindings::vm_fault_reason_VM_FAULT_OOM
    } else if e == EHWPOISON {
        bindings::vm_fault_reason_VM_FAULT_HWPOISON
    } else {
        bindings::vm_fault_reason_VM_FAULT_SIGBUS
    }
}

/// Copies `bytes` zeros, a hole's at `offset` in its page, for a read
/// (`shmem_file_read_iter`): copying the zero page to user memory is faster than clearing it,
/// but a pipe must not get the same page twice (`iov_iter_zero` for anything not user-backed).
///
/// # Safety
///
/// `iter` must be a valid destination iterator; `offset + bytes` must not exceed a page.
unsafe fn copy_zeroes_to_iter(offset: usize, bytes: usize, iter: *mut bindings::iov_iter) -> usize {
    // SAFETY: Per the contract the iterator is valid (`user_backed_iter`).
    let user_backed = matches!(
        u32::from(unsafe { (*iter).iter_type }),
        bindings::iter_type_ITER_UBUF | bindings::iter_type_ITER_IOVEC
    );
    if user_backed {
        // SAFETY: The zero page is always valid and never written; the range lies within it.
        unsafe {
            bindings::copy_page_to_iter(bindings::rust_shmem_zero_page(), offset, bytes, iter)
        }
    } else {
        // SAFETY: Per the contract.
        unsafe { bindings::iov_iter_zero(bytes, iter) }
    }
}

/// The libfs operations we build on.
fn ram_aops() -> &'static bindings::address_space_operations {
    // SAFETY: `ram_aops` is an immutable exported static of the kernel.
    unsafe { &bindings::ram_aops }
}

/// Whether `mapping` is the page cache of an inode on a superblock of type `fs`: the
/// `shmem_mapping()` test for a filesystem known by its type rather than by its operations.
///
/// # Safety
///
/// `mapping` must be null or point to a live `address_space` whose host inode (if any) is live;
/// `fs` is only compared.
pub(crate) unsafe fn mapping_of_type(
    mapping: *const bindings::address_space,
    fs: *const bindings::file_system_type,
) -> bool {
    if mapping.is_null() {
        return false;
    }
    // SAFETY: The caller passes a live mapping; its host inode and that inode's superblock live
    // as long as it does.
    unsafe {
        let host = (*mapping).host;
        !host.is_null() && (*(*host).i_sb).s_type.cast_const() == fs
    }
}

/// The `address_space_operations` and file hooks of `T`'s regular files.
pub(crate) struct PageCacheVtable<T: PageCacheOps>(PhantomData<T>);

impl<T: PageCacheOps> PageCacheVtable<T> {
    /// The address space operations.
    pub(crate) const AOPS: bindings::address_space_operations =
        bindings::address_space_operations {
            read_folio: Some(Self::read_folio),
            write_begin: Some(Self::write_begin),
            write_end: Some(Self::write_end),
            dirty_folio: Some(bindings::noop_dirty_folio),
            migrate_folio: Some(bindings::filemap_migrate_folio),
            ..pin_init::zeroed()
        };

    /// The operations of mappings of regular files (`shmem_vm_ops`): faults allocate through
    /// [`Self::get_folio`], so that they get large folios and their pages are charged. No
    /// `page_mkwrite`, as in tmpfs: nothing needs write notification (there is no writeback),
    /// and the write fault that adds a page updates the file times itself.
    // SAFETY: `fault` is made for mappings of `T`'s files; `filemap_map_pages` serves any
    // page-cache mapping.
    pub(crate) const VM_OPS: VmOps<T> = unsafe {
        VmOps::new(bindings::vm_operations_struct {
            fault: Some(Self::fault),
            map_pages: Some(bindings::filemap_map_pages),
            ..pin_init::zeroed()
        })
    };

    /// # Safety
    ///
    /// `address_space_operations::read_folio`: a locked, new folio of one of `T`'s inodes.
    unsafe extern "C" fn read_folio(
        file: *mut bindings::file,
        folio: *mut bindings::folio,
    ) -> c_int {
        // SAFETY: A locked page-cache folio has a mapping, whose host is our inode.
        let inode = unsafe { Inode::<T>::from_raw(folio_inode(folio)) };
        // SAFETY: As above.
        let pages = unsafe { bindings::rust_shmem_folio_nr_pages(folio) } as u64;
        // A dirty folio that is not yet valid was preallocated, and charged then.
        // SAFETY: As above.
        let charged = unsafe { folio_test_dirty(folio) };
        if let Err(e) = T::charge(inode, if charged { 0 } else { pages }) {
            // A folio without data and without a charge must not stay: everything else takes
            // a folio there for preallocated, charged space.
            // SAFETY: The folio is locked and in our inode's page cache; `read_folio` must
            // unlock it, also on failure.
            unsafe {
                bindings::generic_error_remove_folio(folio_mapping(folio), folio);
                bindings::folio_unlock(folio);
            }
            T::pages_dropped(inode);
            return e.to_errno();
        }
        match ram_aops().read_folio {
            // SAFETY: Forwarding our caller's arguments to libfs's implementation.
            Some(read_folio) => unsafe { read_folio(file, folio) },
            None => {
                T::uncharge(inode, if charged { 0 } else { pages });
                // SAFETY: As above.
                unsafe { bindings::folio_unlock(folio) };
                EIO.to_errno()
            }
        }
    }

    /// `address_space_operations::write_begin` (`shmem_write_begin`): the folio holding `pos`,
    /// added and charged if missing, with what the write leaves of it zeroed if it holds no data.
    ///
    /// # Safety
    ///
    /// A write to one of `T`'s inodes, under its lock.
    unsafe extern "C" fn write_begin(
        _iocb: *const bindings::kiocb,
        mapping: *mut bindings::address_space,
        pos: bindings::loff_t,
        len: c_uint,
        foliop: *mut *mut bindings::folio,
        _fsdata: *mut *mut c_void,
    ) -> c_int {
        // SAFETY: The mapping of one of our inodes is valid and hosted by it.
        let inode = unsafe { Inode::<T>::from_raw((*mapping).host) };
        let index = (pos >> bindings::PAGE_SHIFT) as u64;
        let write_end = pos.saturating_add(i64::from(len));
        match Self::get_folio(inode, index, write_end, None, FolioUse::Write) {
            Ok(folio) => {
                if !folio.is_uptodate() {
                    folio.zero_around_write(pos, len as usize);
                }
                // SAFETY: `foliop` is ours to fill; `write_end` unlocks and releases the folio.
                unsafe { *foliop = folio.into_raw() };
                0
            }
            Err(e) => e.to_errno(),
        }
    }

    /// The folio holding page `index` of `inode`, locked, added if missing (`shmem_get_folio`):
    /// large if the filesystem allows it there and memory and the range permit, charged, and
    /// holding what `usage` needs. `write_end` is where a write in progress ends; `site` is the
    /// mapping of a fault.
    pub(crate) fn get_folio(
        inode: &Inode<T>,
        index: u64,
        write_end: i64,
        site: Option<&FaultSite>,
        usage: FolioUse,
    ) -> Result<LockedFolio> {
        let cache = PageCache::of(inode);
        loop {
            if let Some(folio) = cache.lookup_locked(index) {
                // A folio without data that is not ours in the making was preallocated.
                if !folio.is_uptodate() && usage != FolioUse::Write {
                    folio.fill_zeroes();
                }
                return Ok(folio);
            }
            let folio = match Self::add_charged(inode, index, write_end, site) {
                Err(e) if e == EEXIST => continue,
                result => result?,
            };
            match usage {
                FolioUse::Write => {}
                FolioUse::Fault => folio.fill_zeroes(),
                FolioUse::Preallocate => folio.mark_preallocated(),
            }
            return Ok(folio);
        }
    }

    /// Adds a new folio holding page `index` and charges its pages: a large one if allowed and
    /// possible, else, as tmpfs falls back, a single page. `EEXIST` if one was added meanwhile.
    fn add_charged(
        inode: &Inode<T>,
        index: u64,
        write_end: i64,
        site: Option<&FaultSite>,
    ) -> Result<LockedFolio> {
        let cache = PageCache::of(inode);
        let orders = Self::large_orders(inode, index, write_end, site);
        if orders != 0 {
            let advised = site.is_some_and(FaultSite::advised);
            let folio = cache.add_new(index, orders, Self::large_gfp(cache.gfp(), advised))?;
            let pages = folio.nr_pages();
            match T::charge(inode, pages) {
                Ok(()) => return Ok(folio),
                // No room for a large folio: try a single page.
                Err(_) if pages > 1 => folio.remove(),
                Err(e) => {
                    folio.remove();
                    return Err(e);
                }
            }
        }
        let folio = cache.add_new(index, 0, 0)?;
        match T::charge(inode, 1) {
            Ok(()) => Ok(folio),
            Err(e) => {
                folio.remove();
                Err(e)
            }
        }
    }

    /// The large folio orders allowed for a new folio at `index`: the filesystem's choice,
    /// unless huge pages are off for the machine or the mapping, and only orders whose
    /// alignment the mapping's addresses allow (`shmem_allowable_huge_orders`).
    fn large_orders(inode: &Inode<T>, index: u64, write_end: i64, site: Option<&FaultSite>) -> u64 {
        if !T::large_folios_enabled(inode) {
            return 0;
        }
        if !has_transparent_hugepage() || site.is_some_and(FaultSite::thp_disabled) {
            return 0;
        }
        let advised = site.is_some_and(FaultSite::advised);
        let orders = T::large_folio_orders(inode, index, write_end, advised);
        match site {
            // SAFETY: As above; the address is the fault's.
            Some(site) if orders != 0 => unsafe {
                bindings::rust_shmem_thp_vma_suitable_orders(
                    site.vma,
                    site.address,
                    orders as c_ulong,
                ) as u64
            },
            _ => orders,
        }
    }

    /// Allocation flags for a large folio: the mapping's, without reclaim unless the mapping
    /// asked for huge pages (the default `defrag` policy), never retrying or warning.
    fn large_gfp(gfp: bindings::gfp_t, advised: bool) -> bindings::gfp_t {
        let reclaim = if advised {
            bindings::RUST_SHMEM_GFP_DIRECT_RECLAIM
        } else {
            0
        };
        (gfp & !bindings::RUST_SHMEM_GFP_RECLAIM) | bindings::RUST_SHMEM_GFP_LARGE_FOLIO | reclaim
    }

    /// # Safety
    ///
    /// `address_space_operations::write_end`: the end of a write started by `write_begin`.
    unsafe extern "C" fn write_end(
        iocb: *const bindings::kiocb,
        mapping: *mut bindings::address_space,
        pos: bindings::loff_t,
        len: c_uint,
        copied: c_uint,
        folio: *mut bindings::folio,
        fsdata: *mut c_void,
    ) -> c_int {
        match ram_aops().write_end {
            // SAFETY: Forwarding our caller's arguments to libfs's implementation.
            Some(write_end) => unsafe { write_end(iocb, mapping, pos, len, copied, folio, fsdata) },
            None => EIO.to_errno(),
        }
    }

    /// `vm_operations_struct::fault` (`shmem_fault`): the page at the fault's offset, from a
    /// folio [`Self::get_folio`] finds or adds; past the end of the file, `SIGBUS`.
    ///
    /// # Safety
    ///
    /// A fault in a mapping of one of `T`'s regular files.
    pub(crate) unsafe extern "C" fn fault(vmf: *mut bindings::vm_fault) -> bindings::vm_fault_t {
        // SAFETY: The fault and its mapping are valid; the mapped file is one of ours.
        let (site, index, inode) = unsafe {
            let fault = &(*vmf).__bindgen_anon_1;
            let inode = Inode::<T>::from_raw((*(*fault.vma).vm_file).f_inode);
            let site = FaultSite {
                vma: fault.vma,
                address: fault.address,
            };
            (site, fault.pgoff as u64, inode)
        };
        let page = bindings::PAGE_SIZE as u64;
        let end_index = |inode: &Inode<T>| (inode.size() as u64).div_ceil(page);
        if index >= end_index(inode) {
            return bindings::vm_fault_reason_VM_FAULT_SIGBUS;
        }
        let folio = match Self::get_folio(inode, index, 0, Some(&site), FolioUse::Fault) {
            Ok(folio) => folio,
            Err(e) => return vmf_error(e),
        };
        // The file may have shrunk meanwhile; a folio wholly past the new end is one that
        // truncation missed.
        if index >= end_index(inode) {
            if folio.index() >= end_index(inode) {
                folio.remove();
                T::pages_dropped(inode);
            }
            return bindings::vm_fault_reason_VM_FAULT_SIGBUS;
        }
        // SAFETY: The fault is ours to complete; the core unlocks and releases the page.
        unsafe { (*vmf).page = folio.into_locked_page(index) };
        bindings::vm_fault_reason_VM_FAULT_LOCKED
    }

    /// `file_operations::mmap_prepare` (`shmem_mmap_prepare`): mappings fault through
    /// [`Self::fault`].
    ///
    /// # Safety
    ///
    /// A mapping of one of `T`'s regular files being set up.
    pub(crate) unsafe extern "C" fn mmap_prepare(desc: *mut bindings::vm_area_desc) -> c_int {
        // SAFETY: The descriptor is ours to fill and its file is live.
        unsafe {
            file_accessed((*desc).file);
            (*desc).vm_ops = T::VM_OPS.as_raw();
        }
        0
    }

    /// `file_operations::get_unmapped_area` (`shmem_get_unmapped_area`): where files may get
    /// large folios, mappings are placed so that huge pages can map them.
    ///
    /// # Safety
    ///
    /// Placement of a mapping of one of `T`'s regular files, in the current process.
    pub(crate) unsafe extern "C" fn get_unmapped_area(
        file: *mut bindings::file,
        addr: c_ulong,
        len: c_ulong,
        pgoff: c_ulong,
        flags: c_ulong,
    ) -> c_ulong {
        // SAFETY: The file is live and one of ours.
        let inode = unsafe { Inode::<T>::from_raw((*file).f_inode) };
        // SAFETY: Forwarding our caller's arguments.
        unsafe {
            unmapped_area(
                file,
                T::large_folios_enabled(inode),
                addr,
                len,
                pgoff,
                flags,
            )
        }
    }

    /// The file of an I/O request and its inode.
    ///
    /// # Safety
    ///
    /// `iocb` must be a valid request on one of `T`'s regular files, which stays open for `'a`.
    unsafe fn kiocb_file<'a>(iocb: *mut bindings::kiocb) -> (*mut bindings::file, &'a Inode<T>) {
        // SAFETY: Per the contract the file is open and its inode one of ours.
        unsafe {
            let file = (*iocb).ki_filp;
            (file, Inode::<T>::from_raw((*file).f_inode))
        }
    }

    /// `file_operations::read_iter` that reads holes as zeros instead of filling them with new
    /// pages, so reading a sparse file neither uses memory nor fails on a full filesystem
    /// (`shmem_file_read_iter`).
    ///
    /// # Safety
    ///
    /// A read of one of `T`'s regular files: valid `iocb` and `iter`.
    pub(crate) unsafe extern "C" fn read_iter(
        iocb: *mut bindings::kiocb,
        iter: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: Per the contract.
        let (file, inode) = unsafe { Self::kiocb_file(iocb) };
        // SAFETY: `iter` is a valid destination per the contract.
        let dest = unsafe { IovIterDest::from_raw(iter) };
        let cache = PageCache::of(inode);
        let mut read = 0usize;
        let mut copy = || -> Result {
            while !dest.is_empty() {
                // SAFETY: `ki_pos` is ours to read and advance during the call.
                let pos = unsafe { (*iocb).ki_pos };
                let Some(segment) = cache.read_segment(pos, dest.len()) else {
                    break;
                };
                let done = match segment.folio {
                    Some(folio) => folio.copy_to(segment.index, segment.offset, segment.len, dest),
                    // SAFETY: `dest` is valid; a hole's segment lies within one page.
                    None => unsafe {
                        copy_zeroes_to_iter(segment.offset, segment.len, dest.as_raw())
                    },
                };
                // SAFETY: As above.
                unsafe { (*iocb).ki_pos += done as i64 };
                read += done;
                if done < segment.len {
                    return Err(EFAULT);
                }
            }
            Ok(())
        };
        let result = copy();
        // SAFETY: The file is valid; marking access updates atime like every read.
        unsafe { file_accessed(file) };
        match result {
            Err(e) if read == 0 => e.to_errno() as isize,
            _ => read as isize,
        }
    }

    /// `file_operations::write_iter` (`shmem_file_write_iter`): always through the page cache,
    /// `O_DIRECT` included, since the page cache is all there is.
    ///
    /// # Safety
    ///
    /// A write to one of `T`'s regular files: valid `iocb` and `iter`.
    pub(crate) unsafe extern "C" fn write_iter(
        iocb: *mut bindings::kiocb,
        iter: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: Per the contract.
        let (file, inode) = unsafe { Self::kiocb_file(iocb) };
        let _locked = inode.lock();
        // SAFETY: `iocb` and `iter` are valid; we hold the inode lock these helpers expect.
        unsafe {
            let ret = bindings::generic_write_checks(iocb, iter);
            if ret <= 0 {
                return ret;
            }
            let ret = bindings::file_remove_privs(file);
            if ret != 0 {
                return ret as isize;
            }
            let ret = bindings::file_update_time(file);
            if ret != 0 {
                return ret as isize;
            }
            bindings::generic_perform_write(iocb, iter)
        }
    }

    /// `file_operations::open`: regular files accept `O_DIRECT`, like tmpfs's.
    ///
    /// # Safety
    ///
    /// An open of one of `T`'s regular files.
    pub(crate) unsafe extern "C" fn open(
        inode: *mut bindings::inode,
        file: *mut bindings::file,
    ) -> c_int {
        // SAFETY: The file is being opened and exclusively ours to set up.
        unsafe {
            (*file).f_mode |= bindings::RUST_SHMEM_FMODE_CAN_ODIRECT;
            bindings::generic_file_open(inode, file)
        }
    }

    /// `file_operations::llseek`, with `SEEK_DATA` and `SEEK_HOLE` answered from the page cache
    /// (`shmem_file_llseek`): pages that are there hold data, everything else is a hole.
    ///
    /// # Safety
    ///
    /// A seek on one of `T`'s regular files.
    pub(crate) unsafe extern "C" fn llseek(
        file: *mut bindings::file,
        offset: i64,
        whence: c_int,
    ) -> i64 {
        // SAFETY: The file is open and one of ours.
        let inode = unsafe { Inode::<T>::from_raw((*file).f_inode) };
        let max = bindings::RUST_SHMEM_MAX_LFS_FILESIZE;
        let whence = whence as u32;
        if whence != bindings::SEEK_DATA && whence != bindings::SEEK_HOLE {
            // SAFETY: Forwarding our caller's arguments.
            return unsafe {
                bindings::generic_file_llseek_size(file, offset, whence as c_int, max, inode.size())
            };
        }
        let _locked = inode.lock();
        let size = inode.size();
        if offset < 0 || offset >= size {
            return ENXIO.to_errno().into();
        }
        let page = bindings::PAGE_SIZE as i64;
        let cache = PageCache::of(inode);
        let (first, end) = (
            (offset / page) as u64,
            (size / page + i64::from(size % page != 0)) as u64,
        );
        // A page index times the page size can exceed `i64::MAX` only for the end of a file
        // within a page of `MAX_LFS_FILESIZE`; clamped to the size below, which is in range.
        let start_of = |index: u64| (index as i64).saturating_mul(page);
        let pos = if whence == bindings::SEEK_DATA {
            match cache.next_data(first, end) {
                Some(index) => offset.max(start_of(index)),
                None => return ENXIO.to_errno().into(),
            }
        } else {
            // Data runs are memory we hold, so walking one page at a time is bounded.
            let hole = (first..end).find(|i| !cache.has_data(*i)).unwrap_or(end);
            offset.max(start_of(hole)).min(size)
        };
        // SAFETY: The file is valid; the position was checked against the size.
        unsafe { bindings::vfs_setpos(file, pos, max) }
    }

    /// `inode_operations::setattr` (`shmem_setattr`): growing a file only moves its size, so
    /// preallocated pages past the end survive; shrinking it, or truncating to the same size,
    /// drops every page past the new end, and the filesystem hears about it.
    ///
    /// # Safety
    ///
    /// A `setattr` on one of `T`'s inodes, with the VFS's locks held.
    pub(crate) unsafe extern "C" fn setattr(
        idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        attr: *mut bindings::iattr,
    ) -> c_int {
        // SAFETY: Forwarding our caller's arguments.
        let ret = unsafe { bindings::setattr_prepare(idmap, dentry, attr) };
        if ret != 0 {
            return ret;
        }
        // SAFETY: `dentry` is a positive dentry of ours, its inode locked by the VFS
        // (`notify_change`), and `attr` valid for the call.
        let (inode, resize) = unsafe {
            let resize = (*attr).ia_valid & bindings::ATTR_SIZE != 0;
            (
                Locked::assume(Inode::<T>::from_raw((*dentry).d_inode)),
                resize.then(|| (*attr).ia_size),
            )
        };
        if let Some(new) = resize {
            let old = inode.size();
            if new != old {
                if let Err(e) = T::resize(inode, old, new) {
                    return e.to_errno();
                }
            }
            if new > old {
                inode.write_size(new);
            } else {
                // SAFETY: As above; truncation runs under the inode lock.
                unsafe { bindings::truncate_setsize(inode.as_raw(), new) };
                T::pages_dropped(inode);
            }
            if new != old {
                // A size change sets mtime and ctime (`shmem_setattr`), also for truncate(2),
                // which, unlike ftruncate(2), asks for no time update; `setattr_copy` below
                // still applies explicit times.
                inode.touch_mtime_ctime();
            }
        }
        // SAFETY: Our caller's arguments; `setattr_prepare` accepted the change.
        unsafe { bindings::setattr_copy(idmap, inode.as_raw(), attr) };
        // SAFETY: `attr` is valid for the call.
        if unsafe { (*attr).ia_valid } & bindings::ATTR_MODE != 0 {
            // SAFETY: Our caller's dentry, with the locks held.
            if let Err(e) = unsafe { super::acl::chmod(idmap, dentry) } {
                return e.to_errno();
            }
        }
        ret
    }
}
