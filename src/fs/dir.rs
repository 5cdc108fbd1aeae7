// SPDX-License-Identifier: GPL-2.0

//! Directories, with tmpfs's namespace rules (`shmem_mknod`, `shmem_link`, `shmem_rename2`, ...):
//! entries are pinned in the dcache, each directory's size grows by a bogus 20 bytes per entry,
//! and extra hard links count against `nr_inodes`.
//!
//! Readdir walks the dcache with a cursor (`dcache_readdir`), which neither skips nor repeats
//! entries of an open stream while the directory changes. tmpfs numbers entries for offsets that
//! also survive `telldir`/`seekdir` across reopens (libfs's `simple_offset_*`), but those helpers
//! are not exported to modules.

use super::{inode::new_inode, super_block::BOGO_INODE_SIZE, RustShmem};
use crate::vfs::consts;
use crate::vfs::{
    dir_ops::{rename_exchange, rename_timestamp, simple_link, simple_unlink, DirOps},
    inode::{Idmap, Locked},
    Dentry, Inode, NewInode,
};
use kernel::page::PAGE_SIZE;
use kernel::prelude::*;

/// What each entry adds to its directory's size, as in tmpfs.
pub(crate) const BOGO_DIRENT_SIZE: i64 = 20;

/// Symlink targets up to this length (with the NUL) live in the inode, longer ones in a page.
const SHORT_SYMLINK_LEN: usize = 128;

impl RustShmem {
    /// Links a new inode into `dir` at `dentry`: size, times, dcache.
    fn add_entry(dir: &Locked<Self>, dentry: &Dentry<Self>, inode: NewInode<Self>) -> Result {
        dir.add_size(BOGO_DIRENT_SIZE);
        dir.touch_mtime_ctime();
        inode.instantiate(dentry);
        Ok(())
    }

    /// A whiteout (a 0:0 character device) under `old`'s name, for `RENAME_WHITEOUT`. It is
    /// hashed while `old` is still in place; lookups find one or the other until the rename
    /// moves `old` away.
    fn whiteout(idmap: Idmap<'_>, dir: &Locked<Self>, old: &Dentry<Self>) -> Result {
        let twin = old.alloc_twin()?;
        let mode = (consts::S_IFCHR | consts::WHITEOUT_MODE) as u16;
        Self::mknod(idmap, dir, &twin, mode, consts::WHITEOUT_DEV)
    }
}

impl DirOps for RustShmem {
    fn mknod(
        idmap: Idmap<'_>,
        dir: &Locked<Self>,
        dentry: &Dentry<Self>,
        mode: u16,
        dev: u32,
    ) -> Result {
        let mut inode = new_inode(dir.super_block(), idmap, Some(dir), mode, dev)?;
        inode.acl_create(dir)?;
        inode.init_security(dir, dentry)?;
        Self::add_entry(dir, dentry, inode)
    }

    fn mkdir(idmap: Idmap<'_>, dir: &Locked<Self>, dentry: &Dentry<Self>, mode: u16) -> Result {
        Self::mknod(idmap, dir, dentry, mode | consts::S_IFDIR as u16, 0)?;
        // The new directory's `..`.
        dir.inc_nlink();
        Ok(())
    }

    fn symlink(
        idmap: Idmap<'_>,
        dir: &Locked<Self>,
        dentry: &Dentry<Self>,
        target: &CStr,
    ) -> Result {
        let len = target.to_bytes_with_nul().len();
        if len > PAGE_SIZE {
            return Err(ENAMETOOLONG);
        }
        let mode = (consts::S_IFLNK | consts::S_IRWXUGO) as u16;
        let mut inode = new_inode(dir.super_block(), idmap, Some(dir), mode, 0)?;
        inode.init_security(dir, dentry)?;
        inode.set_size(len as i64 - 1);
        if len <= SHORT_SYMLINK_LEN {
            inode.make_short_symlink(target)?;
        } else {
            inode.init_page_symlink(target)?;
        }
        Self::add_entry(dir, dentry, inode)
    }

    fn tmpfile(idmap: Idmap<'_>, dir: &Inode<Self>, mode: u16) -> Result<NewInode<Self>> {
        // Not yet in any directory: no dirent size. `linkat` gives it its first name.
        let mut inode = new_inode(dir.super_block(), idmap, Some(dir), mode, 0)?;
        inode.acl_create(dir)?;
        Ok(inode)
    }

    fn link(
        old: &Dentry<Self>,
        inode: &Locked<Self>,
        dir: &Locked<Self>,
        new: &Dentry<Self>,
    ) -> Result {
        let sb = inode.super_block().info();
        // Each further name pins a dentry, so it counts like an inode; the first name of an
        // O_TMPFILE file does not, its inode was counted when it was made.
        let extra = inode.nlink() != 0;
        if extra {
            sb.take_ispace(BOGO_INODE_SIZE)?;
        }
        dir.add_size(BOGO_DIRENT_SIZE);
        simple_link(old, dir, new)
    }

    fn unlink(dir: &Locked<Self>, dentry: &Dentry<Self>, victim: &Locked<Self>) -> Result {
        if victim.nlink() > 1 && !victim.is_dir() {
            victim.super_block().info().release_inode(0);
        }
        dir.add_size(-BOGO_DIRENT_SIZE);
        simple_unlink(dir, dentry);
        Ok(())
    }

    fn rmdir(dir: &Locked<Self>, dentry: &Dentry<Self>, victim: &Locked<Self>) -> Result {
        if dentry.has_children() {
            return Err(ENOTEMPTY);
        }
        victim.drop_nlink();
        dir.drop_nlink();
        Self::unlink(dir, dentry, victim)
    }

    fn rename(
        idmap: Idmap<'_>,
        old_dir: &Locked<Self>,
        old: &Dentry<Self>,
        new_dir: &Locked<Self>,
        new: &Dentry<Self>,
        target: Option<&Locked<Self>>,
        flags: u32,
    ) -> Result {
        let known = consts::RENAME_NOREPLACE | consts::RENAME_EXCHANGE | consts::RENAME_WHITEOUT;
        if flags & !known != 0 {
            return Err(EINVAL);
        }
        if flags & consts::RENAME_EXCHANGE != 0 {
            return rename_exchange(old_dir, old, new_dir, new);
        }
        if new.has_children() {
            return Err(ENOTEMPTY);
        }
        let moved_dir = old.inode().ok_or(ENOENT)?.is_dir();
        if flags & consts::RENAME_WHITEOUT != 0 {
            Self::whiteout(idmap, old_dir, old)?;
        }
        if let Some(target) = target {
            Self::unlink(new_dir, new, target)?;
            if moved_dir {
                target.drop_nlink();
                old_dir.drop_nlink();
            }
        } else if moved_dir {
            old_dir.drop_nlink();
            new_dir.inc_nlink();
        }
        old_dir.add_size(-BOGO_DIRENT_SIZE);
        new_dir.add_size(BOGO_DIRENT_SIZE);
        rename_timestamp(old_dir, old, new_dir, new);
        Ok(())
    }
}
