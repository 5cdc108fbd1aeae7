// SPDX-License-Identifier: GPL-2.0

//! Filesystem types: the [`FileSystem`] trait, its registration, and the `fs_context` and
//! `super_operations` vtables that call into it.

use crate::bindings;
use core::{marker::PhantomData, ptr};
use kernel::{
    error::{from_result, to_result},
    new_spinlock,
    prelude::*,
    seq_file::SeqFile,
    sync::SpinLock,
    types::Opaque,
    ThisModule,
};

use super::{
    export::ExportVtable,
    inode_cache::InodeCache,
    mount::{KernMount, PublishGuard, Published},
    params::{Param, ParamTable},
    xattr::XattrHandlers,
    FsContext, Inode, NewInode, SuperBlock,
};

/// Space and inode usage of a superblock, as `statfs` reports it.
#[derive(Default)]
pub(crate) struct Usage {
    /// Total and free blocks of `PAGE_SIZE`, when the filesystem has a block limit.
    pub(crate) blocks: Option<(u64, u64)>,
    /// Total and free inodes, when the filesystem has an inode limit.
    pub(crate) inodes: Option<(u64, u64)>,
}

/// A filesystem type implemented in Rust.
pub(crate) trait FileSystem: Sized + Send + Sync + 'static {
    /// The name, as in `mount -t NAME` and `/proc/filesystems`.
    const NAME: &'static CStr;
    /// The magic number `statfs` reports.
    const MAGIC: u32;
    /// `FS_*` flags of the type.
    const FS_FLAGS: u32;
    /// The mount parameters the filesystem accepts.
    const PARAMS: ParamTable;
    /// Whether inodes have POSIX ACLs (`SB_POSIXACL`): the filesystem then applies the umask
    /// itself, through [`NewInode::acl_create`].
    const POSIX_ACL: bool;
    /// The extended attribute handlers (`super_block::s_xattr`), built by the layer:
    /// [`XattrHandlers::of`].
    const XATTR_HANDLERS: XattrHandlers<Self>;
    /// Whether, in legacy `mount(2)` option strings, a comma followed by a digit continues the
    /// value before it instead of starting a new option (tmpfs's, for `mpol=` node lists).
    const COMMA_DIGIT_CONTINUES: bool = false;

    /// Mount options being collected for a mount or remount.
    type Options: Default + Send;
    /// Per-superblock data (`s_fs_info`).
    type SbInfo: Send + Sync;
    /// Per-inode data, stored next to each `struct inode`.
    type InodeInfo: Send + Sync;

    /// Initialises the per-inode data of a new inode, in place.
    fn new_inode_info() -> impl PinInit<Self::InodeInfo, Error>;

    /// The name of the slab cache of the filesystem's inodes, as `/proc/slabinfo` shows it.
    const INODE_CACHE_NAME: &'static CStr;
    /// Whether user mounts hand out file handles (`name_to_handle_at`, NFS export) as tmpfs's
    /// do (`super::export`); the internal mount never does, as `shm_mnt`.
    const EXPORTABLE: bool = false;

    /// Takes one parameter that matched [`FileSystem::PARAMS`] into `opts`.
    fn parse_param(fc: &FsContext, opts: &mut Self::Options, param: &Param<'_>) -> Result;

    /// Builds the per-superblock data of a new superblock from the options.
    fn new_sb_info(opts: &Self::Options, kernmount: bool) -> impl PinInit<Self::SbInfo, Error>;

    /// Creates the root directory of a new superblock.
    fn root_inode(sb: &SuperBlock<Self>) -> Result<NewInode<Self>>;

    /// Applies a remount's options to a live superblock.
    fn reconfigure(fc: &FsContext, sb: &SuperBlock<Self>, opts: &Self::Options) -> Result;

    /// Releases what the filesystem accounted for an inode that is being evicted.
    fn evict_inode(inode: &Inode<Self>);

    /// When `inode` was made, for `statx`'s `STATX_BTIME`: seconds and nanoseconds.
    fn birth_time(inode: &Inode<Self>) -> (i64, u32);

    /// The I/O size `stat` suggests for `inode`, if not the page size.
    fn io_block_size(inode: &Inode<Self>) -> Option<u32>;

    /// Reports usage against the superblock's limits.
    fn usage(sb: &SuperBlock<Self>) -> Usage;

    /// Writes the non-default options for `/proc/mounts`, each with a leading comma.
    fn show_options(sb: &SuperBlock<Self>, m: &SeqFile);
}

