// SPDX-License-Identifier: GPL-2.0

//! The kernel-facing API (`include/linux/rust_shmem.h`): unlinked files on rust_shmem
//! (`shmem_file_setup` and friends) and shared anonymous mappings backed by them
//! (`shmem_zero_setup`), exported to other modules by `src/helpers.c`.

use crate::bindings;
use crate::fs::{file, inode::new_inode, RustShmem};
use crate::vfs::{aops, file::FileRef, inode::Idmap, mount::Mount, FsRegistration, Inode};
use core::{mem::ManuallyDrop, ptr, ptr::NonNull};
use kernel::{
    prelude::*,
    sync::atomic::{Acquire, Atomic, Release},
};

/// The internal mount and the filesystem type, published while the module is live.
static INTERNAL_MOUNT: Atomic<*mut bindings::vfsmount> = Atomic::new(ptr::null_mut());
static FS_TYPE: Atomic<*mut bindings::file_system_type> = Atomic::new(ptr::null_mut());

/// Publishes the internal mount for the setup API; withdraws it when dropped.
///
/// # Invariants
///
/// While this object lives, `INTERNAL_MOUNT` points to a live rust_shmem mount and `FS_TYPE` to
/// the registered rust_shmem type; both are null otherwise.
pub(crate) struct SetupApi(());

impl SetupApi {
    /// Publishes `mnt`, a mount of `fs`.
    ///
    /// # Safety
    ///
    /// `fs` must stay registered and `mnt` mounted until the returned guard is dropped.
    pub(crate) unsafe fn publish(fs: &FsRegistration<RustShmem>, mnt: &Mount) -> Self {
        // INVARIANT: The caller keeps both alive for the guard's life.
        FS_TYPE.store(fs.as_raw(), Release);
        INTERNAL_MOUNT.store(mnt.as_raw(), Release);
        Self(())
    }
}

impl Drop for SetupApi {
    fn drop(&mut self) {
        INTERNAL_MOUNT.store(ptr::null_mut(), Release);
        FS_TYPE.store(ptr::null_mut(), Release);
    }
}

/// The commit charge of a setup file (`shmem_acct_size`): the size counted against the
/// overcommit limit unless `VMA_NORESERVE_BIT` is set, given back when the file goes.
///
/// The kernel keeps that accounting (`__vm_enough_memory`, `vm_unacct_memory`,
/// `vm_committed_as`) to itself: a module can neither charge nor uncharge. Its own shmem can, and
/// exports `shmem_file_setup`, whose file of the same size and flags charges exactly what tmpfs
/// would and holds no pages. Each charged rust_shmem file keeps such a file as its charge and
/// resizes it with itself, so `Committed_AS` and strict overcommit (`ENOMEM`) behave as with
/// tmpfs. Not `shmem_kernel_file_setup`: the takeover livepatch (`src/takeover/`) redirects that
/// one, and the charge of a segment would then recurse into rust_shmem.
fn commit_charge(size: i64, flags: bindings::vma_flags_t) -> Result<Option<FileRef>> {
    let noreserve = flags.__vma_flags[0] & (1 << bindings::VMA_NORESERVE_BIT) != 0;
    if noreserve {
        return Ok(None);
    }
    // SAFETY: The name is a valid string; the call returns a new file or an `ERR_PTR`.
    let charge = unsafe {
        FileRef::from_result(bindings::shmem_file_setup(
            c"rust_shmem commit charge".as_char_ptr(),
            size,
            flags,
        ))
    }?;
    Ok(Some(charge))
}

/// Moves the commit charge of `inode`, if it has one, to a new size (`shmem_reacct_size`).
pub(crate) fn recharge(inode: &Inode<RustShmem>, size: i64) -> Result {
    let charge = inode.info().commit_charge.load(Acquire);
    let Some(charge) = NonNull::new(charge) else {
        return Ok(());
    };
    // SAFETY: The charge stays with the inode until `uncharge` at eviction; we only borrow it.
    let charge = ManuallyDrop::new(unsafe { FileRef::from_raw(charge) });
    charge.set_internal_size(size)
}

