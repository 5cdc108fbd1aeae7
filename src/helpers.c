// SPDX-License-Identifier: GPL-2.0
/*
 * One-line wrappers of the static inline kernel functions and macros that rust_shmem calls, and
 * the exports of its Rust setup API. No logic: what Rust can express is Rust (src/vfs/, src/kabi/).
 * The writable module parameters are C for another reason: src/sysv/params.c.
 */
#include <linux/fs.h>
#include <linux/fileattr.h>
#include <linux/highmem.h>
#include <linux/huge_mm.h>
#include <linux/ipc_namespace.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/posix_acl.h>
#include <linux/sched/signal.h>
#include <linux/security.h>
#include <linux/vmstat.h>

#include <linux/rust_shmem.h>
#include "helpers.h"

/* The setup API is implemented in Rust (src/setup.rs); only the exports are made here. */
EXPORT_SYMBOL_GPL(rust_shmem_file_setup);
EXPORT_SYMBOL_GPL(rust_shmem_kernel_file_setup);
EXPORT_SYMBOL_GPL(rust_shmem_file_setup_with_mnt);
EXPORT_SYMBOL_GPL(rust_shmem_zero_setup);
EXPORT_SYMBOL_GPL(rust_shmem_zero_setup_desc);
EXPORT_SYMBOL_GPL(rust_shmem_mapping);

void rust_shmem_mapping_set_large_folios(struct address_space *mapping)
{
	mapping_set_large_folios(mapping);
}

int rust_shmem_security_inode_init_security(struct inode *inode, struct inode *dir,
					    const struct qstr *qstr)
{
	return security_inode_init_security(inode, dir, qstr, NULL, NULL);
}

bool rust_shmem_is_idmapped_mnt(const struct vfsmount *mnt)
{
	return is_idmapped_mnt(mnt);
}

bool rust_shmem_fileattr_has_fsx(const struct file_kattr *fa)
{
	return fileattr_has_fsx(fa);
}

void rust_shmem_posix_acl_release(struct posix_acl *acl)
{
	posix_acl_release(acl);
}

bool rust_shmem_folio_test_uptodate(struct folio *folio)
{
	return folio_test_uptodate(folio);
}

long rust_shmem_folio_nr_pages(struct folio *folio)
{
	return folio_nr_pages(folio);
}

void rust_shmem_folio_put(struct folio *folio)
{
	folio_put(folio);
}

struct folio *rust_shmem_filemap_alloc_folio(gfp_t gfp, unsigned int order)
{
	return filemap_alloc_folio(gfp, order, NULL);
}

void rust_shmem_clear_highpage(struct page *page)
{
	clear_highpage(page);
}

void rust_shmem_flush_dcache_folio(struct folio *folio)
{
	flush_dcache_folio(folio);
}

void rust_shmem_folio_mark_uptodate(struct folio *folio)
{
	folio_mark_uptodate(folio);
}

void rust_shmem_folio_zero_segments(struct folio *folio, size_t start1, size_t xend1,
				    size_t start2, size_t xend2)
{
	folio_zero_segments(folio, start1, xend1, start2, xend2);
}

struct page *rust_shmem_zero_page(void)
{
	return ZERO_PAGE(0);
}

bool rust_shmem_has_transparent_hugepage(void)
{
	return has_transparent_hugepage();
}

bool rust_shmem_vma_thp_disabled(struct vm_area_struct *vma)
{
	return vma_thp_disabled(vma, vma->vm_flags, false);
}

unsigned long rust_shmem_thp_vma_suitable_orders(struct vm_area_struct *vma, unsigned long addr,
						 unsigned long orders)
{
	return thp_vma_suitable_orders(vma, addr, orders);
}

/* Every order a page-cache folio may have but 0, as a bitmap (a run-time value on some arches). */
unsigned long rust_shmem_thp_orders_all_file(void)
{
	return THP_ORDERS_ALL_FILE_DEFAULT;
}

void rust_shmem_lruvec_stat_mod_folio(struct folio *folio, enum node_stat_item idx, int val)
{
	lruvec_stat_mod_folio(folio, idx, val);
}

void rust_shmem_count_vm_event(enum vm_event_item item)
{
	count_vm_event(item);
}

void rust_shmem_cond_resched(void)
{
	cond_resched();
}

bool rust_shmem_fatal_signal_pending(void)
{
	return fatal_signal_pending(current);
}

/* Fields of `current`: Rust must not read them (src/kabi/mod.rs says why). */
const struct cred *rust_shmem_current_cred(void)
{
	return current_cred();
}

struct nsproxy *rust_shmem_current_nsproxy(void)
{
	return current->nsproxy;
}

unsigned long rust_shmem_rlimit(unsigned int limit)
{
	return rlimit(limit);
}

void rust_shmem_ipc_ns_get(struct ipc_namespace *ns)
{
	get_ipc_ns(ns);
}

int rust_shmem_ipc_ns_refs(struct ipc_namespace *ns)
{
	return __ns_ref_read(&ns->ns);
}

bool rust_shmem_ipc_ns_capable(struct ipc_namespace *ns, int cap)
{
	return ns_capable(ns->user_ns, cap);
}

