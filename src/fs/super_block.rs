// SPDX-License-Identifier: GPL-2.0

//! Per-superblock state: the options a mount was made with and its limits (`shmem_sb_info`).
//!
//! Lock order: `limits` is a leaf: taken last (after a folio lock, the `xattrs` mutex or
//! `i_rwsem`), and nothing is taken or slept on under it.

use super::huge::HugePolicy;
use super::options::{MountOptions, DEFAULT_MODE};
use crate::vfs::{fs_type::Usage, FsContext, Kgid, Kuid};
use kernel::page::PAGE_SIZE;
use kernel::{
    new_spinlock,
    prelude::*,
    seq_file::SeqFile,
    seq_print,
    sync::{
        atomic::{Atomic, Relaxed},
        SpinLock,
    },
};

/// What each inode takes from the inode budget; extended attributes take their size too.
pub(crate) const BOGO_INODE_SIZE: u64 = 1024;

/// The inode budget ("ispace", in bytes: `nr_inodes` * [`BOGO_INODE_SIZE`]) and blocks (pages)
/// in use against the limits; a limit of 0 means unlimited.
struct Limits {
    max_inodes: u64,
    used_ispace: u64,
    /// Pages charged while `size=` limits the mount ([`SbInfo::max_blocks`]).
    used_blocks: u64,
    /// The next inode number, and whether numbers may pass 32 bits (`inode64`).
    next_ino: u64,
    full_inums: bool,
    noswap: bool,
}

impl Limits {
    fn max_ispace(&self) -> u64 {
        self.max_inodes.saturating_mul(BOGO_INODE_SIZE)
    }

    /// Takes `space` bytes of the inode budget, or fails with `ENOSPC`; free when unlimited.
    fn take_ispace(&mut self, space: u64) -> Result {
        if self.max_inodes == 0 {
            return Ok(());
        }
        let used = self.used_ispace.saturating_add(space);
        if used > self.max_ispace() {
            return Err(ENOSPC);
        }
        self.used_ispace = used;
        Ok(())
    }
}

/// What a rust_shmem superblock keeps.
#[pin_data]
pub(crate) struct SbInfo {
    mode: u16,
    uid: Kuid,
    gid: Kgid,
    /// `huge=` (`HugePolicy as i32`): read without a lock by every new folio, changed by
    /// remounts.
    huge: Atomic<i32>,
    /// `size=` in pages, 0 for unlimited; changed under the `limits` lock. Unlimited is for good
    /// (a remount cannot limit it retroactively), so charges to an unlimited mount need neither
    /// the lock nor a count, as in tmpfs.
    max_blocks: Atomic<u64>,
    #[pin]
    limits: SpinLock<Limits>,
}

