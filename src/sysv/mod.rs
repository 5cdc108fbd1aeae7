// SPDX-License-Identifier: GPL-2.0

//! System V shared memory (`ipc/shm.c`) on rust_shmem.
//!
//! Segments are unlinked rust_shmem files made by the module's own `kernel_file_setup`, named
//! `SYSV<key>` like the kernel's. Each IPC namespace has its own table of segments ([`Namespace`]),
//! with ids, keys, permissions, limits and attach counting as in `ipc/shm.c`. Attaching maps a
//! per-attach file ([`attach`]) whose VMA operations count attachments through `fork`, `exit`,
//! `munmap` and VMA splits exactly as `shm_open`/`shm_close` do. [`device`] is the user
//! interface, `/dev/rust_shmem_sysv`.
//!
//! The kernel frees a namespace's segments when the namespace dies (`shm_exit_ns`). A module is
//! not told about that, so each table holds a reference on its namespace, and a namespace in
//! which nothing but that reference is left is reaped: its segments (none can be attached: every
//! attachment holds a namespace reference too) are destroyed and the reference dropped. Reaping
//! runs at every operation on the device and, while namespaces other than the initial one are
//! known, every half second from a periodic work ([`PeriodicWork`]), so a dead namespace's
//! segments go within about a second; until then they, and the namespace, stay allocated.
//!
//! Lock order: `mmap_lock` (VMA `open`/`close`) → a namespace's `table` mutex; `REGISTRY` is
//! never held with a `table` (namespaces are taken out of it, then their tables locked). No file
//! is released under either: segments leave the table first (`drain`) and are dropped after.

pub(crate) mod attach;
pub(crate) mod device;
pub(crate) mod ids;

use crate::fs::RustShmem;
use crate::kabi::{
    ipc::{cred, IpcNs, ModuleRef, PidRef},
    uapi::{SysvDs, SysvInfo},
    vma::VmaFlags,
    workqueue::PeriodicWork,
};
use crate::vfs::file::FileOf;
use ids::{IdTable, Slot};
use kernel::page::{PAGE_SHIFT, PAGE_SIZE};
use kernel::sync::atomic::{Acquire, Atomic, Full, Release};
use kernel::{
    module::this_module,
    new_mutex,
    prelude::*,
    sync::{Arc, Mutex},
};

/// `IPC_PRIVATE`.
pub(crate) const IPC_PRIVATE: i32 = 0;
/// `IPC_CREAT`, `IPC_EXCL`.
const IPC_CREAT: i32 = 0o1000;
const IPC_EXCL: i32 = 0o2000;
/// `shmctl` commands.
pub(crate) const IPC_RMID: i32 = 0;
pub(crate) const IPC_SET: i32 = 1;
pub(crate) const IPC_STAT: i32 = 2;
pub(crate) const IPC_INFO: i32 = 3;
pub(crate) const SHM_LOCK: i32 = 11;
pub(crate) const SHM_UNLOCK: i32 = 12;
pub(crate) const SHM_STAT: i32 = 13;
pub(crate) const SHM_INFO: i32 = 14;
pub(crate) const SHM_STAT_ANY: i32 = 15;
/// Mode bits: marked for destruction, locked.
const SHM_DEST: u32 = 0o1000;
const SHM_LOCKED: u32 = 0o2000;
/// `shmget` flags.
const SHM_HUGETLB: i32 = 0o4000;
const SHM_NORESERVE: i32 = 0o10000;
/// `shmat` flags.
pub(crate) const SHM_RDONLY: i32 = 0o10000;
pub(crate) const SHM_RND: i32 = 0o20000;
pub(crate) const SHM_REMAP: i32 = 0o40000;
pub(crate) const SHM_EXEC: i32 = 0o100000;
/// `SHMMIN`.
const SHMMIN: u64 = 1;
/// `S_IRWXUGO`, `S_IRUGO`, `S_IWUGO`, `S_IXUGO`.
const S_IRWXUGO: u32 = 0o777;
pub(crate) const S_IRUGO: i32 = 0o444;
pub(crate) const S_IWUGO: i32 = 0o222;
pub(crate) const S_IXUGO: i32 = 0o111;
/// Capabilities.
const CAP_IPC_LOCK: u32 = 14;
const CAP_IPC_OWNER: u32 = 15;
const CAP_SYS_ADMIN: u32 = 21;

