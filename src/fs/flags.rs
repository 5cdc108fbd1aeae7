// SPDX-License-Identifier: GPL-2.0

//! `chattr` flags as tmpfs keeps them: append-only, immutable, no-atime and no-dump, set by the
//! owner (the VFS checks who may) and inherited by new files from their directory.

use super::RustShmem;
use crate::vfs::consts;
use crate::vfs::{fileattr::FileAttrOps, Inode};
use kernel::{prelude::*, sync::atomic::Relaxed};

/// Flags `FS_IOC_GETFLAGS` shows (`SHMEM_FL_USER_VISIBLE`).
const VISIBLE: u32 = consts::FS_FL_USER_VISIBLE | consts::FS_CASEFOLD_FL;

/// Flags `FS_IOC_SETFLAGS` may change (`SHMEM_FL_USER_MODIFIABLE`).
const MODIFIABLE: u32 = consts::FS_IMMUTABLE_FL
    | consts::FS_APPEND_FL
    | consts::FS_NODUMP_FL
    | consts::FS_NOATIME_FL
    | consts::FS_CASEFOLD_FL;

/// Flags a new inode takes from its directory (`SHMEM_FL_INHERITED`).
pub(crate) const INHERITED: u32 =
    consts::FS_NODUMP_FL | consts::FS_NOATIME_FL | consts::FS_CASEFOLD_FL;

/// Sets the inode's `S_*` flags that `fsflags` stand for (`shmem_set_inode_flags`); no-dump
/// needs none.
pub(crate) fn apply(inode: &Inode<RustShmem>, fsflags: u32) {
    let mut flags = 0;
    if fsflags & consts::FS_NOATIME_FL != 0 {
        flags |= consts::S_NOATIME;
    }
    if fsflags & consts::FS_APPEND_FL != 0 {
        flags |= consts::S_APPEND;
    }
    if fsflags & consts::FS_IMMUTABLE_FL != 0 {
        flags |= consts::S_IMMUTABLE;
    }
    inode.set_flags(
        flags,
        consts::S_NOATIME | consts::S_APPEND | consts::S_IMMUTABLE,
    );
}

impl FileAttrOps for RustShmem {
    fn flags(inode: &Inode<Self>) -> u32 {
        inode.info().fsflags.load(Relaxed) & VISIBLE
    }

    fn set_flags(inode: &Inode<Self>, flags: u32) -> Result {
        // Case folding needs CONFIG_UNICODE's tables, which tmpfs without them refuses too.
        if flags & !MODIFIABLE != 0 || flags & consts::FS_CASEFOLD_FL != 0 {
            return Err(EOPNOTSUPP);
        }
        let fsflags = &inode.info().fsflags;
        let flags = (fsflags.load(Relaxed) & !MODIFIABLE) | flags;
        apply(inode, flags);
        fsflags.store(flags, Relaxed);
        Ok(())
    }
}
