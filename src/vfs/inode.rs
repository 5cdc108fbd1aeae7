// SPDX-License-Identifier: GPL-2.0

//! Inodes: borrowed ones ([`Inode`]) and ones being set up ([`NewInode`]).

use crate::bindings;
use core::{marker::PhantomData, mem::ManuallyDrop, ptr::NonNull};
use kernel::{error::to_result, prelude::*, types::Opaque};

use super::{Dentry, FileSystem, SuperBlock};

/// A user id as the kernel stores it (`kuid_t`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Kuid(pub(crate) u32);

/// A group id as the kernel stores it (`kgid_t`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Kgid(pub(crate) u32);

impl Kuid {
    /// The filesystem user id of the current task (`current_fsuid()`).
    pub(crate) fn current_fs() -> Self {
        Self(crate::kabi::cred::fsuid())
    }

    /// The id as seen from the initial user namespace, as `/proc/mounts` shows it.
    pub(crate) fn in_init_ns(self) -> u32 {
        // SAFETY: `init_user_ns` is a static that lives forever; `from_kuid_munged` only reads.
        unsafe { bindings::from_kuid_munged(&raw mut bindings::init_user_ns, self.raw()) }
    }

    /// Whether the id can be represented in `ns` (`kuid_has_mapping`).
    pub(crate) fn has_mapping(self, ns: &UserNamespace) -> bool {
        // SAFETY: `ns` is live by its type invariant; `from_kuid` only reads it.
        unsafe { bindings::from_kuid(ns.as_raw(), self.raw()) != u32::MAX }
    }

    fn raw(self) -> bindings::kuid_t {
        bindings::kuid_t { val: self.0 }
    }
}

impl Kgid {
    /// The filesystem group id of the current task (`current_fsgid()`).
    pub(crate) fn current_fs() -> Self {
        Self(crate::kabi::cred::fsgid())
    }

    /// The id as seen from the initial user namespace, as `/proc/mounts` shows it.
    pub(crate) fn in_init_ns(self) -> u32 {
        // SAFETY: `init_user_ns` is a static that lives forever; `from_kgid_munged` only reads.
        unsafe { bindings::from_kgid_munged(&raw mut bindings::init_user_ns, self.raw()) }
    }

    /// Whether the id can be represented in `ns` (`kgid_has_mapping`).
    pub(crate) fn has_mapping(self, ns: &UserNamespace) -> bool {
        // SAFETY: `ns` is live by its type invariant; `from_kgid` only reads it.
        unsafe { bindings::from_kgid(ns.as_raw(), self.raw()) != u32::MAX }
    }

    fn raw(self) -> bindings::kgid_t {
        bindings::kgid_t { val: self.0 }
    }
}

/// A user namespace (`struct user_namespace`) someone lent us.
///
/// # Invariants
///
/// The wrapped namespace is live for the lifetime of every reference to this type.
#[repr(transparent)]
pub(crate) struct UserNamespace(Opaque<bindings::user_namespace>);

impl UserNamespace {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a user namespace that stays live for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::user_namespace) -> &'a Self {
        // SAFETY: Transparent wrapper; the caller guarantees liveness for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer.
    pub(crate) fn as_raw(&self) -> *mut bindings::user_namespace {
        self.0.get()
    }
}

/// The id-mapping of the mount an operation came through (`struct mnt_idmap`).
///
/// # Invariants
///
/// The pointer is `nop_mnt_idmap` or an idmap that stays live for `'a`.
#[derive(Clone, Copy)]
pub(crate) struct Idmap<'a>(
    *mut bindings::mnt_idmap,
    PhantomData<&'a bindings::mnt_idmap>,
);

