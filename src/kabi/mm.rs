// SPDX-License-Identifier: GPL-2.0

//! Facts about the machine's memory that `kernel` does not expose.

use crate::bindings;

/// Pages of RAM (`totalram_pages`).
pub(crate) fn totalram_pages() -> u64 {
    // SAFETY: Reads a global counter; no preconditions.
    unsafe { bindings::rust_shmem_totalram_pages() as u64 }
}

/// Whether the machine has transparent huge pages (`has_transparent_hugepage` and not
/// disabled for files: `vma_thp_disabled(NULL, ..)`).
pub(crate) fn thp_supported() -> bool {
    // SAFETY: Reads global flags; no mapping is passed.
    !unsafe { bindings::rust_shmem_thp_disabled(core::ptr::null_mut()) }
}

/// Every order a page-cache folio may have but 0, as a bitmap (`THP_ORDERS_ALL_FILE_DEFAULT`,
/// a run-time value on some architectures).
pub(crate) fn thp_orders_all_file() -> u64 {
    // SAFETY: Reads constants.
    unsafe { bindings::rust_shmem_thp_orders_all_file() as u64 }
}
