// SPDX-License-Identifier: GPL-2.0

//! Attaching segments: `do_shmat` and `ksys_shmdt` of `ipc/shm.c`.
//!
//! Each attachment maps its own file (`struct shm_file_data` in the kernel): an unlinked file on
//! the segment's inode, read-only for `SHM_RDONLY`, whose `mmap` counts the mapping and installs
//! [`VM_OPS`]. Their `open` and `close` keep `shm_nattch`, `shm_atime`, `shm_dtime` and
//! `shm_lpid` through `fork` (VMA copies), VMA splits, `munmap` and `exit`, like `shm_open` and
//! `shm_close`. The file holds the segment and a reference on its IPC namespace, as the kernel's
//! does.

use super::{Namespace, Segment};
use crate::bindings;
use crate::fs::RustShmem;
use crate::kabi::mm::{walk_vmas, FileId};
use crate::vfs::{aops::PageCacheVtable, file::FileRef, ipc::IpcNs, StaticOps};
use core::{
    ops::ControlFlow,
    ptr::{self, NonNull},
};
use kernel::{error::from_err_ptr, module::this_module, prelude::*, sync::Arc};

/// What an attach file's `private_data` owns.
struct Attachment {
    seg: Arc<Segment>,
    /// Like `sfd->ns`: the namespace lives while the segment is attached.
    _ipc_ns: IpcNs,
}

/// The attachment behind a file of ours.
///
/// # Safety
///
/// `file` must be a live attach file (made by [`attach_file`], not yet released).
unsafe fn attachment<'a>(file: *mut bindings::file) -> &'a Attachment {
    // SAFETY: Per the contract, `private_data` holds a live `KBox<Attachment>` until release.
    unsafe { &*(*file).private_data.cast::<Attachment>() }
}

/// `shm_mmap`: counts the mapping, then maps the segment's pages.
///
/// # Safety
///
/// `file_operations::mmap`: a live attach file and the VMA being set up for it.
unsafe extern "C" fn mmap(file: *mut bindings::file, vma: *mut bindings::vm_area_struct) -> c_int {
    // SAFETY: The VFS passes a live attach file.
    let seg = &unsafe { attachment(file) }.seg;
    if let Err(e) = seg.ns().vma_opened(seg) {
        return e.to_errno();
    }
    // What rust_shmem's own `mmap_prepare` does, with the segment's operations in place of the
    // file's.
    // SAFETY: The file is live; the VMA is ours to set up.
    unsafe {
        crate::vfs::file::file_accessed(file);
        (*vma).vm_ops = VM_OPS.get();
    }
    0
}

/// `shm_release`: drops the attachment.
///
/// # Safety
///
/// `file_operations::release` of an attach file.
unsafe extern "C" fn release(_inode: *mut bindings::inode, file: *mut bindings::file) -> c_int {
    // SAFETY: The file is being released: its `private_data` is a `KBox<Attachment>` that
    // nobody uses any more.
    drop(unsafe { KBox::from_raw((*file).private_data.cast::<Attachment>()) });
    // SAFETY: As above.
    unsafe { (*file).private_data = ptr::null_mut() };
    0
}

/// `shm_open`: a copy of an attached VMA (`fork`, split) is one more attachment.
///
/// # Safety
///
/// `vm_operations_struct::open`: a VMA that maps an attach file.
unsafe extern "C" fn vm_open(vma: *mut bindings::vm_area_struct) {
    // SAFETY: Our VMAs map live attach files.
    let seg = &unsafe { attachment((*vma).vm_file) }.seg;
    // The segment cannot be gone while a VMA of it exists (the kernel warns here).
    let _ = seg.ns().vma_opened(seg);
}

/// `shm_close`: one attachment fewer; a segment marked for destruction goes with the last.
///
/// # Safety
///
/// `vm_operations_struct::close`: a VMA that maps an attach file.
unsafe extern "C" fn vm_close(vma: *mut bindings::vm_area_struct) {
    // SAFETY: Our VMAs map live attach files.
    let seg = &unsafe { attachment((*vma).vm_file) }.seg;
    seg.ns().vma_closed(seg);
}

