// SPDX-License-Identifier: GPL-2.0

//! Directory inode operations of a filesystem whose namespace lives in the dcache: the
//! filesystem decides, libfs's `simple_*` helpers do the dcache work.

use crate::bindings;
use core::{marker::PhantomData, ptr};
use kernel::{
    error::{from_result, to_result},
    prelude::*,
};

use super::{
    inode::{Idmap, Locked},
    Dentry, FileSystem, Inode, NewInode,
};

/// The directory operations of a dcache-based filesystem.
pub(crate) trait DirOps: super::xattr::XattrOps {
    /// Creates a regular file, device node, fifo or socket (`mode` carries the type).
    fn mknod(
        idmap: Idmap<'_>,
        dir: &Locked<Self>,
        dentry: &Dentry<Self>,
        mode: u16,
        dev: u32,
    ) -> Result;

    /// Creates a directory.
    fn mkdir(idmap: Idmap<'_>, dir: &Locked<Self>, dentry: &Dentry<Self>, mode: u16) -> Result;

    /// Creates a symbolic link to `target`.
    fn symlink(
        idmap: Idmap<'_>,
        dir: &Locked<Self>,
        dentry: &Dentry<Self>,
        target: &CStr,
    ) -> Result;

    /// Creates the inode of an unnamed file (`O_TMPFILE`) in `dir`.
    fn tmpfile(idmap: Idmap<'_>, dir: &Inode<Self>, mode: u16) -> Result<NewInode<Self>>;

    /// Adds the name `new` in `dir` for `inode`, the inode of `old`.
    fn link(
        old: &Dentry<Self>,
        inode: &Locked<Self>,
        dir: &Locked<Self>,
        new: &Dentry<Self>,
    ) -> Result;

    /// Removes the name `dentry` of a non-directory, `victim`.
    fn unlink(dir: &Locked<Self>, dentry: &Dentry<Self>, victim: &Locked<Self>) -> Result;

    /// Removes the empty directory `dentry`, `victim`.
    fn rmdir(dir: &Locked<Self>, dentry: &Dentry<Self>, victim: &Locked<Self>) -> Result;

    /// Renames `old` in `old_dir` to `new` in `new_dir`, with `RENAME_*` `flags`. `target` is
    /// the inode `new` names, if any, unless `flags` has `RENAME_EXCHANGE` (then `None`).
    #[allow(clippy::too_many_arguments)]
    fn rename(
        idmap: Idmap<'_>,
        old_dir: &Locked<Self>,
        old: &Dentry<Self>,
        new_dir: &Locked<Self>,
        new: &Dentry<Self>,
        target: Option<&Locked<Self>>,
        flags: u32,
    ) -> Result;
}

/// libfs's `simple_link`: takes a reference and a link on the inode and instantiates `new`.
pub(crate) fn simple_link<T: FileSystem>(
    old: &Dentry<T>,
    dir: &Locked<T>,
    new: &Dentry<T>,
) -> Result {
    // SAFETY: All three are valid and the directory is locked.
    to_result(unsafe { bindings::simple_link(old.as_raw(), dir.as_raw(), new.as_raw()) })
}

/// libfs's `simple_unlink`: drops a link and unpins the dentry.
pub(crate) fn simple_unlink<T: FileSystem>(dir: &Locked<T>, dentry: &Dentry<T>) {
    // SAFETY: Both are valid and the directory is locked. It cannot fail.
    unsafe { bindings::simple_unlink(dir.as_raw(), dentry.as_raw()) };
}

/// libfs's `simple_rename_exchange`: swaps two entries (`RENAME_EXCHANGE`).
pub(crate) fn rename_exchange<T: FileSystem>(
    old_dir: &Locked<T>,
    old: &Dentry<T>,
    new_dir: &Locked<T>,
    new: &Dentry<T>,
) -> Result {
    // SAFETY: All four are valid and the VFS holds the rename locks.
    to_result(unsafe {
        bindings::simple_rename_exchange(
            old_dir.as_raw(),
            old.as_raw(),
            new_dir.as_raw(),
            new.as_raw(),
        )
    })
}

/// libfs's `simple_rename_timestamp`: ctime and mtime of both directories and the moved inodes.
pub(crate) fn rename_timestamp<T: FileSystem>(
    old_dir: &Locked<T>,
    old: &Dentry<T>,
    new_dir: &Locked<T>,
    new: &Dentry<T>,
) {
    // SAFETY: All four are valid and the VFS holds the rename locks.
    unsafe {
        bindings::simple_rename_timestamp(
            old_dir.as_raw(),
            old.as_raw(),
            new_dir.as_raw(),
            new.as_raw(),
        )
    };
}

/// An inode of `T` whose lock the VFS holds, for the duration of a callback.
///
/// # Safety
///
/// `inode` must be a valid inode of `T` whose `i_rwsem` is held for writing for `'a`.
unsafe fn locked<'a, T: FileSystem>(inode: *mut bindings::inode) -> &'a Locked<T> {
    // SAFETY: Per the contract.
    unsafe { Locked::assume(Inode::from_raw(inode)) }
}

/// The `inode_operations` of directories of `T`.
pub(crate) struct DirVtable<T: DirOps>(PhantomData<T>);

impl<T: DirOps> DirVtable<T> {
    /// The vtable.
    pub(crate) const OPS: bindings::inode_operations = bindings::inode_operations {
        create: Some(Self::create),
        lookup: Some(bindings::simple_lookup),
        link: Some(Self::link),
        unlink: Some(Self::unlink),
        symlink: Some(Self::symlink),
        mkdir: Some(Self::mkdir),
        rmdir: Some(Self::rmdir),
        mknod: Some(Self::mknod),
        rename: Some(Self::rename),
        tmpfile: Some(Self::tmpfile),
        getattr: Some(super::fs_type::getattr::<T>),
        listxattr: Some(super::xattr::XattrVtable::<T>::listxattr),
        setattr: Some(super::acl::setattr::<T>),
        set_acl: Some(super::acl::set_acl::<T>),
        ..pin_init::zeroed()
    };

    /// # Safety
    ///
    /// `inode_operations::mknod`: a valid, locked directory of `T` and a negative dentry in it.
    unsafe extern "C" fn mknod(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
        dev: bindings::dev_t,
    ) -> c_int {
        // SAFETY: Per the VFS contract both are valid, and the directory locked, for the
        // duration of the call.
        let (dir, dentry) = unsafe { (locked::<T>(dir), Dentry::from_raw(dentry)) };
        // SAFETY: The VFS keeps the mount's idmap live for the duration of the call.
        let idmap = unsafe { Idmap::from_raw(idmap) };
        from_result(|| T::mknod(idmap, dir, dentry, mode, dev).map(|()| 0))
    }

    /// # Safety
    ///
    /// `inode_operations::create`: as for [`Self::mknod`].
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
    /// `inode_operations::mkdir`: as for [`Self::mknod`].
    unsafe extern "C" fn mkdir(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        mode: bindings::umode_t,
    ) -> *mut bindings::dentry {
        // SAFETY: Per the VFS contract both are valid, and the directory locked, for the
        // duration of the call.
        let (dir, dentry) = unsafe { (locked::<T>(dir), Dentry::from_raw(dentry)) };
        // SAFETY: The VFS keeps the mount's idmap live for the duration of the call.
        let idmap = unsafe { Idmap::from_raw(idmap) };
        match T::mkdir(idmap, dir, dentry, mode) {
            // Null: the dentry we were given is the one now in use.
            Ok(()) => ptr::null_mut(),
            // SAFETY: `ERR_PTR` only encodes the error number.
            Err(e) => unsafe { bindings::ERR_PTR(e.to_errno() as c_long) }.cast(),
        }
    }

    /// # Safety
    ///
    /// `inode_operations::symlink`: as for [`Self::mknod`]; `target` is a valid string.
    unsafe extern "C" fn symlink(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        dentry: *mut bindings::dentry,
        target: *const c_char,
    ) -> c_int {
        // SAFETY: Per the VFS contract all three are valid, and the directory locked, for the
        // duration of the call.
        let (dir, dentry, target) = unsafe {
            (
                locked::<T>(dir),
                Dentry::from_raw(dentry),
                CStr::from_char_ptr(target),
            )
        };
        // SAFETY: The VFS keeps the mount's idmap live for the duration of the call.
        let idmap = unsafe { Idmap::from_raw(idmap) };
        from_result(|| T::symlink(idmap, dir, dentry, target).map(|()| 0))
    }

    /// # Safety
    ///
    /// `inode_operations::tmpfile`: a valid directory of `T` and a file being opened in it.
    unsafe extern "C" fn tmpfile(
        idmap: *mut bindings::mnt_idmap,
        dir: *mut bindings::inode,
        file: *mut bindings::file,
        mode: bindings::umode_t,
    ) -> c_int {
        // SAFETY: Per the VFS contract `dir` is valid for the duration of the call.
        let dir = unsafe { Inode::<T>::from_raw(dir) };
        // SAFETY: The VFS keeps the mount's idmap live for the duration of the call.
        let idmap = unsafe { Idmap::from_raw(idmap) };
        from_result(|| {
            let inode = T::tmpfile(idmap, dir, mode)?;
            // SAFETY: `file` is being opened on a dentry prepared for `d_tmpfile`; the inode
            // reference moves into that dentry.
            unsafe { bindings::d_tmpfile(file, inode.into_raw()) };
            // SAFETY: `finish_open_simple`: completes the open on the file's own dentry.
            to_result(unsafe {
                bindings::finish_open(file, (*file).__bindgen_anon_1.f_path.dentry, None)
            })?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `inode_operations::link`: valid dentries of `T` (`old` positive, `new` negative in the
    /// locked `dir`).
    unsafe extern "C" fn link(
        old: *mut bindings::dentry,
        dir: *mut bindings::inode,
        new: *mut bindings::dentry,
    ) -> c_int {
        // SAFETY: Per the VFS contract all three are valid, and the directory and `old`'s inode
        // locked (`vfs_link`), for the duration of the call.
        let (old, inode, dir, new) = unsafe {
            (
                Dentry::from_raw(old),
                locked::<T>((*old).d_inode),
                locked::<T>(dir),
                Dentry::from_raw(new),
            )
        };
        from_result(|| T::link(old, inode, dir, new).map(|()| 0))
    }

    /// # Safety
    ///
    /// `inode_operations::unlink`: a locked directory of `T` and a positive dentry in it.
    unsafe extern "C" fn unlink(dir: *mut bindings::inode, dentry: *mut bindings::dentry) -> c_int {
        // SAFETY: Per the VFS contract both are valid, and the directory and the victim locked
        // (`vfs_unlink`), for the duration of the call.
        let (dir, dentry, victim) = unsafe {
            (
                locked::<T>(dir),
                Dentry::from_raw(dentry),
                locked::<T>((*dentry).d_inode),
            )
        };
        from_result(|| T::unlink(dir, dentry, victim).map(|()| 0))
    }

    /// # Safety
    ///
    /// `inode_operations::rmdir`: as for [`Self::unlink`].
    unsafe extern "C" fn rmdir(dir: *mut bindings::inode, dentry: *mut bindings::dentry) -> c_int {
        // SAFETY: Per the VFS contract both are valid, and the directory and the victim locked
        // (`vfs_rmdir`), for the duration of the call.
        let (dir, dentry, victim) = unsafe {
            (
                locked::<T>(dir),
                Dentry::from_raw(dentry),
                locked::<T>((*dentry).d_inode),
            )
        };
        from_result(|| T::rmdir(dir, dentry, victim).map(|()| 0))
    }

    /// # Safety
    ///
    /// `inode_operations::rename`: valid directories and dentries of `T`, with the rename locks
    /// held.
    unsafe extern "C" fn rename(
        idmap: *mut bindings::mnt_idmap,
        old_dir: *mut bindings::inode,
        old: *mut bindings::dentry,
        new_dir: *mut bindings::inode,
        new: *mut bindings::dentry,
        flags: c_uint,
    ) -> c_int {
        // SAFETY: Per the VFS contract all four are valid, and both directories locked
        // (`lock_rename`), for the duration of the call.
        let (old_dir, old_dentry, new_dir, new_dentry) = unsafe {
            (
                locked::<T>(old_dir),
                Dentry::from_raw(old),
                locked::<T>(new_dir),
                Dentry::from_raw(new),
            )
        };
        // Outside an exchange `vfs_rename` locks the target whenever there is one (with
        // `lock_two_nondirectories` or `inode_lock`).
        // SAFETY: `new` is valid; its inode, if any, is live and, per the above, locked.
        let target = unsafe { (*new).d_inode };
        let target = (flags & bindings::RENAME_EXCHANGE == 0 && !target.is_null())
            // SAFETY: As above.
            .then(|| unsafe { locked::<T>(target) });
        // SAFETY: The VFS keeps the mount's idmap live for the duration of the call.
        let idmap = unsafe { Idmap::from_raw(idmap) };
        from_result(|| {
            T::rename(
                idmap, old_dir, old_dentry, new_dir, new_dentry, target, flags,
            )
            .map(|()| 0)
        })
    }
}