impl<'a> Idmap<'a> {
    /// Wraps the idmap the VFS passed to an inode operation.
    ///
    /// # Safety
    ///
    /// `ptr` must point to an idmap that stays live for `'a` (the VFS keeps the one it passes to
    /// an inode operation live for the duration of the call).
    pub(crate) unsafe fn from_raw(ptr: *mut bindings::mnt_idmap) -> Self {
        // INVARIANT: The caller guarantees liveness for `'a`.
        Self(ptr, PhantomData)
    }

    /// Returns the raw pointer.
    fn as_raw(self) -> *mut bindings::mnt_idmap {
        self.0
    }
}

impl Idmap<'static> {
    /// The identity mapping, for inodes made without a mount (the root inode).
    pub(crate) fn none() -> Self {
        // INVARIANT: `nop_mnt_idmap` is a static of the kernel.
        Self(&raw mut bindings::nop_mnt_idmap, PhantomData)
    }
}

/// An inode of filesystem `T` the VFS lent us.
///
/// # Invariants
///
/// The wrapped inode is valid for the lifetime of every reference to this type, belongs to a
/// superblock of `T` and was allocated by `T`'s [`inode_cache::InodeCache`].
#[repr(transparent)]
pub(crate) struct Inode<T: FileSystem>(Opaque<bindings::inode>, PhantomData<T>);

impl<T: FileSystem> Inode<T> {
    /// Creates a reference from a raw pointer.
    ///
    /// # Safety
    ///
    /// `ptr` must point to a valid inode of a `T` superblock, valid for `'a`.
    pub(crate) unsafe fn from_raw<'a>(ptr: *mut bindings::inode) -> &'a Self {
        // SAFETY: Transparent wrapper; the caller guarantees the invariants for `'a`.
        unsafe { &*ptr.cast() }
    }

    /// Returns the raw pointer.
    pub(crate) fn as_raw(&self) -> *mut bindings::inode {
        self.0.get()
    }

    /// Returns the superblock the inode belongs to.
    pub(crate) fn super_block(&self) -> &SuperBlock<T> {
        // SAFETY: By the type invariant the inode is valid and belongs to a `T` superblock, which
        // outlives its inodes.
        unsafe { SuperBlock::from_raw((*self.as_raw()).i_sb) }
    }

    /// Returns the filesystem's per-inode data.
    pub(crate) fn info(&self) -> &T::InodeInfo {
        // SAFETY: By the type invariant the inode came from `T`'s inode cache and is live.
        unsafe { super::inode_cache::info::<T>(self.as_raw()) }
    }

    /// Pages in the page cache (`i_mapping->nrpages`), read without a lock like `READ_ONCE`.
    pub(crate) fn nr_pages(&self) -> u64 {
        // SAFETY: The inode is valid, and so is its mapping while it lives; a racy read of one
        // word, as the kernel's `READ_ONCE` does.
        unsafe { core::ptr::read_volatile(&raw const (*(*self.as_raw()).i_mapping).nrpages) as u64 }
    }

    /// The size in bytes (`i_size_read`).
    pub(crate) fn size(&self) -> i64 {
        // SAFETY: The inode is valid; a 64-bit `i_size` is read atomically.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_raw()).i_size) }
    }

    /// Sets the space in use, in pages, as `stat` reports it in 512-byte blocks.
    pub(crate) fn set_blocks(&self, pages: u64) {
        let blocks = pages * (bindings::PAGE_SIZE as u64 / 512);
        // SAFETY: The inode is valid; the caller serialises updates (a 64-bit store is atomic
        // for the lockless readers in `getattr`).
        unsafe { core::ptr::write_volatile(&raw mut (*self.as_raw()).i_blocks, blocks) };
    }

    /// The file type and permission bits.
    pub(crate) fn mode(&self) -> u16 {
        // SAFETY: The inode is valid; `i_mode`'s type bits never change.
        unsafe { (*self.as_raw()).i_mode }
    }

    /// Whether the inode is a directory.
    pub(crate) fn is_dir(&self) -> bool {
        u32::from(self.mode()) & bindings::S_IFMT == bindings::S_IFDIR
    }

