// SPDX-License-Identifier: GPL-2.0

//! `/dev/rust_shmem_sysv`: System V shared memory through ioctls
//! (`include/uapi/linux/rust_shmem_sysv.h`), and a `/proc/sysvipc/shm` listing when read.
//!
//! Every command works on the caller's IPC namespace, as the system calls do.

use super::{attach, Namespace};
use crate::bindings;
use crate::vfs::misc::MiscRegistration;
use core::mem::size_of;
use kernel::{
    ioctl::_IOWR,
    module::this_module,
    prelude::*,
    transmute::{AsBytes, FromBytes},
    uaccess::{UserPtr, UserSlice},
};

/// The device's node name under `/dev`.
const NAME: &CStr = c"rust_shmem_sysv";

/// `struct rust_shmem_sysv_get`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Get {
    size: u32,
    key: i32,
    segsz: u64,
    shmflg: i32,
    pad: u32,
}

/// `struct rust_shmem_sysv_at`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct At {
    size: u32,
    shmid: i32,
    shmaddr: u64,
    shmflg: i32,
    pad: u32,
    addr: u64,
}

/// `struct rust_shmem_sysv_dt`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Dt {
    size: u32,
    pad: u32,
    shmaddr: u64,
}

/// `struct rust_shmem_sysv_ds`: a segment as `IPC_STAT` shows it.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Ds {
    pub(crate) key: i32,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    pub(crate) cuid: u32,
    pub(crate) cgid: u32,
    pub(crate) mode: u32,
    pub(crate) seq: u32,
    pub(crate) pad: u32,
    pub(crate) segsz: u64,
    pub(crate) atime: i64,
    pub(crate) dtime: i64,
    pub(crate) ctime: i64,
    pub(crate) cpid: i32,
    pub(crate) lpid: i32,
    pub(crate) nattch: u64,
}

/// `struct rust_shmem_sysv_info`: `IPC_INFO`'s and `SHM_INFO`'s numbers.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Info {
    pub(crate) shmmax: u64,
    pub(crate) shmmin: u64,
    pub(crate) shmmni: u64,
    pub(crate) shmseg: u64,
    pub(crate) shmall: u64,
    pub(crate) used_ids: u64,
    pub(crate) shm_tot: u64,
    pub(crate) shm_rss: u64,
    pub(crate) shm_swp: u64,
    pub(crate) swap_attempts: u64,
    pub(crate) swap_successes: u64,
}

/// `struct rust_shmem_sysv_ctl`.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Ctl {
    size: u32,
    shmid: i32,
    cmd: i32,
    pad: u32,
    ds: Ds,
    info: Info,
}

// SAFETY: `repr(C)` structures of integers laid out without implicit padding (the uapi header
// spells every padding field out), so every bit pattern is valid and no byte is uninitialised.
unsafe impl FromBytes for Get {}
// SAFETY: As above.
unsafe impl AsBytes for Get {}
// SAFETY: As above.
unsafe impl FromBytes for At {}
// SAFETY: As above.
unsafe impl AsBytes for At {}
// SAFETY: As above.
unsafe impl FromBytes for Dt {}
// SAFETY: As above.
unsafe impl AsBytes for Dt {}
// SAFETY: As above.
unsafe impl FromBytes for Ctl {}
// SAFETY: As above.
unsafe impl AsBytes for Ctl {}

// The layouts of the uapi header, the same on 32- and 64-bit.
const _: () = assert!(size_of::<Get>() == 24);
const _: () = assert!(size_of::<At>() == 32);
const _: () = assert!(size_of::<Dt>() == 16);
const _: () = assert!(size_of::<Ds>() == 80);
const _: () = assert!(size_of::<Info>() == 88);
const _: () = assert!(size_of::<Ctl>() == 184);

/// The ioctl magic.
const MAGIC: u32 = 0xB6;
const IOC_GET: u32 = _IOWR::<Get>(MAGIC, 1);
const IOC_AT: u32 = _IOWR::<At>(MAGIC, 2);
const IOC_DT: u32 = _IOWR::<Dt>(MAGIC, 3);
const IOC_CTL: u32 = _IOWR::<Ctl>(MAGIC, 4);

/// Reads the argument of a command: `EFAULT` for a bad pointer, `EINVAL` for a wrong size.
fn read_arg<T: FromBytes>(arg: c_ulong) -> Result<T> {
    let mut reader = UserSlice::new(UserPtr::from_addr(arg), size_of::<T>()).reader();
    let value: T = reader.read()?;
    Ok(value)
}

/// Writes the argument of a command back.
fn write_arg<T: AsBytes>(arg: c_ulong, value: &T) -> Result {
    UserSlice::new(UserPtr::from_addr(arg), size_of::<T>())
        .writer()
        .write(value)
}

