// SPDX-License-Identifier: GPL-2.0

//! Files that carry data of their own on an inode of ours, with their own `mmap`, VMA `open`
//! and `close` hooks over the page cache's faults: `shm_file_operations` and `shm_vm_ops` of
//! `ipc/shm.c`, whose attach files (`alloc_file_clone`) share the segment's inode.

use crate::bindings;
use crate::kabi::mm::{walk_vmas, FileId};
use core::{marker::PhantomData, ops::ControlFlow};
use kernel::{module::this_module, page::PAGE_SIZE, prelude::*};

use super::{
    aops::{PageCacheOps, PageCacheVtable},
    file::{alloc_pseudo_file, FileOf, FileRef},
    mount::Mount,
};

/// The hooks of a kind of private file. Each runs in process context; `vm_open` and
/// `vm_close` run under the mmap lock of the VMA's mm (`mmap_lock` → the implementor's locks).
#[vtable]
pub(crate) trait PrivateFile: Sized + 'static {
    /// The filesystem whose inodes the files open.
    type Fs: PageCacheOps;
    /// What each file owns (`shm_file_data`).
    type Data: Send + Sync;

    /// The VMA operations of these files, a `static` made with [`PrivateVmOps::new`]: the
    /// kernel and [`PrivateVmOps::as_raw`]'s users tell the mappings apart by its address.
    fn vm_ops() -> &'static PrivateVmOps<Self>;

    /// `mmap`: a mapping of the file is being made; an error refuses it.
    fn mmap(data: &Self::Data) -> Result;

    /// `vm_operations_struct::open`: a VMA of the file was copied (`fork`) or split.
    fn vm_open(data: &Self::Data);

    /// `vm_operations_struct::close`: a VMA of the file goes away.
    fn vm_close(data: &Self::Data);
}

/// The `vm_operations_struct` of `T`'s files: `T`'s `open`/`close`, the page cache's faults.
///
/// # Invariants
///
/// `raw` holds [`PrivateVtable::<T>`]'s hooks and is never written.
#[repr(transparent)]
pub(crate) struct PrivateVmOps<T> {
    raw: bindings::vm_operations_struct,
    _t: PhantomData<fn(T)>,
}

// SAFETY: The table is immutable (type invariant); C reads it from any thread.
unsafe impl<T> Sync for PrivateVmOps<T> {}

impl<T: PrivateFile> PrivateVmOps<T> {
    /// The table, to be put in a `static`.
    pub(crate) const fn new() -> Self {
        // INVARIANT: `T`'s trampolines.
        Self {
            raw: bindings::vm_operations_struct {
                open: Some(PrivateVtable::<T>::vm_open),
                close: Some(PrivateVtable::<T>::vm_close),
                fault: Some(PageCacheVtable::<T::Fs>::fault),
                map_pages: Some(bindings::filemap_map_pages),
                ..pin_init::zeroed()
            },
            _t: PhantomData,
        }
    }

    /// The C table, whose address identifies the VMAs of `T`'s files.
    pub(crate) fn as_raw(&'static self) -> *const bindings::vm_operations_struct {
        &self.raw
    }
}

/// The trampolines of `T`.
struct PrivateVtable<T>(PhantomData<T>);

impl<T: PrivateFile> PrivateVtable<T> {
    /// The data of a file of `T`.
    ///
    /// # Safety
    ///
    /// `file` must be a live file made by [`new_private_file::<T>`], not yet released, and the
    /// reference must not outlive it.
    unsafe fn data<'a>(file: *mut bindings::file) -> &'a T::Data {
        // SAFETY: Per the contract, `private_data` holds a live `KBox<T::Data>` until release.
        unsafe { &*(*file).private_data.cast::<T::Data>() }
    }

    /// # Safety
    ///
    /// `file_operations::mmap`: a live file of `T` and the VMA being set up for it.
    unsafe extern "C" fn mmap(
        file: *mut bindings::file,
        vma: *mut bindings::vm_area_struct,
    ) -> c_int {
        // SAFETY: The VFS passes a live file of ours, whose table this is.
        if let Err(e) = T::mmap(unsafe { Self::data(file) }) {
            return e.to_errno();
        }
        // What the filesystem's own `mmap_prepare` does, with `T`'s operations.
        // SAFETY: The file is live; the VMA is ours to set up.
        unsafe {
            super::file::file_accessed(file);
            (*vma).vm_ops = T::vm_ops().as_raw();
        }
        0
    }

