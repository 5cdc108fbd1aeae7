// Abstraction-layer examples: raw access is allowed here, the SAFETY and Invariants rules apply.
use crate::bindings;

/// A wrapper with no invariants: must fail (`*mut`).
pub(crate) struct RawMut {
    ptr: *mut bindings::inode,
}

/// Must fail (`NonNull`, tuple struct, attribute between doc and struct).
#[repr(transparent)]
pub(crate) struct Held(NonNull<bindings::file>);

/// Must fail (`Opaque<`), private structs included.
struct Embedded<T> {
    inner: Opaque<bindings::super_block>,
    _t: PhantomData<T>,
}

/// Must fail: the section is in a plain comment, not the doc comment.
// # Invariants
pub(crate) struct NotDoc(*const u8);

/// # Invariants
///
/// Must fail: a blank line separates this doc from the struct.

pub(crate) struct Detached(*mut u8);

/// Passes: documented.
///
/// # Invariants
///
/// `0` is live.
#[repr(transparent)]
pub(crate) struct Documented(NonNull<bindings::file>);

/// Passes: no raw pointer.
pub(crate) struct Plain {
    len: usize,
}

// SAFETY: Passes: a comment right above.
unsafe impl Send for Documented {}

unsafe impl Sync for Documented {} // must fail: no comment

fn blocks(p: *mut u8) -> u8 {
    // SAFETY: Passes: a multi-line comment
    // that goes on.
    let a = unsafe { *p };
    // SAFETY: Passes: the block in the middle of an expression, on the next line.
    let b =
        unsafe { *p };
    // SAFETY: Passes: an argument of a call spread over lines.
    let c = core::cmp::max(
        a,
        unsafe { *p },
    );
    let d = unsafe { *p }; // must fail: the comment above belongs to the previous block
    // SAFETY: covers the next statement only.
    let e = a + 1;
    let f = unsafe { *p }; // must fail: an earlier statement owns the comment

    let g = unsafe { *p }; // must fail: no comment at all
    // SAFETY: too far above the block: four lines of code in between.
    let h = core::cmp::max(
        a,
        b,
        c, // must fail on the next line
        unsafe { *p },
    );
    // SAFETY: a blank line separates it from the block.

    let i = unsafe { *p }; // must fail
    // The string and comment below do not count: "unsafe {" /* unsafe { */
    a + b + c + d + e + f + g + h + i
}
