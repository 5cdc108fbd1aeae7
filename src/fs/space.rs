// SPDX-License-Identifier: GPL-2.0

//! Space accounting of the page cache against `size=` (tmpfs's `shmem_inode_acct_blocks` and
//! `shmem_recalc_inode`): a page is charged when it enters an inode's cache and given back once
//! it has left, which the inode notices by comparing what it charged with what the cache holds.

use super::RustShmem;
use crate::vfs::{aops::PageCacheOps, folio::PageCache, inode::InodeGuard, Inode};
use kernel::{current, prelude::*, sync::atomic::Relaxed};

/// Gives back the pages that left `inode`'s cache since the last look.
///
/// Pages entering the cache are counted there before they are charged, so a count below the
/// charge is only ever a page on its way in: it is left alone, never given back twice.
pub(crate) fn recalc(inode: &Inode<RustShmem>) {
    let alloced = &inode.info().alloced;
    inode.super_block().info().uncharge_blocks(|| {
        let charged = alloced.load(Relaxed);
        let freed = charged.saturating_sub(PageCache::of(inode).nr_pages());
        alloced.store(charged - freed, Relaxed);
        inode.set_blocks(charged - freed);
        freed
    });
}

impl PageCacheOps for RustShmem {
    fn charge(inode: &Inode<Self>, pages: u64) -> Result {
        let sb = inode.super_block().info();
        let alloced = &inode.info().alloced;
        let take = || {
            let now = alloced.load(Relaxed) + pages;
            alloced.store(now, Relaxed);
            inode.set_blocks(now);
        };
        if sb.charge_blocks(pages, take).is_ok() {
            return Ok(());
        }
        // Full: pages truncated away may not have been given back yet.
        recalc(inode);
        sb.charge_blocks(pages, take)
    }

    fn uncharge(inode: &Inode<Self>, pages: u64) {
        let alloced = &inode.info().alloced;
        inode.super_block().info().uncharge_blocks(|| {
            let now = alloced.load(Relaxed).saturating_sub(pages);
            alloced.store(now, Relaxed);
            inode.set_blocks(now);
            pages
        });
    }

    fn pages_dropped(inode: &Inode<Self>) {
        recalc(inode);
    }

    fn resize(inode: &Inode<Self>, _old: i64, new: i64) -> Result {
        crate::setup::recharge(inode, new)
    }
}

/// Zero-filled pages for `offset..offset + len` (`shmem_fallocate` without `PUNCH_HOLE`).
///
/// `ENOSPC` is decided before anything is allocated: the missing pages must all fit.
pub(crate) fn preallocate(
    locked: &InodeGuard<'_, RustShmem>,
    inode: &Inode<RustShmem>,
    offset: i64,
    len: i64,
    grow: bool,
) -> Result {
    let end = offset.checked_add(len).ok_or(EFBIG)?;
    locked.size_ok(end)?;
    let page = kernel::page::PAGE_SIZE as i64;
    let (first, last) = ((offset / page) as u64, ((end - 1) / page) as u64);
    let cache = PageCache::of(inode);
    let present = |index| cache.lookup(index).is_some();
    let missing = (first..=last).filter(|i| !present(*i)).count() as u64;
    if missing > inode.super_block().info().free_blocks() {
        return Err(ENOSPC);
    }
    for index in first..=last {
        if current!().signal_pending() {
            return Err(EINTR);
        }
        if present(index) {
            continue;
        }
        RustShmem::charge(inode, 1)?;
        let folio = cache
            .get_or_create(index)
            .inspect_err(|_| RustShmem::uncharge(inode, 1))?;
        if folio.is_uptodate() {
            // Filled by a racing fault, which charged it.
            RustShmem::uncharge(inode, 1);
        } else {
            folio.mark_preallocated();
        }
    }
    if grow {
        locked.grow_size(end);
    }
    Ok(())
}
