// SPDX-License-Identifier: GPL-2.0

//! Regular files: data lives in the page cache and nowhere else.

use crate::bindings;
use kernel::module::this_module;

/// Page-cache operations of rust_shmem files.
///
/// libfs's `ram_aops`: new pages are zeroed on read and dirtied on write, and since the mapping
/// is unevictable they stay in memory until truncated or the inode goes.
pub(crate) fn aops() -> &'static bindings::address_space_operations {
    // SAFETY: `ram_aops` is an immutable exported static of the kernel.
    unsafe { &bindings::ram_aops }
}

/// File operations of regular files: the generic page-cache paths.
pub(crate) const FILE_OPS: bindings::file_operations = bindings::file_operations {
    owner: this_module::<crate::RustShmemModule>().as_ptr(),
    llseek: Some(bindings::generic_file_llseek),
    read_iter: Some(bindings::generic_file_read_iter),
    write_iter: Some(bindings::generic_file_write_iter),
    mmap_prepare: Some(bindings::generic_file_mmap_prepare),
    fsync: Some(bindings::noop_fsync),
    splice_read: Some(bindings::filemap_splice_read),
    splice_write: Some(bindings::iter_file_splice_write),
    ..pin_init::zeroed()
};

/// Inode operations of regular files: `setattr` truncates the page cache on size changes.
pub(crate) const FILE_INODE_OPS: bindings::inode_operations = bindings::inode_operations {
    setattr: Some(bindings::simple_setattr),
    getattr: Some(bindings::simple_getattr),
    ..pin_init::zeroed()
};
