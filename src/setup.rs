// SPDX-License-Identifier: GPL-2.0

//! The kernel-facing API (`include/linux/rust_shmem.h`): unlinked files on rust_shmem
//! (`shmem_file_setup` and friends) and shared anonymous mappings backed by them
//! (`shmem_zero_setup`), exported to other modules by `src/helpers.c`.

use crate::fs::{file, inode::new_inode, RustShmem};
use crate::kabi::vma::{NewVma, VmaDesc, VmaFlags};
use crate::vfs::consts;
use crate::vfs::{
    file::{shmem_file_setup, FileOf, FileRef},
    inode::Idmap,
    mount::{Mount, MountRef, Published},
    Inode,
};
use kernel::prelude::*;

/// The filesystem type and its internal mount, published while the module is live.
pub(crate) static PUBLISHED: Published<RustShmem> = Published::new();

/// The commit charge of a setup file (`shmem_acct_size`): the size counted against the
/// overcommit limit unless `VM_NORESERVE` is set, given back when the file goes.
///
/// The kernel keeps that accounting (`__vm_enough_memory`, `vm_unacct_memory`,
/// `vm_committed_as`) to itself: a module can neither charge nor uncharge. Its own shmem can, and
/// exports `shmem_file_setup`, whose file of the same size and flags charges exactly what tmpfs
/// would and holds no pages. Each charged rust_shmem file keeps such a file as its charge and
/// resizes it with itself, so `Committed_AS` and strict overcommit (`ENOMEM`) behave as with
/// tmpfs. Not `shmem_kernel_file_setup`: the takeover livepatch (`src/takeover/`) redirects that
/// one, and the charge of a segment would then recurse into rust_shmem.
fn commit_charge(size: i64, flags: VmaFlags) -> Result<Option<FileRef>> {
    if flags.noreserve() {
        return Ok(None);
    }
    shmem_file_setup(c"rust_shmem commit charge", size, flags).map(Some)
}

/// Moves the commit charge of `inode`, if it has one, to a new size (`shmem_reacct_size`).
pub(crate) fn recharge(inode: &Inode<RustShmem>, size: i64) -> Result {
    let charge = &inode.info().commit_charge;
    charge
        .with(|charge| charge.set_internal_size(size))
        .unwrap_or(Ok(()))
}

/// Gives back the commit charge of an inode that is being evicted.
pub(crate) fn uncharge(inode: &Inode<RustShmem>) {
    drop(inode.info().commit_charge.take());
}

/// `__shmem_file_setup`: an unlinked regular file of `size` bytes on `mnt`, `private` for an
/// `S_PRIVATE` inode, numbered `ino` if given. Errors: `EINVAL` (size out of range, an idmapped
/// mount or one not of rust_shmem), `ENOMEM`, `ENOSPC`.
fn setup_on(
    mnt: &Mount,
    name: &CStr,
    size: i64,
    flags: VmaFlags,
    private: bool,
    ino: Option<u64>,
) -> Result<FileOf<RustShmem>> {
    if !(0..=consts::MAX_LFS_FILESIZE).contains(&size) || mnt.is_idmapped() {
        return Err(EINVAL);
    }
    let sb = PUBLISHED.super_block(mnt).ok_or(EINVAL)?;
    let charge = commit_charge(size, flags)?;
    let mode = (consts::S_IFREG | consts::S_IRWXUGO) as u16;
    let mut inode = new_inode(sb, Idmap::none(), None, mode, 0)?;
    if let Some(charge) = charge {
        // Given back by `uncharge` when the inode is evicted.
        inode.info_mut().project().commit_charge.set(charge);
    }
    if let Some(ino) = ino {
        inode.set_ino(ino);
    }
    inode.init_unlinked(size, private);
    inode.into_regular_file(mnt, name)
}

/// A reference on the internal mount, while the module is live; `ENODEV` otherwise.
pub(crate) fn internal_mount() -> Result<MountRef> {
    PUBLISHED.mount()
}

/// `shmem_file_setup` (`private` false) and `shmem_kernel_file_setup` (`private` true) on the
/// internal mount: an unlinked file of `size` bytes.
pub(crate) fn file_setup(
    name: &CStr,
    size: i64,
    flags: VmaFlags,
    private: bool,
) -> Result<FileOf<RustShmem>> {
    let mnt = internal_mount()?;
    setup_on(&mnt, name, size, flags, private, None)
}

/// `shmem_file_setup_with_mnt`: as [`file_setup`], on `mnt`, a mount of rust_shmem.
pub(crate) fn file_setup_with_mnt(
    mnt: &Mount,
    name: &CStr,
    size: i64,
    flags: VmaFlags,
) -> Result<FileOf<RustShmem>> {
    setup_on(mnt, name, size, flags, false, None)
}

/// `shmem_kernel_file_setup` for System V segments, whose inode number is the segment id
/// ("shmid gets reported as inode# in /proc/pid/maps").
pub(crate) fn segment_file_setup(
    name: &CStr,
    size: i64,
    flags: VmaFlags,
    id: u64,
) -> Result<FileOf<RustShmem>> {
    let mnt = internal_mount()?;
    setup_on(&mnt, name, size, flags, true, Some(id))
}

/// `__shmem_zero_setup`: the file behind a shared anonymous mapping of `start..end`.
fn zero_file((start, end): (usize, usize), flags: VmaFlags) -> Result<FileOf<RustShmem>> {
    let size = i64::try_from(end - start).map_err(|_| EINVAL)?;
    // Only reachable through its mapping, so no LSM checks on it: the kernel-file flavour.
    file_setup(c"dev/zero", size, flags, true)
}

/// `shmem_zero_setup`: makes `vma` a shared anonymous mapping backed by rust_shmem.
pub(crate) fn zero_setup(vma: &mut NewVma<'_>) -> Result {
    let file = zero_file(vma.range(), vma.flags())?;
    vma.set_file(file, &file::VM_OPS);
    Ok(())
}

/// `shmem_zero_setup_desc`: as [`zero_setup`], from an `mmap_prepare` hook.
pub(crate) fn zero_setup_desc(desc: &mut VmaDesc<'_>) -> Result {
    let file = zero_file(desc.range(), desc.flags())?;
    desc.set_file(file, &file::VM_OPS);
    Ok(())
}
