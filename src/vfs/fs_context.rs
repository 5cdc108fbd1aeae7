// SPDX-License-Identifier: GPL-2.0

//! Mount requests: `struct fs_context` and its error log.

use crate::bindings;
use kernel::{prelude::*, types::Opaque};

use super::inode::UserNamespace;

/// A mount or reconfiguration request being built (`struct fs_context`).
///
/// # Invariants
///
/// The wrapped context is valid for the lifetime of every reference to this type.
#[repr(transparent)]
pub(crate) struct FsContext(Opaque<bindings::full::fs_context>);

impl FsContext {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid `fs_context` that stays valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::full::fs_context) -> &'a Self {
        // SAFETY: `FsContext` is a transparent wrapper; the caller guarantees validity for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer.
    pub(crate) fn as_raw(&self) -> *mut bindings::full::fs_context {
        self.0.get()
    }

    /// Returns the user namespace the mount is made for.
    pub(crate) fn user_ns(&self) -> &UserNamespace {
        // SAFETY: The context is valid by the type invariant; `user_ns` is set at allocation and
        // the context holds a reference on it until it is freed.
        unsafe { UserNamespace::from_raw((*self.as_raw()).user_ns) }
    }

    /// Whether the mount is made in the initial user namespace by its administrator.
    pub(crate) fn is_init_ns_admin(&self) -> bool {
        // SAFETY: `init_user_ns` is a static; `capable` checks the current task.
        self.user_ns().as_raw() == (&raw mut bindings::init_user_ns)
            && unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as c_int) }
    }

    /// Logs `"<fs>: <msg> '<key>'"` into the context's log, where `mount(2)` callers find it in
    /// the kernel log and `fsopen(2)` callers read it back, and returns `EINVAL` (`invalfc`).
    pub(crate) fn invalid(&self, msg: &CStr, key: &CStr) -> Error {
        self.log_error(c"%s '%s'", msg, key)
    }

    /// Logs `"<fs>: <msg>"` like [`FsContext::invalid`] and returns `EINVAL`.
    pub(crate) fn invalid_state(&self, msg: &CStr) -> Error {
        self.log_error(c"%s%s", msg, c"")
    }

    /// Logs an error made of `format` and its two string arguments, and returns `EINVAL`.
    fn log_error(&self, format: &'static CStr, a: &CStr, b: &CStr) -> Error {
        // SAFETY: The context is valid; `log` is embedded in it. Both formats used above consume
        // exactly two string arguments, and both are valid NUL-terminated strings.
        unsafe {
            let log = &raw mut (*self.as_raw()).log;
            bindings::logfc(
                (*log).log,
                (*log).prefix,
                b'e' as c_char,
                format.as_char_ptr(),
                a.as_char_ptr(),
                b.as_char_ptr(),
            );
        }
        EINVAL
    }
}