    /// Whether the inode is a regular file.
    pub(crate) fn is_regular(&self) -> bool {
        u32::from(self.mode()) & bindings::S_IFMT == bindings::S_IFREG
    }

    /// The number of links.
    pub(crate) fn nlink(&self) -> u32 {
        // SAFETY: The inode is valid; `i_nlink` is read like the C `inode->i_nlink`.
        unsafe { core::ptr::read_volatile(&raw const (*self.as_raw()).__bindgen_anon_1.i_nlink) }
    }

    /// Sets the `S_*` flags in `mask` to those in `flags` (`inode_set_flags`).
    pub(crate) fn set_flags(&self, flags: u32, mask: u32) {
        // SAFETY: The inode is valid; `inode_set_flags` updates `i_flags` atomically.
        unsafe { bindings::inode_set_flags(self.as_raw(), flags, mask) };
    }

    /// Takes the inode lock (`inode_lock`, the `i_rwsem` writers and truncation hold).
    pub(crate) fn lock(&self) -> InodeGuard<'_, T> {
        // SAFETY: The inode is valid; the guard unlocks.
        unsafe { inode_lock(self.as_raw()) };
        InodeGuard(self)
    }
}

/// Takes the inode lock (`inode_lock`: `i_rwsem` for writing).
///
/// # Safety
///
/// `inode` must be a live inode, which the caller unlocks with [`inode_unlock`].
pub(crate) unsafe fn inode_lock(inode: *mut bindings::inode) {
    // SAFETY: Per the contract the inode, and so its `i_rwsem`, is live.
    unsafe { bindings::down_write(&raw mut (*inode).i_rwsem) };
}

/// Releases the inode lock (`inode_unlock`).
///
/// # Safety
///
/// `inode` must be a live inode whose lock the caller took with [`inode_lock`].
pub(crate) unsafe fn inode_unlock(inode: *mut bindings::inode) {
    // SAFETY: Per the contract.
    unsafe { bindings::up_write(&raw mut (*inode).i_rwsem) };
}

/// The inode lock of an inode, held; released on drop.
pub(crate) struct InodeGuard<'a, T: FileSystem>(&'a Inode<T>);

impl<T: FileSystem> core::ops::Deref for InodeGuard<'_, T> {
    type Target = Locked<T>;

    fn deref(&self) -> &Locked<T> {
        // SAFETY: The guard holds the inode lock until it is dropped, and the reference cannot
        // outlive the guard.
        unsafe { Locked::assume(self.0) }
    }
}

/// An inode whose lock (`i_rwsem`, for writing) is held while a reference to this type lives:
/// taken by [`Inode::lock`] (its guard derefs to this), or held by the VFS around the operation
/// whose trampoline hands one over. What changes an inode's size, links or times in place
/// (read-modify-write of plain fields) takes this, not a bare [`Inode`].
///
/// # Invariants
///
/// The inode's `i_rwsem` is held for writing for as long as any reference to this type exists.
#[repr(transparent)]
pub(crate) struct Locked<T: FileSystem>(Inode<T>);

impl<T: FileSystem> core::ops::Deref for Locked<T> {
    type Target = Inode<T>;

    fn deref(&self) -> &Inode<T> {
        &self.0
    }
}

impl<T: FileSystem> Locked<T> {
    /// Views `inode` as locked.
    ///
    /// # Safety
    ///
    /// The inode's `i_rwsem` must be held for writing for `'a`.
    pub(crate) unsafe fn assume(inode: &Inode<T>) -> &Self {
        // SAFETY: `Locked` is a transparent wrapper; the caller guarantees the invariant.
        // INVARIANT: As above.
        unsafe { &*core::ptr::from_ref(inode).cast::<Self>() }
    }

    /// The locked inode.
    pub(crate) fn inode(&self) -> &Inode<T> {
        &self.0
    }

