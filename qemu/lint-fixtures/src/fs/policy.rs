// Policy examples without a ceiling: every use fails.
#[path = "bindings.rs"]
mod bindings; // declaring the module is no use of it
use crate::bindings; // must fail: a mention of the bindings module

/// Prose about `unsafe` and `bindings::` in comments does not count.
unsafe extern "C" fn callback(file: *mut bindings::file) -> i32 {
    let s = "unsafe extern \"C\" bindings::";
    let r = r#"unsafe { extern "C" bindings:: }"#;
    // SAFETY: has its comment, but is still over the ceiling of 0.
    unsafe { bindings::fput(file) };
    0
}

extern crate alloc; // not an ABI: does not count
