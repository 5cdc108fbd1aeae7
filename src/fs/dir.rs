// SPDX-License-Identifier: GPL-2.0

//! Directories: the namespace lives in the dcache, each entry pinned there.

use super::{inode::new_inode, RustShmem};
use crate::bindings;
use crate::vfs::{
    dir_ops::{DirOps, DirVtable},
    inode::Idmap,
    Dentry, Inode,
};
use kernel::prelude::*;

/// Inode operations of rust_shmem directories.
pub(crate) const DIR_INODE_OPS: bindings::inode_operations = DirVtable::<RustShmem>::OPS;

/// File operations of directories: libfs's dcache-walking readdir.
pub(crate) fn dir_file_ops() -> &'static bindings::file_operations {
    // SAFETY: `simple_dir_operations` is an immutable exported static of the kernel.
    unsafe { &bindings::simple_dir_operations }
}

impl DirOps for RustShmem {
    fn mknod(idmap: Idmap, dir: &Inode<Self>, dentry: &Dentry, mode: u16, dev: u32) -> Result {
        let mut inode = new_inode(dir.super_block(), idmap, Some(dir), mode, dev)?;
        inode.init_security(dir, dentry)?;
        inode.instantiate(dentry);
        dir.touch_dir();
        Ok(())
    }

    fn mkdir(idmap: Idmap, dir: &Inode<Self>, dentry: &Dentry, mode: u16) -> Result {
        Self::mknod(idmap, dir, dentry, mode | bindings::S_IFDIR as u16, 0)?;
        // The new directory's `..`.
        dir.inc_nlink();
        Ok(())
    }

    fn symlink(idmap: Idmap, dir: &Inode<Self>, dentry: &Dentry, target: &CStr) -> Result {
        let mode = (bindings::S_IFLNK | bindings::S_IRWXUGO) as u16;
        let mut inode = new_inode(dir.super_block(), idmap, Some(dir), mode, 0)?;
        inode.init_security(dir, dentry)?;
        inode.init_page_symlink(target)?;
        inode.instantiate(dentry);
        dir.touch_dir();
        Ok(())
    }
}
