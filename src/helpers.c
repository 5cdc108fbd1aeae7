// SPDX-License-Identifier: GPL-2.0
/*
 * C shims for rust_shmem: wrappers of static inline kernel helpers that bindgen cannot bind.
 * Keep this file free of logic.
 */
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/posix_acl.h>
#include <linux/highmem.h>
#include <linux/huge_mm.h>
#include <linux/vmstat.h>
#include <linux/fileattr.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>
#include <linux/security.h>
#include <linux/ipc_namespace.h>
#include <linux/moduleparam.h>
#include <linux/nsproxy.h>
#include <linux/shm.h>
#include <uapi/linux/shm.h>
#include <linux/uidgid.h>
#include <linux/pid.h>
#include <linux/workqueue.h>

#include <linux/rust_shmem.h>

#include "helpers.h"

/* The setup API is implemented in Rust (src/setup.rs); only the exports are made here. */
EXPORT_SYMBOL_GPL(rust_shmem_file_setup);
EXPORT_SYMBOL_GPL(rust_shmem_kernel_file_setup);
EXPORT_SYMBOL_GPL(rust_shmem_file_setup_with_mnt);
EXPORT_SYMBOL_GPL(rust_shmem_zero_setup);
EXPORT_SYMBOL_GPL(rust_shmem_zero_setup_desc);
EXPORT_SYMBOL_GPL(rust_shmem_mapping);

void rust_shmem_mapping_set_unevictable(struct address_space *mapping)
{
	mapping_set_unevictable(mapping);
}

void rust_shmem_mapping_set_gfp_mask(struct address_space *mapping, gfp_t mask)
{
	mapping_set_gfp_mask(mapping, mask);
}

int rust_shmem_security_inode_init_security(struct inode *inode, struct inode *dir,
					    const struct qstr *qstr)
{
	return security_inode_init_security(inode, dir, qstr, NULL, NULL);
}

unsigned int rust_shmem_current_fsuid(void)
{
	return __kuid_val(current_fsuid());
}

unsigned int rust_shmem_current_fsgid(void)
{
	return __kgid_val(current_fsgid());
}

unsigned long rust_shmem_totalram_pages(void)
{
	return totalram_pages();
}

void rust_shmem_inode_touch_mtime_ctime(struct inode *inode)
{
	inode_set_mtime_to_ts(inode, inode_set_ctime_current(inode));
}

bool rust_shmem_is_idmapped_mnt(const struct vfsmount *mnt)
{
	return is_idmapped_mnt(mnt);
}

void rust_shmem_cond_resched(void)
{
	cond_resched();
}

void rust_shmem_inode_lock(struct inode *inode)
{
	inode_lock(inode);
}

void rust_shmem_inode_unlock(struct inode *inode)
{
	inode_unlock(inode);
}

/* NULL when the page cache has no folio at @index (filemap_get_folio says -ENOENT). */
struct folio *rust_shmem_folio_lookup(struct address_space *mapping, unsigned long index)
{
	struct folio *folio = filemap_get_folio(mapping, index);

	return IS_ERR(folio) ? NULL : folio;
}

/* NULL when the page cache has no folio at @index; otherwise locked and still in @mapping. */
struct folio *rust_shmem_folio_lookup_locked(struct address_space *mapping, unsigned long index)
{
	struct folio *folio = __filemap_get_folio(mapping, index, FGP_LOCK, 0);

	return IS_ERR(folio) ? NULL : folio;
}

void rust_shmem_mapping_set_large_folios(struct address_space *mapping)
{
	mapping_set_large_folios(mapping);
}

/* A new folio of @order, locked (__folio_set_locked), in no page cache yet; NULL if none. */
struct folio *rust_shmem_folio_alloc_locked(gfp_t gfp, unsigned int order)
{
	struct folio *folio = filemap_alloc_folio(gfp, order, NULL);

	if (folio)
		__folio_set_locked(folio);
	return folio;
}

/* Whether @mapping has any entry in @first..=@last (the xa_find in shmem_suitable_orders). */
bool rust_shmem_mapping_range_used(struct address_space *mapping, unsigned long first,
				   unsigned long last)
{
	return xa_find(&mapping->i_pages, &first, last, XA_PRESENT) != NULL;
}

struct address_space *rust_shmem_folio_mapping(struct folio *folio)
{
	return folio->mapping;
}

bool rust_shmem_thp_disabled(struct vm_area_struct *vma)
{
	return !has_transparent_hugepage() || (vma && vma_thp_disabled(vma, vma->vm_flags, false));
}

bool rust_shmem_vma_hugepage_advised(struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_HUGEPAGE;
}

unsigned long rust_shmem_thp_vma_suitable_orders(struct vm_area_struct *vma, unsigned long addr,
						 unsigned long orders)
{
	return thp_vma_suitable_orders(vma, addr, orders);
}

/* The vmstat events tmpfs counts for a new large folio (thp_file_alloc, mTHP shmem_alloc). */
void rust_shmem_count_large_folio_alloc(struct folio *folio)
{
	if (folio_test_pmd_mappable(folio))
		count_vm_event(THP_FILE_ALLOC);
}

