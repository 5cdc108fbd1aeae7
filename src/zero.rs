// SPDX-License-Identifier: GPL-2.0

//! `/dev/rust_shmem_zero`: `/dev/zero` (`drivers/char/mem.c`) whose shared mappings live on
//! rust_shmem.

use crate::kabi::{
    misc::{iov_zero, MiscFile, MiscRegistration, Placement},
    vma::VmaDesc,
};
use kernel::{
    current,
    iov::{IovIterDest, IovIterSource},
    page::PAGE_SIZE,
    prelude::*,
};

/// The device's node name under `/dev`.
const NAME: &CStr = c"rust_shmem_zero";

/// The device: its hooks are those of `/dev/zero`, one for one.
pub(crate) struct Zero;

#[vtable]
impl MiscFile for Zero {
    /// Seeking always lands at 0, like `null_lseek`.
    const NULL_LSEEK: bool = true;
    const GENERIC_SPLICE: bool = true;

    /// Reads give zeros in chunks of at most a page, between which signals and rescheduling
    /// are honoured, like `read_iter_zero`.
    fn read_iter(dest: &mut IovIterDest<'_>, nowait: bool) -> Result<usize> {
        let mut written = 0usize;
        loop {
            let left = dest.len();
            if left == 0 {
                return Ok(written);
            }
            let n = iov_zero(dest, left.min(PAGE_SIZE));
            if n == 0 {
                return if written != 0 {
                    Ok(written)
                } else {
                    Err(EFAULT)
                };
            }
            written += n;
            if current!().signal_pending() {
                return Ok(written);
            }
            if !nowait {
                crate::vfs::cond_resched();
            }
        }
    }

    /// Writes are swallowed whole, like `write_iter_null`.
    fn write_iter(source: &mut IovIterSource<'_>) -> Result<usize> {
        let count = source.len();
        source.advance(count);
        Ok(count)
    }

    /// Shared mappings get a rust_shmem file; private ones are plain anonymous memory.
    fn mmap_prepare(desc: &mut VmaDesc<'_>) -> Result {
        if desc.flags().may_share() {
            return crate::setup::zero_setup_desc(desc);
        }
        desc.set_anonymous();
        Ok(())
    }

    /// Placement like `get_unmapped_area_zero`: shared mappings as for an unnamed shmem file,
    /// private ones aligned for transparent huge pages when possible.
    fn placement(shared: bool) -> Placement {
        if shared {
            Placement::Anonymous
        } else {
            Placement::HugeAligned
        }
    }
}

/// Registers the device, world readable and writable like `/dev/zero`.
pub(crate) fn register() -> impl PinInit<MiscRegistration<Zero>, Error> {
    MiscRegistration::register(NAME, 0o666)
}