    /// Drops a link (`drop_nlink`).
    pub(crate) fn drop_nlink(&self) {
        // SAFETY: The inode is valid and its lock held (type invariant), which serialises
        // `i_nlink` changes.
        unsafe { bindings::drop_nlink(self.as_raw()) };
    }

    /// Adds a link (`inc_nlink`).
    pub(crate) fn inc_nlink(&self) {
        // SAFETY: As in `drop_nlink`.
        unsafe { bindings::inc_nlink(self.as_raw()) };
    }

    /// Grows or shrinks `i_size` by `delta` (directories' bogus sizes).
    pub(crate) fn add_size(&self, delta: i64) {
        // SAFETY: The inode is valid and its lock held (type invariant), which serialises size
        // changes; a 64-bit store is atomic for lockless readers.
        unsafe {
            let size = &raw mut (*self.as_raw()).i_size;
            core::ptr::write_volatile(size, core::ptr::read_volatile(size) + delta);
        }
    }

    /// Sets ctime to now, after an attribute change.
    pub(crate) fn touch_ctime(&self) {
        // SAFETY: The inode is valid and its lock held (type invariant).
        unsafe { bindings::inode_set_ctime_current(self.as_raw()) };
    }

    /// Sets mtime and ctime to now, after the contents changed (a directory's entries, a
    /// file's size).
    pub(crate) fn touch_mtime_ctime(&self) {
        // SAFETY: The inode is valid and its lock held (type invariant).
        // `inode_set_mtime_to_ts` is two `WRITE_ONCE`s, for lockless readers of the times.
        unsafe {
            let ts = bindings::inode_set_ctime_current(self.as_raw());
            core::ptr::write_volatile(&raw mut (*self.as_raw()).i_mtime_sec, ts.tv_sec);
            core::ptr::write_volatile(&raw mut (*self.as_raw()).i_mtime_nsec, ts.tv_nsec as u32);
        }
    }

    /// Sets the size without touching the page cache (`i_size_write`).
    pub(crate) fn write_size(&self, size: i64) {
        // SAFETY: The inode is valid; its lock (type invariant) serialises writers, and a
        // 64-bit store is atomic for the lockless readers.
        unsafe { core::ptr::write_volatile(&raw mut (*self.as_raw()).i_size, size) };
    }

    /// Drops the bytes `start..=end` from the page cache, unmapping them from every process
    /// first: a hole, which reads back as zeros (`truncate_pagecache_range`).
    pub(crate) fn punch_hole(&self, start: i64, end: i64) {
        // SAFETY: The inode is valid and locked, as truncation requires.
        unsafe { bindings::truncate_pagecache_range(self.as_raw(), start, end) };
    }

    /// Checks `size` against the size limits (`inode_newsize_ok`: `RLIMIT_FSIZE`, `s_maxbytes`).
    pub(crate) fn size_ok(&self, size: i64) -> Result {
        // SAFETY: The inode is valid.
        to_result(unsafe { bindings::inode_newsize_ok(self.as_raw(), size) })
    }

    /// Grows the size without touching the page cache (`i_size_write`).
    pub(crate) fn grow_size(&self, size: i64) {
        if size > self.size() {
            self.write_size(size);
        }
    }
}

impl<T: FileSystem> Drop for InodeGuard<'_, T> {
    fn drop(&mut self) {
        // SAFETY: We hold the lock taken in `Inode::lock`.
        unsafe { inode_unlock(self.0.as_raw()) };
    }
}

/// A freshly allocated inode that nothing else can see yet.
///
/// Dropping it releases it (`iput`); [`NewInode::instantiate`] hands it to a dentry.
///
/// # Invariants
///
/// `inode` points to a valid inode of a `T` superblock on which we own one reference, and which
/// is not yet reachable from the dcache, so we have exclusive access to its fields.
pub(crate) struct NewInode<T: FileSystem> {
    inode: NonNull<bindings::inode>,
    _t: PhantomData<T>,
}

