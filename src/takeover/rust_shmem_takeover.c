// SPDX-License-Identifier: GPL-2.0
/*
 * rust_shmem_takeover.ko: a livepatch that puts rust_shmem in the kernel's own seat. While it is
 * enabled, every new shared anonymous mapping (mmap MAP_SHARED|MAP_ANONYMOUS, mm/vma.c
 * __mmap_new_vma -> shmem_zero_setup), every MAP_SHARED mapping of /dev/zero
 * (drivers/char/mem.c mmap_zero_prepare -> shmem_zero_setup_desc) and every System V segment
 * (ipc/shm.c newseg -> shmem_kernel_file_setup) gets its file from rust_shmem's setup API instead
 * of the kernel's tmpfs. Disabling it (echo 0 > /sys/kernel/livepatch/rust_shmem_takeover/enabled)
 * and unloading it sends new ones back to tmpfs; existing mappings and segments keep their
 * rust_shmem files, and each file pins rust_shmem.ko until it goes.
 *
 * Why C: the module is the klp tables, MODULE_INFO(livepatch) and a caller test that needs the
 * return address (__builtin_return_address); all three are C's, and the tables are what the
 * livepatch core reads. The policy (the files, their accounting) is rust_shmem's.
 *
 * What is patched, and why those functions:
 * - shmem_zero_setup(vma) and shmem_zero_setup_desc(desc) (mm/shmem.c): clang inlines
 *   __shmem_zero_setup and shmem_kernel_file_setup into both, so the callers themselves are
 *   patched; rust_shmem_zero_setup{,_desc} have the same contract.
 * - shmem_kernel_file_setup(): only the call from ipc/shm.c's newseg goes to rust_shmem. The other
 *   callers (security/keys/big_key.c, fs/xfs/scrub/xfile.c, fs/xfs/xfs_buf_mem.c) use shmem's
 *   internals on the file (shmem_read_folio, shmem_get_folio) and must keep tmpfs; for them the
 *   replacement does what the original does, through shmem_file_setup() on the same internal
 *   mount, and then marks the inode S_PRIVATE (the one difference: an LSM sees the inode at
 *   d_instantiate before S_PRIVATE is set; no LSM is built into the test kernel).
 *   shmem_file_setup() itself is never patched: memfd_create() and rust_shmem's own commit
 *   charge use it, and memfd's seals require a real shmem file (mm/memfd.c, shmem_file()).
 *
 * The SysV layer casts the segment's inode with SHMEM_I() (shm_destroy and SHM_LOCK/UNLOCK via
 * shmem_lock, shm_add_rss_swap for SHM_INFO and /proc/sysvipc/shm): rust_shmem allocates each
 * inode inside a struct shmem_inode_info, as tmpfs does, so those accesses stay in bounds and
 * read and write fields that mean what they mean for tmpfs (src/vfs/inode_cache.rs).
 *
 * - shmem_unlock_mapping(): SHM_UNLOCK's shmem_lock(, 0, ) clears the mapping's unevictable flag,
 *   then ipc/shm.c calls this to move the pages to the evictable LRUs. rust_shmem's pages must
 *   stay resident (no swap behind them: its mappings are always unevictable), so for a rust_shmem
 *   mapping the replacement sets the flag again and moves nothing; other mappings get 7.3's body.
 *   (Between the two calls a new page of the segment can reach an evictable LRU; reclaim checks
 *   folio_evictable() before anything else and puts it back once the flag is set again.)
 *
 * The patch is never forced and never replaces another (.replace = false): a later cumulative
 * livepatch cannot drop it silently, and a task that does not reach a safe point keeps the
 * transition pending rather than being switched mid-call.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/kallsyms.h>
#include <linux/livepatch.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/folio_batch.h>
#include <linux/swap.h>
#include <linux/rust_shmem.h>
#include <linux/shmem_fs.h>
#include <linux/string.h>

/* The address range of ipc/shm.c's newseg (static, so found by name from its first call). */
struct code_range {
	unsigned long start, end;
};
static struct code_range newseg_range;
static bool newseg_known;		/* newseg_range is valid (release/acquire) */
static DEFINE_MUTEX(newseg_lock);	/* serialises finding newseg_range */

