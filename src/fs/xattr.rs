// SPDX-License-Identifier: GPL-2.0

//! Extended attributes of rust_shmem inodes, with tmpfs's rules: each attribute takes room from
//! the mount's inode budget (`nr_inodes`), and `trusted.` names are listed only to the
//! administrator.
//!
//! Lock order: `i_rwsem` (the VFS holds it for `setxattr`) → the inode's `xattrs` mutex → the
//! superblock's `limits` spinlock (`take_ispace`).

use super::RustShmem;
use crate::vfs::consts;
use crate::vfs::{inode::Locked, xattr::XattrOps, Inode};
use kernel::{new_mutex, prelude::*, sync::Mutex};

/// One attribute: its full name with the NUL, and its value.
struct Xattr {
    name: KVec<u8>,
    value: KVec<u8>,
}

impl Xattr {
    /// What it takes from the inode budget (`simple_xattr_space`).
    fn space(&self) -> u64 {
        space_of(self.name.len() - 1, self.value.len())
    }
}

fn space_of(name_len: usize, value_len: usize) -> u64 {
    // tmpfs counts 40 bytes of overhead, whatever the structure's real size.
    (40 + name_len + value_len) as u64
}

/// The attributes of one inode, in the order they were set.
#[pin_data]
pub(crate) struct Xattrs {
    #[pin]
    list: Mutex<KVec<Xattr>>,
}

impl Xattrs {
    /// No attributes.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            list <- new_mutex!(KVec::new(), "rust_shmem_xattrs"),
        })
    }

    /// The inode budget all attributes take, given back when the inode goes.
    pub(crate) fn space(&self) -> u64 {
        self.list.lock().iter().map(Xattr::space).sum()
    }
}

impl XattrOps for RustShmem {
    fn xattr_get(inode: &Inode<Self>, name: &CStr, buf: &mut [u8]) -> Result<usize> {
        let list = inode.info().xattrs.list.lock();
        let xattr = list
            .iter()
            .find(|x| x.name == name.to_bytes_with_nul())
            .ok_or(ENODATA)?;
        let len = xattr.value.len();
        if !buf.is_empty() {
            buf.get_mut(..len)
                .ok_or(ERANGE)?
                .copy_from_slice(&xattr.value);
        }
        Ok(len)
    }

    fn xattr_set(inode: &Locked<Self>, name: &CStr, value: Option<&[u8]>, flags: c_int) -> Result {
        let sb = inode.super_block().info();
        let mut list = inode.info().xattrs.list.lock();
        let name = name.to_bytes_with_nul();
        let existing = list.iter().position(|x| x.name == name);
        match existing {
            Some(_) if flags & consts::XATTR_CREATE != 0 => return Err(EEXIST),
            None if flags & consts::XATTR_REPLACE != 0 => return Err(ENODATA),
            _ => {}
        }
        if let Some(value) = value {
            let space = space_of(name.len() - 1, value.len());
            sb.take_ispace(space)?;
            let new = (|| {
                let mut new_name = KVec::with_capacity(name.len(), GFP_KERNEL)?;
                new_name.extend_from_slice(name, GFP_KERNEL)?;
                let mut new_value = KVec::with_capacity(value.len(), GFP_KERNEL)?;
                new_value.extend_from_slice(value, GFP_KERNEL)?;
                Ok::<_, Error>(Xattr {
                    name: new_name,
                    value: new_value,
                })
            })();
            let new = match new {
                Ok(new) => new,
                Err(e) => {
                    sb.give_ispace(space);
                    return Err(e);
                }
            };
            match existing {
                Some(i) => {
                    let old = core::mem::replace(&mut list[i], new);
                    sb.give_ispace(old.space());
                }
                None => {
                    if let Err(e) = list.push(new, GFP_KERNEL) {
                        sb.give_ispace(space);
                        return Err(e.into());
                    }
                }
            }
        } else if let Some(i) = existing {
            let old = list.remove(i)?;
            sb.give_ispace(old.space());
        }
        drop(list);
        inode.touch_ctime();
        Ok(())
    }

    fn xattr_list(inode: &Inode<Self>, buf: &mut [u8], trusted: bool) -> Result<usize> {
        let list = inode.info().xattrs.list.lock();
        let mut len = 0;
        for xattr in list.iter() {
            if !trusted && xattr.name.starts_with(b"trusted.") {
                continue;
            }
            let end = len + xattr.name.len();
            if !buf.is_empty() {
                buf.get_mut(len..end)
                    .ok_or(ERANGE)?
                    .copy_from_slice(&xattr.name);
            }
            len = end;
        }
        Ok(len)
    }
}
