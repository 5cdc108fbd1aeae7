// SPDX-License-Identifier: GPL-2.0

//! Directory inode operations: the namespace calls that create inodes come to the filesystem;
//! lookup, link, unlink, rmdir and rename use libfs's dcache-only implementations.

use crate::bindings;
use core::{marker::PhantomData, ptr};
use kernel::{error::from_result, prelude::*};

use super::{inode::Idmap, Dentry, FileSystem, Inode};

/// The creating directory operations of a filesystem whose namespace lives in the dcache.
pub(crate) trait DirOps: FileSystem {
    /// Creates a regular file, device node, fifo or socket (`mode` carries the type).
    fn mknod(idmap: Idmap, dir: &Inode<Self>, dentry: &Dentry, mode: u16, dev: u32) -> Result;

    /// Creates a directory.
    fn mkdir(idmap: Idmap, dir: &Inode<Self>, dentry: &Dentry, mode: u16) -> Result;

    /// Creates a symbolic link to `target`.
    fn symlink(idmap: Idmap, dir: &Inode<Self>, dentry: &Dentry, target: &CStr) -> Result;
}

/// The `inode_operations` of directories of `T`.
pub(crate) struct DirVtable<T: DirOps>(PhantomData<T>);

impl<T: DirOps> DirVtable<T> {
    /// The vtable.
    pub(crate) const OPS: bindings::inode_operations = bindings::inode_operations {
        create: Some(Self::create),
        lookup: Some(bindings::simple_lookup),
        link: Some(bindings::simple_link),
        unlink: Some(bindings::simple_unlink),
        symlink: Some(Self::symlink),
        mkdir: Some(Self::mkdir),
        rmdir: Some(bindings::simple_rmdir),
        mknod: Some(Self::mknod),
        rename: Some(bindings::simple_rename),
        ..pin_init::zeroed()
    };

    /// # Safety
    ///
    /// The VFS calls this with a valid directory of `T` (locked) and a negative dentry in it.
    unsafe extern "C" fn mknod(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
        dev: bindings::dev_t,
    ) -> c_int {
        // SAFETY: Per the VFS contract both are valid for the duration of the call.
        let (dir, dentry) = unsafe { (Inode::<T>::from_raw(dir), Dentry::from_raw(dentry)) };
        from_result(|| T::mknod(Idmap::from_raw(idmap), dir, dentry, mode, dev).map(|()| 0))
    }

    /// # Safety
    ///
    /// As for [`Self::mknod`].
    unsafe extern "C" fn create(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
    ) -> c_int {
        // SAFETY: Same contract as `mknod`.
        unsafe { Self::mknod(idmap, dir, dentry, mode | bindings::S_IFREG as u16, 0) }
    }

    /// # Safety
    ///
    /// As for [`Self::mknod`].
    unsafe extern "C" fn mkdir(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
    ) -> *mut bindings::dentry {
        // SAFETY: Per the VFS contract both are valid for the duration of the call.
        let (dir, dentry) = unsafe { (Inode::<T>::from_raw(dir), Dentry::from_raw(dentry)) };
        match T::mkdir(Idmap::from_raw(idmap), dir, dentry, mode) {
            // Null: the dentry we were given is the one now in use.
            Ok(()) => ptr::null_mut(),
            // SAFETY: `ERR_PTR` only encodes the error number.
            Err(e) => unsafe { bindings::ERR_PTR(e.to_errno() as c_long) }.cast(),
        }
    }

    /// # Safety
    ///
    /// As for [`Self::mknod`]; `target` is a valid NUL-terminated string.
    unsafe extern "C" fn symlink(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        target: *const c_char,
    ) -> c_int {
        // SAFETY: Per the VFS contract all three are valid for the duration of the call.
        let (dir, dentry, target) = unsafe {
            (
                Inode::<T>::from_raw(dir),
                Dentry::from_raw(dentry),
                CStr::from_char_ptr(target),
            )
        };
        from_result(|| T::symlink(Idmap::from_raw(idmap), dir, dentry, target).map(|()| 0))
    }
}
