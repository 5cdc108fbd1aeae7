// SPDX-License-Identifier: GPL-2.0

//! Safe wrappers of the kernel outside the VFS that `kernel` does not have (yet): misc devices
//! with every `file_operations` hook, mappings and their descriptors, IPC namespaces and
//! credentials, and the C ABI of our exported API. As in `src/vfs/`, raw `bindings::`,
//! `extern "C"` and C tables live here and nowhere in the policy.

pub(crate) mod exports;
pub(crate) mod ipc;
pub(crate) mod misc;
pub(crate) mod mm;
pub(crate) mod uapi;
pub(crate) mod vma;