/// The limits (`kernel.shmmax` & co.), module parameters kept by `src/sysv/params.c`.
pub(crate) use crate::kabi::sysv_params as limits;

/// Seconds since the epoch (`ktime_get_real_seconds`).
fn now() -> i64 {
    crate::kabi::ipc::real_seconds()
}

/// What does not change in a segment's life: shared by its table entry and its attachments.
pub(crate) struct Segment {
    /// The rust_shmem file holding the memory.
    file: FileOf<RustShmem>,
    /// The namespace whose table holds the segment.
    ns: Arc<Namespace>,
    /// The segment's id.
    id: i32,
    /// The key it was created with (for the name of attach files).
    key: i32,
    /// Segments keep the module loaded.
    _module: ModuleRef,
}

impl Segment {
    /// The file holding the memory.
    pub(crate) fn file(&self) -> &FileOf<RustShmem> {
        &self.file
    }

    /// The segment's namespace.
    pub(crate) fn ns(&self) -> &Arc<Namespace> {
        &self.ns
    }

    /// The key the segment was created with.
    pub(crate) fn key(&self) -> i32 {
        self.key
    }
}

/// A segment's entry in its namespace's table (`struct shmid_kernel`), under the table's lock.
struct Shm {
    seg: Arc<Segment>,
    key: i32,
    uid: u32,
    gid: u32,
    cuid: u32,
    cgid: u32,
    mode: u32,
    segsz: u64,
    atime: i64,
    dtime: i64,
    ctime: i64,
    cpid: Option<PidRef>,
    lpid: Option<PidRef>,
    nattch: u64,
}

impl Shm {
    /// Pages charged to the namespace's `shm_tot`.
    fn pages(&self) -> u64 {
        self.segsz.div_ceil(PAGE_SIZE as u64)
    }

    /// Pages in the page cache (`inode->i_mapping->nrpages`).
    fn rss_pages(&self) -> u64 {
        // A racy read, as `shm_add_rss_swap`'s `READ_ONCE`.
        self.seg.file.inode().nr_pages()
    }

    /// `shm_may_destroy`.
    fn may_destroy(&self) -> bool {
        self.nattch == 0 && (limits::rmid_forced() || self.mode & SHM_DEST != 0)
    }

    /// `ipcperms`: whether the caller has the access `flag` asks for (its low nine bits, folded).
    fn permits(&self, ns: &IpcNs, flag: i32) -> bool {
        // The kernel takes the flag as a `short`.
        let flag = i32::from(flag as i16);
        let requested = (flag >> 6) | (flag >> 3) | flag;
        let euid = cred::euid();
        let mut granted = self.mode as i32;
        if euid == self.cuid || euid == self.uid {
            granted >>= 6;
        } else if cred::in_group(self.cgid) || cred::in_group(self.gid) {
            granted >>= 3;
        }
        requested & !granted & 0o7 == 0 || ns.capable(CAP_IPC_OWNER)
    }

    /// The caller created or owns the segment.
    fn owned_by_caller(&self) -> bool {
        let euid = cred::euid();
        euid == self.cuid || euid == self.uid
    }

    /// `IPC_STAT`'s view, in the caller's namespaces.
    fn stat(&self, seq: u32) -> SysvDs {
        SysvDs {
            key: self.key,
            uid: cred::uid_to_user(self.uid),
            gid: cred::gid_to_user(self.gid),
            cuid: cred::uid_to_user(self.cuid),
            cgid: cred::gid_to_user(self.cgid),
            mode: self.mode,
            seq,
            pad: 0,
            segsz: self.segsz,
            atime: self.atime,
            dtime: self.dtime,
            ctime: self.ctime,
            cpid: self.cpid.as_ref().map_or(0, PidRef::vnr),
            lpid: self.lpid.as_ref().map_or(0, PidRef::vnr),
            nattch: self.nattch,
        }
    }

