// SPDX-License-Identifier: GPL-2.0

//! Per-superblock state: the options a mount was made with and its limits (`shmem_sb_info`).

use super::options::{MountOptions, DEFAULT_MODE};
use crate::bindings;
use crate::vfs::{fs_type::Usage, FsContext, Kgid, Kuid};
use kernel::{new_spinlock, prelude::*, seq_file::SeqFile, seq_print, sync::SpinLock};

/// Inodes and blocks (pages) in use against the limits; a limit of 0 means unlimited.
struct Limits {
    max_inodes: u64,
    used_inodes: u64,
    max_blocks: u64,
    used_blocks: u64,
}

/// What a rust_shmem superblock keeps.
#[pin_data]
pub(crate) struct SbInfo {
    mode: u16,
    uid: Kuid,
    gid: Kgid,
    #[pin]
    limits: SpinLock<Limits>,
}

/// Pages of RAM, the base of tmpfs's defaults and `%` sizes.
pub(crate) fn total_ram_pages() -> u64 {
    // SAFETY: Reads a global counter.
    unsafe { bindings::rust_shmem_totalram_pages() as u64 }
}

/// tmpfs's defaults for a user mount: half of RAM, and an inode per two pages of RAM.
fn default_max_blocks() -> u64 {
    total_ram_pages() / 2
}

fn default_max_inodes() -> u64 {
    total_ram_pages() / 2
}

impl SbInfo {
    /// State for a new superblock; the internal mount is unlimited.
    pub(crate) fn new(opts: &MountOptions, kernmount: bool) -> impl PinInit<Self, Error> {
        let (max_inodes, max_blocks) = if kernmount {
            (0, 0)
        } else {
            (
                opts.max_inodes.unwrap_or_else(default_max_inodes),
                opts.max_blocks.unwrap_or_else(default_max_blocks),
            )
        };
        let limits = Limits {
            max_inodes,
            used_inodes: 0,
            max_blocks,
            used_blocks: 0,
        };
        let (mode, uid, gid) = (opts.mode, opts.uid, opts.gid);
        try_pin_init!(Self {
            mode,
            uid,
            gid,
            limits <- new_spinlock!(limits, "rust_shmem_sb_limits"),
        })
    }

    /// Mode, owner and group of the root directory.
    pub(crate) fn root_attrs(&self) -> (u16, Kuid, Kgid) {
        (self.mode, self.uid, self.gid)
    }

    /// Takes one inode from the limit, or fails with `ENOSPC` like tmpfs.
    pub(crate) fn reserve_inode(&self) -> Result {
        let mut limits = self.limits.lock();
        if limits.max_inodes != 0 && limits.used_inodes >= limits.max_inodes {
            return Err(ENOSPC);
        }
        limits.used_inodes += 1;
        Ok(())
    }

    /// Gives back what [`SbInfo::reserve_inode`] took.
    pub(crate) fn release_inode(&self) {
        let mut limits = self.limits.lock();
        limits.used_inodes = limits.used_inodes.saturating_sub(1);
    }

    /// Charges `pages` pages, or fails with `ENOSPC`; `then` runs under the same lock when the
    /// charge succeeds, so per-inode counts move together with the superblock's.
    pub(crate) fn charge_blocks(&self, pages: u64, then: impl FnOnce()) -> Result {
        let mut limits = self.limits.lock();
        let used = limits.used_blocks.checked_add(pages).ok_or(ENOSPC)?;
        if limits.max_blocks != 0 && used > limits.max_blocks {
            return Err(ENOSPC);
        }
        limits.used_blocks = used;
        then();
        Ok(())
    }

    /// Gives back pages; `amount` runs under the lock and says how many.
    pub(crate) fn uncharge_blocks(&self, amount: impl FnOnce() -> u64) {
        let mut limits = self.limits.lock();
        let pages = amount();
        limits.used_blocks = limits.used_blocks.saturating_sub(pages);
    }

    /// Pages that can still be charged (`u64::MAX` when unlimited).
    pub(crate) fn free_blocks(&self) -> u64 {
        let limits = self.limits.lock();
        if limits.max_blocks == 0 {
            u64::MAX
        } else {
            limits.max_blocks.saturating_sub(limits.used_blocks)
        }
    }

    /// Applies a remount's limits under tmpfs's rules (`shmem_reconfigure`).
    pub(crate) fn reconfigure(&self, fc: &FsContext, opts: &MountOptions) -> Result {
        let mut limits = self.limits.lock();
        if let Some(blocks) = opts.max_blocks.filter(|b| *b != 0) {
            if limits.max_blocks == 0 {
                return Err(fc.invalid_state(c"Cannot retroactively limit size"));
            }
            if blocks < limits.used_blocks {
                return Err(fc.invalid_state(c"Too small a size for current use"));
            }
        }
        if let Some(inodes) = opts.max_inodes.filter(|i| *i != 0) {
            if limits.max_inodes == 0 {
                return Err(fc.invalid_state(c"Cannot retroactively limit inodes"));
            }
            if inodes < limits.used_inodes {
                return Err(fc.invalid_state(c"Too few inodes for current use"));
            }
        }
        if let Some(blocks) = opts.max_blocks {
            limits.max_blocks = blocks;
        }
        if let Some(inodes) = opts.max_inodes {
            limits.max_inodes = inodes;
        }
        Ok(())
    }

    /// Usage for `statfs`.
    pub(crate) fn usage(&self) -> Usage {
        let l = self.limits.lock();
        let left = |max: u64, used: u64| (max, max - used.min(max));
        Usage {
            blocks: (l.max_blocks != 0).then(|| left(l.max_blocks, l.used_blocks)),
            inodes: (l.max_inodes != 0).then(|| left(l.max_inodes, l.used_inodes)),
        }
    }

    /// The options that differ from the defaults, as tmpfs shows them in `/proc/mounts`.
    pub(crate) fn show_options(&self, m: &SeqFile) {
        let (max_blocks, max_inodes) = {
            let l = self.limits.lock();
            (l.max_blocks, l.max_inodes)
        };
        if max_blocks != default_max_blocks() {
            seq_print!(
                m,
                ",size={}k",
                max_blocks * (bindings::PAGE_SIZE as u64 / 1024)
            );
        }
        if max_inodes != default_max_inodes() {
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
