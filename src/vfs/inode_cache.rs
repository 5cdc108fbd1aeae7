// SPDX-License-Identifier: GPL-2.0

//! The slab cache that holds a filesystem's inodes next to its per-inode data, like
//! `shmem_inode_cache`. A dedicated cache also makes leaks visible: destroying a cache that still
//! holds objects at module exit is reported by the slab allocator.

use crate::bindings;
use core::{
    marker::PhantomData,
    ptr::{self, NonNull},
};
use kernel::{prelude::*, sync::rcu, types::Opaque};

use super::FileSystem;

/// What the cache stores: the filesystem's data and the VFS inode, the inode inside a
/// `struct shmem_inode_info` as tmpfs allocates it.
///
/// Why the tmpfs shell: kernel code that holds a shmem-like file casts its inode with `SHMEM_I()`
/// without checking the filesystem (`ipc/shm.c`: `shmem_lock()` from `shm_destroy` and
/// `SHM_LOCK`/`SHM_UNLOCK` writes `flags`; `shm_add_rss_swap` reads `swapped`). With the takeover
/// (`src/takeover/`) SysV segments are ours, so those accesses must stay in bounds and mean what
/// they mean for tmpfs: `flags` holds only `SHMEM_F_LOCKED`, set and cleared by `shmem_lock()`
/// under the segment's IPC lock (our pages are never swapped, so `swapped` stays 0). Nothing of
/// ours reads the shell; it costs `size_of::<shmem_inode_info>() - size_of::<inode>()` bytes per
/// inode, as it does for tmpfs.
///
/// `link` holds the target of a symlink kept with its inode (`i_link` points into it), freed
/// with the inode after the grace period that RCU path walks need.
///
/// # Invariants
///
/// An object lives only in an [`InodeCache<T>`]'s slab: the VFS inode in `shmem` is initialised
/// by the slab constructor (`inode_init_once`), and `info` and `link` are initialised from
/// [`InodeCache::alloc`] until [`InodeCache::free`] drops them.
#[repr(C)]
struct CachedInode<T: FileSystem> {
    info: Opaque<T::InodeInfo>,
    link: Opaque<Option<KVec<u8>>>,
    shmem: Opaque<bindings::shmem_inode_info>,
}

/// The offset of the VFS inode in a [`CachedInode`].
const fn inode_offset<T: FileSystem>() -> usize {
    core::mem::offset_of!(CachedInode<T>, shmem)
        + core::mem::offset_of!(bindings::shmem_inode_info, vfs_inode)
}

/// The cache object holding `inode`.
///
/// # Safety
///
/// `inode` must be the inode of a [`CachedInode<T>`].
unsafe fn cached_of<T: FileSystem>(inode: *mut bindings::inode) -> *mut CachedInode<T> {
    // SAFETY: The inode lies `inode_offset` bytes into its object, per the caller.
    unsafe { inode.byte_sub(inode_offset::<T>()).cast() }
}

/// The VFS inode of the cache object at `cached`.
///
/// # Safety
///
/// `cached` must point to an object of a [`CachedInode<T>`] cache.
unsafe fn inode_of<T: FileSystem>(cached: *mut CachedInode<T>) -> *mut bindings::inode {
    // SAFETY: In bounds of the object, per the caller.
    unsafe { cached.byte_add(inode_offset::<T>()).cast() }
}

/// Returns the per-inode data of `inode`.
///
/// # Safety
///
/// `inode` must be a live inode allocated by [`InodeCache::alloc`] of `T` and not yet freed,
/// and the returned reference must not outlive it.
pub(crate) unsafe fn info<'a, T: FileSystem>(inode: *mut bindings::inode) -> &'a T::InodeInfo {
    // SAFETY: The caller guarantees `inode` is embedded in a `CachedInode<T>` whose `info` was
    // initialised by `alloc` and is dropped only in `free`.
    unsafe { &*(*cached_of::<T>(inode)).info.get() }
}

/// The place of the symlink target kept with `inode`.
///
/// # Safety
///
/// As for [`info`]; the place may be written only while nobody else can reach the inode.
pub(crate) unsafe fn link_slot<T: FileSystem>(
    inode: *mut bindings::inode,
) -> *mut Option<KVec<u8>> {
    // SAFETY: The caller guarantees `inode` is embedded in a live `CachedInode<T>`.
    unsafe { (*cached_of::<T>(inode)).link.get() }
}

/// Returns the per-inode data of an inode nobody else can reach yet.
///
/// # Safety
///
/// As for [`info`], and the caller must have exclusive access to the inode.
pub(crate) unsafe fn info_mut<'a, T: FileSystem>(
    inode: *mut bindings::inode,
) -> &'a mut T::InodeInfo {
    // SAFETY: As in `info`; exclusivity is the caller's promise.
    unsafe { &mut *(*cached_of::<T>(inode)).info.get() }
}

/// A slab cache of inodes of `T`, owned by the filesystem's registration.
///
/// # Invariants
///
/// `cache` is a cache created by [`InodeCache::create`] for `CachedInode<T>`, destroyed in
/// `drop`.
pub(crate) struct InodeCache<T: FileSystem> {
    cache: NonNull<bindings::kmem_cache>,
    _t: PhantomData<T>,
}

