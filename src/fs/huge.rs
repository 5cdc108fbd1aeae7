// SPDX-License-Identifier: GPL-2.0

//! `huge=`: when files get large folios ("huge tmpfs", `shmem_huge_global_enabled`).

use crate::vfs::consts;
use kernel::{page::PAGE_SIZE, prelude::*};

/// A mount's `huge=` policy.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(i32)]
pub(crate) enum HugePolicy {
    /// Single pages only, the default.
    Never = 0,
    /// Large folios wherever they fit.
    Always = 1,
    /// Large folios only where the file's size (or the write in progress) covers them.
    WithinSize = 2,
    /// Large folios only for mappings that asked for them (`MADV_HUGEPAGE`).
    Advise = 3,
}

/// Every order a file folio may have: 2 pages up to the page cache's maximum (a PMD).
fn all_orders() -> u64 {
    crate::kabi::mm::thp_orders_all_file()
}

impl HugePolicy {
    /// The policy stored as `repr` (`self as i32`); anything else reads as `Never`.
    pub(crate) fn from_repr(repr: i32) -> Self {
        match repr {
            1 => Self::Always,
            2 => Self::WithinSize,
            3 => Self::Advise,
            _ => Self::Never,
        }
    }

    /// The policy an option value names, as `shmem_param_enums_huge` spells them.
    pub(crate) fn from_name(name: &[u8]) -> Option<Self> {
        match name {
            b"never" => Some(Self::Never),
            b"always" => Some(Self::Always),
            b"within_size" => Some(Self::WithinSize),
            b"advise" => Some(Self::Advise),
            _ => None,
        }
    }

    /// The option value, for `/proc/mounts`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Never => "never",
            Self::Always => "always",
            Self::WithinSize => "within_size",
            Self::Advise => "advise",
        }
    }

    /// The orders a new folio holding page `index` of a regular file of `size` bytes may have;
    /// `write_end` is where a write in progress ends, `advised` says a mapping asked for huge
    /// pages.
    pub(crate) fn orders(self, index: u64, size: i64, write_end: i64, advised: bool) -> u64 {
        match self {
            Self::Never => 0,
            Self::Always => all_orders(),
            Self::WithinSize => match within_size(all_orders(), index, size.max(write_end)) {
                0 if advised => all_orders(),
                orders => orders,
            },
            Self::Advise if advised => all_orders(),
            Self::Advise => 0,
        }
    }
}

/// `orders` from the largest whose aligned range around `index` ends within `size` bytes
/// (`shmem_get_orders_within_size`), or 0 if none does.
fn within_size(mut orders: u64, index: u64, size: i64) -> u64 {
    let page = PAGE_SIZE as u64;
    let size_pages = (size.max(0) as u64).div_ceil(page);
    while orders != 0 {
        let order = 63 - orders.leading_zeros();
        let aligned_end = (index + 1).next_multiple_of(1 << order);
        if size_pages >= aligned_end {
            return orders;
        }
        orders &= !(1 << order);
    }
    0
}

#[kunit_tests(rust_shmem_huge)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for policy in [
            HugePolicy::Never,
            HugePolicy::Always,
            HugePolicy::WithinSize,
            HugePolicy::Advise,
        ] {
            assert_eq!(
                HugePolicy::from_name(policy.name().as_bytes()),
                Some(policy)
            );
        }
        assert_eq!(HugePolicy::from_name(b"deny"), None);
        assert_eq!(HugePolicy::from_name(b"force"), None);
        assert_eq!(HugePolicy::from_name(b""), None);
    }

    #[test]
    fn within_size_keeps_orders_that_fit() {
        let page = PAGE_SIZE as i64;
        // Orders 1..=3: 2, 4 and 8 pages.
        let orders = 0b1110;
        assert_eq!(within_size(orders, 0, 8 * page), orders);
        assert_eq!(within_size(orders, 0, 7 * page), 0b0110);
        assert_eq!(within_size(orders, 0, page), 0);
        assert_eq!(within_size(orders, 5, 8 * page), orders);
        assert_eq!(within_size(orders, 5, 6 * page), 0b0010);
        assert_eq!(within_size(orders, 0, 0), 0);
        assert_eq!(within_size(orders, 0, -1), 0);
    }

    #[test]
    fn policies_choose_orders() {
        let pmd = consts::HPAGE_PMD_SIZE as i64;
        assert_eq!(HugePolicy::Never.orders(0, pmd, 0, true), 0);
        assert_eq!(HugePolicy::Always.orders(0, 0, 0, false), all_orders());
        assert_eq!(HugePolicy::Advise.orders(0, pmd, 0, false), 0);
        assert_eq!(HugePolicy::Advise.orders(0, 0, 0, true), all_orders());
        assert_eq!(
            HugePolicy::WithinSize.orders(0, pmd, 0, false),
            all_orders()
        );
        assert_eq!(
            HugePolicy::WithinSize.orders(0, 0, pmd, false),
            all_orders()
        );
        assert_eq!(HugePolicy::WithinSize.orders(0, 0, 0, false), 0);
        assert_eq!(HugePolicy::WithinSize.orders(0, 0, 0, true), all_orders());
    }
}
