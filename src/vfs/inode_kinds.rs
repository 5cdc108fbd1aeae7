// SPDX-License-Identifier: GPL-2.0

//! The kinds of inode a filesystem of this layer has (regular files on the page cache,
//! dcache directories, symlinks, device nodes, fifos and sockets) and their operation tables,
//! all built here from the traits the filesystem implements: a filesystem never hands the VFS a
//! table of its own, so no table can meet an inode of another filesystem.

use crate::bindings;
use core::marker::PhantomData;
use kernel::{
    error::{to_result, VTABLE_DEFAULT_ERROR},
    module::this_module,
    prelude::*,
};

use super::{
    acl,
    aops::{PageCacheOps, PageCacheVtable},
    dir_ops::{DirOps, DirVtable},
    file::FileOf,
    fileattr::{FileAttrOps, FileAttrVtable},
    fs_type::getattr,
    inode::Locked,
    mount::Mount,
    splice,
    xattr::XattrVtable,
    Inode, NewInode,
};

/// `FALLOC_FL_KEEP_SIZE`: preallocate without growing the file.
pub(crate) const FALLOC_FL_KEEP_SIZE: i32 = bindings::RUST_SHMEM_FALLOC_FL_KEEP_SIZE;
/// `FALLOC_FL_PUNCH_HOLE`: drop a range's pages.
pub(crate) const FALLOC_FL_PUNCH_HOLE: i32 = bindings::RUST_SHMEM_FALLOC_FL_PUNCH_HOLE;

/// What a filesystem adds to the layer's regular files, directories and other inodes.
#[vtable]
pub(crate) trait InodeKinds: PageCacheOps + DirOps + FileAttrOps {
    /// `file_operations::fallocate` of regular files, with `FALLOC_FL_*` flags in `mode`, on
    /// `offset..offset + len` (bytes; the VFS checked that the sum does not overflow). Without
    /// it, `fallocate(2)` fails with `EOPNOTSUPP`.
    fn fallocate(_file: &OpenFile<'_, Self>, _mode: i32, _offset: i64, _len: i64) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// A regular file of `T` during one of its operations.
///
/// # Invariants
///
/// `file` is a live file whose inode is `inode`, for `'a`.
pub(crate) struct OpenFile<'a, T: InodeKinds> {
    file: *mut bindings::file,
    inode: &'a Inode<T>,
}

impl<'a, T: InodeKinds> OpenFile<'a, T> {
    /// The file's inode.
    pub(crate) fn inode(&self) -> &'a Inode<T> {
        self.inode
    }

    /// Updates the file's times and drops privileges after a change to its contents
    /// (`file_modified`), under the inode lock `locked`. Errors: `EINVAL` if `locked` is
    /// another inode's lock; those of `file_modified` (`EPERM` etc.).
    pub(crate) fn modified(&self, locked: &Locked<T>) -> Result {
        if !core::ptr::eq(locked.inode(), self.inode) {
            return Err(EINVAL);
        }
        // SAFETY: The file is live (type invariant) and its inode locked by `locked`.
        to_result(unsafe { bindings::file_modified(self.file) })
    }
}

/// The tables of `T`'s inodes.
pub(crate) struct InodeTables<T>(PhantomData<T>);

impl<T: InodeKinds> InodeTables<T> {
    /// # Safety
    ///
    /// `file_operations::fallocate`: a live regular file of `T`.
    unsafe extern "C" fn fallocate(
        file: *mut bindings::file,
        mode: c_int,
        offset: i64,
        len: i64,
    ) -> c_long {
        // INVARIANT: The VFS passes a live file of ours, which pins its inode.
        let file = OpenFile {
            file,
            // SAFETY: As above; the inode is an `Inode<T>` (only `T`'s regular files have this
            // table).
            inode: unsafe { Inode::from_raw((*file).f_inode) },
        };
        match T::fallocate(&file, mode, offset, len) {
            Ok(()) => 0,
            Err(e) => e.to_errno() as c_long,
        }
    }

    /// Page-cache operations of every inode: libfs's `ram_aops` with every new page charged.
    const AOPS: bindings::address_space_operations = PageCacheVtable::<T>::AOPS;

    /// File operations of regular files: the generic page-cache paths, but reads (and splice
    /// reads) that leave holes holes.
    const FILE_OPS: bindings::file_operations = bindings::file_operations {
        owner: this_module::<T::OwnerModule>().as_ptr(),
        open: Some(PageCacheVtable::<T>::open),
        llseek: Some(PageCacheVtable::<T>::llseek),
        read_iter: Some(PageCacheVtable::<T>::read_iter),
        write_iter: Some(PageCacheVtable::<T>::write_iter),
        mmap_prepare: Some(PageCacheVtable::<T>::mmap_prepare),
        get_unmapped_area: Some(PageCacheVtable::<T>::get_unmapped_area),
        fsync: Some(bindings::noop_fsync),
        splice_read: Some(splice::splice_read::<T>),
        splice_write: Some(bindings::iter_file_splice_write),
        fallocate: if T::HAS_FALLOCATE {
            Some(Self::fallocate)
        } else {
            None
        },
        ..pin_init::zeroed()
    };

