// SPDX-License-Identifier: GPL-2.0

//! Space accounting of the page cache against `size=` (tmpfs's `shmem_inode_acct_blocks` and
//! `shmem_recalc_inode`): a page is charged when it enters an inode's cache and given back once
//! it has left, which the inode notices by comparing what it charged with what the cache holds.
//!
//! Lock order: `i_rwsem` → `mmap_lock` → folio lock → the inode's `alloced` spinlock; the
//! superblock's `limits` spinlock is taken after `alloced` is released, never inside it.

use super::huge::HugePolicy;
use super::RustShmem;
use crate::kabi::vma::VmOps;
use crate::vfs::{
    aops::{FolioUse, PageCacheOps, PageCacheVtable},
    cond_resched, fatal_signal_pending,
    folio::PageCache,
    inode::Locked,
    Inode,
};
use kernel::prelude::*;

/// Gives back the pages that left `inode`'s cache since the last look.
///
/// Pages entering the cache are counted there before they are charged, so a count below the
/// charge is only ever a page on its way in: it is left alone, never given back twice.
pub(crate) fn recalc(inode: &Inode<RustShmem>) {
    let freed = {
        let mut alloced = inode.info().alloced.lock();
        let freed = alloced.saturating_sub(PageCache::of(inode).nr_pages());
        *alloced -= freed;
        inode.set_blocks(*alloced);
        freed
    };
    inode.super_block().info().uncharge_blocks(freed);
}

impl PageCacheOps for RustShmem {
    fn charge(inode: &Inode<Self>, pages: u64) -> Result {
        let sb = inode.super_block().info();
        if sb.charge_blocks(pages).is_err() {
            // Full: pages truncated away may not have been given back yet.
            recalc(inode);
            sb.charge_blocks(pages)?;
        }
        let mut alloced = inode.info().alloced.lock();
        *alloced += pages;
        inode.set_blocks(*alloced);
        Ok(())
    }

    fn uncharge(inode: &Inode<Self>, pages: u64) {
        let given = {
            let mut alloced = inode.info().alloced.lock();
            let given = pages.min(*alloced);
            *alloced -= given;
            inode.set_blocks(*alloced);
            given
        };
        inode.super_block().info().uncharge_blocks(given);
    }

    fn pages_dropped(inode: &Inode<Self>) {
        recalc(inode);
    }

    fn resize(inode: &Inode<Self>, _old: i64, new: i64) -> Result {
        crate::setup::recharge(inode, new)
    }

    fn large_folio_orders(inode: &Inode<Self>, index: u64, write_end: i64, advised: bool) -> u64 {
        if !inode.is_regular() {
            return 0;
        }
        let huge = inode.super_block().info().huge();
        huge.orders(index, inode.size(), write_end, advised)
    }

    fn large_folios_enabled(inode: &Inode<Self>) -> bool {
        inode.super_block().info().huge() != HugePolicy::Never
    }

    const VM_OPS: &'static VmOps<RustShmem> = &super::file::VM_OPS;
}

/// Zero-filled pages for `offset..offset + len` (`shmem_fallocate` without `PUNCH_HOLE`).
///
/// New pages are kept as preallocated space; pages preallocated by an earlier call become zeroed
/// data, as in tmpfs. A range larger than the filesystem fails up front; one that runs out of
/// space, or a killed caller, fails with nothing of this call's new pages left behind.
pub(crate) fn preallocate(locked: &Locked<RustShmem>, offset: i64, len: i64, grow: bool) -> Result {
    let inode: &Inode<RustShmem> = locked;
    let end = offset.checked_add(len).ok_or(EFBIG)?;
    locked.size_ok(end)?;
    let page = kernel::page::PAGE_SIZE as i64;
    let aligned_end = end.checked_add(page - 1).ok_or(EFBIG)?;
    let (first, end_index) = ((offset / page) as u64, (aligned_end / page) as u64);
    if inode
        .super_block()
        .info()
        .max_blocks()
        .is_some_and(|max| end_index - first > max)
    {
        return Err(ENOSPC);
    }
    let mut index = first;
    while index < end_index {
        let folio = if fatal_signal_pending() {
            Err(EINTR)
        } else {
            PageCacheVtable::<RustShmem>::get_folio(inode, index, end, None, FolioUse::Preallocate)
        };
        match folio {
            Ok(folio) => index = folio.index() + folio.nr_pages(),
            Err(e) => {
                unpreallocate(locked, first, index);
                return Err(e);
            }
        }
        cond_resched();
    }
    if grow {
        locked.grow_size(end);
    }
    Ok(())
}

/// Drops the pages that a failed [`preallocate`] added to `first..end`: the preallocated ones,
/// since every earlier preallocation in the range became data on the way.
fn unpreallocate(locked: &Locked<RustShmem>, first: u64, end: u64) {
    let inode: &Inode<RustShmem> = locked;
    let cache = PageCache::of(inode);
    let page = kernel::page::PAGE_SIZE as i64;
    let mut run = None;
    for index in first..=end {
        let added = index < end && cache.lookup(index).is_some_and(|f| !f.is_uptodate());
        match (added, run) {
            (true, None) => run = Some(index),
            (false, Some(start)) => {
                locked.punch_hole(start as i64 * page, index as i64 * page - 1);
                run = None;
            }
            _ => {}
        }
    }
    recalc(inode);
}
