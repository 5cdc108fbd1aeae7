// SPDX-License-Identifier: GPL-2.0

//! Mappings: VMA flags, the descriptor an `mmap_prepare` hook fills, VMAs under construction,
//! and VMA operation tables typed by the files they may serve.

use crate::bindings;
use crate::vfs::file::{FileOf, FileRef};
use core::marker::PhantomData;
use kernel::prelude::*;

/// The flags of a mapping (`vma_flags_t`), as the setup API receives them.
#[derive(Clone, Copy)]
pub(crate) struct VmaFlags(bindings::vma_flags_t);

impl VmaFlags {
    /// No flags.
    pub(crate) fn empty() -> Self {
        Self(pin_init::zeroed())
    }

    /// Only `VM_NORESERVE`, or no flags: what `ipc/shm.c` passes for `SHM_NORESERVE`.
    pub(crate) fn noreserve_if(noreserve: bool) -> Self {
        let mut flags = Self::empty();
        if noreserve {
            flags.0.__vma_flags[0] |= 1 << bindings::VMA_NORESERVE_BIT;
        }
        flags
    }

    /// Wraps flags a caller handed us.
    pub(crate) fn from_raw(flags: bindings::vma_flags_t) -> Self {
        Self(flags)
    }

    /// The raw flags.
    pub(crate) fn as_raw(&self) -> bindings::vma_flags_t {
        self.0
    }

    /// `VM_NORESERVE`: no commit charge for the mapping's memory.
    pub(crate) fn noreserve(&self) -> bool {
        self.0.__vma_flags[0] & (1 << bindings::VMA_NORESERVE_BIT) != 0
    }

    /// `VM_MAYSHARE`: a shared mapping.
    pub(crate) fn may_share(&self) -> bool {
        self.0.__vma_flags[0] & (1 << bindings::VMA_MAYSHARE_BIT) != 0
    }
}

/// A `vm_operations_struct` whose hooks are sound on any VMA that maps a regular file of
/// filesystem `F` (one whose inode is an `Inode<F>`).
///
/// # Invariants
///
/// Built only by the layer ([`VmOps::new`] is `unsafe`), for the files of `F`; never written.
#[repr(transparent)]
pub(crate) struct VmOps<F> {
    raw: bindings::vm_operations_struct,
    _f: PhantomData<fn(F)>,
}

// SAFETY: The table is immutable (type invariant); C only reads it, from any thread.
unsafe impl<F> Sync for VmOps<F> {}

impl<F> VmOps<F> {
    /// Wraps `raw`.
    ///
    /// # Safety
    ///
    /// Every hook of `raw` must be sound when called by the mm core on a VMA whose `vm_file` is
    /// a regular file of `F`.
    pub(crate) const unsafe fn new(raw: bindings::vm_operations_struct) -> Self {
        // INVARIANT: The caller vouches for the hooks.
        Self {
            raw,
            _f: PhantomData,
        }
    }

    /// The C table.
    pub(crate) const fn as_raw(&'static self) -> *const bindings::vm_operations_struct {
        &self.raw
    }
}

/// The descriptor of a mapping being prepared (`struct vm_area_desc`), for `mmap_prepare`.
///
/// # Invariants
///
/// `0` is the descriptor of a mapping being prepared, which the hook holding this object may
/// read and fill.
pub(crate) struct VmaDesc<'a>(&'a mut bindings::vm_area_desc);

impl<'a> VmaDesc<'a> {
    /// Wraps `desc`.
    ///
    /// # Safety
    ///
    /// `desc` must be the descriptor handed to an `mmap_prepare` hook, valid for `'a`.
    pub(crate) unsafe fn from_raw(desc: *mut bindings::vm_area_desc) -> Self {
        // SAFETY: Valid and ours for `'a`, per the contract.
        // INVARIANT: As above.
        Self(unsafe { &mut *desc })
    }

    /// The range being mapped, in bytes: `start..end`.
    pub(crate) fn range(&self) -> (usize, usize) {
        (self.0.start, self.0.end)
    }

    /// The flags of the mapping.
    pub(crate) fn flags(&self) -> VmaFlags {
        VmaFlags(self.0.vma_flags)
    }

    /// Makes the mapping anonymous memory (`vma_desc_set_anonymous`).
    pub(crate) fn set_anonymous(&mut self) {
        self.0.vm_ops = core::ptr::null();
    }

    /// Maps `file` instead of the file being mapped, with `ops` (`shmem_zero_setup_desc`). The
    /// mmap code takes the file reference over and drops the original file's.
    pub(crate) fn set_file<F>(&mut self, file: FileOf<F>, ops: &'static VmOps<F>) {
        self.0.vm_file = file.into_file().into_raw();
        self.0.vm_ops = ops.as_raw();
    }
}

/// A VMA being set up by `mmap` under the mmap lock, for the old `shmem_zero_setup` hook.
///
/// # Invariants
///
/// `0` points to a VMA under construction that the holder may read and modify.
pub(crate) struct NewVma<'a>(&'a mut bindings::vm_area_struct);