/// File operations of attach files (`shm_file_operations`).
const FOPS: bindings::file_operations = bindings::file_operations {
    owner: this_module::<crate::RustShmemModule>().as_ptr(),
    mmap: Some(mmap),
    release: Some(release),
    llseek: Some(bindings::noop_llseek),
    ..pin_init::zeroed()
};

/// VMA operations of attached segments (`shm_vm_ops` over rust_shmem's page-cache faults).
static VM_OPS: StaticOps<bindings::vm_operations_struct> =
    StaticOps::new(bindings::vm_operations_struct {
        open: Some(vm_open),
        close: Some(vm_close),
        fault: Some(PageCacheVtable::<RustShmem>::fault),
        map_pages: Some(bindings::filemap_map_pages),
        ..pin_init::zeroed()
    });

/// A new attach file of `seg`, opened with `f_flags` (`alloc_file_clone` in the kernel, which
/// modules cannot call: an unlinked file on the same inode does the same).
fn attach_file(seg: &Arc<Segment>, f_flags: u32) -> Result<FileRef> {
    let attachment = KBox::new(
        Attachment {
            seg: seg.clone(),
            _ipc_ns: IpcNs::current()?,
        },
        GFP_KERNEL,
    )?;
    let mnt = crate::setup::internal_mount()?;
    let mut name = [0u8; 16];
    let name = super::format_name(&mut name, seg.key())?;
    // SAFETY: Our own code runs, so the module is live; the file's last `fput` gives the
    // reference back (`fops_put`), as for `anon_inode_getfile`.
    if !unsafe { bindings::try_module_get(FOPS.owner) } {
        return Err(ENOENT);
    }
    let inode = {
        // SAFETY: The segment's file is live and pins its inode.
        let inode = unsafe { (*seg.file().as_raw()).f_inode };
        // SAFETY: Takes the reference `alloc_file_pseudo` consumes on success.
        unsafe { bindings::ihold(inode) };
        inode
    };
    // SAFETY: A live inode with a reference for the file, a live mount of its superblock, a
    // valid name and static operations.
    let file = from_err_ptr(unsafe {
        bindings::alloc_file_pseudo(
            inode,
            mnt.as_raw(),
            name.as_char_ptr(),
            f_flags as c_int,
            &FOPS,
        )
    })
    .and_then(|f| NonNull::new(f).ok_or(ENOMEM));
    let file = match file {
        Ok(file) => file,
        Err(e) => {
            // SAFETY: Gives back the inode and module references taken above.
            unsafe {
                bindings::iput(inode);
                bindings::module_put(FOPS.owner);
            }
            return Err(e);
        }
    };
    // SAFETY: The new file is ours alone; `release` takes the box back.
    unsafe { (*file.as_ptr()).private_data = KBox::into_raw(attachment).cast() };
    // SAFETY: `alloc_file_pseudo` gave us its one reference.
    Ok(unsafe { FileRef::from_raw(file) })
}

