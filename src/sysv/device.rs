// SPDX-License-Identifier: GPL-2.0

//! `/dev/rust_shmem_sysv`: System V shared memory through ioctls
//! (`include/uapi/linux/rust_shmem_sysv.h`), and a `/proc/sysvipc/shm` listing when read.
//!
//! Every command works on the caller's IPC namespace, as the system calls do.

use super::{attach, Namespace};
use crate::kabi::{
    misc::MiscRegistration,
    uapi::{SysvAt, SysvCtl, SysvDt, SysvGet, SYSV_IOC_MAGIC},
};
use core::mem::size_of;
use kernel::{
    fs::{File, Kiocb},
    ioctl::_IOWR,
    iov::IovIterDest,
    miscdevice::{MiscDevice, MiscDeviceRegistration},
    prelude::*,
    transmute::{AsBytes, FromBytes},
    uaccess::{UserPtr, UserSlice},
};

/// The device's node name under `/dev`.
const NAME: &CStr = c"rust_shmem_sysv";

const IOC_GET: u32 = _IOWR::<SysvGet>(SYSV_IOC_MAGIC, 1);
const IOC_AT: u32 = _IOWR::<SysvAt>(SYSV_IOC_MAGIC, 2);
const IOC_DT: u32 = _IOWR::<SysvDt>(SYSV_IOC_MAGIC, 3);
const IOC_CTL: u32 = _IOWR::<SysvCtl>(SYSV_IOC_MAGIC, 4);

/// Reads the argument of a command: `EFAULT` for a bad pointer, `EINVAL` for a wrong size.
fn read_arg<T: FromBytes>(arg: usize) -> Result<T> {
    let mut reader = UserSlice::new(UserPtr::from_addr(arg), size_of::<T>()).reader();
    let value: T = reader.read()?;
    Ok(value)
}

/// Writes the argument of a command back.
fn write_arg<T: AsBytes>(arg: usize, value: &T) -> Result {
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
fn ioctl_cmd(cmd: u32, arg: usize) -> Result<isize> {
    match cmd {
        IOC_GET => {
            let get: SysvGet = read_arg(arg)?;
            check::<SysvGet>(get.size, get.pad)?;
            let id = Namespace::current()?.get(get.key, get.segsz, get.shmflg)?;
            Ok(id as isize)
        }
        IOC_AT => {
            let mut at: SysvAt = read_arg(arg)?;
            check::<SysvAt>(at.size, at.pad)?;
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
            let dt: SysvDt = read_arg(arg)?;
            check::<SysvDt>(dt.size, dt.pad)?;
            attach::shmdt(dt.shmaddr)?;
            Ok(0)
        }
        IOC_CTL => {
            let mut ctl: SysvCtl = read_arg(arg)?;
            check::<SysvCtl>(ctl.size, ctl.pad)?;
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

/// The header of `/proc/sysvipc/shm` (64-bit widths).
const HEADER: &[u8] = b"       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n";

/// The device. It keeps no per-open state: every command works on the caller's namespace.
pub(crate) struct SysvDevice;

#[vtable]
impl MiscDevice for SysvDevice {
    type Ptr = ();

    fn open(_file: &File, _misc: &MiscDeviceRegistration<Self>) -> Result {
        Ok(())
    }

    /// `unlocked_ioctl`. 32-bit tasks get `compat_ptr_ioctl`: the layouts do not depend on the
    /// word size.
    fn ioctl(_device: (), _file: &File, cmd: u32, arg: usize) -> Result<isize> {
        ioctl_cmd(cmd, arg)
    }

    /// The caller's namespace's segments, as `/proc/sysvipc/shm` lists them.
    fn read_iter(mut kiocb: Kiocb<'_, ()>, dest: &mut IovIterDest<'_>) -> Result<usize> {
        let mut text = KVec::new();
        text.extend_from_slice(HEADER, GFP_KERNEL)?;
        Namespace::current()?.list(&mut text)?;
        dest.simple_read_from_buffer(kiocb.ki_pos_mut(), &text)
    }
}

/// Registers `/dev/rust_shmem_sysv`, usable by everyone like the system calls.
pub(crate) fn register() -> impl PinInit<MiscRegistration<SysvDevice>, Error> {
    MiscRegistration::register_device(NAME, 0o666)
}
