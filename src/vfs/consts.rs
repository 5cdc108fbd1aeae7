// SPDX-License-Identifier: GPL-2.0

//! The VFS's numbers that a filesystem's rules are written in, named as in C: file types and
//! permission bits, rename and xattr flags, inode flags, type flags and size limits.

use crate::bindings;
use kernel::ffi::c_int;

/// File type bits of a mode, and the types.
pub(crate) const S_IFMT: u32 = bindings::S_IFMT;
/// A regular file.
pub(crate) const S_IFREG: u32 = bindings::S_IFREG;
/// A directory.
pub(crate) const S_IFDIR: u32 = bindings::S_IFDIR;
/// A symbolic link.
pub(crate) const S_IFLNK: u32 = bindings::S_IFLNK;
/// A character device.
pub(crate) const S_IFCHR: u32 = bindings::S_IFCHR;
/// Read, write and execute for everyone (0777).
pub(crate) const S_IRWXUGO: u32 = bindings::S_IRWXUGO;
/// The mode and device number of a whiteout (a 0:0 character device).
pub(crate) const WHITEOUT_MODE: u32 = bindings::WHITEOUT_MODE;
/// As above.
pub(crate) const WHITEOUT_DEV: u32 = bindings::WHITEOUT_DEV;

/// `renameat2` flags.
pub(crate) const RENAME_NOREPLACE: u32 = bindings::RENAME_NOREPLACE;
/// As above.
pub(crate) const RENAME_EXCHANGE: u32 = bindings::RENAME_EXCHANGE;
/// As above.
pub(crate) const RENAME_WHITEOUT: u32 = bindings::RENAME_WHITEOUT;

/// `setxattr` flags.
pub(crate) const XATTR_CREATE: c_int = bindings::XATTR_CREATE as c_int;
/// As above.
pub(crate) const XATTR_REPLACE: c_int = bindings::XATTR_REPLACE as c_int;

/// `FS_IOC_GETFLAGS`/`chattr` flags a user may see.
pub(crate) const FS_FL_USER_VISIBLE: u32 = bindings::FS_FL_USER_VISIBLE;
/// `chattr` flags (`FS_*_FL`).
pub(crate) const FS_IMMUTABLE_FL: u32 = bindings::FS_IMMUTABLE_FL;
/// As above.
pub(crate) const FS_APPEND_FL: u32 = bindings::FS_APPEND_FL;
/// As above.
pub(crate) const FS_NODUMP_FL: u32 = bindings::FS_NODUMP_FL;
/// As above.
pub(crate) const FS_NOATIME_FL: u32 = bindings::FS_NOATIME_FL;
/// As above.
pub(crate) const FS_CASEFOLD_FL: u32 = bindings::FS_CASEFOLD_FL;
/// Inode flags (`S_*` of `i_flags`) that `chattr` flags turn on.
pub(crate) const S_NOATIME: u32 = bindings::S_NOATIME;
/// As above.
pub(crate) const S_APPEND: u32 = bindings::S_APPEND;
/// As above.
pub(crate) const S_IMMUTABLE: u32 = bindings::S_IMMUTABLE;

/// Filesystem type flags: mountable in user namespaces, and on idmapped mounts.
pub(crate) const FS_USERNS_MOUNT: u32 = bindings::FS_USERNS_MOUNT;
/// As above.
pub(crate) const FS_ALLOW_IDMAP: u32 = bindings::FS_ALLOW_IDMAP;
/// Multigrain timestamps: coarse-grained until someone looks, fine-grained after
/// (`inode_set_ctime_current`, `generic_fillattr`).
pub(crate) const FS_MGTIME: u32 = bindings::FS_MGTIME;

/// The largest file size, in bytes (`MAX_LFS_FILESIZE`).
pub(crate) const MAX_LFS_FILESIZE: i64 = bindings::RUST_SHMEM_MAX_LFS_FILESIZE;
/// The size of a PMD-mapped huge page, in bytes (`HPAGE_PMD_SIZE`).
pub(crate) const HPAGE_PMD_SIZE: usize = bindings::RUST_SHMEM_HPAGE_PMD_SIZE;