/// Pages of RAM, the base of tmpfs's defaults and `%` sizes.
pub(crate) fn total_ram_pages() -> u64 {
    crate::kabi::mm::total_ram_pages()
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
            used_ispace: 0,
            used_blocks: 0,
            next_ino: 1,
            // CONFIG_TMPFS_INODE64 is tmpfs's default in our kernels: 64-bit inode numbers.
            full_inums: kernmount || opts.full_inums.unwrap_or(true),
            noswap: opts.noswap,
        };
        let (mode, uid, gid) = (opts.mode, opts.uid, opts.gid);
        // The internal mount keeps tmpfs's default for `shm_mnt`: no large folios.
        let huge = Atomic::new(match kernmount {
            true => HugePolicy::Never,
            false => opts.huge.unwrap_or(HugePolicy::Never),
        } as i32);
        try_pin_init!(Self {
            mode,
            uid,
            gid,
            huge,
            max_blocks: Atomic::new(max_blocks),
            limits <- new_spinlock!(limits, "rust_shmem_sb_limits"),
        })
    }

    /// The `huge=` policy.
    pub(crate) fn huge(&self) -> HugePolicy {
        HugePolicy::from_repr(self.huge.load(Relaxed))
    }

    /// Mode, owner and group of the root directory.
    pub(crate) fn root_attrs(&self) -> (u16, Kuid, Kgid) {
        (self.mode, self.uid, self.gid)
    }

    /// Takes `space` bytes of the inode budget, or fails with `ENOSPC` like tmpfs. Free when
    /// the budget is unlimited.
    pub(crate) fn take_ispace(&self, space: u64) -> Result {
        self.limits.lock().take_ispace(space)
    }

    /// Gives back budget taken with [`SbInfo::take_ispace`].
    pub(crate) fn give_ispace(&self, space: u64) {
        let mut limits = self.limits.lock();
        if limits.max_inodes != 0 {
            limits.used_ispace = limits.used_ispace.saturating_sub(space);
        }
    }

    /// Takes one inode from the budget and numbers it (`shmem_reserve_inode`): numbers count
    /// up from 1 per superblock and, with `inode32`, wrap around past 32 bits.
    pub(crate) fn reserve_inode(&self) -> Result<u64> {
        let mut limits = self.limits.lock();
        limits.take_ispace(BOGO_INODE_SIZE)?;
        let mut ino = limits.next_ino;
        if ino == 0 || (!limits.full_inums && ino > u64::from(u32::MAX)) {
            ino = 1;
        }
        limits.next_ino = ino.wrapping_add(1);
        Ok(ino)
    }

    /// Gives back an inode and `extra` bytes its attributes took (`shmem_free_inode`).
    pub(crate) fn release_inode(&self, extra: u64) {
        self.give_ispace(BOGO_INODE_SIZE + extra);
    }

    /// Charges `pages` pages against `size=`, or fails with `ENOSPC`.
    pub(crate) fn charge_blocks(&self, pages: u64) -> Result {
        if self.max_blocks.load(Relaxed) == 0 {
            return Ok(());
        }
        let mut limits = self.limits.lock();
        let max = self.max_blocks.load(Relaxed);
        if max == 0 {
            return Ok(());
        }
        let used = limits.used_blocks.checked_add(pages).ok_or(ENOSPC)?;
        if used > max {
            return Err(ENOSPC);
        }
        limits.used_blocks = used;
        Ok(())
    }

    /// Gives back pages charged with [`SbInfo::charge_blocks`].
    pub(crate) fn uncharge_blocks(&self, pages: u64) {
        if pages == 0 || self.max_blocks.load(Relaxed) == 0 {
            return;
        }
        let mut limits = self.limits.lock();
        limits.used_blocks = limits.used_blocks.saturating_sub(pages);
    }

    /// The size limit in pages, if there is one.
    pub(crate) fn max_blocks(&self) -> Option<u64> {
        let max = self.max_blocks.load(Relaxed);
        (max != 0).then_some(max)
    }

    /// Applies a remount's limits under tmpfs's rules (`shmem_reconfigure`).
    pub(crate) fn reconfigure(&self, fc: &FsContext, opts: &MountOptions) -> Result {
        let mut limits = self.limits.lock();
        if let Some(blocks) = opts.max_blocks.filter(|b| *b != 0) {
            if self.max_blocks.load(Relaxed) == 0 {
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
            if inodes.saturating_mul(BOGO_INODE_SIZE) < limits.used_ispace {
                return Err(fc.invalid_state(c"Too few inodes for current use"));
            }
        }
        if opts.full_inums == Some(false) && limits.next_ino > u64::from(u32::MAX) {
            return Err(fc.invalid_state(c"Current inum too high to switch to 32-bit inums"));
        }
        if opts.noswap && !limits.noswap {
            return Err(fc.invalid_state(c"Cannot disable swap on remount"));
        }
        if let Some(blocks) = opts.max_blocks {
            self.max_blocks.store(blocks, Relaxed);
        }
        if let Some(full) = opts.full_inums {
            limits.full_inums = full;
        }
        if let Some(inodes) = opts.max_inodes {
            limits.max_inodes = inodes;
        }
        if let Some(huge) = opts.huge {
            self.huge.store(huge as i32, Relaxed);
        }
        Ok(())
    }

    /// Usage for `statfs`.
    pub(crate) fn usage(&self) -> Usage {
        let l = self.limits.lock();
        let max_blocks = self.max_blocks.load(Relaxed);
        let left = |max: u64, used: u64| (max, max - used.min(max));
        Usage {
            blocks: (max_blocks != 0).then(|| left(max_blocks, l.used_blocks)),
            inodes: (l.max_inodes != 0)
                .then(|| left(l.max_inodes, l.used_ispace.div_ceil(BOGO_INODE_SIZE))),
        }
    }

    /// The options that differ from the defaults, as tmpfs shows them in `/proc/mounts`.
    pub(crate) fn show_options(&self, m: &SeqFile) {
        let (max_blocks, max_inodes, full_inums, noswap) = {
            let l = self.limits.lock();
            let max_blocks = self.max_blocks.load(Relaxed);
            (max_blocks, l.max_inodes, l.full_inums, l.noswap)
        };
        if max_blocks != default_max_blocks() {
            // tmpfs's `K()` wraps for `nr_blocks=` values near `LONG_MAX`; so does this.
            let kib = max_blocks.wrapping_mul(PAGE_SIZE as u64 / 1024);
            seq_print!(m, ",size={}k", kib);
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
        seq_print!(m, ",inode{}", if full_inums { 64 } else { 32 });
        if self.huge() != HugePolicy::Never {
            seq_print!(m, ",huge={}", self.huge().name());
        }
        if noswap {
            seq_print!(m, ",noswap");
        }
    }
}