    /// # Safety
    ///
    /// `file_operations::release` of a file of `T`.
    unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
        // SAFETY: The file is being released: its `private_data` is a `KBox<T::Data>` that
        // nobody uses any more.
        drop(unsafe { KBox::from_raw((*file).private_data.cast::<T::Data>()) });
        // SAFETY: As above.
        unsafe { (*file).private_data = core::ptr::null_mut() };
        0
    }

    /// # Safety
    ///
    /// `vm_operations_struct::open`: a VMA whose table is `T`'s, so it maps a file of `T`.
    unsafe extern "C" fn vm_open(vma: *mut bindings::vm_area_struct) {
        // SAFETY: The VMA holds a reference on its live file of `T`.
        T::vm_open(unsafe { Self::data((*vma).vm_file) });
    }

    /// # Safety
    ///
    /// `vm_operations_struct::close`: as for [`Self::vm_open`].
    unsafe extern "C" fn vm_close(vma: *mut bindings::vm_area_struct) {
        // SAFETY: As in `vm_open`.
        T::vm_close(unsafe { Self::data((*vma).vm_file) });
    }

    const FOPS: bindings::file_operations = bindings::file_operations {
        owner: this_module::<T::OwnerModule>().as_ptr(),
        mmap: Some(Self::mmap),
        release: Some(Self::release),
        llseek: Some(bindings::noop_llseek),
        ..pin_init::zeroed()
    };
}

/// A new file of `T` on `of`'s inode, opened read-write or read-only, that owns `data`
/// (`alloc_file_clone`, which modules cannot call: an unlinked file on the same inode does the
/// same). Errors: `EINVAL` if `mnt` is not a mount of the inode's superblock, `ENOENT` while
/// the module unloads, `ENOMEM`.
pub(crate) fn new_private_file<T: PrivateFile>(
    of: &FileOf<T::Fs>,
    mnt: &Mount,
    name: &CStr,
    writable: bool,
    data: T::Data,
) -> Result<FileRef> {
    let data = KBox::new(data, GFP_KERNEL)?;
    // SAFETY: `of` is live and pins its inode.
    let inode = unsafe { (*of.file().as_raw()).f_inode };
    // SAFETY: Takes the reference the new file consumes (or that is dropped on failure).
    unsafe { bindings::ihold(inode) };
    let f_flags = if writable {
        bindings::O_RDWR
    } else {
        bindings::O_RDONLY
    };
    // SAFETY: A live inode with a reference for the file; `T`'s operations, made for files of
    // `T` with a `KBox<T::Data>`, stored below before anyone else can reach the file.
    let file = unsafe { alloc_pseudo_file(inode, mnt, name, f_flags, &PrivateVtable::<T>::FOPS) }?;
    // SAFETY: The new file is ours alone; `release` takes the box back.
    unsafe { (*file.as_ptr()).private_data = KBox::into_raw(data).cast() };
    // SAFETY: `alloc_file_pseudo` gave us its one reference.
    Ok(unsafe { FileRef::from_raw(file) })
}

/// A mapping of a file of a [`PrivateFile`], as [`find_mapping`] finds it.
pub(crate) struct FoundMapping {
    /// Its range in the caller's address space, in bytes.
    pub(crate) start: u64,
    /// As above.
    pub(crate) end: u64,
    /// The file it maps, for identity only.
    pub(crate) file: FileId,
    /// The size of the file's inode, in bytes.
    pub(crate) size: i64,
}

/// The first VMA of the caller at or above `from` that maps a file of `T` at the page offset of
/// its distance from `addr`, ending no further than `limit` bytes above `addr` (no bound if 0)
/// and mapping `file` if given: `ksys_shmdt`'s test, under the mmap read lock.
pub(crate) fn find_mapping<T: PrivateFile>(
    addr: u64,
    from: u64,
    file: Option<FileId>,
    limit: i64,
) -> Result<Option<FoundMapping>> {
    let addr = usize::try_from(addr).map_err(|_| EINVAL)?;
    let from = usize::try_from(from).map_err(|_| EINVAL)?;
    let ops = T::vm_ops().as_raw();
    let found = walk_vmas(from, |vma| {
        if limit != 0 && vma.end().wrapping_sub(addr) as i64 > limit {
            return ControlFlow::Break(None);
        }
        if !vma.has_ops(ops) || vma.start().wrapping_sub(addr) / PAGE_SIZE != vma.pgoff() {
            return ControlFlow::Continue(());
        }
        match vma.file() {
            Some((id, size)) if file.is_none_or(|file| file == id) => {
                ControlFlow::Break(Some(FoundMapping {
                    start: vma.start() as u64,
                    end: vma.end() as u64,
                    file: id,
                    size,
                }))
            }
            _ => ControlFlow::Continue(()),
        }
    });
    Ok(found.flatten())
}
