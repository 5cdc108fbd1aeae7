// SPDX-License-Identifier: GPL-2.0

//! Misc character devices (`include/linux/miscdevice.h`).
//!
//! One registration, [`MiscRegistration`], for two kinds of device, each owning its
//! `file_operations` through a `#[vtable]` trait:
//!
//! - `kernel::miscdevice`'s [`MiscDevice`], registered with a node mode (`MiscDeviceOptions` has
//!   none, so its nodes are root's alone, 0600);
//! - [`MiscFile`], for devices that mirror a C driver hook for hook (`llseek`,
//!   `get_unmapped_area`, `mmap_prepare`, splice), which `kernel::miscdevice` does not offer.
//!   Such devices keep no per-open state: `private_data` is `misc_open`'s pointer to the
//!   `miscdevice`, and no hook reads it.

use crate::bindings;
use crate::kabi::vma::{unmapped_area, VmaDesc};
use core::marker::PhantomData;
use kernel::{
    error::{to_result, VTABLE_DEFAULT_ERROR},
    iov::{IovIterDest, IovIterSource},
    miscdevice::{MiscDevice, MiscDeviceOptions},
    module::this_module,
    prelude::*,
    types::Opaque,
};

/// Where a new mapping of a device goes (`get_unmapped_area`).
pub(crate) enum Placement {
    /// As for a mapping with no file (`mm_get_unmapped_area(NULL, ..)`).
    Anonymous,
    /// Aligned so that transparent huge pages can map it, when possible
    /// (`thp_get_unmapped_area`).
    HugeAligned,
}