    /// Inode operations of regular files: `setattr` truncates the page cache on size changes.
    const FILE_INODE_OPS: bindings::inode_operations = bindings::inode_operations {
        setattr: Some(PageCacheVtable::<T>::setattr),
        getattr: Some(getattr::<T>),
        listxattr: Some(XattrVtable::<T>::listxattr),
        set_acl: Some(acl::set_acl::<T>),
        fileattr_get: Some(FileAttrVtable::<T>::fileattr_get),
        fileattr_set: Some(FileAttrVtable::<T>::fileattr_set),
        ..pin_init::zeroed()
    };

    /// Inode operations of directories.
    const DIR_INODE_OPS: bindings::inode_operations = bindings::inode_operations {
        fileattr_get: Some(FileAttrVtable::<T>::fileattr_get),
        fileattr_set: Some(FileAttrVtable::<T>::fileattr_set),
        ..DirVtable::<T>::OPS
    };

    /// Inode operations of symlinks whose target is kept with the inode.
    const SHORT_SYMLINK_OPS: bindings::inode_operations = bindings::inode_operations {
        get_link: Some(bindings::simple_get_link),
        getattr: Some(getattr::<T>),
        listxattr: Some(XattrVtable::<T>::listxattr),
        ..pin_init::zeroed()
    };

    /// Inode operations of device nodes, fifos and sockets.
    const SPECIAL_INODE_OPS: bindings::inode_operations = bindings::inode_operations {
        getattr: Some(getattr::<T>),
        listxattr: Some(XattrVtable::<T>::listxattr),
        setattr: Some(acl::setattr::<T>),
        set_acl: Some(acl::set_acl::<T>),
        ..pin_init::zeroed()
    };
}

impl<T: InodeKinds> NewInode<T> {
    /// Gives the inode `T`'s page cache, kept resident: with no swap behind us, reclaim must
    /// never drop a page (like ramfs). Pages are movable and may come in large folios, as in
    /// tmpfs. Every inode gets it, as in `shmem_get_inode`.
    pub(crate) fn init_mapping(&mut self) {
        // SAFETY: The table is `T`'s, made for mappings whose host is an inode of `T`.
        unsafe { self.set_resident_mapping(&InodeTables::<T>::AOPS) };
    }

    /// Makes the inode a regular file of `T`.
    pub(crate) fn make_regular(&mut self) {
        // SAFETY: Both tables are `T`'s, made for its regular files.
        unsafe {
            self.set_ops(
                &InodeTables::<T>::FILE_INODE_OPS,
                &InodeTables::<T>::FILE_OPS,
            )
        };
    }

    /// Makes the inode a directory of `T` (libfs's cursor-based readdir over the dcache); it
    /// starts with two links (its entry and its `.`).
    pub(crate) fn make_dir(&mut self) {
        // SAFETY: An immutable exported static of the kernel.
        let fops = unsafe { &bindings::simple_dir_operations };
        // SAFETY: `DIR_INODE_OPS` is `T`'s, made for its directories; `simple_dir_operations`
        // assumes nothing about the filesystem.
        unsafe { self.set_ops(&InodeTables::<T>::DIR_INODE_OPS, fops) };
        self.inc_nlink();
    }

    /// Makes the inode a device node, fifo or socket of type and permissions `mode`, device
    /// `dev` (`init_special_inode`).
    pub(crate) fn make_special(&mut self, mode: u16, dev: u32) {
        self.init_special(mode, dev);
        // SAFETY: The table is `T`'s, made for its inodes.
        unsafe { self.set_inode_ops(&InodeTables::<T>::SPECIAL_INODE_OPS) };
    }

    /// Makes the inode a symlink to `target`, kept with the inode itself (tmpfs's short
    /// symlinks; `target` with its NUL fits the filesystem's own limit). Errors: `ENOMEM`,
    /// `ENAMETOOLONG`.
    pub(crate) fn make_short_symlink(&mut self, target: &CStr) -> Result {
        // SAFETY: The table is `T`'s, made for its inodes.
        unsafe { self.set_owned_link(&InodeTables::<T>::SHORT_SYMLINK_OPS, target) }
    }

    /// Opens the inode read-write as an unlinked regular file named `name` on `mnt`
    /// (`alloc_file_pseudo`). Errors: `EINVAL` if `mnt` is not a mount of the inode's
    /// superblock, `ENOENT` while the module unloads, `ENOMEM`.
    pub(crate) fn into_regular_file(self, mnt: &Mount, name: &CStr) -> Result<FileOf<T>> {
        // SAFETY: `FILE_OPS` is `T`'s, made for its regular files.
        unsafe { self.into_pseudo_file(mnt, name, &InodeTables::<T>::FILE_OPS) }
    }
}