    /// The caller attaches (`__shm_open`).
    fn opened(&mut self) {
        self.atime = now();
        self.lpid = PidRef::current_tgid();
        self.nattch = self.nattch.saturating_add(1);
    }

    /// The caller detaches (`__shm_close`).
    fn closed(&mut self) {
        self.lpid = PidRef::current_tgid();
        self.dtime = now();
        self.nattch = self.nattch.saturating_sub(1);
    }
}

/// A namespace's segments (`shm_ids(ns)` and `ns->shm_tot`).
struct Table {
    ids: IdTable<Shm>,
    /// Pages of all segments (`shm_tot`).
    tot: u64,
}

impl Table {
    /// `ipc_findkey`: the segment with key `key` (never `IPC_PRIVATE`).
    fn find_key(&mut self, key: i32) -> Option<(i32, &mut Shm)> {
        let id = self.ids.iter().find(|(_, shm)| shm.key == key)?.0;
        self.ids.get_mut(id).ok().map(|slot| (id, &mut slot.value))
    }

    /// `shm_destroy`: takes the segment out of the table. The caller drops it after unlocking.
    fn destroy(&mut self, id: i32) -> Option<Shm> {
        let shm = self.ids.remove(ids::id_to_idx(id))?;
        self.tot = self.tot.saturating_sub(shm.pages());
        Some(shm)
    }

    /// Takes the segment out if it may go (`shm_may_destroy`).
    fn destroy_if_done(&mut self, id: i32) -> Option<Shm> {
        match self.ids.get_mut(id) {
            Ok(slot) if slot.value.may_destroy() => self.destroy(id),
            _ => None,
        }
    }

    /// The entry of `seg`, if it is still in the table (the kernel's "ID was reused" check).
    fn entry_of(&mut self, seg: &Segment) -> Option<&mut Shm> {
        let slot = self.ids.get_mut(seg.id).ok()?;
        core::ptr::eq(&*slot.value.seg, seg).then_some(&mut slot.value)
    }
}

/// The System V shared memory of one IPC namespace.
#[pin_data]
pub(crate) struct Namespace {
    /// The namespace, kept alive by this reference.
    ipc_ns: IpcNs,
    #[pin]
    table: Mutex<Table>,
}

/// The namespaces whose segments we know, and what reaps the dead ones.
struct Registry {
    namespaces: KVec<Arc<Namespace>>,
    /// Runs [`reap`] every half second while namespaces other than the initial one are known;
    /// made for the first of them, taken out and cancelled by [`Sysv`]'s drop.
    reaper: Option<PeriodicWork>,
    /// Set by [`Sysv`]'s drop: no namespace may register (and start the reaper) any more.
    closed: bool,
}

/// How often dead namespaces are looked for, in milliseconds.
const REAP_PERIOD_MS: u32 = 500;

kernel::sync::global_lock! {
    // SAFETY: Initialised once by `Sysv::new`; nothing locks it before `READY` says so
    // ([`registry`]), and `Sysv::drop` only runs after `Sysv::new`.
    unsafe(uninit) static REGISTRY: Mutex<Registry> = Registry {
        namespaces: KVec::new(),
        reaper: None,
        closed: false,
    };
}

/// Whether `REGISTRY` was claimed for initialisation, and whether it is initialised.
static CLAIMED: Atomic<bool> = Atomic::new(false);
static READY: Atomic<bool> = Atomic::new(false);

/// The registry, locked; `ENODEV` before [`Sysv::new`] initialised it.
fn registry() -> Result<kernel::sync::GlobalGuard<REGISTRY>> {
    if !READY.load(Acquire) {
        return Err(ENODEV);
    }
    Ok(REGISTRY.lock())
}

/// Module-lifetime state: the registry of namespaces is emptied when this is dropped.
pub(crate) struct Sysv(());

impl Sysv {
    /// Initialises the registry. Errors: `EBUSY` if it was initialised before (once per load).
    pub(crate) fn new() -> Result<Self> {
        if CLAIMED.cmpxchg(false, true, Full).is_err() {
            return Err(EBUSY);
        }
        // SAFETY: Only the one caller that claimed it gets here, and nothing locks the registry
        // before `READY` is set below.
        unsafe { REGISTRY.init() };
        READY.store(true, Release);
        Ok(Self(()))
    }
}