/// Gives back the commit charge of an inode that is being evicted.
pub(crate) fn uncharge(inode: &Inode<RustShmem>) {
    let charge = inode.info().commit_charge.xchg(ptr::null_mut(), Acquire);
    if let Some(charge) = NonNull::new(charge) {
        // SAFETY: Stored by `file_setup` with `into_raw`, taken back exactly once here.
        drop(unsafe { FileRef::from_raw(charge) });
    }
}

/// `__shmem_file_setup`: an unlinked regular file of `size` bytes on `mnt`.
fn file_setup(
    mnt: &Mount,
    name: &CStr,
    size: i64,
    flags: &bindings::vma_flags_t,
    i_flags: u32,
) -> Result<FileRef> {
    if !(0..=bindings::RUST_SHMEM_MAX_LFS_FILESIZE).contains(&size) || mnt.is_idmapped() {
        return Err(EINVAL);
    }
    // SAFETY: `FS_TYPE` is null or, published by `SetupApi`, `RustShmem`'s registered type, which
    // stays registered while the guard lives; the guard outlives every caller (users of the
    // exported API pin the module, its own devices are deregistered first).
    let sb = unsafe { mnt.super_block::<RustShmem>(FS_TYPE.load(Acquire)) }.ok_or(EINVAL)?;
    let charge = commit_charge(size, *flags)?;
    let mode = (bindings::S_IFREG | bindings::S_IRWXUGO) as u16;
    let mut inode = new_inode(sb, Idmap::none(), None, mode, 0)?;
    if let Some(charge) = charge {
        // Given back by `uncharge` when the inode is evicted.
        *inode.info_mut().project().commit_charge.get_mut() = charge.into_raw();
    }
    inode.init_unlinked(size, i_flags);
    // SAFETY: `FILE_OPS` is made for rust_shmem's regular files.
    unsafe { inode.into_pseudo_file(mnt, name, &file::FILE_OPS) }
}

/// The internal mount, while the module is live.
pub(crate) fn internal_mount() -> Result<&'static Mount> {
    let mnt = INTERNAL_MOUNT.load(Acquire);
    if mnt.is_null() {
        return Err(ENODEV);
    }
    // SAFETY: Published by `SetupApi`, which the module drops only after every user of the
    // exported API (modules that link to it hold a reference on us) and of the zero device
    // (deregistered first) is gone.
    Ok(unsafe { Mount::from_raw(mnt) })
}

/// Converts a setup result for C: the file, or an `ERR_PTR`.
fn to_file_ptr(file: Result<FileRef>) -> *mut bindings::file {
    match file {
        Ok(file) => file.into_raw(),
        // SAFETY: `ERR_PTR` only encodes the error number.
        Err(e) => unsafe { bindings::ERR_PTR(e.to_errno() as c_long) }.cast(),
    }
}

/// Shared by the exported setup functions.
///
/// # Safety
///
/// `mnt` must be a live mount and `name` a valid NUL-terminated string.
unsafe fn setup_export(
    mnt: &Mount,
    name: *const c_char,
    size: bindings::loff_t,
    flags: &bindings::vma_flags_t,
    i_flags: u32,
) -> *mut bindings::file {
    // SAFETY: The caller passes a valid string.
    let name = unsafe { CStr::from_char_ptr(name) };
    to_file_ptr(file_setup(mnt, name, size, flags, i_flags))
}

/// `shmem_file_setup` on the internal mount.
///
/// # Safety
///
/// `name` must be a valid NUL-terminated string.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_shmem_file_setup(
    name: *const c_char,
    size: bindings::loff_t,
    flags: bindings::vma_flags_t,
) -> *mut bindings::file {
    match internal_mount() {
        // SAFETY: The mount is live and the caller passes a valid name.
        Ok(mnt) => unsafe { setup_export(mnt, name, size, &flags, 0) },
        Err(e) => to_file_ptr(Err(e)),
    }
}

/// `shmem_kernel_file_setup`: as [`rust_shmem_file_setup`], with an `S_PRIVATE` inode.
///
/// # Safety
///
/// `name` must be a valid NUL-terminated string.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_shmem_kernel_file_setup(
    name: *const c_char,
    size: bindings::loff_t,
    flags: bindings::vma_flags_t,
) -> *mut bindings::file {
    match internal_mount() {
        // SAFETY: The mount is live and the caller passes a valid name.
        Ok(mnt) => unsafe { setup_export(mnt, name, size, &flags, bindings::S_PRIVATE) },
        Err(e) => to_file_ptr(Err(e)),
    }
}

