// SPDX-License-Identifier: GPL-2.0

//! Regular files: data lives in the page cache and nowhere else.

use super::space;
use super::RustShmem;
use crate::bindings;
use crate::kabi::vma::VmOps;
use crate::vfs::{
    aops::PageCacheVtable,
    file::{file_inode, file_modified},
    fs_type::getattr,
};
use crate::vfs::{fileattr::FileAttrVtable, xattr::XattrVtable};
use kernel::{module::this_module, prelude::*};

/// Page-cache operations of rust_shmem files: libfs's `ram_aops` with every new page charged
/// against `size=`. The mapping is unevictable, so pages stay until truncated or the inode goes.
pub(crate) const AOPS: bindings::address_space_operations = PageCacheVtable::<RustShmem>::AOPS;

/// File operations of regular files: the generic page-cache paths, but reads (and splice reads)
/// that leave holes holes.
pub(crate) const FILE_OPS: bindings::file_operations = bindings::file_operations {
    owner: this_module::<crate::RustShmemModule>().as_ptr(),
    open: Some(PageCacheVtable::<RustShmem>::open),
    llseek: Some(PageCacheVtable::<RustShmem>::llseek),
    read_iter: Some(PageCacheVtable::<RustShmem>::read_iter),
    write_iter: Some(PageCacheVtable::<RustShmem>::write_iter),
    mmap_prepare: Some(PageCacheVtable::<RustShmem>::mmap_prepare),
    get_unmapped_area: Some(PageCacheVtable::<RustShmem>::get_unmapped_area),
    fsync: Some(bindings::noop_fsync),
    splice_read: Some(crate::vfs::splice::splice_read::<RustShmem>),
    splice_write: Some(bindings::iter_file_splice_write),
    fallocate: Some(fallocate),
    ..pin_init::zeroed()
};

/// `fallocate` as tmpfs has it: preallocation (zeroed pages charged up front, growing the size
/// unless `FALLOC_FL_KEEP_SIZE`), and punching holes, which `madvise(MADV_REMOVE)` also uses.
///
/// # Safety
///
/// `file_operations::fallocate`: a live file of ours.
unsafe extern "C" fn fallocate(
    file: *mut bindings::file,
    mode: c_int,
    offset: i64,
    len: i64,
) -> c_long {
    const KEEP_SIZE: c_int = bindings::RUST_SHMEM_FALLOC_FL_KEEP_SIZE;
    const PUNCH: c_int = bindings::RUST_SHMEM_FALLOC_FL_PUNCH_HOLE;
    if mode & !(KEEP_SIZE | PUNCH) != 0 {
        return EOPNOTSUPP.to_errno() as c_long;
    }
    // SAFETY: The VFS passes a live file of ours.
    let inode = unsafe { file_inode::<RustShmem>(file) };
    let locked = inode.lock();
    // `vfs_fallocate` checked that `offset + len` does not overflow.
    let result = if mode & PUNCH != 0 {
        locked.punch_hole(offset, offset + len - 1);
        space::recalc(inode);
        Ok(())
    } else {
        space::preallocate(&locked, inode, offset, len, mode & KEEP_SIZE == 0)
    };
    // SAFETY: The file is live and its inode locked.
    let result = result.and_then(|()| unsafe { file_modified(file) });
    drop(locked);
    match result {
        Ok(()) => 0,
        Err(e) => e.to_errno() as c_long,
    }
}

/// Inode operations of regular files: `setattr` truncates the page cache on size changes.
pub(crate) const FILE_INODE_OPS: bindings::inode_operations = bindings::inode_operations {
    setattr: Some(PageCacheVtable::<RustShmem>::setattr),
    getattr: Some(getattr::<RustShmem>),
    listxattr: Some(XattrVtable::<RustShmem>::listxattr),
    set_acl: Some(crate::vfs::acl::set_acl::<RustShmem>),
    fileattr_get: Some(FileAttrVtable::<RustShmem>::fileattr_get),
    fileattr_set: Some(FileAttrVtable::<RustShmem>::fileattr_set),
    ..pin_init::zeroed()
};

/// VMA operations of mapped files, and of shared anonymous mappings made by the zero setup
/// (`shmem_vm_ops`, `shmem_anon_vm_ops`).
pub(crate) static VM_OPS: VmOps<RustShmem> = PageCacheVtable::<RustShmem>::VM_OPS;