impl Drop for Sysv {
    fn drop(&mut self) {
        // Nothing can schedule the reaping work once it is out of the closed registry.
        // Cancelling it waits for a run, which takes the registry lock: not under that lock.
        let reaper = {
            let mut registry = REGISTRY.lock();
            registry.closed = true;
            registry.reaper.take()
        };
        drop(reaper);
        let namespaces = core::mem::take(&mut REGISTRY.lock().namespaces);
        for ns in namespaces.iter() {
            // Breaks the segment → namespace cycles. No segment is left when the module goes
            // (each holds a module reference), except in namespaces not yet reaped.
            drop(ns.table.lock().ids.drain());
        }
    }
}

/// Takes the namespaces nothing uses any more out of `registry`, into `dead`.
fn take_dead(registry: &mut KVec<Arc<Namespace>>, dead: &mut KVec<Arc<Namespace>>) {
    let mut i = 0;
    while i < registry.len() {
        if registry[i].ipc_ns.unused() {
            if let Ok(ns) = registry.remove(i) {
                // On allocation failure the namespace is dropped here, under the registry
                // lock, which is fine: its segments are freed by `free_dead` or its drop.
                let _ = dead.push(ns, GFP_KERNEL);
            }
        } else {
            i += 1;
        }
    }
}

/// Destroys the segments of dead namespaces (`shm_exit_ns`) and lets the namespaces go.
fn free_dead(dead: KVec<Arc<Namespace>>) {
    for ns in dead.iter() {
        let segments = ns.table.lock().ids.drain();
        drop(segments);
    }
}

/// Reaps dead namespaces; the reaping work's function (it exists only once [`Sysv::new`] has
/// initialised the registry). Returns whether namespaces other than the initial one remain (the
/// work then runs again).
fn reap() -> bool {
    let mut dead = KVec::new();
    let more = {
        let Ok(mut registry) = registry() else {
            return false;
        };
        take_dead(&mut registry.namespaces, &mut dead);
        registry.namespaces.iter().any(|ns| !ns.ipc_ns.is_initial())
    };
    free_dead(dead);
    more
}

impl Namespace {
    /// The caller's namespace's segments; reaps the namespaces nothing uses any more.
    pub(crate) fn current() -> Result<Arc<Self>> {
        let ipc_ns = IpcNs::current()?;
        let mut dead = KVec::new();
        let found = {
            let mut registry = registry()?;
            if registry.closed {
                return Err(ENODEV);
            }
            take_dead(&mut registry.namespaces, &mut dead);
            match registry.namespaces.iter().find(|ns| ns.ipc_ns.is(&ipc_ns)) {
                Some(ns) => ns.clone(),
                None => {
                    let initial = ipc_ns.is_initial();
                    let ns = Arc::pin_init(
                        pin_init!(Self {
                            ipc_ns,
                            table <- new_mutex!(Table { ids: IdTable::new(), tot: 0 }),
                        }),
                        GFP_KERNEL,
                    )?;
                    if !initial && registry.reaper.is_none() {
                        registry.reaper = Some(PeriodicWork::new(reap, REAP_PERIOD_MS)?);
                    }
                    registry.namespaces.push(ns.clone(), GFP_KERNEL)?;
                    if let Some(reaper) = registry.reaper.as_ref().filter(|_| !initial) {
                        reaper.schedule();
                    }
                    ns
                }
            }
        };
        free_dead(dead);
        if limits::rmid_forced() {
            found.destroy_orphans();
        }
        Ok(found)
    }

