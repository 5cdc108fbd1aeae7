/* SPDX-License-Identifier: GPL-2.0 */
/*
 * C shims for what Rust cannot reach: static inline helpers and macros of the kernel headers.
 * Each one only forwards; the logic lives in Rust.
 */
#ifndef RUST_SHMEM_HELPERS_H
#define RUST_SHMEM_HELPERS_H

#include <linux/types.h>

struct address_space;
struct inode;
struct qstr;
struct vfsmount;
struct folio;
struct file;
struct iov_iter;

void rust_shmem_mapping_set_unevictable(struct address_space *mapping);
void rust_shmem_mapping_set_gfp_mask(struct address_space *mapping, gfp_t mask);
unsigned int rust_shmem_current_fsuid(void);
unsigned int rust_shmem_current_fsgid(void);
unsigned long rust_shmem_totalram_pages(void);
void rust_shmem_inode_touch_mtime_ctime(struct inode *inode);
int rust_shmem_security_inode_init_security(struct inode *inode, struct inode *dir,
					    const struct qstr *qstr);

void rust_shmem_cond_resched(void);
struct posix_acl;
void rust_shmem_posix_acl_release(struct posix_acl *acl);
void rust_shmem_inode_lock(struct inode *inode);
void rust_shmem_inode_unlock(struct inode *inode);
bool rust_shmem_is_idmapped_mnt(const struct vfsmount *mnt);

struct folio *rust_shmem_folio_lookup(struct address_space *mapping, unsigned long index);
struct folio *rust_shmem_folio_lookup_locked(struct address_space *mapping, unsigned long index);
void rust_shmem_mapping_set_large_folios(struct address_space *mapping);
struct folio *rust_shmem_folio_alloc_locked(gfp_t gfp, unsigned int order);
bool rust_shmem_mapping_range_used(struct address_space *mapping, unsigned long first,
				   unsigned long last);
struct address_space *rust_shmem_folio_mapping(struct folio *folio);
struct vm_area_struct;
bool rust_shmem_thp_disabled(struct vm_area_struct *vma);
bool rust_shmem_vma_hugepage_advised(struct vm_area_struct *vma);
unsigned long rust_shmem_thp_vma_suitable_orders(struct vm_area_struct *vma, unsigned long addr,
						 unsigned long orders);
void rust_shmem_count_large_folio_alloc(struct folio *folio);
unsigned long rust_shmem_thp_orders_all_file(void);
unsigned int rust_shmem_vmf_error(int err);
void rust_shmem_folio_zero_around(struct folio *folio, loff_t pos, size_t len);
bool rust_shmem_folio_test_uptodate(struct folio *folio);
bool rust_shmem_folio_test_dirty(struct folio *folio);
void rust_shmem_folio_zero_mark_uptodate(struct folio *folio);
bool rust_shmem_fatal_signal_pending(void);
struct file_kattr;
bool rust_shmem_fileattr_has_fsx(const struct file_kattr *fa);
u32 rust_shmem_fileattr_flags(const struct file_kattr *fa);
long rust_shmem_folio_nr_pages(struct folio *folio);
void rust_shmem_folio_put(struct folio *folio);
size_t rust_shmem_copy_folio_to_iter(struct folio *folio, size_t offset, size_t bytes,
				     struct iov_iter *iter);
size_t rust_shmem_copy_zeroes_to_iter(size_t offset, size_t bytes, struct iov_iter *iter);
void rust_shmem_file_accessed(struct file *file);
struct inode *rust_shmem_folio_inode(struct folio *folio);
unsigned long rust_shmem_folio_index(struct folio *folio);

struct page;
struct page *rust_shmem_folio_file_page(struct folio *folio, unsigned long index);
struct page *rust_shmem_zero_page(void);

/* System V shared memory (src/sysv). */
struct ipc_namespace;
struct pid;
struct vm_operations_struct;
unsigned long rust_shmem_sysv_shmmax(void);
unsigned long rust_shmem_sysv_shmall(void);
int rust_shmem_sysv_shmmni(void);
int rust_shmem_sysv_shm_rmid_forced(void);
struct ipc_namespace *rust_shmem_current_ipc_ns_get(void);
void rust_shmem_ipc_ns_get(struct ipc_namespace *ns);
bool rust_shmem_ipc_ns_unused(struct ipc_namespace *ns);
bool rust_shmem_ipc_ns_capable(struct ipc_namespace *ns, int cap);
unsigned int rust_shmem_current_euid(void);
unsigned int rust_shmem_current_egid(void);
bool rust_shmem_in_group_p(unsigned int kgid);
unsigned int rust_shmem_uid_to_user(unsigned int kuid);
unsigned int rust_shmem_gid_to_user(unsigned int kgid);
int rust_shmem_uid_from_user(unsigned int uid, unsigned int *kuid);
int rust_shmem_gid_from_user(unsigned int gid, unsigned int *kgid);
struct pid *rust_shmem_current_tgid_get(void);
unsigned long rust_shmem_rlimit_memlock(void);
bool rust_shmem_sysv_reap(void);
void rust_shmem_sysv_schedule_reap(void);
void rust_shmem_sysv_cancel_reap(void);
bool rust_shmem_ipc_ns_is_initial(struct ipc_namespace *ns);
bool rust_shmem_pid_has_tgid_task(struct pid *pid);
int rust_shmem_find_shm_vma(unsigned long addr, unsigned long from,
			    const struct vm_operations_struct *ops, struct file *file,
			    loff_t limit, unsigned long *start, unsigned long *end,
			    struct file **vm_file, loff_t *size);

#endif /* RUST_SHMEM_HELPERS_H */
