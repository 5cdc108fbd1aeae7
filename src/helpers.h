/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C shims for what Rust cannot reach: static inline helpers and macros of the kernel headers.
 * Each one only forwards; the logic lives in Rust.
 */
#ifndef RUST_SHMEM_HELPERS_H
#define RUST_SHMEM_HELPERS_H

#include <linux/types.h>
#include <linux/vm_event_item.h>

struct address_space;
struct file_kattr;
struct folio;
struct inode;
struct ipc_namespace;
struct page;
struct posix_acl;
struct qstr;
struct vfsmount;
struct vm_area_struct;

void rust_shmem_mapping_set_large_folios(struct address_space *mapping);
int rust_shmem_security_inode_init_security(struct inode *inode, struct inode *dir,
					    const struct qstr *qstr);
bool rust_shmem_is_idmapped_mnt(const struct vfsmount *mnt);
bool rust_shmem_fileattr_has_fsx(const struct file_kattr *fa);
void rust_shmem_posix_acl_release(struct posix_acl *acl);

bool rust_shmem_folio_test_uptodate(struct folio *folio);
long rust_shmem_folio_nr_pages(struct folio *folio);
void rust_shmem_folio_put(struct folio *folio);
struct folio *rust_shmem_filemap_alloc_folio(gfp_t gfp, unsigned int order);
void rust_shmem_clear_highpage(struct page *page);
void rust_shmem_flush_dcache_folio(struct folio *folio);
void rust_shmem_folio_mark_uptodate(struct folio *folio);
void rust_shmem_folio_zero_segments(struct folio *folio, size_t start1, size_t xend1,
				    size_t start2, size_t xend2);
struct page *rust_shmem_zero_page(void);
bool rust_shmem_has_transparent_hugepage(void);
bool rust_shmem_vma_thp_disabled(struct vm_area_struct *vma);
unsigned long rust_shmem_thp_vma_suitable_orders(struct vm_area_struct *vma, unsigned long addr,
						 unsigned long orders);
unsigned long rust_shmem_thp_orders_all_file(void);
void rust_shmem_lruvec_stat_mod_folio(struct folio *folio, enum node_stat_item idx, int val);
void rust_shmem_count_vm_event(enum vm_event_item item);

void rust_shmem_cond_resched(void);
bool rust_shmem_fatal_signal_pending(void);
struct cred;
struct nsproxy;
const struct cred *rust_shmem_current_cred(void);
struct nsproxy *rust_shmem_current_nsproxy(void);
unsigned long rust_shmem_rlimit(unsigned int limit);
void rust_shmem_ipc_ns_get(struct ipc_namespace *ns);
int rust_shmem_ipc_ns_refs(struct ipc_namespace *ns);
bool rust_shmem_ipc_ns_capable(struct ipc_namespace *ns, int cap);

#endif /* RUST_SHMEM_HELPERS_H */