/// The operations of a misc device without per-open state, hook for hook a C driver's.
///
/// Every hook runs in the context of the task making the system call.
#[vtable]
pub(crate) trait MiscFile: 'static {
    /// Seeks always land at offset 0 (`null_lseek`); otherwise `lseek` fails with `ESPIPE`.
    const NULL_LSEEK: bool = false;

    /// Splices through the generic helpers (`copy_splice_read`, `iter_file_splice_write`).
    const GENERIC_SPLICE: bool = false;

    /// `read_iter`: fills `dest`; `nowait` for `IOCB_NOWAIT` requests. Returns the bytes read.
    fn read_iter(_dest: &mut IovIterDest<'_>, _nowait: bool) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `write_iter`: consumes `source`. Returns the bytes written.
    fn write_iter(_source: &mut IovIterSource<'_>) -> Result<usize> {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `mmap_prepare`: sets the mapping described by `desc` up.
    fn mmap_prepare(_desc: &mut VmaDesc<'_>) -> Result {
        build_error!(VTABLE_DEFAULT_ERROR)
    }

    /// `get_unmapped_area`: where a mapping goes; `shared` for `MAP_SHARED`.
    fn placement(_shared: bool) -> Placement {
        build_error!(VTABLE_DEFAULT_ERROR)
    }
}

/// The `file_operations` of a [`MiscFile`].
struct MiscFileVtable<T: MiscFile>(PhantomData<T>);

impl<T: MiscFile> MiscFileVtable<T> {
    /// # Safety
    ///
    /// `file_operations::read_iter`: valid `iocb` and destination `iter`.
    unsafe extern "C" fn read_iter(
        iocb: *mut bindings::kiocb,
        iter: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: `iter` is a valid destination iterator for the call.
        let dest = unsafe { IovIterDest::from_raw(iter) };
        // SAFETY: `iocb` is valid for the call.
        let nowait = unsafe { (*iocb).ki_flags } & bindings::RUST_SHMEM_IOCB_NOWAIT != 0;
        match T::read_iter(dest, nowait) {
            Ok(n) => n as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// # Safety
    ///
    /// `file_operations::write_iter`: a valid source `iter`.
    unsafe extern "C" fn write_iter(
        _iocb: *mut bindings::kiocb,
        iter: *mut bindings::iov_iter,
    ) -> isize {
        // SAFETY: `iter` is a valid source iterator for the call.
        let source = unsafe { IovIterSource::from_raw(iter) };
        match T::write_iter(source) {
            Ok(n) => n as isize,
            Err(e) => e.to_errno() as isize,
        }
    }

    /// `null_lseek`.
    ///
    /// # Safety
    ///
    /// `file_operations::llseek`: a valid `file`.
    unsafe extern "C" fn null_lseek(
        file: *mut bindings::file,
        _offset: i64,
        _whence: c_int,
    ) -> i64 {
        // SAFETY: `file` is valid for the call; `f_pos` is the file's own position, which
        // `lseek` may set.
        unsafe { (*file).f_pos = 0 };
        0
    }

    /// # Safety
    ///
    /// `file_operations::mmap_prepare`: a valid descriptor of a mapping being prepared.
    unsafe extern "C" fn mmap_prepare(desc: *mut bindings::vm_area_desc) -> c_int {
        // SAFETY: The descriptor is valid and ours to fill for the call.
        let mut desc = unsafe { VmaDesc::from_raw(desc) };
        match T::mmap_prepare(&mut desc) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }

    /// # Safety
    ///
    /// `file_operations::get_unmapped_area`: a valid `file`, in the calling task's context.
    unsafe extern "C" fn get_unmapped_area(
        file: *mut bindings::file,
        addr: c_ulong,
        len: c_ulong,
        pgoff: c_ulong,
        flags: c_ulong,
    ) -> c_ulong {
        let (file, huge) = match T::placement(flags & bindings::RUST_SHMEM_MAP_SHARED != 0) {
            // As `get_unmapped_area()` does for a mapping without a file.
            Placement::Anonymous => (core::ptr::null_mut(), false),
            Placement::HugeAligned => (file, true),
        };
        // SAFETY: Our caller's valid arguments, or no file.
        unsafe { unmapped_area(file, huge, addr, len, pgoff, flags) }
    }

    const VTABLE: bindings::file_operations = bindings::file_operations {
        owner: this_module::<T::OwnerModule>().as_ptr(),
        llseek: if T::NULL_LSEEK {
            Some(Self::null_lseek)
        } else {
            None
        },
        read_iter: if T::HAS_READ_ITER {
            Some(Self::read_iter)
        } else {
            None
        },
        write_iter: if T::HAS_WRITE_ITER {
            Some(Self::write_iter)
        } else {
            None
        },
        splice_read: if T::GENERIC_SPLICE {
            Some(bindings::copy_splice_read)
        } else {
            None
        },
        splice_write: if T::GENERIC_SPLICE {
            Some(bindings::iter_file_splice_write)
        } else {
            None
        },
        mmap_prepare: if T::HAS_MMAP_PREPARE {
            Some(Self::mmap_prepare)
        } else {
            None
        },
        get_unmapped_area: if T::HAS_PLACEMENT {
            Some(Self::get_unmapped_area)
        } else {
            None
        },
        ..pin_init::zeroed()
    };
}

/// A registered misc device of `T` (`misc_register`), with a node mode of our choice: a
/// [`MiscFile`] ([`MiscRegistration::register`]) or a `kernel::miscdevice` [`MiscDevice`]
/// ([`MiscRegistration::register_device`]).
///
/// # Invariants
///
/// `inner` holds a `miscdevice` with `T`'s operations, registered with `misc_register` for the
/// whole life of this object and deregistered exactly once, in `drop`.
#[pin_data(PinnedDrop)]
pub(crate) struct MiscRegistration<T> {
    #[pin]
    inner: Opaque<bindings::miscdevice>,
    _t: PhantomData<T>,
}

// SAFETY: Registration and deregistration may happen on any thread.
unsafe impl<T> Send for MiscRegistration<T> {}
// SAFETY: `&self` exposes nothing.
unsafe impl<T> Sync for MiscRegistration<T> {}

impl<T> MiscRegistration<T> {
    /// Registers `misc` with its node mode set to `mode`.
    ///
    /// Errors: those of `misc_register` (`EBUSY` for a taken name, `ENOMEM`).
    ///
    /// # Safety
    ///
    /// `misc` must be a `miscdevice` whose operations are `T`'s and expect what `misc_open`
    /// leaves in `private_data` (a pointer to the `miscdevice`).
    unsafe fn register_raw(mut misc: bindings::miscdevice, mode: u16) -> impl PinInit<Self, Error> {
        misc.mode = mode;
        try_pin_init!(Self {
            inner <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                // SAFETY: The initializer may write the slot.
                unsafe { slot.write(misc) };
                // SAFETY: The slot holds a complete `miscdevice` in pinned memory that is
                // deregistered in `drop` before it goes away; the caller vouches for its
                // operations.
                // INVARIANT: On success the device is registered.
                to_result(unsafe { bindings::misc_register(slot) })
            }),
            _t: PhantomData,
        })
    }
}

impl<T: MiscFile> MiscRegistration<T> {
    /// Registers `/dev/<name>` with permissions `mode`. Errors: as `misc_register`.
    pub(crate) fn register(name: &'static CStr, mode: u16) -> impl PinInit<Self, Error> {
        let mut misc: bindings::miscdevice = pin_init::zeroed();
        misc.minor = bindings::MISC_DYNAMIC_MINOR as c_int;
        misc.name = name.as_char_ptr();
        misc.fops = &MiscFileVtable::<T>::VTABLE;
        // SAFETY: `T`'s table, whose hooks read no `private_data` and no inode.
        unsafe { Self::register_raw(misc, mode) }
    }
}

impl<T: MiscDevice> MiscRegistration<T> {
    /// Registers `/dev/<name>` for `kernel::miscdevice` device `T`, with permissions `mode`
    /// (`MiscDeviceOptions` has no mode, so its nodes are root's alone, 0600). Errors: as
    /// `misc_register`.
    pub(crate) fn register_device(name: &'static CStr, mode: u16) -> impl PinInit<Self, Error> {
        // SAFETY: The crate's own table for `T`. Its trampolines cast `private_data` to
        // `MiscDeviceRegistration<T>`, a `repr(transparent)` `Opaque<miscdevice>`: the
        // `miscdevice` that `misc_open` points them to is what they would find in one of theirs.
        unsafe { Self::register_raw(MiscDeviceOptions { name }.into_raw::<T>(), mode) }
    }
}

#[pinned_drop]
impl<T> PinnedDrop for MiscRegistration<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Registered by the type invariant.
        unsafe { bindings::misc_deregister(self.inner.get()) };
    }
}

/// Writes `bytes` zeros to `dest` (`iov_iter_zero`); returns how many it wrote, fewer on a fault.
pub(crate) fn iov_zero(dest: &mut IovIterDest<'_>, bytes: usize) -> usize {
    // SAFETY: `dest` is a valid destination iterator; the helper writes at most `bytes` to it.
    unsafe { bindings::iov_iter_zero(bytes, dest.as_raw()) }
}
