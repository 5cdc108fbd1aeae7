// SPDX-License-Identifier: GPL-2.0

//! rust_shmem: the kernel's shared-memory filesystem (tmpfs, `mm/shmem.c`) rebuilt in Rust.
//!
//! Module init registers the `rust_shmem` filesystem type, mounts it internally (the `shm_mnt` of
//! `mm/shmem.c`), publishes the setup API on that mount and registers `/dev/rust_shmem_zero` and
//! `/dev/rust_shmem_sysv` (System V shared memory);
//! exit undoes it all in reverse.

#[path = "src/bindings.rs"]
mod bindings;
#[path = "src/fs/mod.rs"]
mod fs;
#[path = "src/kabi/mod.rs"]
mod kabi;
#[path = "src/setup.rs"]
mod setup;
#[path = "src/sysv/mod.rs"]
mod sysv;
#[path = "src/vfs/mod.rs"]
mod vfs;
#[path = "src/zero.rs"]
mod zero;

use fs::RustShmem;
use kabi::misc::MiscRegistration;
use kernel::prelude::*;
use vfs::FsRegistration;

module! {
    type: RustShmemModule,
    name: "rust_shmem",
    authors: ["rust_shmem developers"],
    description: "tmpfs rebuilt in Rust: a shared-memory filesystem and its setup API",
    license: "GPL",
}

/// The module's state. Fields drop in declaration order, the reverse of init.
#[pin_data]
struct RustShmemModule {
    #[pin]
    sysv_device: MiscRegistration<sysv::device::SysvDevice>,
    _sysv: sysv::Sysv,
    #[pin]
    zero_device: MiscRegistration<zero::Zero>,
    /// The filesystem, its inode cache and internal mount, published for the setup API.
    #[pin]
    fs: FsRegistration<RustShmem>,
}

impl kernel::InPlaceModule for RustShmemModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            fs <- FsRegistration::register(module, &setup::PUBLISHED),
            zero_device <- zero::register(),
            _sysv: sysv::Sysv::new()?,
            sysv_device <- sysv::device::register(),
        })
    }
}
