// SPDX-License-Identifier: GPL-2.0

//! Regular files: data lives in the page cache and nowhere else. The layer builds their
//! operations (`src/vfs/inode_kinds.rs`); what is tmpfs's own is `fallocate`.

use super::space;
use super::RustShmem;
use crate::kabi::vma::VmOps;
use crate::vfs::{
    aops::PageCacheVtable,
    inode_kinds::{InodeKinds, OpenFile, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE},
};
use kernel::prelude::*;

#[vtable]
impl InodeKinds for RustShmem {
    /// `fallocate` as tmpfs has it: preallocation (zeroed pages charged up front, growing the
    /// size unless `FALLOC_FL_KEEP_SIZE`), and punching holes, which `madvise(MADV_REMOVE)`
    /// also uses.
    fn fallocate(file: &OpenFile<'_, Self>, mode: i32, offset: i64, len: i64) -> Result {
        if mode & !(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE) != 0 {
            return Err(EOPNOTSUPP);
        }
        let inode = file.inode();
        let locked = inode.lock();
        // `vfs_fallocate` checked that `offset + len` does not overflow.
        if mode & FALLOC_FL_PUNCH_HOLE != 0 {
            locked.punch_hole(offset, offset + len - 1);
            space::recalc(inode);
        } else {
            let grow = mode & FALLOC_FL_KEEP_SIZE == 0;
            space::preallocate(&locked, offset, len, grow)?;
        }
        file.modified(&locked)
    }
}

/// VMA operations of mapped files, and of shared anonymous mappings made by the zero setup
/// (`shmem_vm_ops`, `shmem_anon_vm_ops`).
pub(crate) static VM_OPS: VmOps<RustShmem> = PageCacheVtable::<RustShmem>::VM_OPS;