impl<T: FileSystem> NewInode<T> {
    /// Allocates an inode on `sb` (`new_inode`), numbered `ino`.
    pub(crate) fn new(sb: &SuperBlock<T>, ino: u64) -> Result<Self> {
        // SAFETY: `sb` is a valid, live superblock.
        let inode = NonNull::new(unsafe { bindings::new_inode(sb.as_raw()) }).ok_or(ENOMEM)?;
        // SAFETY: `new_inode` returned a valid inode we own and nobody else can reach yet. A
        // random generation, as tmpfs gives (`shmem_get_inode`), tells file handles of reused
        // inode numbers apart.
        unsafe {
            (*inode.as_ptr()).i_ino = ino;
            (*inode.as_ptr()).i_generation = bindings::get_random_u32();
        }
        // INVARIANT: We own the only reference and the inode is not in the dcache.
        Ok(Self {
            inode,
            _t: PhantomData,
        })
    }

    fn raw(&self) -> *mut bindings::inode {
        self.inode.as_ptr()
    }

    /// Borrows the inode as an [`Inode`].
    pub(crate) fn as_inode(&self) -> &Inode<T> {
        // SAFETY: The inode is valid for as long as we own our reference.
        unsafe { Inode::from_raw(self.raw()) }
    }

    /// Sets owner, group and mode as a file created in `dir` (`inode_init_owner`).
    pub(crate) fn init_owner(&mut self, idmap: Idmap<'_>, dir: Option<&Inode<T>>, mode: u16) {
        let dir = dir.map_or(core::ptr::null(), |d| d.as_raw().cast_const());
        // SAFETY: The inode is valid and exclusively ours; `dir` is null or a valid inode;
        // `idmap` is live by its type invariant.
        unsafe { bindings::inode_init_owner(idmap.as_raw(), self.raw(), dir, mode) };
    }

    /// Overrides the owner (mount options of the root directory).
    pub(crate) fn set_owner(&mut self, uid: Kuid, gid: Kgid) {
        // SAFETY: The inode is valid and exclusively ours.
        unsafe {
            (*self.raw()).i_uid = uid.raw();
            (*self.raw()).i_gid = gid.raw();
        }
    }

    /// Returns the filesystem's per-inode data, for setting up.
    pub(crate) fn info_mut(&mut self) -> Pin<&mut T::InodeInfo> {
        // SAFETY: The inode came from `T`'s cache and is exclusively ours; the data lives in
        // the slab object and never moves, so handing it out pinned is sound.
        unsafe { Pin::new_unchecked(super::inode_cache::info_mut::<T>(self.raw())) }
    }

    /// The change time: seconds and nanoseconds (`inode_get_ctime`: without the multigrain
    /// "queried" flag, `I_CTIME_QUERIED`, kept in the top bit of the nanoseconds).
    pub(crate) fn ctime(&self) -> (i64, u32) {
        const I_CTIME_QUERIED: u32 = 1 << 31;
        // SAFETY: The inode is valid and exclusively ours.
        let (sec, nsec) = unsafe { ((*self.raw()).i_ctime_sec, (*self.raw()).i_ctime_nsec) };
        (sec, nsec & !I_CTIME_QUERIED)
    }

    /// Adds a link (a new directory's `.`).
    pub(crate) fn inc_nlink(&mut self) {
        // SAFETY: The inode is valid and exclusively ours.
        unsafe { bindings::inc_nlink(self.raw()) };
    }

    /// Sets the size.
    pub(crate) fn set_size(&mut self, size: i64) {
        // SAFETY: The inode is valid and exclusively ours.
        unsafe { (*self.raw()).i_size = size };
    }

    /// Gives up ownership of our reference, for a VFS call that takes it over.
    pub(crate) fn into_raw(self) -> *mut bindings::inode {
        ManuallyDrop::new(self).raw()
    }

