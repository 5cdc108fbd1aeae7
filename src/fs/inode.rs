// SPDX-License-Identifier: GPL-2.0

//! Making inodes: every kind of file gets its operations here.

use super::{dir, flags, xattr::Xattrs, RustShmem};
use crate::vfs::consts;
use crate::vfs::{file::FileSlot, inode::Idmap, Inode, NewInode, SuperBlock};
use kernel::{
    new_spinlock,
    prelude::*,
    sync::{
        atomic::{Atomic, Relaxed},
        SpinLock,
    },
};

/// What rust_shmem keeps per inode beyond `struct inode`.
#[pin_data]
pub(crate) struct InodeInfo {
    /// Pages charged for this inode's page cache (`shmem_inode_info::alloced`), under its own
    /// lock (`shmem_inode_info::lock`), with which `i_blocks` changes too.
    #[pin]
    pub(crate) alloced: SpinLock<u64>,
    /// For files of the setup API: the file that carries their commit charge (see
    /// `setup::commit_charge`), empty otherwise.
    pub(crate) commit_charge: FileSlot,
    /// Creation time, for `statx` (`shmem_inode_info::i_crtime`).
    pub(crate) crtime: (i64, u32),
    /// Extended attributes.
    #[pin]
    pub(crate) xattrs: Xattrs,
    /// `chattr` flags (`FS_*_FL`, `shmem_inode_info::fsflags`); changed under the inode lock.
    pub(crate) fsflags: Atomic<u32>,
}

impl InodeInfo {
    /// The data of a new inode.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            alloced <- new_spinlock!(0, "rust_shmem_inode_alloced"),
            commit_charge: FileSlot::empty(),
            crtime: (0, 0),
            xattrs <- Xattrs::new(),
            fsflags: Atomic::new(0),
        })
    }
}

/// Allocates and initialises an inode of type and permissions `mode` (`shmem_get_inode`).
///
/// The inode is charged against the superblock's inode limit until it is evicted.
pub(crate) fn new_inode(
    sb: &SuperBlock<RustShmem>,
    idmap: Idmap<'_>,
    dir: Option<&Inode<RustShmem>>,
    mode: u16,
    dev: u32,
) -> Result<NewInode<RustShmem>> {
    let ino = sb.info().reserve_inode()?;
    let mut inode = NewInode::new(sb, ino).inspect_err(|_| sb.info().release_inode(0))?;
    // From here on, eviction of `inode` gives the reservation back.
    inode.init_owner(idmap, dir, mode);
    inode.init_no_acl();
    inode.init_mapping();
    inode.init_times();
    *inode.info_mut().project().crtime = inode.ctime();
    if let Some(dir) = dir {
        let inherited = dir.info().fsflags.load(Relaxed) & flags::INHERITED;
        if inherited != 0 {
            inode.as_inode().info().fsflags.store(inherited, Relaxed);
            flags::apply(inode.as_inode(), inherited);
        }
    }
    match u32::from(mode) & consts::S_IFMT {
        consts::S_IFREG => inode.make_regular(),
        consts::S_IFDIR => {
            inode.make_dir();
            // `.` and `..`, as tmpfs counts them.
            inode.set_size(2 * dir::BOGO_DIRENT_SIZE);
        }
        // The caller stores the target.
        consts::S_IFLNK => {}
        _ => inode.make_special(mode, dev),
    }
    Ok(inode)
}

/// The root directory of a new superblock, with the mount's mode, owner and group.
pub(crate) fn root(sb: &SuperBlock<RustShmem>) -> Result<NewInode<RustShmem>> {
    let (mode, uid, gid) = sb.info().root_attrs();
    let mut inode = new_inode(sb, Idmap::none(), None, consts::S_IFDIR as u16 | mode, 0)?;
    inode.set_owner(uid, gid);
    Ok(inode)
}