/*
 * Whether @addr lies in newseg. The first call from newseg looks its symbol up in kallsyms
 * ("newseg+0x1f4/0x460") and keeps the range; every later call is two compares.
 */
static bool addr_in_newseg(unsigned long addr)
{
	char sym[KSYM_SYMBOL_LEN];
	unsigned long offset, size;
	char *plus, *slash;

	if (smp_load_acquire(&newseg_known))
		return addr >= newseg_range.start && addr < newseg_range.end;

	sprint_symbol(sym, addr);
	plus = strchr(sym, '+');
	if (!plus || plus - sym != strlen("newseg") || strncmp(sym, "newseg", plus - sym))
		return false;
	slash = strchr(plus, '/');
	/* A module's symbol ends in " [module]": newseg is vmlinux's, with no suffix. */
	if (!slash || strchr(slash, ' '))
		return false;
	*slash = '\0';
	if (kstrtoul(plus + 1, 16, &offset) || kstrtoul(slash + 1, 16, &size) || offset >= size)
		return false;

	mutex_lock(&newseg_lock);
	if (!newseg_known) {
		newseg_range.start = addr - offset;
		newseg_range.end = addr - offset + size;
		smp_store_release(&newseg_known, true);
	}
	mutex_unlock(&newseg_lock);
	return true;
}

/* Replaces shmem_kernel_file_setup(): SysV segments to rust_shmem, every other caller to tmpfs. */
static struct file *takeover_kernel_file_setup(const char *name, loff_t size, vma_flags_t flags)
{
	struct file *file;

	/* Reached through ftrace: the return address is still the original caller's. */
	if (addr_in_newseg((unsigned long)__builtin_return_address(0)))
		return rust_shmem_kernel_file_setup(name, size, flags);

	/* The original: __shmem_file_setup(shm_mnt, name, size, flags, S_PRIVATE). */
	file = shmem_file_setup(name, size, flags);
	if (!IS_ERR(file))
		file_inode(file)->i_flags |= S_PRIVATE;
	return file;
}

/* Replaces shmem_unlock_mapping() (mm/shmem.c), called by SHM_UNLOCK after shmem_lock(, 0, ). */
static void takeover_unlock_mapping(struct address_space *mapping)
{
	struct folio_batch fbatch;
	pgoff_t index = 0;

	if (rust_shmem_mapping(mapping)) {
		mapping_set_unevictable(mapping);
		return;
	}
	/* 7.3's shmem_unlock_mapping, line for line. */
	folio_batch_init(&fbatch);
	while (!mapping_unevictable(mapping) &&
	       filemap_get_folios(mapping, &index, ~0UL, &fbatch)) {
		check_move_unevictable_folios(&fbatch);
		folio_batch_release(&fbatch);
		cond_resched();
	}
}

static struct klp_func funcs[] = {
	{ .old_name = "shmem_zero_setup", .new_func = rust_shmem_zero_setup },
	{ .old_name = "shmem_zero_setup_desc", .new_func = rust_shmem_zero_setup_desc },
	{ .old_name = "shmem_kernel_file_setup", .new_func = takeover_kernel_file_setup },
	{ .old_name = "shmem_unlock_mapping", .new_func = takeover_unlock_mapping },
	{ }
};

static struct klp_object objs[] = {
	{ /* vmlinux */ .funcs = funcs },
	{ }
};

static struct klp_patch patch = {
	.mod = THIS_MODULE,
	.objs = objs,
	.replace = false,
};

static int __init takeover_init(void)
{
	return klp_enable_patch(&patch);
}

static void __exit takeover_exit(void)
{
}

module_init(takeover_init);
module_exit(takeover_exit);
MODULE_DESCRIPTION("Livepatch: the kernel's shared anonymous, /dev/zero and SysV memory on rust_shmem");
MODULE_LICENSE("GPL");
MODULE_INFO(livepatch, "Y");