    /// Makes the inode a symlink to a copy of `target` kept with the inode
    /// (`inode_set_cached_link`), served by `simple_get_link`. Errors: `ENOMEM`, `ENAMETOOLONG`.
    ///
    /// # Safety
    ///
    /// The callbacks of `iops` must expect inodes of `T`, or assume nothing about the inode's
    /// filesystem.
    pub(super) unsafe fn set_owned_link(
        &mut self,
        iops: &'static bindings::inode_operations,
        target: &CStr,
    ) -> Result {
        let len = c_int::try_from(target.to_bytes().len()).map_err(|_| ENAMETOOLONG)?;
        let mut copy = KVec::with_capacity(target.to_bytes_with_nul().len(), GFP_KERNEL)?;
        copy.extend_from_slice(target.to_bytes_with_nul(), GFP_KERNEL)?;
        // SAFETY: The inode came from `T`'s cache and nobody else can reach it yet.
        let slot = unsafe { &mut *super::inode_cache::link_slot::<T>(self.raw()) };
        let link = slot.insert(copy).as_mut_ptr();
        // SAFETY: The inode is valid and exclusively ours; the target (with its NUL) lives in
        // the inode's cache object until the inode is freed after an RCU grace period, and is
        // never written again (only this method writes the slot, on a new inode); the caller
        // vouches for `iops`.
        unsafe {
            let inode = self.raw();
            (*inode).i_op = iops;
            (*inode).__bindgen_anon_5.i_link = link.cast();
            (*inode).__bindgen_anon_4.i_linklen = len;
            (*inode).i_opflags |= bindings::IOP_CACHED_LINK as u16;
        }
        Ok(())
    }

    /// Numbers the inode `ino` instead of the number it was created with.
    pub(crate) fn set_ino(&mut self, ino: u64) {
        // SAFETY: The inode is valid and exclusively ours.
        unsafe { (*self.raw()).i_ino = ino };
    }

    /// Makes the inode an unlinked file of `size` bytes, as handed out by the setup API;
    /// `private` for `S_PRIVATE` (no LSM checks: `shmem_kernel_file_setup`).
    pub(crate) fn init_unlinked(&mut self, size: i64, private: bool) {
        let flags = if private { bindings::S_PRIVATE } else { 0 };
        // SAFETY: The inode is valid and exclusively ours.
        unsafe {
            (*self.raw()).i_flags |= flags;
            (*self.raw()).i_size = size;
            bindings::clear_nlink(self.raw());
        }
    }

    /// Sets atime, mtime and ctime to now.
    pub(crate) fn init_times(&mut self) {
        // SAFETY: The inode is valid and exclusively ours.
        unsafe { bindings::simple_inode_init_ts(self.raw()) };
    }

    /// Sets the page-cache operations and keeps the mapping's pages resident: with no swap
    /// behind us, reclaim must never drop a page of ours (like ramfs). Pages are movable (the
    /// operations must migrate them) and may come in large folios, as in tmpfs.
    ///
    /// # Safety
    ///
    /// The callbacks of `aops` must expect mappings whose host is an inode of `T` (they may find
    /// its per-inode data with `container_of`), or assume nothing about the host's filesystem.
    pub(super) unsafe fn set_resident_mapping(
        &mut self,
        aops: &'static bindings::address_space_operations,
    ) {
        // SAFETY: The inode is valid and exclusively ours; `i_mapping` points to its `i_data`;
        // the caller vouches that `aops` fits inodes of `T`.
        unsafe {
            let mapping = (*self.raw()).i_mapping;
            (*mapping).a_ops = aops;
            // `mapping_set_gfp_mask`, `mapping_set_unevictable`.
            (*mapping).gfp_mask = bindings::RUST_SHMEM_GFP_HIGHUSER_MOVABLE;
            bindings::set_bit(
                bindings::mapping_flags_AS_UNEVICTABLE as c_ulong,
                &raw mut (*mapping).flags,
            );
            bindings::rust_shmem_mapping_set_large_folios(mapping);
        }
    }

