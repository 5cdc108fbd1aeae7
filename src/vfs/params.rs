// SPDX-License-Identifier: GPL-2.0

//! Mount parameters, parsed by the kernel's own `fs_parser` so that syntax, flags, `uid`/`gid`
//! mapping and error messages match every other filesystem.

use crate::bindings;
use core::ptr;
use kernel::{
    error::{to_result, Error},
    prelude::*,
};

use super::{FsContext, Kgid, Kuid};

/// A table of parameter specifications, terminated by [`ParamSpec::END`] like the C tables.
pub(crate) struct ParamTable(&'static [ParamSpec]);

impl ParamTable {
    /// Wraps `specs`, whose last entry must be [`ParamSpec::END`] (checked at compile time when
    /// used in a constant).
    pub(crate) const fn new(specs: &'static [ParamSpec]) -> Self {
        assert!(
            !specs.is_empty() && specs[specs.len() - 1].0.name.is_null(),
            "parameter table must end with ParamSpec::END"
        );
        Self(specs)
    }

    /// Returns the raw table for `file_system_type::parameters` and `__fs_parse`.
    pub(crate) const fn as_raw(&self) -> *const bindings::full::fs_parameter_spec {
        self.0.as_ptr().cast()
    }
}

/// One parameter specification (`fsparam_*` in C).
#[repr(transparent)]
pub(crate) struct ParamSpec(bindings::full::fs_parameter_spec);

// SAFETY: A specification is immutable and holds only pointers to static data (its name and
// parser function), so it can be shared between threads.
unsafe impl Sync for ParamSpec {}

impl ParamSpec {
    /// The table terminator.
    pub(crate) const END: Self = Self(bindings::full::fs_parameter_spec {
        name: ptr::null(),
        type_: None,
        opt: 0,
        flags: 0,
        data: ptr::null(),
    });

    const fn new(name: &'static CStr, ty: bindings::fs_param_type, opt: u8, data: usize) -> Self {
        Self(bindings::full::fs_parameter_spec {
            name: kernel::str::as_char_ptr_in_const_context(name),
            type_: ty,
            opt,
            flags: 0,
            data: ptr::without_provenance(data),
        })
    }

    /// `fsparam_u32oct`: an octal `u32`.
    pub(crate) const fn u32_octal(name: &'static CStr, opt: u8) -> Self {
        Self::new(name, Some(bindings::fs_param_is_u32), opt, 8)
    }

    /// `fsparam_string`: a string, interpreted by the filesystem.
    pub(crate) const fn string(name: &'static CStr, opt: u8) -> Self {
        Self::new(name, Some(bindings::fs_param_is_string), opt, 0)
    }

    /// `fsparam_uid`: a user id, mapped through the mount's user namespace.
    pub(crate) const fn uid(name: &'static CStr, opt: u8) -> Self {
        Self::new(name, Some(bindings::fs_param_is_uid), opt, 0)
    }

    /// `fsparam_gid`: a group id, mapped through the mount's user namespace.
    pub(crate) const fn gid(name: &'static CStr, opt: u8) -> Self {
        Self::new(name, Some(bindings::fs_param_is_gid), opt, 0)
    }
}

impl ParamSpec {
    /// `fsparam_flag`: a parameter without a value.
    pub(crate) const fn flag(name: &'static CStr, opt: u8) -> Self {
        Self::new(name, None, opt, 0)
    }
}

/// A parameter that matched an entry of the table.
pub(crate) struct Param<'a> {
    /// The `opt` number of the matching [`ParamSpec`].
    pub(crate) opt: u8,
    raw: &'a bindings::full::fs_parameter,
    result: bindings::fs_parse_result,
}

impl<'a> Param<'a> {
    /// Matches `param` against `table` with `__fs_parse`.
    ///
    /// Returns `ENOPARAM` for a key the table does not know (the VFS then tries `source` and
    /// reports "Unknown parameter"), and `EINVAL`, logged, for a malformed value.
    ///
    /// # Safety
    ///
    /// `param` must be valid for `'a`.
    pub(crate) unsafe fn parse(
        fc: &FsContext,
        table: &ParamTable,
        param: *mut bindings::full::fs_parameter,
    ) -> Result<Self> {
        // SAFETY: All-zero is a valid `fs_parse_result`: a `false` flag and a union of integers.
        let mut result: bindings::fs_parse_result = unsafe { core::mem::zeroed() };
        // SAFETY: `fc` is valid and its `log` is embedded in it; `table` is a terminated table;
        // the caller guarantees `param` is valid; `result` is a valid out-pointer.
        let opt = unsafe {
            bindings::__fs_parse(
                &raw mut (*fc.as_raw()).log,
                table.as_raw(),
                param,
                &mut result,
            )
        };
        to_result(opt)?;
        Ok(Self {
            // The parser returns the `opt` field of a table entry, which is a `u8`.
            opt: u8::try_from(opt).map_err(|_| EINVAL)?,
            // SAFETY: The caller guarantees `param` is valid for `'a`.
            raw: unsafe { &*param },
            result,
        })
    }

    /// The parameter's name.
    pub(crate) fn key(&self) -> &'a CStr {
        // SAFETY: `key` of a parsed parameter is a valid NUL-terminated string that lives as
        // long as the parameter.
        unsafe { CStr::from_char_ptr(self.raw.key) }
    }

    /// The string value of a `string` parameter.
    pub(crate) fn string(&self) -> Result<&'a CStr> {
        if self.raw.type_() != bindings::fs_value_type_fs_value_is_string {
            return Err(EINVAL);
        }
        // SAFETY: For `fs_value_is_string` the union holds a valid NUL-terminated `string`
        // owned by the parameter.
        Ok(unsafe { CStr::from_char_ptr(self.raw.__bindgen_anon_1.string) })
    }

    /// The value of a `u32` (or octal `u32`) parameter.
    pub(crate) fn uint_32(&self) -> u32 {
        // SAFETY: `result` was zero-initialised and every member of the union but `boolean` is a
        // plain integer, so reading `uint_32` is defined whatever the parser wrote.
        unsafe { *self.result.__bindgen_anon_1.uint_32 }
    }

    /// The value of a `uid` parameter.
    pub(crate) fn uid(&self) -> Kuid {
        Kuid(self.uint_32())
    }

    /// The value of a `gid` parameter.
    pub(crate) fn gid(&self) -> Kgid {
        Kgid(self.uint_32())
    }
}

/// The error a `parse_param` callback returns for a key it does not know.
pub(crate) fn no_param() -> Error {
    Error::from_errno(-bindings::RUST_SHMEM_ENOPARAM)
}