// SAFETY: A kmem_cache may be used and destroyed from any thread.
unsafe impl<T: FileSystem> Send for InodeCache<T> {}
// SAFETY: As above; `&self` only allocates.
unsafe impl<T: FileSystem> Sync for InodeCache<T> {}

impl<T: FileSystem> InodeCache<T> {
    /// # Safety
    ///
    /// The slab constructor: `obj` is a new object of this cache.
    unsafe extern "C" fn init_once(obj: *mut c_void) {
        let cached = obj.cast::<CachedInode<T>>();
        // SAFETY: The slab allocator hands the constructor a new object of our size.
        unsafe { bindings::inode_init_once(inode_of(cached)) };
    }

    /// Creates a cache named `name` (as `/proc/slabinfo` shows it). Errors: `ENOMEM`.
    pub(crate) fn create(name: &'static CStr) -> Result<Self> {
        let mut args: bindings::kmem_cache_args = pin_init::zeroed();
        args.ctor = Some(Self::init_once);
        let size = u32::try_from(core::mem::size_of::<CachedInode<T>>()).map_err(|_| EINVAL)?;
        // SAFETY: `name` is a static string; `args` is valid for the call.
        let cache = unsafe {
            bindings::__kmem_cache_create_args(
                name.as_char_ptr(),
                size,
                &mut args,
                bindings::RUST_SHMEM_SLAB_ACCOUNT,
            )
        };
        // INVARIANT: The cache was just created for `CachedInode<T>`.
        Ok(Self {
            cache: NonNull::new(cache).ok_or(ENOMEM)?,
            _t: PhantomData,
        })
    }

    /// Allocates an inode for `sb` (`alloc_inode_sb`), with default per-inode data.
    ///
    /// Returns null when out of memory, as `super_operations::alloc_inode` expects.
    ///
    /// # Safety
    ///
    /// `sb` must point to a live superblock of `T`.
    pub(crate) unsafe fn alloc(&self, sb: *mut bindings::super_block) -> *mut bindings::inode {
        let cache = self.cache.as_ptr();
        // SAFETY: `cache` is live (type invariant) and `sb` is live per the contract.
        let cached = unsafe {
            bindings::kmem_cache_alloc_lru_noprof(
                cache,
                &raw mut (*sb).s_inode_lru,
                bindings::GFP_KERNEL,
            )
        }
        .cast::<CachedInode<T>>();
        if cached.is_null() {
            return ptr::null_mut();
        }
        let init = T::new_inode_info();
        // SAFETY: `cached` is a fresh object of our type; `info` is uninitialised storage that
        // does not move until `free`.
        let init = unsafe { init.__init((*cached).info.get()) };
        if init.is_err() {
            // SAFETY: The object is ours and nothing in it was initialised.
            unsafe { bindings::kmem_cache_free(cache, cached.cast()) };
            return ptr::null_mut();
        }
        // SAFETY: `link` is uninitialised storage of the fresh object.
        unsafe { (*cached).link.get().write(None) };
        // The tmpfs shell before the inode starts as a new tmpfs inode's: no flags, nothing
        // swapped (the slab object may carry a previous inode's bytes; the inode itself is
        // initialised by `inode_init_once` and `inode_init_always`).
        // SAFETY: The shell's bytes before `vfs_inode` are ours; zero is a valid value for each
        // of its fields (integers, list heads and a lock nobody takes on our inodes).
        unsafe {
            ptr::write_bytes(
                (*cached).shmem.get().cast::<u8>(),
                0,
                core::mem::offset_of!(bindings::shmem_inode_info, vfs_inode),
            )
        };
        // SAFETY: As above.
        unsafe { inode_of(cached) }
    }

    /// Drops the per-inode data and frees the memory (`super_operations::free_inode`, called
    /// after an RCU grace period, so data that RCU path walks read, like a symlink target kept
    /// in the per-inode data, is freed only once no walker can see it). The superblock may be
    /// gone by then, so the object goes back through `kfree`, which finds its cache itself.
    ///
    /// # Safety
    ///
    /// `inode` must come from [`InodeCache::alloc`] of `T`, be unreachable, and not be freed
    /// yet.
    pub(crate) unsafe fn free(inode: *mut bindings::inode) {
        // SAFETY: Per the contract, `inode` is embedded in an object of a `T` cache whose
        // `info` is live and no longer used by anyone; `kfree` takes `kmem_cache_alloc`'s
        // objects.
        unsafe {
            let cached = cached_of::<T>(inode);
            ptr::drop_in_place((*cached).info.get());
            ptr::drop_in_place((*cached).link.get());
            bindings::kfree(cached.cast());
        }
    }
}

impl<T: FileSystem> Drop for InodeCache<T> {
    fn drop(&mut self) {
        // `free_inode` runs after a grace period: wait for the last ones before the cache goes.
        rcu::rcu_barrier();
        // SAFETY: The cache is live (type invariant) and holds no objects once every
        // superblock is gone (the slab allocator reports any leak).
        unsafe { bindings::kmem_cache_destroy(self.cache.as_ptr()) };
    }
}
