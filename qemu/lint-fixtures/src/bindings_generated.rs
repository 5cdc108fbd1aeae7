// Generated code is skipped: nothing here may be reported.
pub struct Raw(*mut u8);
pub unsafe extern "C" fn f() { unsafe { bindings::g() } }