    /// With `shm_rmid_forced`, destroys the segments nobody has attached whose creator is gone
    /// (`exit_shm` at the creator's exit, and `shm_destroy_orphaned` when the limit is set).
    /// A module is not told of exits: this runs at each operation instead, so the segment goes
    /// at the next operation on the device rather than at the exit. The creator is the thread
    /// group here, the creating thread in the kernel.
    fn destroy_orphans(&self) {
        let mut gone = KVec::new();
        {
            let mut table = self.table.lock();
            let orphans = table
                .ids
                .iter()
                .filter(|(_, shm)| shm.nattch == 0 && !shm.cpid.as_ref().is_some_and(PidRef::alive))
                .map(|(id, _)| id);
            let mut ids = KVec::new();
            for id in orphans {
                // Without memory, the rest wait for the next operation.
                if ids.push(id, GFP_KERNEL).is_err() {
                    break;
                }
            }
            for &id in ids.iter() {
                if let Some(shm) = table.destroy(id) {
                    // Without memory the segment is dropped under the lock; harmless.
                    let _ = gone.push(shm, GFP_KERNEL);
                }
            }
        }
        drop(gone);
    }

    /// `shmget`.
    pub(crate) fn get(self: &Arc<Self>, key: i32, size: u64, shmflg: i32) -> Result<i32> {
        let mut table = self.table.lock();
        if key != IPC_PRIVATE {
            // `ipcget_public`.
            if let Some((id, shm)) = table.find_key(key) {
                if shmflg & IPC_CREAT != 0 && shmflg & IPC_EXCL != 0 {
                    return Err(EEXIST);
                }
                // `shm_more_checks`.
                if shm.segsz < size {
                    return Err(EINVAL);
                }
                if !shm.permits(&self.ipc_ns, shmflg) {
                    return Err(EACCES);
                }
                return Ok(id);
            }
            if shmflg & IPC_CREAT == 0 {
                return Err(ENOENT);
            }
        }
        self.newseg(&mut table, key, size, shmflg)
    }

    /// `newseg`.
    fn newseg(self: &Arc<Self>, table: &mut Table, key: i32, size: u64, flg: i32) -> Result<i32> {
        if size < SHMMIN || size > limits::shmmax() {
            return Err(EINVAL);
        }
        // As the kernel computes it, in `size_t`, wrapping included.
        let page = PAGE_SIZE as u64;
        let numpages = size.wrapping_add(page - 1) >> PAGE_SHIFT;
        if numpages << PAGE_SHIFT < size {
            return Err(ENOSPC);
        }
        match table.tot.checked_add(numpages) {
            Some(tot) if tot <= limits::shmall() => {}
            _ => return Err(ENOSPC),
        }
        if flg & SHM_HUGETLB != 0 {
            // No hugetlbfs behind rust_shmem (nor in the test kernel, where the kernel fails
            // the same way).
            return Err(EINVAL);
        }
        let mut name = [0u8; 16];
        let name = format_name(&mut name, key)?;
        let flags = VmaFlags::noreserve_if(flg & SHM_NORESERVE != 0);
        let module = ModuleRef::get(this_module::<crate::LocalModule>())?;
        // The id is taken first, to number the inode with it ("shmid gets reported as inode# in
        // /proc/pid/maps"), but a full table is reported after the file's own errors, in the
        // kernel's order (`shmem_kernel_file_setup` before `ipc_addid`).
        let res = table.ids.reserve(limits::shmmni());
        let ino = res.as_ref().map_or(0, |res| res.id() as u64);
        // A size past `loff_t` is refused by the setup (EINVAL), as in the kernel.
        let size_arg = i64::try_from(size).unwrap_or(-1);
        let file = crate::setup::segment_file_setup(name, size_arg, flags, ino)?;
        let res = res?;
        let id = res.id();
        let seg = Arc::new(
            Segment {
                file,
                ns: self.clone(),
                id,
                key,
                _module: module,
            },
            GFP_KERNEL,
        )?;
        let (uid, gid) = (cred::euid(), cred::egid());
        let shm = Shm {
            seg,
            key,
            uid,
            gid,
            cuid: uid,
            cgid: gid,
            mode: flg as u32 & S_IRWXUGO,
            segsz: size,
            atime: 0,
            dtime: 0,
            ctime: now(),
            cpid: PidRef::current_tgid(),
            lpid: None,
            nattch: 0,
        };
        let id = table.ids.insert(res, shm)?;
        table.tot += numpages;
        Ok(id)
    }