    /// Sets the inode and file operations.
    ///
    /// # Safety
    ///
    /// The callbacks of `iops` must expect inodes of `T`, and those of `fops` files whose inode
    /// is of `T` (they may find its per-inode data with `container_of`), or assume nothing about
    /// the inode's filesystem.
    pub(super) unsafe fn set_ops(
        &mut self,
        iops: &'static bindings::inode_operations,
        fops: &'static bindings::file_operations,
    ) {
        // SAFETY: The inode is valid and exclusively ours; the caller vouches for the tables.
        unsafe {
            (*self.raw()).i_op = iops;
            (*self.raw()).__bindgen_anon_3.i_fop = fops;
        }
    }

    /// Makes the inode a symlink whose target lives in the page cache.
    pub(crate) fn init_page_symlink(&mut self, target: &CStr) -> Result {
        let len = i32::try_from(target.to_bytes_with_nul().len()).map_err(|_| ENAMETOOLONG)?;
        // SAFETY: The inode is valid and exclusively ours; `page_symlink_inode_operations` is a
        // static of the kernel; `target` is valid for `len` bytes.
        unsafe {
            (*self.raw()).i_op = &raw const bindings::page_symlink_inode_operations;
            bindings::inode_nohighmem(self.raw());
            to_result(bindings::page_symlink(
                self.raw(),
                target.as_char_ptr(),
                len,
            ))
        }
    }

    /// Sets the inode operations alone (special files, whose file operations the VFS picks).
    ///
    /// # Safety
    ///
    /// The callbacks of `iops` must expect inodes of `T` (they may find its per-inode data with
    /// `container_of`), or assume nothing about the inode's filesystem.
    pub(super) unsafe fn set_inode_ops(&mut self, iops: &'static bindings::inode_operations) {
        // SAFETY: The inode is valid and exclusively ours; the caller vouches for the table.
        unsafe { (*self.raw()).i_op = iops };
    }

    /// Makes the inode a device node, fifo or socket (`init_special_inode`).
    pub(super) fn init_special(&mut self, mode: u16, dev: u32) {
        // SAFETY: The inode is valid and exclusively ours.
        unsafe { bindings::init_special_inode(self.raw(), mode, dev) };
    }

    /// Gives security modules a chance to label the new inode.
    pub(crate) fn init_security(&mut self, dir: &Inode<T>, dentry: &Dentry<T>) -> Result {
        // SAFETY: All three objects are valid for the duration of the call.
        to_result(unsafe {
            bindings::rust_shmem_security_inode_init_security(
                self.raw(),
                dir.as_raw(),
                dentry.name(),
            )
        })
    }

    /// Links the inode to `dentry` and pins the dentry in the dcache, which is the only place
    /// this filesystem keeps its namespace (`d_make_persistent`).
    pub(crate) fn instantiate(self, dentry: &Dentry<T>) {
        let this = ManuallyDrop::new(self);
        // SAFETY: `dentry` is a valid negative dentry the VFS gave us to fill; our reference to
        // the inode moves into the dentry.
        unsafe { bindings::d_make_persistent(dentry.as_raw(), this.raw()) };
    }

    /// Makes the inode the root of its superblock (`d_make_root`), consuming our reference.
    pub(crate) fn into_root(self) -> Result<NonNull<bindings::dentry>> {
        let this = ManuallyDrop::new(self);
        // SAFETY: Our reference moves into `d_make_root`, which releases it on failure.
        NonNull::new(unsafe { bindings::d_make_root(this.raw()) }).ok_or(ENOMEM)
    }
}

impl<T: FileSystem> Drop for NewInode<T> {
    fn drop(&mut self) {
        // SAFETY: We own one reference; the inode has no links, so this evicts it.
        unsafe { bindings::iput(self.raw()) };
    }
}