/// `shmem_kernel_file_setup` for the module's own users (System V segments).
pub(crate) fn kernel_file_setup(
    name: &CStr,
    size: i64,
    flags: &bindings::vma_flags_t,
) -> Result<FileRef> {
    file_setup(internal_mount()?, name, size, flags, bindings::S_PRIVATE)
}

/// `shmem_file_setup_with_mnt`: as [`rust_shmem_file_setup`], on `mnt`.
///
/// # Safety
///
/// `mnt` must be a live mount (or an `ERR_PTR`) and `name` a valid NUL-terminated string.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_shmem_file_setup_with_mnt(
    mnt: *mut bindings::vfsmount,
    name: *const c_char,
    size: bindings::loff_t,
    flags: bindings::vma_flags_t,
) -> *mut bindings::file {
    // Like the C API, pass an error pointer through (callers chain `kern_mount`).
    if mnt.is_null() || (mnt as usize) >= (-(bindings::MAX_ERRNO as isize)) as usize {
        return mnt.cast();
    }
    // SAFETY: The caller passes a live mount and a valid name.
    unsafe { setup_export(Mount::from_raw(mnt), name, size, &flags, 0) }
}

/// `shmem_mapping()` for rust_shmem: whether `mapping` is the page cache of an inode of ours
/// (its superblock is of the rust_shmem type). The takeover livepatch asks it of the files that
/// `ipc/shm.c` hands back to mm/shmem.c (`shmem_unlock_mapping`).
///
/// # Safety
///
/// `mapping` must be null or point to a live `address_space` whose host inode (if any) is live.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_shmem_mapping(
    mapping: *const bindings::address_space,
) -> bool {
    let fs = FS_TYPE.load(Acquire);
    // SAFETY: The caller's promise is the helper's contract; a null type (no module state
    // published) matches no mapping.
    !fs.is_null() && unsafe { aops::mapping_of_type(mapping, fs) }
}

/// `__shmem_zero_setup`: the file behind a shared anonymous mapping of `start..end`.
fn zero_file(start: c_ulong, end: c_ulong, flags: &bindings::vma_flags_t) -> Result<FileRef> {
    let size = i64::try_from(end - start).map_err(|_| EINVAL)?;
    // Only reachable through its mapping, so no LSM checks on it: the kernel-file flavour.
    file_setup(
        internal_mount()?,
        c"dev/zero",
        size,
        flags,
        bindings::S_PRIVATE,
    )
}

/// `shmem_zero_setup`: makes `vma` a shared anonymous mapping backed by rust_shmem.
///
/// # Safety
///
/// `vma` must be a VMA being set up by `mmap`, with the mmap lock held.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_shmem_zero_setup(vma: *mut bindings::vm_area_struct) -> c_int {
    // SAFETY: The caller passes a VMA under construction that we may read and modify.
    let (start, end, flags) = unsafe {
        let range = &(*vma).__bindgen_anon_1.__bindgen_anon_1;
        (range.vm_start, range.vm_end, (*vma).__bindgen_anon_2.flags)
    };
    match zero_file(start, end, &flags) {
        Ok(file) => {
            // SAFETY: As above; the VMA's old file reference is ours to drop.
            unsafe {
                if !(*vma).vm_file.is_null() {
                    bindings::fput((*vma).vm_file);
                }
                (*vma).vm_file = file.into_raw();
                (*vma).vm_ops = &file::VM_OPS;
            }
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// `shmem_zero_setup_desc`: as [`rust_shmem_zero_setup`], from an `mmap_prepare` hook.
///
/// # Safety
///
/// `desc` must be the descriptor of a mapping being prepared.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_shmem_zero_setup_desc(
    desc: *mut bindings::vm_area_desc,
) -> c_int {
    // SAFETY: The caller passes a valid descriptor that we may read and modify.
    let desc = unsafe { &mut *desc };
    match zero_file(desc.start, desc.end, &desc.vma_flags) {
        Ok(file) => {
            // The mmap code takes over the file reference and drops the device's.
            desc.vm_file = file.into_raw();
            desc.vm_ops = &file::VM_OPS;
            0
        }
        Err(e) => e.to_errno(),
    }
}
