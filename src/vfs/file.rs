// SPDX-License-Identifier: GPL-2.0

//! Files made by the filesystem itself: unlinked "pseudo" files handed to other kernel code.
//!
//! Lock order: our `i_rwsem` → the `i_rwsem` of a commit-charge file of the kernel's shmem
//! ([`FileRef::set_internal_size`] under `setattr`): different lock classes, always this way.

use crate::bindings;
use core::{marker::PhantomData, mem::ManuallyDrop, ptr::NonNull};
use kernel::{
    error::{from_err_ptr, to_result},
    prelude::*,
    sync::atomic::{Atomic, Full},
};

use super::{mount::Mount, FileSystem, Inode, NewInode};
use crate::kabi::vma::VmaFlags;

/// An owned reference to a `struct file`, dropped with `fput`.
///
/// # Invariants
///
/// `file` is a live file on which we own one reference.
pub(crate) struct FileRef(NonNull<bindings::file>);

// SAFETY: A file reference may be dropped (`fput`) on any thread.
unsafe impl Send for FileRef {}
// SAFETY: `&FileRef` only gives the pointer or calls `set_internal_size`, which takes the
// inode lock for itself.
unsafe impl Sync for FileRef {}

impl FileRef {
    /// Takes over the file reference a C function returned, or its error.
    ///
    /// # Safety
    ///
    /// `file` must be an `ERR_PTR` or a live file whose reference the caller gives us.
    pub(crate) unsafe fn from_result(file: *mut bindings::file) -> Result<Self> {
        let file = NonNull::new(from_err_ptr(file)?).ok_or(ENOMEM)?;
        // INVARIANT: Per the contract we now own the reference.
        Ok(Self(file))
    }

    /// Takes back a reference given away with [`FileRef::into_raw`].
    ///
    /// # Safety
    ///
    /// `file` must come from [`FileRef::into_raw`], and its reference must not be used again.
    pub(crate) unsafe fn from_raw(file: NonNull<bindings::file>) -> Self {
        // INVARIANT: Per the contract the reference is ours again.
        Self(file)
    }

    /// The file, still owned by this object.
    pub(crate) fn as_raw(&self) -> *mut bindings::file {
        self.0.as_ptr()
    }

    /// Gives the reference to the caller (the C side that asked for a file).
    pub(crate) fn into_raw(self) -> *mut bindings::file {
        ManuallyDrop::new(self).0.as_ptr()
    }

    /// Truncates or extends a kernel-internal file to `size` bytes: `notify_change` under the
    /// file's inode lock, without `vfs_truncate`'s `mnt_want_write`. Callers may hold another
    /// filesystem's inode lock: taking the internal mount's `sb_writers` under it would order
    /// that lock against every `splice` into our files (lockdep).
    ///
    /// Only for files nobody else can reach (unlinked, on an internal mount that is never
    /// frozen), so there is no write access to take.
    pub(crate) fn set_internal_size(&self, size: i64) -> Result {
        let mut attr: bindings::iattr = pin_init::zeroed();
        attr.ia_valid = bindings::ATTR_SIZE;
        attr.ia_size = size;
        // SAFETY: The file is live (type invariant), so are its dentry and inode; the inode lock
        // is what `notify_change` requires, and it is released right after.
        let ret = unsafe {
            let dentry = (*self.0.as_ptr()).__bindgen_anon_1.f_path.dentry;
            let inode = (*dentry).d_inode;
            super::inode::inode_lock(inode);
            let ret = bindings::notify_change(
                &raw mut bindings::nop_mnt_idmap,
                dentry,
                &mut attr,
                core::ptr::null_mut(),
            );
            super::inode::inode_unlock(inode);
            ret
        };
        to_result(ret)
    }
}

