// SPDX-License-Identifier: GPL-2.0

//! Misc character devices with file operations of their own.
//!
//! `kernel::miscdevice` builds the `file_operations` itself, for devices with per-open state. A
//! device that must mirror a C driver's operations exactly (every hook, down to `llseek` and
//! `get_unmapped_area`) registers its own table here instead.

use crate::bindings;
use kernel::{error::to_result, prelude::*, types::Opaque};

/// A registered misc device.
///
/// # Invariants
///
/// `inner` holds a `miscdevice` registered with `misc_register` for the whole life of this
/// object, and deregistered exactly once, in `drop`.
#[pin_data(PinnedDrop)]
pub(crate) struct MiscRegistration {
    #[pin]
    inner: Opaque<bindings::miscdevice>,
}

// SAFETY: Registration and deregistration may happen on any thread.
unsafe impl Send for MiscRegistration {}
// SAFETY: `&self` exposes nothing.
unsafe impl Sync for MiscRegistration {}

impl MiscRegistration {
    /// Registers `/dev/<name>` with permissions `mode` and operations `fops`.
    ///
    /// # Safety
    ///
    /// The callbacks of `fops` must expect files opened on a misc device (`misc_open` set
    /// `private_data` to its `miscdevice`): they must not assume the file's inode belongs to
    /// any filesystem of ours.
    pub(crate) unsafe fn register(
        name: &'static CStr,
        mode: u16,
        fops: &'static bindings::file_operations,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- Opaque::try_ffi_init(move |slot: *mut bindings::miscdevice| {
                let mut misc: bindings::miscdevice = pin_init::zeroed();
                misc.minor = bindings::MISC_DYNAMIC_MINOR as c_int;
                misc.name = name.as_char_ptr();
                misc.fops = fops;
                misc.mode = mode;
                // SAFETY: The initializer may write the slot.
                unsafe { slot.write(misc) };
                // SAFETY: The slot holds a complete `miscdevice` in pinned memory that is
                // deregistered in `drop` before it goes away; the caller vouches for `fops`.
                // INVARIANT: On success the device is registered.
                to_result(unsafe { bindings::misc_register(slot) })
            }),
        })
    }
}

#[pinned_drop]
impl PinnedDrop for MiscRegistration {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: Registered by the type invariant.
        unsafe { bindings::misc_deregister(self.inner.get()) };
    }
}
