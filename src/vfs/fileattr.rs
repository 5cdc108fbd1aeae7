// SPDX-License-Identifier: GPL-2.0

//! Inode flags through `FS_IOC_GETFLAGS`/`FS_IOC_SETFLAGS` and the `fsxattr` ioctls, which the
//! VFS turns into `inode_operations::fileattr_get`/`fileattr_set` (`chattr`, `lsattr`).

use crate::bindings;
use core::marker::PhantomData;
use kernel::prelude::*;

use super::{inode::Locked, FileSystem, Inode};

/// What a filesystem decides about inode flags.
pub(crate) trait FileAttrOps: FileSystem {
    /// The `FS_*_FL` flags `FS_IOC_GETFLAGS` reports.
    fn flags(inode: &Inode<Self>) -> u32;

    /// Applies `FS_IOC_SETFLAGS`'s `flags`; runs with the inode locked. An error refuses them.
    fn set_flags(inode: &Inode<Self>, flags: u32) -> Result;
}

/// The `fileattr_get`/`fileattr_set` hooks of `T`'s inodes.
pub(crate) struct FileAttrVtable<T: FileAttrOps>(PhantomData<T>);

impl<T: FileAttrOps> FileAttrVtable<T> {
    /// # Safety
    ///
    /// `inode_operations::fileattr_get`: a positive dentry of ours and a valid `fa`.
    pub(crate) unsafe extern "C" fn fileattr_get(
        dentry: *mut bindings::dentry,
        fa: *mut bindings::file_kattr,
    ) -> c_int {
        // SAFETY: Per the contract the dentry is positive and its inode ours.
        let inode = unsafe { Inode::<T>::from_raw((*dentry).d_inode) };
        // SAFETY: `fa` is valid for the call; `full::file_kattr` is its complete layout.
        unsafe { bindings::fileattr_fill_flags(fa.cast(), T::flags(inode)) };
        0
    }

    /// # Safety
    ///
    /// `inode_operations::fileattr_set`: as above, with the inode locked by the VFS.
    pub(crate) unsafe extern "C" fn fileattr_set(
        _idmap: *mut bindings::mnt_idmap,
        dentry: *mut bindings::dentry,
        fa: *mut bindings::file_kattr,
    ) -> c_int {
        let fa = fa.cast::<bindings::full::file_kattr>();
        // SAFETY: `fa` is valid for the call; `full::file_kattr` is its complete layout.
        let (has_fsx, flags) = unsafe { (bindings::rust_shmem_fileattr_has_fsx(fa), (*fa).flags) };
        // Extended (XFS-style) attributes have no meaning here.
        if has_fsx {
            return EOPNOTSUPP.to_errno();
        }
        // SAFETY: Per the contract the dentry is positive, its inode ours and locked by the VFS
        // (`vfs_fileattr_set`).
        let inode = unsafe { Locked::assume(Inode::<T>::from_raw((*dentry).d_inode)) };
        match T::set_flags(inode, flags) {
            Ok(()) => {
                inode.touch_ctime();
                0
            }
            Err(e) => e.to_errno(),
        }
    }
}