/// `do_shmat`: attaches segment `shmid` of `ns` to the caller's address space.
pub(crate) fn shmat(ns: &Arc<Namespace>, shmid: i32, shmaddr: u64, shmflg: i32) -> Result<u64> {
    use super::{SHM_EXEC, SHM_RDONLY, SHM_REMAP, SHM_RND, S_IRUGO, S_IWUGO, S_IXUGO};
    let shmlba = bindings::RUST_SHMEM_SHMLBA as u64;
    let mut addr = shmaddr;
    let mut flags = bindings::RUST_SHMEM_MAP_SHARED;
    if shmid < 0 {
        return Err(EINVAL);
    }
    if addr != 0 {
        if addr & (shmlba - 1) != 0 {
            if shmflg & SHM_RND == 0 {
                return Err(EINVAL);
            }
            addr &= !(shmlba - 1);
            if addr == 0 && shmflg & SHM_REMAP != 0 {
                return Err(EINVAL);
            }
        }
        // Without SHM_REMAP nothing may be mapped there (`find_vma_intersection` under the
        // mmap lock in the kernel; `MAP_FIXED_NOREPLACE` checks the same atomically).
        flags |= if shmflg & SHM_REMAP != 0 {
            bindings::RUST_SHMEM_MAP_FIXED
        } else {
            bindings::RUST_SHMEM_MAP_FIXED_NOREPLACE
        };
    } else if shmflg & SHM_REMAP != 0 {
        return Err(EINVAL);
    }
    let (mut prot, mut acc_mode, f_flags) = if shmflg & SHM_RDONLY != 0 {
        (bindings::RUST_SHMEM_PROT_READ, S_IRUGO, bindings::O_RDONLY)
    } else {
        (
            bindings::RUST_SHMEM_PROT_READ | bindings::RUST_SHMEM_PROT_WRITE,
            S_IRUGO | S_IWUGO,
            bindings::O_RDWR,
        )
    };
    if shmflg & SHM_EXEC != 0 {
        prot |= bindings::RUST_SHMEM_PROT_EXEC;
        acc_mode |= S_IXUGO;
    }
    let (seg, size) = ns.attach_begin(shmid, acc_mode)?;
    let result = (|| {
        if addr != 0 && shmflg & SHM_REMAP == 0 && addr.checked_add(size).is_none() {
            return Err(EINVAL);
        }
        let size = usize::try_from(size).map_err(|_| ENOMEM)?;
        let file = attach_file(&seg, f_flags)?;
        // SAFETY: A live file of ours; `vm_mmap` takes the mmap lock of the caller's mm.
        let mapped =
            unsafe { bindings::vm_mmap(file.as_raw(), addr as c_ulong, size, prot, flags, 0) };
        drop(file);
        if mapped as isize >= -(bindings::MAX_ERRNO as isize) && (mapped as isize) < 0 {
            let err = Error::from_errno(mapped as isize as c_int);
            // `MAP_FIXED_NOREPLACE` says EEXIST where the kernel's check says EINVAL.
            return Err(if err == EEXIST { EINVAL } else { err });
        }
        Ok(mapped as u64)
    })();
    ns.attach_done(&seg);
    result
}

/// `ksys_shmdt`: detaches the segment attached at `shmaddr`, with the fragments that
/// `mprotect`/`munmap` made of it.
pub(crate) fn shmdt(shmaddr: u64) -> Result {
    let page_mask = bindings::PAGE_SIZE as u64 - 1;
    if shmaddr & page_mask != 0 {
        return Err(EINVAL);
    }
    let addr = c_ulong::try_from(shmaddr).map_err(|_| EINVAL)?;
    let Some((start, end, file, size)) = find(addr, addr, None, 0) else {
        return Err(EINVAL);
    };
    unmap(start, end);
    // Fragments lie no further than the segment's size above `addr`.
    let limit = (size as u64).saturating_add(page_mask) & !page_mask;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut from = end;
    while let Some((start, end, _, _)) = find(addr, from, Some(file), limit) {
        unmap(start, end);
        from = end;
    }
    Ok(())
}

/// The next VMA of ours from `from` on, as `ksys_shmdt` looks for them: of an attach file
/// (`file` if given) at the page offset of its distance from `addr`, ending no further than
/// `limit` bytes above `addr` (no bound if 0). Its range, file and file size.
fn find(
    addr: c_ulong,
    from: c_ulong,
    file: Option<FileId>,
    limit: i64,
) -> Option<(c_ulong, c_ulong, FileId, i64)> {
    walk_vmas(from, |vma| {
        if limit != 0 && vma.end().wrapping_sub(addr) as i64 > limit {
            return ControlFlow::Break(None);
        }
        if !vma.has_ops(VM_OPS.get())
            || vma.start().wrapping_sub(addr) / bindings::PAGE_SIZE != vma.pgoff()
        {
            return ControlFlow::Continue(());
        }
        match vma.file() {
            Some((id, size)) if file.is_none_or(|file| file == id) => {
                ControlFlow::Break(Some((vma.start(), vma.end(), id, size)))
            }
            _ => ControlFlow::Continue(()),
        }
    })
    .flatten()
}

/// Unmaps `start..end` of the caller's address space.
fn unmap(start: c_ulong, end: c_ulong) {
    // SAFETY: Unmapping a range of the caller's own mm; errors are ignored as in the kernel.
    let _ = unsafe { bindings::vm_munmap(start, end - start) };
}
