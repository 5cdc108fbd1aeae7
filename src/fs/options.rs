// SPDX-License-Identifier: GPL-2.0

//! Mount options, with tmpfs's names, syntax, defaults and messages.

use super::huge::HugePolicy;
use super::super_block::total_ram_pages;
use crate::vfs::{
    params::{no_param, Param, ParamSpec, ParamTable},
    FsContext, Kgid, Kuid,
};
use kernel::prelude::*;

/// The root directory's mode when `mode=` is not given: world-writable and sticky, like tmpfs.
pub(crate) const DEFAULT_MODE: u16 = 0o1777;

/// tmpfs charges each inode this much "ispace" and caps `nr_inodes` so the product fits.
const BOGO_INODE_SIZE: u64 = 1024;

const OPT_GID: u8 = 0;
const OPT_MODE: u8 = 1;
const OPT_NR_BLOCKS: u8 = 2;
const OPT_NR_INODES: u8 = 3;
const OPT_SIZE: u8 = 4;
const OPT_UID: u8 = 5;
const OPT_HUGE: u8 = 6;
const OPT_INODE32: u8 = 7;
const OPT_INODE64: u8 = 8;
const OPT_NOSWAP: u8 = 9;

/// The accepted parameters, spelled as in `shmem_fs_parameters`.
pub(crate) const PARAMS: ParamTable = ParamTable::new(&[
    ParamSpec::gid(c"gid", OPT_GID),
    ParamSpec::string(c"huge", OPT_HUGE),
    ParamSpec::u32_octal(c"mode", OPT_MODE),
    ParamSpec::string(c"nr_blocks", OPT_NR_BLOCKS),
    ParamSpec::string(c"nr_inodes", OPT_NR_INODES),
    ParamSpec::string(c"size", OPT_SIZE),
    ParamSpec::uid(c"uid", OPT_UID),
    ParamSpec::flag(c"inode32", OPT_INODE32),
    ParamSpec::flag(c"inode64", OPT_INODE64),
    ParamSpec::flag(c"noswap", OPT_NOSWAP),
    ParamSpec::END,
]);

/// Options of one mount or remount request.
pub(crate) struct MountOptions {
    /// Permission bits of the root directory.
    pub(crate) mode: u16,
    /// Owner of the root directory.
    pub(crate) uid: Kuid,
    /// Group of the root directory.
    pub(crate) gid: Kgid,
    /// `nr_inodes=` if given; `Some(0)` means unlimited.
    pub(crate) max_inodes: Option<u64>,
    /// `size=` or `nr_blocks=` in pages, if given; `Some(0)` means unlimited.
    pub(crate) max_blocks: Option<u64>,
    /// `inode64` (true) or `inode32` (false), if given.
    pub(crate) full_inums: Option<bool>,
    /// `huge=`, if given.
    pub(crate) huge: Option<HugePolicy>,
    /// `noswap` was given. Pages of ours are never swapped anyway; tmpfs's rules for the option
    /// (privileged, not on remount) still apply.
    pub(crate) noswap: bool,
}

impl Default for MountOptions {
    fn default() -> Self {
        Self {
            mode: DEFAULT_MODE,
            uid: Kuid::current_fs(),
            gid: Kgid::current_fs(),
            max_inodes: None,
            max_blocks: None,
            full_inums: None,
            huge: None,
            noswap: false,
        }
    }
}

impl MountOptions {
    /// Takes one parsed parameter.
    pub(crate) fn parse(&mut self, fc: &FsContext, param: &Param<'_>) -> Result {
        match param.opt {
            OPT_MODE => self.mode = mode_bits(param.uint_32()),
            OPT_UID => {
                let uid = param.uid();
                if !uid.has_mapping(fc.user_ns()) {
                    return Err(fc.invalid(c"Bad value for", param.key()));
                }
                self.uid = uid;
            }
            OPT_GID => {
                let gid = param.gid();
                if !gid.has_mapping(fc.user_ns()) {
                    return Err(fc.invalid(c"Bad value for", param.key()));
                }
                self.gid = gid;
            }
            OPT_NR_INODES => {
                let value = memparse(param.string()?.to_bytes())
                    .filter(|n| *n <= u64::MAX / BOGO_INODE_SIZE)
                    .ok_or_else(|| fc.invalid(c"Bad value for", param.key()))?;
                self.max_inodes = Some(value);
            }
            OPT_SIZE => {
                let pages = size_to_pages(param.string()?.to_bytes(), total_ram_pages())
                    .ok_or_else(|| fc.invalid(c"Bad value for", param.key()))?;
                self.max_blocks = Some(pages);
            }
            OPT_NR_BLOCKS => {
                let pages = memparse(param.string()?.to_bytes())
                    .filter(|n| *n <= i64::MAX as u64)
                    .ok_or_else(|| fc.invalid(c"Bad value for", param.key()))?;
                self.max_blocks = Some(pages);
            }
            OPT_HUGE => {
                let policy = HugePolicy::from_name(param.string()?.to_bytes())
                    .ok_or_else(|| fc.invalid(c"Bad value for", param.key()))?;
                if policy != HugePolicy::Never && !large_folios_supported() {
                    return Err(fc.invalid(c"Unsupported parameter", param.key()));
                }
                self.huge = Some(policy);
            }
            OPT_INODE32 => self.full_inums = Some(false),
            OPT_INODE64 => self.full_inums = Some(true),
            OPT_NOSWAP => {
                if !fc.is_init_ns_admin() {
                    return Err(fc.invalid_state(
                        c"Turning off swap in unprivileged rust_shmem mounts unsupported",
                    ));
                }
                self.noswap = true;
            }
            _ => return Err(no_param()),
        }
        Ok(())
    }
}