/// A file of the kernel's own shmem (`shmem_file_setup`): `size` bytes, charged against the
/// overcommit limit unless `flags` has `VM_NORESERVE`. Errors: `EINVAL` (size), `ENOMEM`,
/// `ENOSPC` (tmpfs's own errors).
pub(crate) fn shmem_file_setup(name: &CStr, size: i64, flags: VmaFlags) -> Result<FileRef> {
    // SAFETY: The name is a valid string; the call returns a new file or an `ERR_PTR`.
    unsafe {
        FileRef::from_result(bindings::shmem_file_setup(
            name.as_char_ptr(),
            size,
            flags.as_raw(),
        ))
    }
}

/// A place that may own one file reference, shared between threads: filled while its owner is
/// built, borrowed and emptied after.
///
/// # Invariants
///
/// `0` is null or a file on which the slot owns one reference.
pub(crate) struct FileSlot(Atomic<*mut bindings::file>);

impl FileSlot {
    /// An empty slot.
    pub(crate) const fn empty() -> Self {
        // INVARIANT: Null.
        Self(Atomic::new(core::ptr::null_mut()))
    }

    /// Puts `file` in the slot, dropping what it held.
    pub(crate) fn set(&mut self, file: FileRef) {
        // SAFETY: `into_raw` gives up the reference, which the slot now owns.
        drop(unsafe { self.replace(file.into_raw()) });
    }

    /// Takes the file out, leaving the slot empty.
    pub(crate) fn take(&self) -> Option<FileRef> {
        // SAFETY: Null owns nothing.
        unsafe { self.replace(core::ptr::null_mut()) }
    }

    /// Stores `raw` and returns what was there.
    ///
    /// # Safety
    ///
    /// `raw` must be null or a file reference that the caller gives to the slot.
    unsafe fn replace(&self, raw: *mut bindings::file) -> Option<FileRef> {
        // INVARIANT: The slot owns `raw`'s reference, if any, per the contract.
        let old = NonNull::new(self.0.xchg(raw, Full))?;
        // SAFETY: The slot owned that reference (type invariant), and gave it up above.
        Some(unsafe { FileRef::from_raw(old) })
    }

    /// Calls `f` with the file, if the slot has one. The file is out of the slot meanwhile: a
    /// concurrent [`FileSlot::take`] finds it empty.
    pub(crate) fn with<R>(&self, f: impl FnOnce(&FileRef) -> R) -> Option<R> {
        let file = self.take()?;
        let result = f(&file);
        // Only `set`, which needs `&mut self`, could have filled the slot meanwhile.
        // SAFETY: `into_raw` gives up the reference, which the slot now owns.
        drop(unsafe { self.replace(file.into_raw()) });
        Some(result)
    }
}

impl Drop for FileSlot {
    fn drop(&mut self) {
        drop(self.take());
    }
}

impl Drop for FileRef {
    fn drop(&mut self) {
        // SAFETY: We own one reference by the type invariant.
        unsafe { bindings::fput(self.0.as_ptr()) };
    }
}

/// A file of filesystem `F`, with a reference.
///
/// # Invariants
///
/// `file` is a file whose inode is an `Inode<F>`.
pub(crate) struct FileOf<F> {
    file: FileRef,
    _f: PhantomData<fn(F)>,
}

impl<F> FileOf<F> {
    /// The file's inode.
    pub(crate) fn inode(&self) -> &Inode<F>
    where
        F: FileSystem,
    {
        // SAFETY: The file is live and pins its inode, an `Inode<F>` (type invariant).
        unsafe { Inode::from_raw((*self.file.as_raw()).f_inode) }
    }

    /// The file, without its type.
    pub(crate) fn file(&self) -> &FileRef {
        &self.file
    }

    /// Forgets the type.
    pub(crate) fn into_file(self) -> FileRef {
        self.file
    }
}

/// Updates the access time of a file that was read or mapped, unless it was opened with
/// `O_NOATIME` (`file_accessed`).
///
/// # Safety
///
/// `file` must be a live file.
pub(crate) unsafe fn file_accessed(file: *mut bindings::file) {
    // SAFETY: Per the contract the file is live; `f_flags` and `f_path` are set when it is opened.
    unsafe {
        if (*file).f_flags & bindings::O_NOATIME == 0 {
            bindings::touch_atime(&raw const (*file).__bindgen_anon_1.f_path);
        }
    }
}

