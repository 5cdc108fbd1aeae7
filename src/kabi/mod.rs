// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers of the kernel outside the VFS, for what the `kernel` crate of 7.3 does not cover
//! (or covers only in part): misc devices with every `file_operations` hook, mappings and their
//! descriptors, IPC namespaces, the calling task's credentials and address space, a periodic
//! delayed work that can be cancelled, the module's own writable parameters, our UAPI and the C
//! ABI of our exported API. As in `src/vfs/`, raw `bindings::`, `extern "C"` and C tables live
//! here and nowhere in the policy (`src/fs/`, `src/sysv/`, ...).
//!
//! **No field of `struct task_struct` is read from Rust.** In 7.3's bindings its layout is wrong
//! from the field `stats` on whenever `CONFIG_SCHEDSTATS` is off (our kernels): `struct
//! sched_statistics` is then an empty `____cacheline_aligned` struct, which C aligns to 64 bytes
//! and bindgen's Rust does not, so every later field (`mm` at 936 instead of 984, `cred`,
//! `nsproxy`, `signal`, `pending`, `pid`, `group_leader`, ...) is 48 bytes early. That includes
//! the `kernel` crate's own `CurrentTask::mm`, `Task::pid`/`tgid` and `group_leader`, which are
//! not used here. `current`'s fields come from one-line C wrappers (`src/helpers.c`) or from
//! exported functions that take the task (`get_task_mm`, `get_task_pid`).

pub(crate) mod cred;
pub(crate) mod exports;
pub(crate) mod ipc;
pub(crate) mod misc;
pub(crate) mod mm;
pub(crate) mod sysv_params;
pub(crate) mod uapi;
pub(crate) mod vma;
pub(crate) mod workqueue;
