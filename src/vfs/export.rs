// SPDX-License-Identifier: GPL-2.0

//! File handles (`name_to_handle_at`/`open_by_handle_at`, NFS export): tmpfs's
//! `shmem_export_ops`. A handle is the inode's generation and 64-bit number; an inode enters the
//! inode hash when its first handle is made, so that `fh_to_dentry` can find it while it lives
//! (`ilookup5`); once it is evicted (unlinked and closed) its handles give `ESTALE`.
//!
//! Lock order: the registration's `hash_lock` → `inode_hash_lock` → `i_lock` (both taken by
//! `__insert_inode_hash`).

use crate::bindings;
use core::{marker::PhantomData, ptr};
use kernel::prelude::*;

use super::{fs_type::FsRegistration, FileSystem};

/// `FILEID_INVALID`: the handle did not fit.
const FILEID_INVALID: c_int = 0xff;
/// The handle type `encode_fh` returns (tmpfs's, 1).
const FILEID_TMPFS: c_int = 1;
/// Handle length, in 32-bit words: generation, low and high halves of the inode number.
const FH_WORDS: c_int = 3;

/// The `export_operations` of `T`.
pub(crate) struct ExportVtable<T>(PhantomData<T>);

impl<T: FileSystem> ExportVtable<T> {
    /// `export_operations::encode_fh` (`shmem_encode_fh`).
    ///
    /// # Safety
    ///
    /// A live inode of `T`, a buffer of `*len` words at `fh`.
    unsafe extern "C" fn encode_fh(
        inode: *mut bindings::inode,
        fh: *mut u32,
        len: *mut c_int,
        _parent: *mut bindings::inode,
    ) -> c_int {
        // SAFETY: `len` is valid for the call.
        if unsafe { *len } < FH_WORDS {
            // SAFETY: As above.
            unsafe { *len = FH_WORDS };
            return FILEID_INVALID;
        }
        // SAFETY: The inode is live and of `T`, so its superblock's type lies in `T`'s
        // registration, which outlives it.
        let reg = unsafe { FsRegistration::<T>::from_type((*(*inode).i_sb).s_type) };
        // `__insert_inode_hash` is not idempotent: hash each inode once, under a lock.
        // SAFETY: `i_hash` of a live inode; a racy first look, checked again under the lock.
        if unsafe { Self::unhashed(inode) } {
            let _guard = reg.hash_lock().lock();
            // SAFETY: As above, now serialised with the other hashers.
            if unsafe { Self::unhashed(inode) } {
                // SAFETY: A live inode not yet in the hash.
                unsafe { bindings::__insert_inode_hash(inode, Self::hash(inode)) };
            }
        }
        // SAFETY: The inode is live; `fh` holds at least three words (checked above).
        unsafe {
            let ino = (*inode).i_ino;
            *fh = (*inode).i_generation;
            *fh.add(1) = ino as u32;
            *fh.add(2) = (ino >> 32) as u32;
            *len = FH_WORDS;
        }
        FILEID_TMPFS
    }

    /// `hlist_unhashed(&inode->i_hash)`.
    ///
    /// # Safety
    ///
    /// `inode` must be live.
    unsafe fn unhashed(inode: *mut bindings::inode) -> bool {
        // SAFETY: Per the contract; a word read like the C one.
        unsafe { ptr::read_volatile(&raw const (*inode).i_hash.pprev) }.is_null()
    }

    /// The hash value of an inode: number plus generation, as tmpfs hashes.
    ///
    /// # Safety
    ///
    /// `inode` must be live.
    unsafe fn hash(inode: *mut bindings::inode) -> u64 {
        // SAFETY: Per the contract.
        unsafe {
            (*inode)
                .i_ino
                .wrapping_add(u64::from((*inode).i_generation))
        }
    }

    /// The `ilookup5` test (`shmem_match`): the inode the handle words at `data` name.
    ///
    /// # Safety
    ///
    /// A live inode, and `data` the three handle words of `fh_to_dentry`.
    unsafe extern "C" fn matches(inode: *mut bindings::inode, data: *mut c_void) -> c_int {
        let fh = data.cast::<u32>();
        // SAFETY: Per the contract.
        let (generation, ino) =
            unsafe { (*fh, u64::from(*fh.add(1)) | (u64::from(*fh.add(2)) << 32)) };
        // SAFETY: The inode is live.
        let (i_ino, i_gen) = unsafe { ((*inode).i_ino, (*inode).i_generation) };
        c_int::from(i_ino == ino && i_gen == generation)
    }

    /// `export_operations::fh_to_dentry` (`shmem_fh_to_dentry`): a dentry of the inode, or
    /// null when it is gone (`ESTALE` for the caller).
    ///
    /// # Safety
    ///
    /// A live superblock of `T` and a handle of `fh_len` words.
    unsafe extern "C" fn fh_to_dentry(
        sb: *mut bindings::super_block,
        fid: *mut bindings::fid,
        fh_len: c_int,
        _fh_type: c_int,
    ) -> *mut bindings::dentry {
        if fh_len < FH_WORDS {
            return ptr::null_mut();
        }
        let fh = fid.cast::<u32>();
        // SAFETY: The handle holds `fh_len` ≥ 3 words, which start the `fid` union.
        let hash = unsafe {
            let ino = u64::from(*fh.add(1)) | (u64::from(*fh.add(2)) << 32);
            ino.wrapping_add(u64::from(*fh))
        };
        // SAFETY: A live superblock; `matches` reads the three words at `fh`.
        let inode = unsafe { bindings::ilookup5(sb, hash, Some(Self::matches), fh.cast()) };
        if inode.is_null() {
            return ptr::null_mut();
        }
        // Any alias, a hashed one first (`shmem_find_alias`).
        // SAFETY: `ilookup5` gave us a reference on a live inode, dropped after the lookup.
        unsafe {
            let mut dentry = bindings::d_find_alias(inode);
            if dentry.is_null() {
                dentry = bindings::d_find_any_alias(inode);
            }
            bindings::iput(inode);
            dentry
        }
    }

    /// `export_operations::get_parent` (`shmem_get_parent`): never known.
    ///
    /// # Safety
    ///
    /// Any dentry; it is not read.
    unsafe extern "C" fn get_parent(_child: *mut bindings::dentry) -> *mut bindings::dentry {
        // SAFETY: `ERR_PTR` only encodes the error number.
        unsafe { bindings::ERR_PTR(ESTALE.to_errno() as c_long) }.cast()
    }

    /// The table, for `super_block::s_export_op`.
    pub(super) const OPS: bindings::full::export_operations = bindings::full::export_operations {
        encode_fh: Some(Self::encode_fh),
        fh_to_dentry: Some(Self::fh_to_dentry),
        get_parent: Some(Self::get_parent),
        ..pin_init::zeroed()
    };
}
