// SPDX-License-Identifier: GPL-2.0

//! Attaching segments: `do_shmat` and `ksys_shmdt` of `ipc/shm.c`.
//!
//! Each attachment maps its own file (`struct shm_file_data` in the kernel): an unlinked file on
//! the segment's inode, read-only for `SHM_RDONLY`, whose `mmap` counts the mapping and installs
//! [`VM_OPS`]. Their `open` and `close` keep `shm_nattch`, `shm_atime`, `shm_dtime` and
//! `shm_lpid` through `fork` (VMA copies), VMA splits, `munmap` and `exit`, like `shm_open` and
//! `shm_close`. The file holds the segment and a reference on its IPC namespace, as the kernel's
//! does.
//!
//! Lock order: `vm_mmap` takes `mmap_lock` → the namespace's `table` (the new VMA's `mmap`);
//! attaching holds no lock of ours around `vm_mmap`.

use super::{Namespace, Segment};
use crate::fs::RustShmem;
use crate::kabi::{
    ipc::IpcNs,
    vma::{vm_mmap, vm_munmap, Fixed, Prot, SHMLBA},
};
use crate::vfs::private_file::{find_mapping, new_private_file, PrivateFile, PrivateVmOps};
use kernel::{page::PAGE_SIZE, prelude::*, sync::Arc};

/// What an attach file owns.
pub(crate) struct Attachment {
    seg: Arc<Segment>,
    /// Like `sfd->ns`: the namespace lives while the segment is attached.
    _ipc_ns: IpcNs,
}

/// VMA operations of attached segments (`shm_vm_ops` over rust_shmem's page-cache faults).
static VM_OPS: PrivateVmOps<Attachment> = PrivateVmOps::new();

#[vtable]
impl PrivateFile for Attachment {
    type Fs = RustShmem;
    type Data = Self;

    fn vm_ops() -> &'static PrivateVmOps<Self> {
        &VM_OPS
    }

    /// `shm_mmap`: counts the mapping.
    fn mmap(data: &Self) -> Result {
        data.seg.ns().vma_opened(&data.seg)
    }

    /// `shm_open`: a copy of an attached VMA (`fork`, split) is one more attachment.
    fn vm_open(data: &Self) {
        // The segment cannot be gone while a VMA of it exists (the kernel warns here).
        let _ = data.seg.ns().vma_opened(&data.seg);
    }

    /// `shm_close`: one attachment fewer; a segment marked for destruction goes with the last.
    fn vm_close(data: &Self) {
        data.seg.ns().vma_closed(&data.seg);
    }
}

/// A new attach file of `seg` (`alloc_file_clone` in the kernel).
fn attach_file(seg: &Arc<Segment>, writable: bool) -> Result<crate::vfs::file::FileRef> {
    let data = Attachment {
        seg: seg.clone(),
        _ipc_ns: IpcNs::current()?,
    };
    let mnt = crate::setup::internal_mount()?;
    let mut name = [0u8; 16];
    let name = super::format_name(&mut name, seg.key())?;
    new_private_file::<Attachment>(seg.file(), &mnt, name, writable, data)
}

/// `do_shmat`: attaches segment `shmid` of `ns` to the caller's address space.
pub(crate) fn shmat(ns: &Arc<Namespace>, shmid: i32, shmaddr: u64, shmflg: i32) -> Result<u64> {
    use super::{SHM_EXEC, SHM_RDONLY, SHM_REMAP, SHM_RND, S_IRUGO, S_IWUGO, S_IXUGO};
    let mut addr = shmaddr;
    let mut fixed = Fixed::No;
    if shmid < 0 {
        return Err(EINVAL);
    }
    if addr != 0 {
        if addr & (SHMLBA - 1) != 0 {
            if shmflg & SHM_RND == 0 {
                return Err(EINVAL);
            }
            addr &= !(SHMLBA - 1);
            if addr == 0 && shmflg & SHM_REMAP != 0 {
                return Err(EINVAL);
            }
        }
        // Without SHM_REMAP nothing may be mapped there (`find_vma_intersection` under the
        // mmap lock in the kernel; `MAP_FIXED_NOREPLACE` checks the same atomically).
        fixed = if shmflg & SHM_REMAP != 0 {
            Fixed::Replace
        } else {
            Fixed::NoReplace
        };
    } else if shmflg & SHM_REMAP != 0 {
        return Err(EINVAL);
    }
    let writable = shmflg & SHM_RDONLY == 0;
    let exec = shmflg & SHM_EXEC != 0;
    let mut acc_mode = if writable { S_IRUGO | S_IWUGO } else { S_IRUGO };
    if exec {
        acc_mode |= S_IXUGO;
    }
    let (seg, size) = ns.attach_begin(shmid, acc_mode)?;
    let result = (|| {
        if addr != 0 && shmflg & SHM_REMAP == 0 && addr.checked_add(size).is_none() {
            return Err(EINVAL);
        }
        let size = usize::try_from(size).map_err(|_| ENOMEM)?;
        let file = attach_file(&seg, writable)?;
        let prot = Prot {
            write: writable,
            exec,
        };
        // `MAP_FIXED_NOREPLACE` says EEXIST where the kernel's check says EINVAL.
        vm_mmap(&file, addr, size, prot, fixed).map_err(|e| if e == EEXIST { EINVAL } else { e })
    })();
    ns.attach_done(&seg);
    result
}

/// `ksys_shmdt`: detaches the segment attached at `shmaddr`, with the fragments that
/// `mprotect`/`munmap` made of it.
pub(crate) fn shmdt(shmaddr: u64) -> Result {
    let page_mask = PAGE_SIZE as u64 - 1;
    if shmaddr & page_mask != 0 {
        return Err(EINVAL);
    }
    let Some(first) = find_mapping::<Attachment>(shmaddr, shmaddr, None, 0)? else {
        return Err(EINVAL);
    };
    vm_munmap(first.start, first.end);
    // Fragments lie no further than the segment's size above `addr`.
    let limit = (first.size as u64).saturating_add(page_mask) & !page_mask;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut from = first.end;
    while let Some(next) = find_mapping::<Attachment>(shmaddr, from, Some(first.file), limit)? {
        vm_munmap(next.start, next.end);
        from = next.end;
    }
    Ok(())
}