/// A filesystem of `T`, live: its inode cache, its registered type and its internal mount (the
/// `shm_mnt` of `mm/shmem.c`), published in a [`Published`] for the functions that have no
/// other way to reach them. Dropping it undoes all of it, in reverse.
///
/// # Invariants
///
/// `fs_type` is registered only inside an `FsRegistration<T>`: every superblock of its type
/// finds this object from its `s_type` ([`FsRegistration::from_type`]), which outlives them all
/// (a superblock pins the module; the internal mount is dropped before the type).
#[pin_data]
pub(crate) struct FsRegistration<T: FileSystem> {
    // Fields drop in declaration order: withdrawn, unmounted, unregistered, cache destroyed.
    _published: PublishGuard<T>,
    mount: KernMount,
    #[pin]
    fs_type: FsType<T>,
    cache: InodeCache<T>,
    /// Serialises the first hashing of an inode for file handles (`super::export`).
    #[pin]
    hash_lock: SpinLock<()>,
}

impl<T: FileSystem> FsRegistration<T> {
    /// Creates the inode cache, registers the type of `T` owned by `module`, mounts it
    /// internally and publishes both in `published`. Errors: those of the slab allocator,
    /// `register_filesystem` and `kern_mount`; `EBUSY` if `published` already holds a type.
    pub(crate) fn register(
        module: &'static ThisModule,
        published: &'static Published<T>,
    ) -> impl PinInit<Self, Error> {
        try_pin_init!(&this in Self {
            hash_lock <- new_spinlock!((), "rust_shmem_export_hash"),
            cache: InodeCache::create(T::INODE_CACHE_NAME)?,
            fs_type <- FsType::register(module),
            // SAFETY: `fs_type` is registered above and pinned in `this`; it is dropped (and
            // unregistered) only after `mount`.
            mount: unsafe { KernMount::new((*this.as_ptr()).fs_type.as_raw()) }?,
            // SAFETY: Both are initialised above, pinned in `this` and dropped after
            // `_published`.
            _published: unsafe {
                published.publish((*this.as_ptr()).fs_type.as_raw(), &(*this.as_ptr()).mount)
            }?,
        })
    }

    /// The registration whose type is `fs_type`.
    ///
    /// # Safety
    ///
    /// `fs_type` must be the `s_type` of a live superblock of `T`'s type, and the reference
    /// must not outlive that superblock.
    pub(super) unsafe fn from_type<'a>(fs_type: *mut bindings::file_system_type) -> &'a Self {
        let offset = core::mem::offset_of!(Self, fs_type) + core::mem::offset_of!(FsType<T>, inner);
        // SAFETY: By the type invariant the type lies in an `FsRegistration<T>` that outlives
        // the superblock; `Opaque` is `repr(transparent)`.
        unsafe { &*fs_type.byte_sub(offset).cast::<Self>() }
    }

    /// The lock that serialises the first hashing of an inode (`super::export`).
    pub(super) fn hash_lock(&self) -> &SpinLock<()> {
        &self.hash_lock
    }
}

/// A registered filesystem type, inside an [`FsRegistration`].
///
/// # Invariants
///
/// `inner` holds a `file_system_type` for `T` that is registered with `register_filesystem`
/// for the whole life of this object, and unregistered exactly once, in `drop`.
#[pin_data(PinnedDrop)]
struct FsType<T: FileSystem> {
    #[pin]
    inner: Opaque<bindings::file_system_type>,
    _t: PhantomData<T>,
}

// SAFETY: Registration and unregistration may happen on any thread.
unsafe impl<T: FileSystem> Send for FsType<T> {}
// SAFETY: `&self` only exposes the raw pointer, which the VFS synchronises itself.
unsafe impl<T: FileSystem> Sync for FsType<T> {}

