// SPDX-License-Identifier: GPL-2.0

//! POSIX ACLs kept in the inode's ACL cache, which for a memory filesystem is their only home
//! (libfs's `simple_set_acl` and `simple_acl_create`, which are not exported to modules).

use crate::bindings;
use kernel::{error::to_result, prelude::*};

use super::{inode::Locked, FileSystem, Inode, NewInode};

/// `inode_operations::set_acl`: an access ACL may change the mode bits; the ACL goes into the
/// cache, replacing the old one.
///
/// # Safety
///
/// A `set_acl` on one of `T`'s inodes, with the inode lock held.
pub(crate) unsafe extern "C" fn set_acl<T: FileSystem>(
    idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    mut acl: *mut bindings::posix_acl,
    kind: c_int,
) -> c_int {
    // SAFETY: `dentry` is a positive dentry of ours.
    let inode = unsafe { Inode::<T>::from_raw((*dentry).d_inode) };
    if kind == bindings::RUST_SHMEM_ACL_TYPE_ACCESS {
        // SAFETY: The inode is valid and locked; the mode and ACL pointers are ours to update.
        let ret = unsafe {
            bindings::posix_acl_update_mode(
                idmap,
                inode.as_raw(),
                &raw mut (*inode.as_raw()).i_mode,
                &mut acl,
            )
        };
        if ret != 0 {
            return ret;
        }
    }
    // SAFETY: The VFS holds the inode lock around `set_acl` (`vfs_set_acl`).
    unsafe { Locked::assume(inode) }.touch_ctime();
    // SAFETY: The cache takes its own reference on `acl` (which may be null).
    unsafe { bindings::set_cached_acl(inode.as_raw(), kind, acl) };
    0
}

/// Applies a mode change to the access ACL (`posix_acl_chmod`), after `setattr` changed it.
///
/// # Safety
///
/// `dentry` must be a positive dentry of ours, with the inode lock held.
pub(crate) unsafe fn chmod(
    idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
) -> Result {
    // SAFETY: Per the contract.
    to_result(unsafe { bindings::posix_acl_chmod(idmap, dentry, (*(*dentry).d_inode).i_mode) })
}

/// `inode_operations::setattr` of inodes without page-cache data (directories, special files):
/// libfs's, then the mode change carried into the access ACL.
///
/// # Safety
///
/// A `setattr` on one of `T`'s inodes, with the VFS's locks held.
pub(crate) unsafe extern "C" fn setattr<T: FileSystem>(
    idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    attr: *mut bindings::iattr,
) -> c_int {
    // SAFETY: Forwarding our caller's arguments.
    let ret = unsafe { bindings::simple_setattr(idmap, dentry, attr) };
    // SAFETY: `attr` is valid for the call.
    if ret != 0 || unsafe { (*attr).ia_valid } & bindings::ATTR_MODE == 0 {
        return ret;
    }
    // SAFETY: Per our contract.
    match unsafe { chmod(idmap, dentry) } {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Names of the ACLs an inode has, in the order `listxattr` lists them.
pub(crate) fn names<T: FileSystem>(inode: &Inode<T>) -> impl Iterator<Item = &'static [u8]> {
    // SAFETY: The inode is valid; the cache pointers are read like `posix_acl_listxattr` does.
    let (access, default) = unsafe { ((*inode.as_raw()).i_acl, (*inode.as_raw()).i_default_acl) };
    [
        (!access.is_null()).then_some(&b"system.posix_acl_access\0"[..]),
        (!default.is_null()).then_some(&b"system.posix_acl_default\0"[..]),
    ]
    .into_iter()
    .flatten()
}

impl<T: FileSystem> NewInode<T> {
    /// Starts the ACL cache empty (`cache_no_acl`): nothing else stores ACLs.
    pub(crate) fn init_no_acl(&mut self) {
        // SAFETY: The inode is valid and exclusively ours.
        unsafe {
            (*self.as_inode().as_raw()).i_acl = core::ptr::null_mut();
            (*self.as_inode().as_raw()).i_default_acl = core::ptr::null_mut();
        }
    }

    /// Inherits `dir`'s default ACL (`simple_acl_create`): access and default ACLs for the new
    /// inode, and its mode masked by them, or by the umask when `dir` has none.
    pub(crate) fn acl_create(&mut self, dir: &Inode<T>) -> Result {
        let inode = self.as_inode().as_raw();
        let mut default = core::ptr::null_mut();
        let mut access = core::ptr::null_mut();
        // SAFETY: Both inodes are valid; the new one is exclusively ours.
        to_result(unsafe {
            bindings::posix_acl_create(
                dir.as_raw(),
                &raw mut (*inode).i_mode,
                &mut default,
                &mut access,
            )
        })?;
        // SAFETY: The cache takes its own references; ours are dropped right after.
        unsafe {
            bindings::set_cached_acl(inode, bindings::RUST_SHMEM_ACL_TYPE_DEFAULT, default);
            bindings::set_cached_acl(inode, bindings::RUST_SHMEM_ACL_TYPE_ACCESS, access);
            for acl in [default, access] {
                if !acl.is_null() {
                    bindings::rust_shmem_posix_acl_release(acl);
                }
            }
        }
        Ok(())
    }
}
