// SPDX-License-Identifier: GPL-2.0

//! Extended attributes: the `user.`, `trusted.` and `security.` handlers and `listxattr`, over
//! storage the filesystem keeps. (libfs's `simple_xattr_*` store is not exported to modules.)

use crate::bindings;
use core::{marker::PhantomData, ptr, slice};
use kernel::{error::from_result, prelude::*};

use super::{inode::Locked, FileSystem, Inode};

/// A filesystem's extended attribute store.
pub(crate) trait XattrOps: FileSystem {
    /// Copies the value of `name` (prefix included) into `buf`, or, with an empty `buf`, only
    /// returns its size. `ENODATA` if absent, `ERANGE` if `buf` is too small.
    fn xattr_get(inode: &Inode<Self>, name: &CStr, buf: &mut [u8]) -> Result<usize>;

    /// Sets `name` to `value`, or removes it when `value` is `None`, with `XATTR_CREATE` and
    /// `XATTR_REPLACE` in `flags`.
    fn xattr_set(inode: &Locked<Self>, name: &CStr, value: Option<&[u8]>, flags: c_int) -> Result;

    /// Writes the NUL-terminated names into `buf` (all of them, or without `trusted.` ones when
    /// `trusted` is false), or with an empty `buf` only returns their total size.
    fn xattr_list(inode: &Inode<Self>, buf: &mut [u8], trusted: bool) -> Result<usize>;
}

/// The xattr handlers and `listxattr` of `T`.
pub(crate) struct XattrVtable<T: XattrOps>(PhantomData<T>);

impl<T: XattrOps> XattrVtable<T> {
    const fn handler(prefix: &'static CStr) -> bindings::xattr_handler {
        bindings::xattr_handler {
            name: ptr::null(),
            prefix: kernel::str::as_char_ptr_in_const_context(prefix),
            flags: 0,
            list: None,
            get: Some(Self::get),
            set: Some(Self::set),
        }
    }

    const SECURITY: bindings::xattr_handler = Self::handler(c"security.");
    const TRUSTED: bindings::xattr_handler = Self::handler(c"trusted.");
    const USER: bindings::xattr_handler = Self::handler(c"user.");

    /// The NULL-terminated handler table for `super_block::s_xattr`.
    pub(crate) const HANDLERS: &'static [*const bindings::xattr_handler; 4] =
        &[&Self::SECURITY, &Self::TRUSTED, &Self::USER, ptr::null()];

    /// # Safety
    ///
    /// `xattr_handler::get` on one of `T`'s inodes: `name` is the part after the prefix of a
    /// full name; `buffer` holds `size` bytes (or is null when `size` is 0).
    unsafe extern "C" fn get(
        handler: *const bindings::xattr_handler,
        _dentry: *mut bindings::dentry,
        inode: *mut bindings::inode,
        name: *const c_char,
        buffer: *mut c_void,
        size: usize,
    ) -> c_int {
        // SAFETY: Per the contract; `xattr_full_name` steps back over the prefix in the same
        // string. An empty slice stands for a size query.
        let (inode, name, buf) = unsafe {
            (
                Inode::<T>::from_raw(inode),
                CStr::from_char_ptr(bindings::xattr_full_name(handler, name)),
                if size == 0 {
                    &mut [][..]
                } else {
                    slice::from_raw_parts_mut(buffer.cast(), size)
                },
            )
        };
        from_result(|| Ok(T::xattr_get(inode, name, buf)? as c_int))
    }

    /// # Safety
    ///
    /// `xattr_handler::set` on one of `T`'s inodes, with the inode lock held: as for
    /// [`Self::get`], `value` (null to remove) holds `size` bytes.
    unsafe extern "C" fn set(
        handler: *const bindings::xattr_handler,
        _idmap: *mut bindings::mnt_idmap,
        _dentry: *mut bindings::dentry,
        inode: *mut bindings::inode,
        name: *const c_char,
        value: *const c_void,
        size: usize,
        flags: c_int,
    ) -> c_int {
        // SAFETY: Per the contract, as in `get`; the VFS holds the inode lock around `set`
        // (`__vfs_setxattr_locked`, `__vfs_removexattr_locked`).
        let (inode, name, value) = unsafe {
            (
                Locked::assume(Inode::<T>::from_raw(inode)),
                CStr::from_char_ptr(bindings::xattr_full_name(handler, name)),
                match (value.is_null(), size) {
                    (true, _) => None,
                    (false, 0) => Some(&[][..]),
                    (false, _) => Some(slice::from_raw_parts(value.cast(), size)),
                },
            )
        };
        from_result(|| T::xattr_set(inode, name, value, flags).map(|()| 0))
    }

    /// `inode_operations::listxattr`.
    ///
    /// # Safety
    ///
    /// A positive dentry of `T`; `buffer` holds `size` bytes (or is null when `size` is 0).
    pub(crate) unsafe extern "C" fn listxattr(
        dentry: *mut bindings::dentry,
        buffer: *mut c_char,
        size: usize,
    ) -> isize {
        // SAFETY: Per the contract.
        let (inode, buf) = unsafe {
            (
                Inode::<T>::from_raw((*dentry).d_inode),
                if size == 0 {
                    &mut [][..]
                } else {
                    slice::from_raw_parts_mut(buffer.cast(), size)
                },
            )
        };
        // `trusted.` names are for the initial namespace's administrator only.
        // SAFETY: Checks the current task's credentials.
        let trusted = unsafe {
            bindings::ns_capable_noaudit(
                &raw mut bindings::init_user_ns,
                bindings::CAP_SYS_ADMIN as c_int,
            )
        };
        // An empty buffer asks for the size only.
        let query = buf.is_empty();
        let mut used = 0;
        for name in super::acl::names(inode) {
            if !query {
                match buf.get_mut(used..used + name.len()) {
                    Some(dest) => dest.copy_from_slice(name),
                    None => return ERANGE.to_errno() as isize,
                }
            }
            used += name.len();
        }
        let rest = match buf.get_mut(used..).unwrap_or_default() {
            // No room left: fine only if there is nothing more to list.
            [] if !query => match T::xattr_list(inode, &mut [], trusted) {
                Ok(0) => return used as isize,
                Ok(_) => return ERANGE.to_errno() as isize,
                Err(e) => return e.to_errno() as isize,
            },
            rest => rest,
        };
        match T::xattr_list(inode, rest, trusted) {
            Ok(n) => (used + n) as isize,
            Err(e) => e.to_errno() as isize,
        }
    }
}

/// The NULL-terminated extended attribute handler table of filesystem `T`.
///
/// # Invariants
///
/// `0` is [`XattrVtable::<T>::HANDLERS`]'s table, made for `T`'s inodes.
pub(crate) struct XattrHandlers<T>(*const *const bindings::xattr_handler, PhantomData<T>);

impl<T: FileSystem> XattrHandlers<T> {
    /// The raw table, for `super_block::s_xattr`.
    pub(crate) const fn as_raw(&self) -> *const *const bindings::xattr_handler {
        self.0
    }
}

impl<T: XattrOps> XattrHandlers<T> {
    /// The handlers of [`XattrOps`] `T`.
    pub(crate) const fn of() -> Self {
        // INVARIANT: `T`'s table.
        Self(XattrVtable::<T>::HANDLERS.as_ptr(), PhantomData)
    }
}