    /// The start of `shmat`: checks and counts a pending attachment (`do_shmat` up to the
    /// mapping). The caller maps, then calls [`Namespace::attach_done`].
    pub(crate) fn attach_begin(&self, shmid: i32, acc_mode: i32) -> Result<(Arc<Segment>, u64)> {
        let mut table = self.table.lock();
        let shm = &mut table.ids.get_mut(shmid)?.value;
        if !shm.permits(&self.ipc_ns, acc_mode) {
            return Err(EACCES);
        }
        shm.nattch = shm.nattch.saturating_add(1);
        Ok((shm.seg.clone(), shm.segsz))
    }

    /// The end of `shmat`: drops the pending attachment; the segment goes if it may.
    pub(crate) fn attach_done(&self, seg: &Segment) {
        let gone = {
            let mut table = self.table.lock();
            match table.entry_of(seg) {
                Some(shm) => {
                    shm.nattch = shm.nattch.saturating_sub(1);
                    table.destroy_if_done(seg.id)
                }
                None => None,
            }
        };
        drop(gone);
    }

    /// A mapping of `seg` appears (`__shm_open`): `EINVAL` if the segment is gone.
    pub(crate) fn vma_opened(&self, seg: &Segment) -> Result {
        let mut table = self.table.lock();
        table.entry_of(seg).ok_or(EINVAL)?.opened();
        Ok(())
    }

    /// A mapping of `seg` goes (`__shm_close`); the segment goes too if it may.
    pub(crate) fn vma_closed(&self, seg: &Segment) {
        let gone = {
            let mut table = self.table.lock();
            match table.entry_of(seg) {
                Some(shm) => {
                    shm.closed();
                    table.destroy_if_done(seg.id)
                }
                None => None,
            }
        };
        drop(gone);
    }

    /// `shmctl`: the return value, with `ds` and `info` filled as the command asks.
    pub(crate) fn ctl(
        &self,
        shmid: i32,
        cmd: i32,
        ds: &mut SysvDs,
        info: &mut SysvInfo,
    ) -> Result<i32> {
        if cmd < 0 || shmid < 0 {
            return Err(EINVAL);
        }
        match cmd {
            IPC_INFO => {
                let mni = limits::shmmni() as u64;
                *info = SysvInfo {
                    shmmax: limits::shmmax(),
                    shmmin: SHMMIN,
                    shmmni: mni,
                    shmseg: mni,
                    shmall: limits::shmall(),
                    ..pin_init::zeroed()
                };
                Ok(self.table.lock().ids.max_idx().max(0))
            }
            SHM_INFO => {
                let table = self.table.lock();
                *info = SysvInfo {
                    used_ids: table.ids.in_use() as u64,
                    shm_tot: table.tot,
                    shm_rss: table.ids.iter().map(|(_, shm)| shm.rss_pages()).sum(),
                    ..pin_init::zeroed()
                };
                Ok(table.ids.max_idx().max(0))
            }
            IPC_STAT | SHM_STAT | SHM_STAT_ANY => {
                *ds = pin_init::zeroed();
                let mut table = self.table.lock();
                let slot = if cmd == IPC_STAT {
                    table.ids.get_mut(shmid)?
                } else {
                    table.ids.slot_mut(ids::id_to_idx(shmid)).ok_or(EINVAL)?
                };
                if cmd != SHM_STAT_ANY && !slot.value.permits(&self.ipc_ns, S_IRUGO) {
                    return Err(EACCES);
                }
                *ds = slot.value.stat(slot.seq);
                let Slot { seq, .. } = *slot;
                Ok(if cmd == IPC_STAT {
                    0
                } else {
                    ids::build_id(ids::id_to_idx(shmid), seq)
                })
            }
            IPC_RMID | IPC_SET => {
                let gone = {
                    let mut table = self.table.lock();
                    let shm = &mut table.ids.get_mut(shmid)?.value;
                    if !shm.owned_by_caller() && !self.ipc_ns.capable(CAP_SYS_ADMIN) {
                        return Err(EPERM);
                    }
                    if cmd == IPC_SET {
                        // `ipc_update_perm`.
                        let uid = cred::uid_from_user(ds.uid)?;
                        let gid = cred::gid_from_user(ds.gid)?;
                        shm.uid = uid;
                        shm.gid = gid;
                        shm.mode = (shm.mode & !S_IRWXUGO) | (ds.mode & S_IRWXUGO);
                        shm.ctime = now();
                        None
                    } else if shm.nattch != 0 {
                        // `do_shm_rmid`: lives on until the last detach, out of key lookups.
                        shm.mode |= SHM_DEST;
                        shm.key = IPC_PRIVATE;
                        None
                    } else {
                        table.destroy(shmid)
                    }
                };
                drop(gone);
                Ok(0)
            }
            SHM_LOCK | SHM_UNLOCK => {
                let mut table = self.table.lock();
                let shm = &mut table.ids.get_mut(shmid)?.value;
                if !self.ipc_ns.capable(CAP_IPC_LOCK) {
                    if !shm.owned_by_caller() {
                        return Err(EPERM);
                    }
                    if cmd == SHM_LOCK && cred::rlimit_memlock() == 0 {
                        return Err(EPERM);
                    }
                }
                if cmd == SHM_LOCK
                    && shm.mode & SHM_LOCKED == 0
                    && !self.ipc_ns.capable(CAP_IPC_LOCK)
                {
                    // `user_shm_lock`: the segment must fit in RLIMIT_MEMLOCK. The kernel
                    // counts all the user's locked segments against it (in ucounts, which a
                    // module cannot reach); here each segment is checked on its own.
                    let limit = cred::rlimit_memlock();
                    if limit != u64::MAX && shm.pages() > limit >> PAGE_SHIFT {
                        return Err(ENOMEM);
                    }
                }
                // rust_shmem's pages are unevictable already: locking only sets the flag.
                if cmd == SHM_LOCK {
                    shm.mode |= SHM_LOCKED;
                } else {
                    shm.mode &= !SHM_LOCKED;
                }
                Ok(0)
            }
            _ => Err(EINVAL),
        }
    }

