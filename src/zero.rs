// SPDX-License-Identifier: GPL-2.0

//! `/dev/rust_shmem_zero`: `/dev/zero` (`drivers/char/mem.c`) whose shared mappings live on
//! rust_shmem.

use crate::bindings;
use crate::vfs::misc::MiscRegistration;
use kernel::{
    current,
    iov::{IovIterDest, IovIterSource},
    module::this_module,
    prelude::*,
};

/// The device's node name under `/dev`.
const NAME: &CStr = c"rust_shmem_zero";

/// Reads give zeros in chunks of at most a page, between which signals and rescheduling are
/// honoured, like `read_iter_zero`.
///
/// # Safety
///
/// `file_operations::read_iter`: valid `iocb` and `iter`.
unsafe extern "C" fn read_iter(iocb: *mut bindings::kiocb, iter: *mut bindings::iov_iter) -> isize {
    // SAFETY: `iter` is a valid destination iterator per the contract.
    let dest = unsafe { IovIterDest::from_raw(iter) };
    let mut written = 0usize;
    loop {
        let left = dest.len();
        if left == 0 {
            return written as isize;
        }
        let chunk = left.min(bindings::PAGE_SIZE);
        // SAFETY: `dest` is a valid iterator with at least `chunk` bytes left.
        let n = unsafe { bindings::iov_iter_zero(chunk, dest.as_raw()) };
        if n == 0 {
            return if written != 0 {
                written as isize
            } else {
                EFAULT.to_errno() as isize
            };
        }
        written += n;
        if current!().signal_pending() {
            return written as isize;
        }
        // SAFETY: `iocb` is valid per the contract.
        if unsafe { (*iocb).ki_flags } & bindings::RUST_SHMEM_IOCB_NOWAIT != 0 {
            continue;
        }
        crate::vfs::cond_resched();
    }
}

/// Writes are swallowed whole, like `write_iter_null`.
///
/// # Safety
///
/// `file_operations::write_iter`: a valid `iter`.
unsafe extern "C" fn write_iter(
    _iocb: *mut bindings::kiocb,
    iter: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: `iter` is a valid source iterator per the contract.
    let source = unsafe { IovIterSource::from_raw(iter) };
    let count = source.len();
    source.advance(count);
    count as isize
}

/// Seeking always lands at 0, like `null_lseek`.
///
/// # Safety
///
/// `file_operations::llseek`: a valid `file`.
unsafe extern "C" fn llseek(file: *mut bindings::file, _offset: i64, _whence: c_int) -> i64 {
    // SAFETY: `file` is valid per the contract; `f_pos` is the file's own position.
    unsafe { (*file).f_pos = 0 };
    0
}

/// Shared mappings get a rust_shmem file; private ones are plain anonymous memory.
///
/// # Safety
///
/// `file_operations::mmap_prepare`: a valid descriptor of a mapping being prepared.
unsafe extern "C" fn mmap_prepare(desc: *mut bindings::vm_area_desc) -> c_int {
    // SAFETY: `desc` is valid per the contract.
    let flags = unsafe { (*desc).vma_flags.__vma_flags[0] };
    if flags & (1 << bindings::VMA_MAYSHARE_BIT) != 0 {
        // SAFETY: Forwarding the descriptor we were given.
        return unsafe { crate::setup::rust_shmem_zero_setup_desc(desc) };
    }
    // `vma_desc_set_anonymous`: no operations make the mapping anonymous.
    // SAFETY: As above.
    unsafe { (*desc).vm_ops = core::ptr::null() };
    0
}

/// Placement like `get_unmapped_area_zero`: shared mappings as for an unnamed shmem file, private
/// ones aligned for transparent huge pages when possible.
///
/// # Safety
///
/// `file_operations::get_unmapped_area`: a valid `file`, called under the mmap lock.
unsafe extern "C" fn get_unmapped_area(
    file: *mut bindings::file,
    addr: c_ulong,
    len: c_ulong,
    pgoff: c_ulong,
    flags: c_ulong,
) -> c_ulong {
    if flags & bindings::RUST_SHMEM_MAP_SHARED != 0 {
        // SAFETY: As `get_unmapped_area()` does for a file-less mapping.
        return unsafe {
            bindings::mm_get_unmapped_area(core::ptr::null_mut(), addr, len, pgoff, flags)
        };
    }
    // SAFETY: Forwarding our caller's valid arguments.
    unsafe { bindings::thp_get_unmapped_area(file, addr, len, pgoff, flags) }
}

/// The device's operations, hook for hook those of `/dev/zero`.
const FOPS: bindings::file_operations = bindings::file_operations {
    owner: this_module::<crate::RustShmemModule>().as_ptr(),
    llseek: Some(llseek),
    read_iter: Some(read_iter),
    write_iter: Some(write_iter),
    splice_read: Some(bindings::copy_splice_read),
    splice_write: Some(bindings::iter_file_splice_write),
    mmap_prepare: Some(mmap_prepare),
    get_unmapped_area: Some(get_unmapped_area),
    ..pin_init::zeroed()
};

/// Registers the device, world readable and writable like `/dev/zero`.
pub(crate) fn register() -> impl PinInit<MiscRegistration, Error> {
    // SAFETY: `FOPS` is this device's table: its callbacks assume nothing about the file's
    // inode or `private_data`.
    unsafe { MiscRegistration::register(NAME, 0o666, &FOPS) }
}
