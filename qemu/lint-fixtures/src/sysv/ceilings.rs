// Policy examples against the fixture's ceilings (lint-exceptions).
fn over(p: *mut u8) {
    // SAFETY: One.
    unsafe { *p = 1 };
    // SAFETY: Two, over the ceiling of 1.
    unsafe { *p = 2 };
}

fn under() -> u32 {
    kernel::bindings::PAGE_SIZE as u32 // 1 of a ceiling of 3: asks to lower it
}
