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
#include <linux/fileattr.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>
#include <linux/security.h>

#include <linux/rust_shmem.h>

#include "helpers.h"

/* The setup API is implemented in Rust (src/setup.rs); only the exports are made here. */
EXPORT_SYMBOL_GPL(rust_shmem_file_setup);
EXPORT_SYMBOL_GPL(rust_shmem_kernel_file_setup);
EXPORT_SYMBOL_GPL(rust_shmem_file_setup_with_mnt);
EXPORT_SYMBOL_GPL(rust_shmem_zero_setup);
EXPORT_SYMBOL_GPL(rust_shmem_zero_setup_desc);

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

void rust_shmem_inode_touch_dir(struct inode *dir)
{
	inode_set_mtime_to_ts(dir, inode_set_ctime_current(dir));
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

struct folio *rust_shmem_folio_create_locked(struct address_space *mapping, unsigned long index)
{
	return __filemap_get_folio(mapping, index, FGP_LOCK | FGP_CREAT, mapping_gfp_mask(mapping));
}

bool rust_shmem_folio_test_uptodate(struct folio *folio)
{
	return folio_test_uptodate(folio);
}

/* A folio preallocated earlier becomes zeroed data (shmem_get_folio_gfp's "clear:"). */
void rust_shmem_folio_zero_mark_uptodate(struct folio *folio)
{
	folio_zero_range(folio, 0, folio_size(folio));
	flush_dcache_folio(folio);
	folio_mark_uptodate(folio);
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
