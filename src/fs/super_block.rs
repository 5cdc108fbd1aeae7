// SPDX-License-Identifier: GPL-2.0

//! Per-superblock state: the options a mount was made with and its inode limit.

use super::options::{MountOptions, DEFAULT_MODE};
use crate::bindings;
use crate::vfs::{fs_type::Usage, FsContext, Kgid, Kuid};
use kernel::{new_spinlock, prelude::*, seq_file::SeqFile, seq_print, sync::SpinLock};

/// Inodes in use against the limit.
struct InodeCount {
    /// Limit; 0 means unlimited (the internal mount, or `nr_inodes=0`).
    max: u64,
    used: u64,
}

/// What a rust_shmem superblock keeps (`shmem_sb_info`).
#[pin_data]
pub(crate) struct SbInfo {
    mode: u16,
    uid: Kuid,
    gid: Kgid,
    default_max_inodes: u64,
    #[pin]
    inodes: SpinLock<InodeCount>,
}

/// tmpfs's default inode limit: one inode per two pages of RAM.
fn default_max_inodes() -> u64 {
    // SAFETY: Reads a global counter.
    let pages = unsafe { bindings::rust_shmem_totalram_pages() };
    (pages / 2) as u64
}

impl SbInfo {
    /// State for a new superblock; the internal mount is unlimited.
    pub(crate) fn new(opts: &MountOptions, kernmount: bool) -> impl PinInit<Self, Error> {
        let default_max_inodes = default_max_inodes();
        let max = if kernmount {
            0
        } else {
            opts.max_inodes.unwrap_or(default_max_inodes)
        };
        let (mode, uid, gid) = (opts.mode, opts.uid, opts.gid);
        try_pin_init!(Self {
            mode,
            uid,
            gid,
            default_max_inodes,
            inodes <- new_spinlock!(InodeCount { max, used: 0 }, "rust_shmem_sb_inodes"),
        })
    }

    /// Mode, owner and group of the root directory.
    pub(crate) fn root_attrs(&self) -> (u16, Kuid, Kgid) {
        (self.mode, self.uid, self.gid)
    }

    /// Takes one inode from the limit, or fails with `ENOSPC` like tmpfs.
    pub(crate) fn reserve_inode(&self) -> Result {
        let mut count = self.inodes.lock();
        if count.max != 0 && count.used >= count.max {
            return Err(ENOSPC);
        }
        count.used += 1;
        Ok(())
    }

    /// Gives back what [`SbInfo::reserve_inode`] took.
    pub(crate) fn release_inode(&self) {
        let mut count = self.inodes.lock();
        count.used = count.used.saturating_sub(1);
    }

    /// Applies a remount's `nr_inodes=` under tmpfs's rules.
    pub(crate) fn reconfigure(&self, fc: &FsContext, opts: &MountOptions) -> Result {
        let Some(new_max) = opts.max_inodes else {
            return Ok(());
        };
        let mut count = self.inodes.lock();
        if new_max != 0 {
            if count.max == 0 {
                return Err(fc.invalid_state(c"Cannot retroactively limit inodes"));
            }
            if new_max < count.used {
                return Err(fc.invalid_state(c"Too few inodes for current use"));
            }
        }
        count.max = new_max;
        Ok(())
    }

    /// Usage for `statfs`.
    pub(crate) fn usage(&self) -> Usage {
        let count = self.inodes.lock();
        Usage {
            blocks: None,
            inodes: (count.max != 0).then(|| (count.max, count.max - count.used.min(count.max))),
        }
    }

    /// The options that differ from the defaults, as tmpfs shows them in `/proc/mounts`.
    pub(crate) fn show_options(&self, m: &SeqFile) {
        let max_inodes = self.inodes.lock().max;
        if max_inodes != self.default_max_inodes {
            seq_print!(m, ",nr_inodes={}", max_inodes);
        }
        if self.mode != DEFAULT_MODE {
            seq_print!(m, ",mode={:03o}", self.mode);
        }
        if self.uid.in_init_ns() != 0 {
            seq_print!(m, ",uid={}", self.uid.in_init_ns());
        }
        if self.gid.in_init_ns() != 0 {
            seq_print!(m, ",gid={}", self.gid.in_init_ns());
        }
    }
}