impl<T: FileSystem> FsType<T> {
    /// Registers the filesystem type of `T`, owned by `module`.
    fn register(module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            inner <- Opaque::try_ffi_init(move |slot: *mut bindings::file_system_type| {
                let mut fs_type: bindings::file_system_type = pin_init::zeroed();
                fs_type.name = T::NAME.as_char_ptr();
                fs_type.owner = module.as_ptr();
                fs_type.fs_flags = T::FS_FLAGS as c_int;
                fs_type.init_fs_context = Some(Self::init_fs_context);
                fs_type.parameters = T::PARAMS.as_raw().cast();
                fs_type.kill_sb = Some(bindings::kill_anon_super);
                // SAFETY: The initializer may write the slot.
                unsafe { slot.write(fs_type) };
                // SAFETY: The slot holds a complete `file_system_type` in pinned memory that is
                // unregistered in `drop` before it goes away.
                // INVARIANT: On success the type is registered.
                to_result(unsafe { bindings::register_filesystem(slot) })
            }),
            _t: PhantomData,
        })
    }

    /// Returns the raw `file_system_type`.
    fn as_raw(&self) -> *mut bindings::file_system_type {
        self.inner.get()
    }

    const CONTEXT_OPS: bindings::fs_context_operations = bindings::fs_context_operations {
        free: Some(Self::free_fc),
        dup: None,
        parse_param: Some(Self::parse_param),
        parse_monolithic: if T::COMMA_DIGIT_CONTINUES {
            Some(Self::parse_monolithic)
        } else {
            None
        },
        get_tree: Some(Self::get_tree),
        reconfigure: Some(Self::reconfigure),
    };

    const SUPER_OPS: bindings::super_operations = bindings::super_operations {
        alloc_inode: Some(Self::alloc_inode),
        free_inode: Some(Self::free_inode),
        evict_inode: Some(Self::evict_inode),
        drop_inode: Some(bindings::inode_just_drop),
        put_super: Some(Self::put_super),
        statfs: Some(Self::statfs),
        show_options: Some(Self::show_options),
        ..pin_init::zeroed()
    };

    /// # Safety
    ///
    /// `fc` must be a valid context being set up for this filesystem type.
    unsafe extern "C" fn init_fs_context(fc: *mut bindings::fs_context) -> c_int {
        // The type's hook spells the context with the opaque declaration; it is the same object.
        from_result(|| {
            let opts = KBox::new(T::Options::default(), GFP_KERNEL)?;
            let fc = full(fc);
            // SAFETY: `fc` is valid and ours to set up; `free_fc` releases `fs_private`.
            unsafe {
                (*fc).fs_private = KBox::into_raw(opts).cast();
                (*fc).ops = &Self::CONTEXT_OPS;
            }
            Ok(0)
        })
    }

    /// Returns the options stored in `fc` by `init_fs_context`.
    ///
    /// # Safety
    ///
    /// `fc` must be a valid context set up by `init_fs_context`, not yet freed, and the caller
    /// must hold the context's lock (the VFS serialises calls on one context).
    unsafe fn options<'a>(fc: *mut bindings::full::fs_context) -> &'a mut T::Options {
        // SAFETY: Per the contract `fs_private` is the `KBox<T::Options>` we stored.
        unsafe { &mut *(*fc).fs_private.cast::<T::Options>() }
    }

    /// # Safety
    ///
    /// `fs_context_operations::free`: `fc` is a context of this type being freed.
    unsafe extern "C" fn free_fc(fc: *mut bindings::full::fs_context) {
        // SAFETY: `fc` is valid; `fs_private` is null or the box from `init_fs_context`.
        let opts = unsafe { (*fc).fs_private.cast::<T::Options>() };
        if !opts.is_null() {
            // SAFETY: The box was leaked in `init_fs_context` and is freed only here.
            drop(unsafe { KBox::from_raw(opts) });
        }
    }

    /// # Safety
    ///
    /// `fs_context_operations::parse_param`: `fc` is a live context of this type and `param`
    /// a valid parameter, both for the duration of the call.
    unsafe extern "C" fn parse_param(
        fc: *mut bindings::full::fs_context,
        param: *mut bindings::full::fs_parameter,
    ) -> c_int {
        // SAFETY: The VFS passes a valid context of ours.
        let ctx = unsafe { FsContext::from_raw(fc) };
        from_result(|| {
            // SAFETY: `param` is valid for the duration of this call.
            let param = unsafe { Param::parse(ctx, &T::PARAMS, param) }?;
            // SAFETY: The context was set up by `init_fs_context`; the VFS serialises parsing.
            T::parse_param(ctx, unsafe { Self::options(fc) }, &param)?;
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `fs_context_operations::parse_monolithic`: `fc` is a live context of this type and
    /// `data` null or the writable, NUL-terminated copy of `mount(2)`'s option string.
    unsafe extern "C" fn parse_monolithic(
        fc: *mut bindings::full::fs_context,
        data: *mut c_void,
    ) -> c_int {
        // SAFETY: Per the contract; the separator keeps to the string it is given.
        unsafe { bindings::vfs_parse_monolithic_sep(fc, data, Some(next_option_digit_lists)) }
    }

    /// # Safety
    ///
    /// `fs_context_operations::get_tree`: `fc` is a live context of this type.
    unsafe extern "C" fn get_tree(fc: *mut bindings::full::fs_context) -> c_int {
        // SAFETY: The VFS passes a valid context of ours; `fill_super` matches the signature.
        unsafe { bindings::get_tree_nodev(fc, Some(Self::fill_super)) }
    }

    /// # Safety
    ///
    /// Called by `get_tree_nodev` with a new superblock, exclusively ours until we return, and
    /// the live context of this type it is made for.
    unsafe extern "C" fn fill_super(
        sb: *mut bindings::super_block,
        fc: *mut bindings::full::fs_context,
    ) -> c_int {
        // SAFETY: `fc` is the valid context of this mount, set up by `init_fs_context`.
        let opts = unsafe { Self::options(fc) };
        // SAFETY: `sb` is a new superblock, exclusively ours until `fill_super` returns.
        let kernmount =
            unsafe { (*sb).s_flags } & bindings::RUST_SHMEM_SB_KERNMOUNT as c_ulong != 0;
        from_result(|| {
            let info = KBox::pin_init(T::new_sb_info(opts, kernmount), GFP_KERNEL)?;
            // SAFETY: The info stays at this address until `put_super` (or the error path
            // below) rebuilds the box and drops it in place; it is never moved.
            let info = unsafe { Pin::into_inner_unchecked(info) };
            // SAFETY: As above; `put_super` frees `s_fs_info` once `s_root` is set, and the
            // error path below frees it otherwise.
            unsafe {
                (*sb).s_fs_info = KBox::into_raw(info).cast();
                (*sb).s_maxbytes = bindings::RUST_SHMEM_MAX_LFS_FILESIZE;
                (*sb).s_blocksize = bindings::PAGE_SIZE as c_ulong;
                (*sb).s_blocksize_bits = bindings::PAGE_SHIFT as u8;
                (*sb).s_magic = T::MAGIC as c_ulong;
                // A random identity per superblock, for `FS_IOC_GETFSUUID` and `f_fsid`.
                bindings::uuid_gen(&raw mut (*sb).s_uuid);
                (*sb).s_uuid_len = core::mem::size_of::<bindings::uuid_t>() as u8;
                (*sb).s_op = &Self::SUPER_OPS;
                (*sb).s_time_gran = 1;
                (*sb).s_xattr = T::XATTR_HANDLERS.as_raw();
                if T::POSIX_ACL {
                    (*sb).s_flags |= bindings::RUST_SHMEM_SB_POSIXACL as c_ulong;
                }
                (*sb).s_d_flags |= bindings::RUST_SHMEM_DCACHE_DONTCACHE;
                if kernmount {
                    (*sb).s_flags |= bindings::RUST_SHMEM_SB_NOUSER as c_ulong;
                } else if T::EXPORTABLE {
                    (*sb).s_export_op = ptr::from_ref(&ExportVtable::<T>::OPS)
                        .cast::<bindings::export_operations>();
                }
            }
            // SAFETY: `s_fs_info` now holds our `SbInfo`, which lives until `put_super`.
            let sbref = unsafe { SuperBlock::<T>::from_raw(sb) };
            let root = T::root_inode(sbref).and_then(NewInode::into_root);
            match root {
                Ok(root) => {
                    // SAFETY: `sb` is ours until we return.
                    unsafe { (*sb).s_root = root.as_ptr() };
                    Ok(0)
                }
                Err(e) => {
                    // SAFETY: No root means the VFS will not call `put_super`; the root inode
                    // is already evicted, so nothing uses the info any more.
                    unsafe {
                        drop(KBox::from_raw((*sb).s_fs_info.cast::<T::SbInfo>()));
                        (*sb).s_fs_info = ptr::null_mut();
                    }
                    Err(e)
                }
            }
        })
    }

    /// # Safety
    ///
    /// `fs_context_operations::reconfigure`: `fc` is a live reconfiguration context of this
    /// type whose `root` is a mounted tree of one of our superblocks.
    unsafe extern "C" fn reconfigure(fc: *mut bindings::full::fs_context) -> c_int {
        // SAFETY: The VFS passes a valid reconfiguration context whose `root` is the mounted
        // tree of one of our superblocks.
        let (ctx, sb) = unsafe {
            (
                FsContext::from_raw(fc),
                SuperBlock::<T>::from_raw((*(*fc).root).d_sb),
            )
        };
        // SAFETY: The context was set up by `init_fs_context`.
        let opts = unsafe { Self::options(fc) };
        from_result(|| T::reconfigure(ctx, sb, opts).map(|()| 0))
    }

    /// # Safety
    ///
    /// `super_operations::put_super`: `sb` is a superblock of ours with a root, after every
    /// inode was evicted.
    unsafe extern "C" fn put_super(sb: *mut bindings::super_block) {
        // SAFETY: Called once, after every inode is evicted; `s_fs_info` is our box.
        unsafe {
            drop(KBox::from_raw((*sb).s_fs_info.cast::<T::SbInfo>()));
            (*sb).s_fs_info = ptr::null_mut();
        }
    }

    /// # Safety
    ///
    /// `super_operations::alloc_inode`: `sb` is a live superblock of ours.
    unsafe extern "C" fn alloc_inode(sb: *mut bindings::super_block) -> *mut bindings::inode {
        // SAFETY: The VFS asks on behalf of a live superblock of ours, whose type is in the
        // registration that owns the cache.
        unsafe { FsRegistration::<T>::from_type((*sb).s_type).cache.alloc(sb) }
    }

    /// # Safety
    ///
    /// `super_operations::free_inode`: `inode` was evicted and is freed once.
    unsafe extern "C" fn free_inode(inode: *mut bindings::inode) {
        // SAFETY: The VFS frees each evicted inode of ours exactly once.
        unsafe { InodeCache::<T>::free(inode) };
    }

    /// # Safety
    ///
    /// `super_operations::evict_inode`: `inode` is an inode of ours being evicted, its
    /// superblock alive.
    unsafe extern "C" fn evict_inode(inode: *mut bindings::inode) {
        // SAFETY: The VFS evicts a valid inode of ours whose superblock is still alive.
        let iref = unsafe { Inode::<T>::from_raw(inode) };
        // SAFETY: `i_data` is the inode's own mapping; eviction owns the inode.
        unsafe {
            bindings::truncate_inode_pages_final(&raw mut (*inode).i_data);
            bindings::clear_inode(inode);
        }
        T::evict_inode(iref);
    }

    /// # Safety
    ///
    /// `super_operations::statfs`: `dentry` is on a live superblock of ours and `buf` is a
    /// valid buffer.
    unsafe extern "C" fn statfs(
        dentry: *mut bindings::dentry,
        buf: *mut bindings::kstatfs,
    ) -> c_int {
        from_result(|| {
            // SAFETY: `dentry` and `buf` are valid per the VFS contract.
            to_result(unsafe { bindings::simple_statfs(dentry, buf) })?;
            // SAFETY: `dentry` is on a live superblock of ours.
            let usage = T::usage(unsafe { SuperBlock::from_raw((*dentry).d_sb) });
            // SAFETY: `buf` is a valid `kstatfs`, filled in by `simple_statfs` above.
            let buf = unsafe { &mut *buf.cast::<bindings::full::kstatfs>() };
            if let Some((total, free)) = usage.blocks {
                buf.f_blocks = total;
                buf.f_bfree = free;
                buf.f_bavail = free;
            }
            if let Some((total, free)) = usage.inodes {
                buf.f_files = total;
                buf.f_ffree = free;
            }
            // SAFETY: `dentry` is on a live superblock, whose uuid is set by `fill_super`.
            let uuid = unsafe { (*(*dentry).d_sb).s_uuid.b };
            // `uuid_to_fsid`: the two little-endian halves xor-ed, low word first.
            let (lo, hi) = uuid.split_at(8);
            let fsid = u64::from_le_bytes(lo.try_into().unwrap_or_default())
                ^ u64::from_le_bytes(hi.try_into().unwrap_or_default());
            buf.f_fsid.val = [fsid as i32, (fsid >> 32) as i32];
            Ok(0)
        })
    }

    /// # Safety
    ///
    /// `super_operations::show_options`: `m` is a valid seq_file and `root` the root of a live
    /// superblock of ours.
    unsafe extern "C" fn show_options(
        m: *mut bindings::seq_file,
        root: *mut bindings::dentry,
    ) -> c_int {
        // SAFETY: The VFS passes a valid seq_file and the root of a live superblock of ours.
        unsafe { T::show_options(SuperBlock::from_raw((*root).d_sb), SeqFile::from_raw(m)) };
        0
    }
}

/// `inode_operations::getattr` of every inode of `T`: the generic attributes plus the birth
/// time and the filesystem's I/O size (`shmem_getattr`).
///
/// # Safety
///
/// A `getattr` on one of `T`'s inodes: valid `path` and `stat`.
pub(crate) unsafe extern "C" fn getattr<T: FileSystem>(
    idmap: *mut bindings::mnt_idmap,
    path: *const bindings::path,
    stat: *mut bindings::kstat,
    request_mask: u32,
    _query_flags: c_uint,
) -> c_int {
    // SAFETY: The path's dentry is positive and one of ours; `stat` is ours to fill.
    unsafe {
        let inode = Inode::<T>::from_raw((*(*path).dentry).d_inode);
        bindings::generic_fillattr(idmap, request_mask, inode.as_raw(), stat);
        if let Some(size) = T::io_block_size(inode) {
            (*stat).blksize = size;
        }
        if request_mask & bindings::STATX_BTIME != 0 {
            let (sec, nsec) = T::birth_time(inode);
            (*stat).result_mask |= bindings::STATX_BTIME;
            (*stat).btime.tv_sec = sec;
            (*stat).btime.tv_nsec = nsec as c_long;
        }
    }
    0
}

/// The complete layout of a context the type's hook hands us as an opaque pointer.
fn full(fc: *mut bindings::fs_context) -> *mut bindings::full::fs_context {
    fc.cast()
}

#[pinned_drop]
impl<T: FileSystem> PinnedDrop for FsType<T> {
    fn drop(self: Pin<&mut Self>) {
        // SAFETY: The type is registered by the type invariant; unregistering fails only for a
        // type that is not registered, which cannot happen here.
        unsafe { bindings::unregister_filesystem(self.inner.get()) };
    }
}

/// `strsep(s, ",")` for [`FileSystem::COMMA_DIGIT_CONTINUES`] (`shmem_parse_monolithic`): returns
/// the option at `*s`, terminated at the first comma that a digit does not follow, and moves
/// `*s` past it (to null after the last option).
///
/// # Safety
///
/// `s` must point to null or to a writable NUL-terminated string.
unsafe extern "C" fn next_option_digit_lists(s: *mut *mut c_char) -> *mut c_char {
    // SAFETY: `s` is valid per the contract.
    let start = unsafe { *s };
    if start.is_null() {
        return start;
    }
    let mut p = start.cast::<u8>();
    // SAFETY: Every read is at or before the string's NUL, which ends the loop; the only write
    // replaces a comma inside the string.
    unsafe {
        loop {
            match *p {
                0 => {
                    *s = core::ptr::null_mut();
                    return start;
                }
                b',' if !(*p.add(1)).is_ascii_digit() => {
                    *p = 0;
                    *s = p.add(1).cast();
                    return start;
                }
                _ => p = p.add(1),
            }
        }
    }
}