impl<'a> NewVma<'a> {
    /// Wraps `vma`.
    ///
    /// # Safety
    ///
    /// `vma` must be a VMA being set up by `mmap`, with the mmap lock held, for `'a`.
    pub(crate) unsafe fn from_raw(vma: *mut bindings::vm_area_struct) -> Self {
        // SAFETY: Valid and ours for `'a`, per the contract.
        // INVARIANT: As above.
        Self(unsafe { &mut *vma })
    }

    /// The range being mapped, in bytes: `start..end`.
    pub(crate) fn range(&self) -> (usize, usize) {
        // SAFETY: A VMA being set up has its range (the union's other member is an RCU head,
        // used only once the VMA is freed).
        let range = unsafe { &self.0.__bindgen_anon_1.__bindgen_anon_1 };
        (range.vm_start, range.vm_end)
    }

    /// The flags of the mapping.
    pub(crate) fn flags(&self) -> VmaFlags {
        // SAFETY: Every bit pattern of the union is a valid `vma_flags_t`.
        VmaFlags(unsafe { self.0.__bindgen_anon_2.flags })
    }

    /// Maps `file` with `ops`, dropping the reference on the VMA's old file.
    pub(crate) fn set_file<F>(&mut self, file: FileOf<F>, ops: &'static VmOps<F>) {
        let old = core::mem::replace(&mut self.0.vm_file, file.into_file().into_raw());
        if !old.is_null() {
            // SAFETY: The VMA owned a reference on its old file, which is now ours to drop.
            unsafe { bindings::fput(old) };
        }
        self.0.vm_ops = ops.as_raw();
    }
}

/// Where a new mapping goes (`get_unmapped_area` hooks): aligned so that transparent huge
/// pages can map it when `huge` (`thp_get_unmapped_area`), else the default placement for
/// `file` (`mm_get_unmapped_area`; a null `file` places it as a mapping without one).
///
/// # Safety
///
/// The arguments of a `get_unmapped_area` hook in the calling task's context; `file` valid or,
/// without `huge`, null.
pub(crate) unsafe fn unmapped_area(
    file: *mut bindings::file,
    huge: bool,
    addr: c_ulong,
    len: c_ulong,
    pgoff: c_ulong,
    flags: c_ulong,
) -> c_ulong {
    if huge {
        // SAFETY: Per the contract.
        unsafe { bindings::thp_get_unmapped_area(file, addr, len, pgoff, flags) }
    } else {
        // SAFETY: Per the contract.
        unsafe { bindings::mm_get_unmapped_area(file, addr, len, pgoff, flags) }
    }
}

/// `SHMLBA`: the alignment of System V attach addresses, in bytes.
pub(crate) const SHMLBA: u64 = bindings::RUST_SHMEM_SHMLBA as u64;

/// Where [`vm_mmap`] may put a mapping.
pub(crate) enum Fixed {
    /// Anywhere, `addr` a hint.
    No,
    /// At `addr`, replacing what is there (`MAP_FIXED`).
    Replace,
    /// At `addr`, failing with `EEXIST` if something is there (`MAP_FIXED_NOREPLACE`).
    NoReplace,
}

/// What a shared mapping made by [`vm_mmap`] may do.
#[derive(Clone, Copy)]
pub(crate) struct Prot {
    /// `PROT_WRITE`.
    pub(crate) write: bool,
    /// `PROT_EXEC`.
    pub(crate) exec: bool,
}

/// Maps `len` bytes of `file` shared into the caller's address space at `addr` as `fixed` says,
/// readable and as `prot` says (`vm_mmap`, which takes the mmap lock). Returns the address.
/// Errors: those of `mmap(2)`.
pub(crate) fn vm_mmap(
    file: &FileRef,
    addr: u64,
    len: usize,
    prot: Prot,
    fixed: Fixed,
) -> Result<u64> {
    let mut flags = bindings::RUST_SHMEM_MAP_SHARED;
    flags |= match fixed {
        Fixed::No => 0,
        Fixed::Replace => bindings::RUST_SHMEM_MAP_FIXED,
        Fixed::NoReplace => bindings::RUST_SHMEM_MAP_FIXED_NOREPLACE,
    };
    let mut raw_prot = bindings::RUST_SHMEM_PROT_READ;
    if prot.write {
        raw_prot |= bindings::RUST_SHMEM_PROT_WRITE;
    }
    if prot.exec {
        raw_prot |= bindings::RUST_SHMEM_PROT_EXEC;
    }
    let addr = c_ulong::try_from(addr).map_err(|_| EINVAL)?;
    // SAFETY: A live file; `vm_mmap` takes the mmap lock of the caller's mm.
    let mapped = unsafe { bindings::vm_mmap(file.as_raw(), addr, len, raw_prot, flags, 0) };
    if (mapped as isize) < 0 && (mapped as isize) >= -(bindings::MAX_ERRNO as isize) {
        return Err(Error::from_errno(mapped as isize as c_int));
    }
    Ok(mapped as u64)
}

/// Unmaps `start..end` of the caller's address space (`vm_munmap`); errors are ignored, as
/// `ksys_shmdt` does.
pub(crate) fn vm_munmap(start: u64, end: u64) {
    let (Ok(start), Ok(len)) = (usize::try_from(start), usize::try_from(end - start)) else {
        return;
    };
    // SAFETY: Unmapping a range of the caller's own mm has no precondition.
    let _ = unsafe { bindings::vm_munmap(start as c_ulong, len) };
}
