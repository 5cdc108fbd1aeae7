// SPDX-License-Identifier: GPL-2.0

//! Memory: the calling task's VMAs, walked under its mmap lock, and the size of RAM.
//!
//! The walk builds on the `kernel` crate's [`MmWithUser`] (its reference and
//! [`MmWithUser::mmap_read_lock`]) and [`VmaRef`]. 7.3's crate looks up the VMA *at* an address
//! only (`vma_lookup`); the walk needs the VMA at or after one (`find_vma`, exported), and the
//! fields `VmaRef` does not show. The caller's mm comes from `get_task_mm`, not from the crate's
//! `CurrentTask::mm`, which reads `task_struct` at the wrong offset (see the module above).

use crate::bindings;
use core::{ops::ControlFlow, ptr::NonNull};
use kernel::{
    mm::{virt::VmaRef, MmWithUser},
    sync::aref::ARef,
    task::Task,
};

/// Pages of RAM (`totalram_pages()`).
pub(crate) fn total_ram_pages() -> u64 {
    // SAFETY: `_totalram_pages` is an exported static of the kernel, changed atomically (memory
    // hotplug); `atomic_long_read` is a relaxed load, a volatile read of its counter.
    unsafe { core::ptr::read_volatile(&raw const bindings::_totalram_pages.counter) as u64 }
}

/// The identity of a mapped file, only ever compared: it says nothing about the file being
/// alive.
///
/// # Invariants
///
/// The pointer is never dereferenced: it may dangle once the walk that found it has ended.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileId(*const bindings::file);

/// A VMA of the calling task, borrowed while the walk holds the mmap lock.
pub(crate) struct Vma<'a>(&'a VmaRef);

impl Vma<'_> {
    /// Its first address.
    pub(crate) fn start(&self) -> usize {
        self.0.start()
    }

    /// The address just past it.
    pub(crate) fn end(&self) -> usize {
        self.0.end()
    }

    /// Where it starts in its file, in pages (`vm_pgoff`).
    pub(crate) fn pgoff(&self) -> usize {
        // SAFETY: The VMA is valid, and its fields stable, while the mmap lock is held (the
        // `VmaRef` invariant).
        unsafe { (*self.0.as_ptr()).vm_pgoff }
    }

    /// Whether its operations are the table at `ops` (only the addresses are compared).
    pub(crate) fn has_ops(&self, ops: *const bindings::vm_operations_struct) -> bool {
        // SAFETY: As in `pgoff`.
        unsafe { (*self.0.as_ptr()).vm_ops == ops }
    }

    /// The file it maps, if any, and that file's size (`i_size_read(file_inode(vm_file))`).
    pub(crate) fn file(&self) -> Option<(FileId, i64)> {
        // SAFETY: As in `pgoff`.
        let file = unsafe { (*self.0.as_ptr()).vm_file };
        if file.is_null() {
            return None;
        }
        // SAFETY: A VMA holds a reference on its file, which pins the file's inode; a 64-bit
        // `i_size` is read atomically.
        let size = unsafe { core::ptr::read_volatile(&raw const (*(*file).f_inode).i_size) };
        Some((FileId(file), size))
    }
}

/// Calls `f` on the calling task's VMAs in address order, from the one that holds `from` (or
/// else the first above it) on, under the mmap read lock, until `f` breaks; returns the value
/// it broke with. `None` if it never does, or if the task has no address space (a kernel
/// thread).
///
/// `f` runs under the mmap lock: it must not map or unmap (that would deadlock).
pub(crate) fn walk_vmas<R>(
    from: usize,
    mut f: impl FnMut(&Vma<'_>) -> ControlFlow<R>,
) -> Option<R> {
    // SAFETY: `current` is a valid task; `get_task_mm` takes a reference on its mm (`mmget`),
    // or returns null for a kernel thread or an exiting task.
    let mm = NonNull::new(unsafe { bindings::get_task_mm(Task::current_raw()) })?;
    // SAFETY: An `mm_struct` is an `MmWithUser` while it has users, and we own one of them,
    // which the `ARef` gives back (`mmput`).
    let mm: ARef<MmWithUser> = unsafe { ARef::from_raw(mm.cast()) };
    let _guard = mm.mmap_read_lock();
    let mut addr = from;
    loop {
        // SAFETY: We hold the mmap read lock of `mm`, as `find_vma` requires; any address may
        // be passed.
        let vma = unsafe { bindings::find_vma(mm.as_raw(), addr) };
        if vma.is_null() {
            return None;
        }
        // SAFETY: `find_vma` found a VMA of `mm`, which stays valid while we hold the lock: the
        // guard lives longer than the reference.
        let vma = Vma(unsafe { VmaRef::from_raw(vma) });
        if let ControlFlow::Break(value) = f(&vma) {
            return Some(value);
        }
        addr = vma.end();
    }
}

/// Every order a page-cache folio may have but 0, as a bitmap (`THP_ORDERS_ALL_FILE_DEFAULT`,
/// a run-time value on some architectures).
pub(crate) fn thp_orders_all_file() -> u64 {
    // SAFETY: Reads constants.
    unsafe { bindings::rust_shmem_thp_orders_all_file() as u64 }
}
