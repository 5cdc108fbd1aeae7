// SPDX-License-Identifier: GPL-2.0

//! Raw bindings: everything of `kernel::bindings`, plus the items it lacks (`fs_context`, the
//! mount-parameter parser, macro constants and our C shims), generated at build time by
//! `gen_bindings.sh` from `bindings_helper.h` against the configured kernel tree.

#[allow(
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    clippy::ptr_as_ptr,
    clippy::ref_as_ptr,
    clippy::as_underscore,
    clippy::cast_lossless,
    dead_code,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn
)]
mod generated {
    use kernel::bindings::*;
    use kernel::ffi;
    use pin_init::MaybeZeroable;

    include!("bindings_generated.rs");
}

pub(crate) use generated::*;
pub(crate) use kernel::bindings::*;

// `kernel::bindings` knows these types only as opaque declarations, and that is how the VFS
// vtables it binds spell them. The plain names stay the opaque ones; `full` has the complete
// layouts from our run, to cast to where fields are needed.
pub(crate) use kernel::bindings::{export_operations, file_kattr, fs_context, kstatfs};

/// Complete layouts of the types `kernel::bindings` declares opaque.
pub(crate) mod full {
    pub(crate) use super::generated::{
        export_operations, file_kattr, fs_context, fs_parameter, fs_parameter_spec, kstatfs,
    };
}