    /// Appends the `/proc/sysvipc/shm` lines of the namespace's segments to `out`.
    pub(crate) fn list(&self, out: &mut KVec<u8>) -> Result {
        let table = self.table.lock();
        for (id, shm) in table.ids.iter() {
            let page = PAGE_SIZE as u64;
            let mut w = VecWriter(out);
            core::fmt::write(
                &mut w,
                format_args!(
                "{:>10} {:>10}  {:>4o} {:>21} {:>5} {:>5}  {:>5} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10} {:>10} {:>21} {:>21}\n",
                shm.key,
                id,
                shm.mode,
                shm.segsz,
                shm.cpid.as_ref().map_or(0, PidRef::vnr),
                shm.lpid.as_ref().map_or(0, PidRef::vnr),
                shm.nattch,
                cred::uid_to_user(shm.uid),
                cred::gid_to_user(shm.gid),
                cred::uid_to_user(shm.cuid),
                cred::gid_to_user(shm.cgid),
                shm.atime,
                shm.dtime,
                shm.ctime,
                shm.rss_pages().saturating_mul(page),
                0,
                ),
            )
            .map_err(|_| ENOMEM)?;
        }
        Ok(())
    }
}

/// Writes formatted text into a `KVec<u8>`.
struct VecWriter<'a>(&'a mut KVec<u8>);

impl core::fmt::Write for VecWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.0
            .extend_from_slice(s.as_bytes(), GFP_KERNEL)
            .map_err(|_| core::fmt::Error)
    }
}

/// `sprintf(name, "SYSV%08x", key)` into `buf`.
pub(crate) fn format_name(buf: &mut [u8; 16], key: i32) -> Result<&CStr> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    buf[..4].copy_from_slice(b"SYSV");
    let key = key as u32;
    for (i, b) in buf[4..12].iter_mut().enumerate() {
        *b = HEX[((key >> (28 - 4 * i)) & 0xf) as usize];
    }
    buf[12] = 0;
    CStr::from_bytes_with_nul(&buf[..13]).map_err(|_| EINVAL)
}