/* Every order a page-cache folio may have but 0, as a bitmap (a run-time value on some arches). */
unsigned long rust_shmem_thp_orders_all_file(void)
{
	return THP_ORDERS_ALL_FILE_DEFAULT;
}

unsigned int rust_shmem_vmf_error(int err)
{
	return vmf_error(err);
}

bool rust_shmem_folio_test_uptodate(struct folio *folio)
{
	return folio_test_uptodate(folio);
}

/*
 * A new or preallocated folio becomes zeroed data (shmem_get_folio_gfp's "clear:"), a page at a
 * time with the architecture's page clearing, as there: on x86 that is `rep stosb` where ERMS makes
 * it the fastest, which memset() would not use.
 */
void rust_shmem_folio_zero_mark_uptodate(struct folio *folio)
{
	long i, n = folio_nr_pages(folio);

	for (i = 0; i < n; i++)
		clear_highpage(folio_page(folio, i));
	flush_dcache_folio(folio);
	folio_mark_uptodate(folio);
}

/* simple_write_begin's zeroing of a folio with no data around a write of @len bytes at @pos. */
void rust_shmem_folio_zero_around(struct folio *folio, loff_t pos, size_t len)
{
	size_t from = offset_in_folio(folio, pos);

	len = min(len, folio_size(folio) - from);
	if (len != folio_size(folio))
		folio_zero_segments(folio, 0, from, from + len, folio_size(folio));
}

bool rust_shmem_fileattr_has_fsx(const struct file_kattr *fa)
{
	return fileattr_has_fsx(fa);
}

u32 rust_shmem_fileattr_flags(const struct file_kattr *fa)
{
	return fa->flags;
}

bool rust_shmem_fatal_signal_pending(void)
{
	return fatal_signal_pending(current);
}

bool rust_shmem_folio_test_dirty(struct folio *folio)
{
	return folio_test_dirty(folio);
}

long rust_shmem_folio_nr_pages(struct folio *folio)
{
	return folio_nr_pages(folio);
}

void rust_shmem_folio_put(struct folio *folio)
{
	folio_put(folio);
}

size_t rust_shmem_copy_folio_to_iter(struct folio *folio, size_t offset, size_t bytes,
				     struct iov_iter *iter)
{
	return copy_folio_to_iter(folio, offset, bytes, iter);
}

/*
 * A hole's @bytes at @offset in its page, for a read (shmem_file_read_iter): copying the zero page
 * to user memory is faster than clearing it, but a pipe must not get the same page twice.
 */
size_t rust_shmem_copy_zeroes_to_iter(size_t offset, size_t bytes, struct iov_iter *iter)
{
	if (user_backed_iter(iter))
		return copy_page_to_iter(ZERO_PAGE(0), offset, bytes, iter);
	return iov_iter_zero(bytes, iter);
}

void rust_shmem_file_accessed(struct file *file)
{
	file_accessed(file);
}

struct inode *rust_shmem_folio_inode(struct folio *folio)
{
	return folio_inode(folio);
}

unsigned long rust_shmem_folio_index(struct folio *folio)
{
	return folio->index;
}

struct page *rust_shmem_folio_file_page(struct folio *folio, unsigned long index)
{
	return folio_file_page(folio, index);
}

struct page *rust_shmem_zero_page(void)
{
	return ZERO_PAGE(0);
}

void rust_shmem_posix_acl_release(struct posix_acl *acl)
{
	posix_acl_release(acl);
}

/* ---- System V shared memory (src/sysv): limits, credentials, IPC namespaces, VMAs ---------- */

/*
 * The limits of ipc/shm.c's sysctls (kernel.shmmax, shmall, shmmni, shm_rmid_forced), as module
 * parameters writable at run time under /sys/module/rust_shmem/parameters/. Rust's
 * module_param! has no writable parameters in 7.3. They are global, not per IPC namespace.
 */
static unsigned long rust_shmem_shmmax = SHMMAX;
static unsigned long rust_shmem_shmall = SHMALL;
static int rust_shmem_shmmni = SHMMNI;
static int rust_shmem_shm_rmid_forced;
module_param_named(shmmax, rust_shmem_shmmax, ulong, 0644);
MODULE_PARM_DESC(shmmax, "largest SysV segment in bytes (kernel.shmmax)");
module_param_named(shmall, rust_shmem_shmall, ulong, 0644);
MODULE_PARM_DESC(shmall, "pages of SysV segments per IPC namespace (kernel.shmall)");
module_param_named(shmmni, rust_shmem_shmmni, int, 0644);
MODULE_PARM_DESC(shmmni, "SysV segments per IPC namespace (kernel.shmmni)");
module_param_named(shm_rmid_forced, rust_shmem_shm_rmid_forced, int, 0644);
MODULE_PARM_DESC(shm_rmid_forced, "destroy SysV segments when their last attachment goes");

unsigned long rust_shmem_sysv_shmmax(void)
{
	return READ_ONCE(rust_shmem_shmmax);
}