/// Whether the machine has huge pages (`has_transparent_hugepage`), without which tmpfs refuses
/// any `huge=` but `never`.
fn large_folios_supported() -> bool {
    crate::vfs::aops::has_transparent_hugepage()
}

/// Pages for a `size=` value: bytes as [`memparse`] reads them, or a percentage of RAM with a
/// trailing `%`, rounded up to whole pages (`shmem_parse_one`). Like tmpfs, a bare `%` is 0%,
/// which means unlimited.
pub(crate) fn size_to_pages(s: &[u8], total_ram_pages: u64) -> Option<u64> {
    let page = kernel::page::PAGE_SIZE as u64;
    let bytes = match s.strip_suffix(b"%") {
        Some(b"") => 0,
        Some(percent) => memparse(percent)?.checked_mul(total_ram_pages.checked_mul(page)?)? / 100,
        None => memparse(s)?,
    };
    Some(bytes.div_ceil(page))
}

/// The permission bits of a `mode=` value (tmpfs keeps `& 07777`).
pub(crate) fn mode_bits(value: u32) -> u16 {
    (value & 0o7777) as u16
}

/// Parses a number the way the kernel's `memparse` does for tmpfs options: C base prefixes
/// (`0x` hex, leading `0` octal) and an optional binary suffix `k`, `m`, `g`, `t`, `p` or `e`
/// (either case). Unlike `memparse`, overflow and trailing garbage are errors, not silently
/// wrapped or ignored.
pub(crate) fn memparse(s: &[u8]) -> Option<u64> {
    // `simple_strtoull`'s base 0: hex only when a hex digit follows the `0x`.
    let (radix, digits) = match s {
        [b'0', b'x' | b'X', rest @ ..] if rest.first().is_some_and(u8::is_ascii_hexdigit) => {
            (16, rest)
        }
        [b'0', ..] => (8, s),
        _ => (10, s),
    };
    let end = digits
        .iter()
        .position(|c| !(*c as char).is_digit(radix))
        .unwrap_or(digits.len());
    if end == 0 {
        return None;
    }
    let mut value: u64 = 0;
    for c in &digits[..end] {
        let digit = u64::from((*c as char).to_digit(radix)?);
        value = value.checked_mul(u64::from(radix))?.checked_add(digit)?;
    }
    let shift = match &digits[end..] {
        [] => 0,
        [suffix] => match suffix.to_ascii_lowercase() {
            b'k' => 10,
            b'm' => 20,
            b'g' => 30,
            b't' => 40,
            b'p' => 50,
            b'e' => 60,
            _ => return None,
        },
        _ => return None,
    };
    value.checked_mul(1u64 << shift)
}

#[kunit_tests(rust_shmem_options)]
mod tests {
    use super::*;

    #[test]
    fn memparse_plain_and_suffixed() {
        assert_eq!(memparse(b"0"), Some(0));
        assert_eq!(memparse(b"4096"), Some(4096));
        assert_eq!(memparse(b"16k"), Some(16 << 10));
        assert_eq!(memparse(b"16K"), Some(16 << 10));
        assert_eq!(memparse(b"3m"), Some(3 << 20));
        assert_eq!(memparse(b"2G"), Some(2 << 30));
        assert_eq!(memparse(b"1t"), Some(1 << 40));
        assert_eq!(memparse(b"1p"), Some(1 << 50));
        assert_eq!(memparse(b"1e"), Some(1 << 60));
    }

    #[test]
    fn memparse_prefixes() {
        assert_eq!(memparse(b"0x10"), Some(16));
        assert_eq!(memparse(b"010"), Some(8));
        assert_eq!(memparse(b"0x1k"), Some(1024));
        assert_eq!(memparse(b"0xk"), None);
        assert_eq!(memparse(b"0k"), Some(0));
    }

    #[test]
    fn memparse_rejects_garbage_and_overflow() {
        assert_eq!(memparse(b""), None);
        assert_eq!(memparse(b"k"), None);
        assert_eq!(memparse(b"12q"), None);
        assert_eq!(memparse(b"1kk"), None);
        assert_eq!(memparse(b"-1"), None);
        assert_eq!(memparse(b"0x"), None);
        assert_eq!(memparse(b"09"), None);
        assert_eq!(memparse(b"18446744073709551616"), None);
        assert_eq!(memparse(b"16e"), None);
        assert_eq!(memparse(b"18446744073709551615"), Some(u64::MAX));
    }

    #[test]
    fn size_in_bytes_and_percent() {
        assert_eq!(size_to_pages(b"0", 1000), Some(0));
        assert_eq!(size_to_pages(b"1", 1000), Some(1));
        assert_eq!(size_to_pages(b"4096", 1000), Some(1));
        assert_eq!(size_to_pages(b"4097", 1000), Some(2));
        assert_eq!(size_to_pages(b"1m", 1000), Some(256));
        assert_eq!(size_to_pages(b"50%", 1000), Some(500));
        assert_eq!(size_to_pages(b"100%", 1000), Some(1000));
        assert_eq!(size_to_pages(b"1%", 1000), Some(10));
        assert_eq!(size_to_pages(b"%", 1000), Some(0));
        assert_eq!(size_to_pages(b"12q", 1000), None);
        assert_eq!(size_to_pages(b"10%%", 1000), None);
        assert_eq!(size_to_pages(b"1mb", 1000), None);
    }

    #[test]
    fn mode_keeps_permission_bits_only() {
        assert_eq!(mode_bits(0o1777), 0o1777);
        assert_eq!(mode_bits(0o170755), 0o755);
    }
}
