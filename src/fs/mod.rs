// SPDX-License-Identifier: GPL-2.0

//! rust_shmem, the filesystem: tmpfs's policy on top of the [`crate::vfs`] layer.

mod dir;
pub(crate) mod file;
mod flags;
pub(crate) mod huge;
pub(crate) mod inode;
pub(crate) mod options;
mod space;
mod super_block;
mod xattr;

use crate::vfs::consts;
use crate::vfs::{params::ParamTable, xattr::XattrHandlers, FileSystem};
use kernel::prelude::*;

pub(crate) use super_block::SbInfo;

/// The magic number `statfs` reports for rust_shmem ("RSMH"), distinct from tmpfs's.
pub(crate) const RUST_SHMEM_MAGIC: u32 = 0x5253_4d48;

/// The rust_shmem filesystem type.
pub(crate) struct RustShmem;

impl FileSystem for RustShmem {
    const NAME: &'static CStr = c"rust_shmem";
    const MAGIC: u32 = RUST_SHMEM_MAGIC;
    const FS_FLAGS: u32 = consts::FS_USERNS_MOUNT | consts::FS_ALLOW_IDMAP | consts::FS_MGTIME;
    const PARAMS: ParamTable = options::PARAMS;
    const POSIX_ACL: bool = true;
    const COMMA_DIGIT_CONTINUES: bool = true;
    const INODE_CACHE_NAME: &'static CStr = c"rust_shmem_inode_cache";
    const EXPORTABLE: bool = true;
    const XATTR_HANDLERS: XattrHandlers<Self> = XattrHandlers::of();

    type Options = options::MountOptions;
    type SbInfo = SbInfo;
    type InodeInfo = inode::InodeInfo;

    fn new_inode_info() -> impl PinInit<inode::InodeInfo, Error> {
        inode::InodeInfo::new()
    }

    fn parse_param(
        fc: &crate::vfs::FsContext,
        opts: &mut Self::Options,
        param: &crate::vfs::params::Param<'_>,
    ) -> Result {
        opts.parse(fc, param)
    }

    fn new_sb_info(opts: &Self::Options, kernmount: bool) -> impl PinInit<SbInfo, Error> {
        SbInfo::new(opts, kernmount)
    }

    fn root_inode(sb: &crate::vfs::SuperBlock<Self>) -> Result<crate::vfs::NewInode<Self>> {
        inode::root(sb)
    }

    fn reconfigure(
        fc: &crate::vfs::FsContext,
        sb: &crate::vfs::SuperBlock<Self>,
        opts: &Self::Options,
    ) -> Result {
        sb.info().reconfigure(fc, opts)
    }

    fn evict_inode(inode: &crate::vfs::Inode<Self>) {
        // The page cache is empty by now: give back every page charged for it.
        space::recalc(inode);
        crate::setup::uncharge(inode);
        inode
            .super_block()
            .info()
            .release_inode(inode.info().xattrs.space());
    }

    fn birth_time(inode: &crate::vfs::Inode<Self>) -> (i64, u32) {
        inode.info().crtime
    }

    fn io_block_size(inode: &crate::vfs::Inode<Self>) -> Option<u32> {
        // Files that get huge pages suggest writing them whole (`shmem_getattr`).
        use crate::vfs::aops::PageCacheOps;
        (Self::large_folio_orders(inode, 0, 0, false) != 0).then_some(consts::HPAGE_PMD_SIZE as u32)
    }

    fn usage(sb: &crate::vfs::SuperBlock<Self>) -> crate::vfs::fs_type::Usage {
        sb.info().usage()
    }

    fn show_options(sb: &crate::vfs::SuperBlock<Self>, m: &kernel::seq_file::SeqFile) {
        sb.info().show_options(m)
    }
}