unsigned long rust_shmem_sysv_shmall(void)
{
	return READ_ONCE(rust_shmem_shmall);
}

int rust_shmem_sysv_shmmni(void)
{
	return READ_ONCE(rust_shmem_shmmni);
}

int rust_shmem_sysv_shm_rmid_forced(void)
{
	return READ_ONCE(rust_shmem_shm_rmid_forced);
}

struct ipc_namespace *rust_shmem_current_ipc_ns_get(void)
{
	return get_ipc_ns(current->nsproxy->ipc_ns);
}

void rust_shmem_ipc_ns_get(struct ipc_namespace *ns)
{
	get_ipc_ns(ns);
}

/* No reference on @ns but the one the caller holds: no task, file or mapping uses it. */
bool rust_shmem_ipc_ns_unused(struct ipc_namespace *ns)
{
	return !is_ns_init_id(&ns->ns) && __ns_ref_read(&ns->ns) == 1;
}

bool rust_shmem_ipc_ns_capable(struct ipc_namespace *ns, int cap)
{
	return ns_capable(ns->user_ns, cap);
}

unsigned int rust_shmem_current_euid(void)
{
	return __kuid_val(current_euid());
}

unsigned int rust_shmem_current_egid(void)
{
	return __kgid_val(current_egid());
}

bool rust_shmem_in_group_p(unsigned int kgid)
{
	return in_group_p(KGIDT_INIT(kgid));
}

unsigned int rust_shmem_uid_to_user(unsigned int kuid)
{
	return from_kuid_munged(current_user_ns(), KUIDT_INIT(kuid));
}

unsigned int rust_shmem_gid_to_user(unsigned int kgid)
{
	return from_kgid_munged(current_user_ns(), KGIDT_INIT(kgid));
}

/* The kernel uid of user-namespace uid @uid, or -EINVAL if it has none. */
int rust_shmem_uid_from_user(unsigned int uid, unsigned int *kuid)
{
	kuid_t k = make_kuid(current_user_ns(), uid);

	if (!uid_valid(k))
		return -EINVAL;
	*kuid = __kuid_val(k);
	return 0;
}

int rust_shmem_gid_from_user(unsigned int gid, unsigned int *kgid)
{
	kgid_t k = make_kgid(current_user_ns(), gid);

	if (!gid_valid(k))
		return -EINVAL;
	*kgid = __kgid_val(k);
	return 0;
}

struct pid *rust_shmem_current_tgid_get(void)
{
	return get_pid(task_tgid(current));
}

unsigned long rust_shmem_rlimit_memlock(void)
{
	return rlimit(RLIMIT_MEMLOCK);
}

/*
 * The first VMA of the current mm at or above @from, ending no further than @limit bytes above
 * @addr (no bound if @limit is 0), that has operations @ops, the page offset of its distance
 * from @addr and, unless @file is NULL, file @file: ksys_shmdt's test. Its range, file and file
 * size go to @start, @end, @vm_file and @size. Returns 1 if found, 0 if not, -EINTR.
 */
int rust_shmem_find_shm_vma(unsigned long addr, unsigned long from,
			    const struct vm_operations_struct *ops, struct file *file,
			    loff_t limit, unsigned long *start, unsigned long *end,
			    struct file **vm_file, loff_t *size)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	VMA_ITERATOR(vmi, mm, from);
	int found = 0;

	if (mmap_read_lock_killable(mm))
		return -EINTR;
	for_each_vma(vmi, vma) {
		if (limit && (loff_t)(vma->vm_end - addr) > limit)
			break;
		if (vma->vm_ops == ops && (vma->vm_start - addr) / PAGE_SIZE == vma->vm_pgoff &&
		    (!file || vma->vm_file == file)) {
			*start = vma->vm_start;
			*end = vma->vm_end;
			*vm_file = vma->vm_file;
			*size = i_size_read(file_inode(vma->vm_file));
			found = 1;
			break;
		}
	}
	mmap_read_unlock(mm);
	return found;
}

/*
 * Reaping of dead IPC namespaces' segments (src/sysv): a delayed work that calls
 * rust_shmem_sysv_reap() and runs again while it returns true (namespaces other than the
 * initial one are known).
 */
static void rust_shmem_sysv_reap_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(rust_shmem_sysv_reap_work, rust_shmem_sysv_reap_fn);

static void rust_shmem_sysv_reap_fn(struct work_struct *work)
{
	if (rust_shmem_sysv_reap())
		schedule_delayed_work(&rust_shmem_sysv_reap_work, HZ / 2);
}

void rust_shmem_sysv_schedule_reap(void)
{
	schedule_delayed_work(&rust_shmem_sysv_reap_work, HZ / 2);
}

void rust_shmem_sysv_cancel_reap(void)
{
	cancel_delayed_work_sync(&rust_shmem_sysv_reap_work);
}

bool rust_shmem_ipc_ns_is_initial(struct ipc_namespace *ns)
{
	return is_ns_init_id(&ns->ns);
}

bool rust_shmem_pid_has_tgid_task(struct pid *pid)
{
	return pid_has_task(pid, PIDTYPE_TGID);
}
