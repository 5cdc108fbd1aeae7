// SPDX-License-Identifier: GPL-2.0

//! The C ABI of the setup API (`include/linux/rust_shmem.h`), exported to other modules by
//! `src/helpers.c` and called by the takeover livepatch: raw arguments in, typed calls to
//! [`crate::setup`] out, and back to C's conventions (`ERR_PTR`, negative errno).

use crate::bindings;
use crate::kabi::vma::{NewVma, VmaDesc, VmaFlags};
use crate::setup;
use crate::vfs::{file::FileOf, mount::Mount};
use kernel::prelude::*;

/// A setup result for C: the file, or an `ERR_PTR`.
fn to_file_ptr<F>(file: Result<FileOf<F>>) -> *mut bindings::file {
    match file {
        Ok(file) => file.into_file().into_raw(),
        // SAFETY: `ERR_PTR` only encodes the error number.
        Err(e) => unsafe { bindings::ERR_PTR(e.to_errno() as c_long) }.cast(),
    }
}

/// A result for C: 0 or a negative errno.
fn to_errno(result: Result) -> c_int {
    match result {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// `shmem_file_setup` and `shmem_kernel_file_setup` (`private`) on the internal mount.
///
/// # Safety
///
/// `name` must be a valid NUL-terminated string.
unsafe fn file_setup(
    name: *const c_char,
    size: bindings::loff_t,
    flags: bindings::vma_flags_t,
    private: bool,
) -> *mut bindings::file {
    // SAFETY: The caller passes a valid string.
    let name = unsafe { CStr::from_char_ptr(name) };
    to_file_ptr(setup::file_setup(
        name,
        size,
        VmaFlags::from_raw(flags),
        private,
    ))
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
    // SAFETY: Per the contract.
    unsafe { file_setup(name, size, flags, false) }
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
    // SAFETY: Per the contract.
    unsafe { file_setup(name, size, flags, true) }
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
    let (mnt, name) = unsafe { (Mount::from_raw(mnt), CStr::from_char_ptr(name)) };
    to_file_ptr(setup::file_setup_with_mnt(
        mnt,
        name,
        size,
        VmaFlags::from_raw(flags),
    ))
}

/// `shmem_mapping()` for rust_shmem: whether `mapping` is the page cache of an inode of ours.
/// The takeover livepatch asks it of the files that `ipc/shm.c` hands back to mm/shmem.c
/// (`shmem_unlock_mapping`).
///
/// # Safety
///
/// `mapping` must be null or point to a live `address_space` whose host inode (if any) is live.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_shmem_mapping(
    mapping: *const bindings::address_space,
) -> bool {
    // SAFETY: The caller's promise is the callee's contract.
    unsafe { setup::PUBLISHED.owns_mapping(mapping) }
}

/// `shmem_zero_setup`: makes `vma` a shared anonymous mapping backed by rust_shmem.
///
/// # Safety
///
/// `vma` must be a VMA being set up by `mmap`, with the mmap lock held.
#[no_mangle]
pub(crate) unsafe extern "C" fn rust_shmem_zero_setup(vma: *mut bindings::vm_area_struct) -> c_int {
    // SAFETY: Per the contract.
    let mut vma = unsafe { NewVma::from_raw(vma) };
    to_errno(setup::zero_setup(&mut vma))
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
    // SAFETY: Per the contract.
    let mut desc = unsafe { VmaDesc::from_raw(desc) };
    to_errno(setup::zero_setup_desc(&mut desc))
}