/// `size` must be `size_of::<T>()` and `pad` zero.
fn check<T>(size: u32, pad: u32) -> Result {
    if size as usize != size_of::<T>() || pad != 0 {
        return Err(EINVAL);
    }
    Ok(())
}

/// Runs one command; the value the system call would return.
fn ioctl_cmd(cmd: u32, arg: c_ulong) -> Result<isize> {
    match cmd {
        IOC_GET => {
            let get: Get = read_arg(arg)?;
            check::<Get>(get.size, get.pad)?;
            let id = Namespace::current()?.get(get.key, get.segsz, get.shmflg)?;
            Ok(id as isize)
        }
        IOC_AT => {
            let mut at: At = read_arg(arg)?;
            check::<At>(at.size, at.pad)?;
            let ns = Namespace::current()?;
            let addr = attach::shmat(&ns, at.shmid, at.shmaddr, at.shmflg)?;
            at.addr = addr;
            if let Err(e) = write_arg(arg, &at) {
                // The caller cannot learn where the segment is: take it away again.
                let _ = attach::shmdt(addr);
                return Err(e);
            }
            Ok(0)
        }
        IOC_DT => {
            let dt: Dt = read_arg(arg)?;
            check::<Dt>(dt.size, dt.pad)?;
            attach::shmdt(dt.shmaddr)?;
            Ok(0)
        }
        IOC_CTL => {
            let mut ctl: Ctl = read_arg(arg)?;
            check::<Ctl>(ctl.size, ctl.pad)?;
            if ctl.ds.pad != 0 {
                return Err(EINVAL);
            }
            let ns = Namespace::current()?;
            let ret = ns.ctl(ctl.shmid, ctl.cmd, &mut ctl.ds, &mut ctl.info)?;
            write_arg(arg, &ctl)?;
            Ok(ret as isize)
        }
        _ => Err(ENOTTY),
    }
}

/// `unlocked_ioctl` (and `compat_ioctl`: the layouts do not depend on the word size).
///
/// # Safety
///
/// `file_operations::unlocked_ioctl`: called in the calling task's context.
unsafe extern "C" fn ioctl(_file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
    match ioctl_cmd(cmd, arg) {
        Ok(v) => v as c_long,
        Err(e) => e.to_errno() as c_long,
    }
}

/// `compat_ioctl`: user pointers of 32-bit tasks, widened.
///
/// # Safety
///
/// `file_operations::compat_ioctl`: called in the calling task's context.
unsafe extern "C" fn compat_ioctl(file: *mut bindings::file, cmd: c_uint, arg: c_ulong) -> c_long {
    // SAFETY: Same contract; `compat_ptr` is the identity on the architectures we build for.
    unsafe { ioctl(file, cmd, arg & 0xffff_ffff) }
}

/// The header of `/proc/sysvipc/shm` (64-bit widths).
const HEADER: &[u8] = b"       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n";

/// `read`: the caller's namespace's segments, as `/proc/sysvipc/shm` lists them.
///
/// # Safety
///
/// `file_operations::read`: a user buffer of `count` bytes and a valid `ppos`.
unsafe extern "C" fn read(
    _file: *mut bindings::file,
    buf: *mut c_char,
    count: usize,
    ppos: *mut bindings::loff_t,
) -> isize {
    let text = (|| -> Result<KVec<u8>> {
        let mut text = KVec::new();
        text.extend_from_slice(HEADER, GFP_KERNEL)?;
        Namespace::current()?.list(&mut text)?;
        Ok(text)
    })();
    match text {
        // SAFETY: Copies from our buffer to the caller's, within both; `ppos` is valid.
        Ok(text) => unsafe {
            bindings::simple_read_from_buffer(
                buf.cast(),
                count,
                ppos,
                text.as_ptr().cast(),
                text.len(),
            )
        },
        Err(e) => e.to_errno() as isize,
    }
}

/// The device's operations.
const FOPS: bindings::file_operations = bindings::file_operations {
    owner: this_module::<crate::RustShmemModule>().as_ptr(),
    unlocked_ioctl: Some(ioctl),
    compat_ioctl: Some(compat_ioctl),
    read: Some(read),
    llseek: Some(bindings::default_llseek),
    ..pin_init::zeroed()
};

/// Registers `/dev/rust_shmem_sysv`, usable by everyone like the system calls.
pub(crate) fn register() -> impl PinInit<MiscRegistration, Error> {
    // SAFETY: `FOPS` is this device's table: its callbacks assume nothing about the file's
    // inode or `private_data`.
    unsafe { MiscRegistration::register(NAME, 0o666, &FOPS) }
}