/// A new unlinked file on `inode` named `name` on `mnt` (`alloc_file_pseudo`), opened with
/// `f_flags`, with operations `fops`. The inode reference the caller gives moves into the file,
/// or is dropped on failure.
///
/// The file holds a reference on `fops.owner`, like `anon_inode_getfile`: `alloc_file_pseudo`
/// takes none, but the last `fput` drops one, and the module must stay while the file lives.
/// Errors: `EINVAL` if `mnt` is not a mount of the inode's superblock, `ENOENT` while the
/// module unloads, `ENOMEM`.
///
/// # Safety
///
/// `inode` must be a live inode on which the caller owns a reference it gives up, and the
/// callbacks of `fops` must fit files on it.
pub(super) unsafe fn alloc_pseudo_file(
    inode: *mut bindings::inode,
    mnt: &Mount,
    name: &CStr,
    f_flags: u32,
    fops: &'static bindings::file_operations,
) -> Result<NonNull<bindings::file>> {
    // SAFETY: Per the contract.
    let file = unsafe { alloc_pseudo_file_inner(inode, mnt, name, f_flags, fops) };
    if file.is_err() {
        // Failure leaves the inode reference with us.
        // SAFETY: The caller gave it to us.
        unsafe { bindings::iput(inode) };
    }
    file
}

/// [`alloc_pseudo_file`] but for the inode reference, which stays the caller's on failure.
///
/// # Safety
///
/// As for [`alloc_pseudo_file`].
unsafe fn alloc_pseudo_file_inner(
    inode: *mut bindings::inode,
    mnt: &Mount,
    name: &CStr,
    f_flags: u32,
    fops: &'static bindings::file_operations,
) -> Result<NonNull<bindings::file>> {
    // The file's dentry is made on `mnt`'s superblock, which must be the inode's.
    // SAFETY: The mount is live by its type invariant, and so is its superblock; the inode is
    // live per the contract.
    if unsafe { (*mnt.as_raw()).mnt_sb != (*inode).i_sb } {
        return Err(EINVAL);
    }
    // SAFETY: Taking a reference on a module that is live (the caller's code is running).
    if !fops.owner.is_null() && !unsafe { bindings::try_module_get(fops.owner) } {
        return Err(ENOENT);
    }
    // SAFETY: A live inode with the caller's reference, a live mount of its superblock, a valid
    // name; the caller vouches for `fops`. On success the reference moves into the file.
    let file = from_err_ptr(unsafe {
        bindings::alloc_file_pseudo(
            inode,
            mnt.as_raw(),
            name.as_char_ptr(),
            f_flags as c_int,
            fops,
        )
    })
    .and_then(|file| NonNull::new(file).ok_or(ENOMEM));
    if file.is_err() && !fops.owner.is_null() {
        // SAFETY: Gives back the module reference taken above.
        unsafe { bindings::module_put(fops.owner) };
    }
    file
}

impl<T: FileSystem> NewInode<T> {
    /// Opens the inode read-write as an unlinked file named `name` on `mnt`
    /// ([`alloc_pseudo_file`]), with operations `fops`.
    ///
    /// # Safety
    ///
    /// The callbacks of `fops` must expect files whose inode is of `T` (they may find its
    /// per-inode data with `container_of`), or assume nothing about the inode's filesystem.
    pub(super) unsafe fn into_pseudo_file(
        self,
        mnt: &Mount,
        name: &CStr,
        fops: &'static bindings::file_operations,
    ) -> Result<FileOf<T>> {
        let inode = ManuallyDrop::new(self).as_inode().as_raw();
        // SAFETY: Our inode reference moves into the call; the caller vouches for `fops`.
        let file = unsafe { alloc_pseudo_file(inode, mnt, name, bindings::O_RDWR, fops) }?;
        // INVARIANT: `alloc_pseudo_file` returned a new file with one reference, on our inode
        // of `T`.
        Ok(FileOf {
            file: FileRef(file),
            _f: PhantomData,
        })
    }
}
