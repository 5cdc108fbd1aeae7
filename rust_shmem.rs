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
use kernel::prelude::*;
use setup::SetupApi;
use vfs::{inode_cache::InodeCacheGuard, misc::MiscRegistration, mount::KernMount, FsRegistration};

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
    sysv_device: MiscRegistration,
    _sysv: sysv::Sysv,
    #[pin]
    zero_device: MiscRegistration,
    _setup_api: SetupApi,
    internal_mount: KernMount,
    #[pin]
    fs_type: FsRegistration<RustShmem>,
    _inode_cache: InodeCacheGuard<RustShmem>,
}

impl kernel::InPlaceModule for RustShmemModule {
    fn init(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(&this in Self {
            _inode_cache: fs::INODE_CACHE.create()?,
            fs_type <- FsRegistration::register(module),
            // SAFETY: `fs_type` is initialised above and pinned in `this`; it is dropped only
            // after `internal_mount`.
            internal_mount: KernMount::new(unsafe { &(*this.as_ptr()).fs_type })?,
            // SAFETY: Both are initialised above, pinned in `this` and dropped after
            // `_setup_api`.
            _setup_api: unsafe {
                SetupApi::publish(&(*this.as_ptr()).fs_type, &(*this.as_ptr()).internal_mount)
            },
            zero_device <- zero::register(),
            // SAFETY: Module init runs once, and nothing locks the registry before the device
            // below is registered.
            _sysv: unsafe { sysv::Sysv::new() },
            sysv_device <- sysv::device::register(),
        })
    }
}
