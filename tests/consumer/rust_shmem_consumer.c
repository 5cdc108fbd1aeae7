// SPDX-License-Identifier: GPL-2.0
/*
 * rust_shmem_consumer.ko: a test module that uses every function rust_shmem.ko exports
 * (include/linux/rust_shmem.h) the way in-tree users use their mm/shmem.c counterparts:
 *
 *  - objects made by rust_shmem_file_setup() (DRM GEM's drm_gem_object_init()),
 *    rust_shmem_kernel_file_setup() (ipc/shm.c, big_key) and rust_shmem_file_setup_with_mnt()
 *    (i915/DRM's private huge mount, made here with fs_context_for_mount() like
 *    drm_gem_huge_mnt_create(), or a user's mount passed by fd);
 *  - their data written and read from the kernel through the page cache with kernel_write() and
 *    kernel_read() (XFS scrub's xfile), resized with vfs_truncate();
 *  - mapped into the caller by the device's mmap(): vma_set_file() + vfs_mmap() of the object's
 *    file, the object chosen by a fake mmap offset (DRM GEM, i915's dma-buf mmap);
 *  - rust_shmem_zero_setup(vma) from an mmap() hook (old drivers/char/mem.c, powerpc's legacy
 *    PCI mmap) and rust_shmem_zero_setup_desc(desc) from an mmap_prepare() hook (7.3's mem.c).
 *
 * The ABI is in rust_shmem_consumer.h. Everything an open file made is released when it closes.
 */
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

#include <linux/rust_shmem.h>

#include "rust_shmem_consumer.h"

/* Pages in the mmap window of one object (RSC_HANDLE_SHIFT bits of byte offset). */
#define RSC_WINDOW_PAGES	(1UL << (RSC_HANDLE_SHIFT - PAGE_SHIFT))

/* Per open file of /dev/rust_shmem_consumer: handle -> struct file * (one reference each). */
struct rsc_ctx {
	struct mutex lock;	/* handle lookup + reference vs. release */
	struct xarray objs;
};

/* The module's own kernel-internal rust_shmem mount, made on first use. */
static DEFINE_MUTEX(rsc_mnt_lock);
static struct vfsmount *rsc_mnt;

static struct vfsmount *rsc_private_mount(void)
{
	struct file_system_type *type;
	struct fs_context *fc;
	struct vfsmount *mnt;
	int ret;

	guard(mutex)(&rsc_mnt_lock);
	if (rsc_mnt)
		return rsc_mnt;

	/* As drm_gem_huge_mnt_create() does for tmpfs. */
	type = get_fs_type("rust_shmem");
	if (!type)
		return ERR_PTR(-ENODEV);
	fc = fs_context_for_mount(type, SB_KERNMOUNT);
	/* The context holds its own reference on the type (put_filesystem() is not exported). */
	module_put(type->owner);
	if (IS_ERR(fc))
		return ERR_CAST(fc);
	ret = vfs_parse_fs_string(fc, "source", "rust_shmem");
	mnt = ret ? ERR_PTR(ret) : fc_mount_longterm(fc);
	put_fs_context(fc);
	if (!IS_ERR(mnt))
		rsc_mnt = mnt;
	return mnt;
}

/* The object @handle of @ctx with a reference of the caller's, or NULL. */
static struct file *rsc_get(struct rsc_ctx *ctx, unsigned long handle)
{
	struct file *file;

	if (!handle || handle > RSC_MAX_OBJECTS)
		return NULL;
	mutex_lock(&ctx->lock);
	file = xa_load(&ctx->objs, handle);
	if (file)
		get_file(file);
	mutex_unlock(&ctx->lock);
	return file;
}

/* rust_shmem_file_setup_with_mnt() on the mount of @fd, or on our own one for RSC_MNT_PRIVATE. */
static struct file *rsc_setup_with_mnt(int fd, const char *name, loff_t size, vma_flags_t flags)
{
	struct file *f, *file;

	/* An error pointer is passed on, as callers that chain kern_mount() rely on. */
	if (fd == RSC_MNT_PRIVATE)
		return rust_shmem_file_setup_with_mnt(rsc_private_mount(), name, size, flags);

	/* fget_raw: an O_PATH descriptor names a mount as well as any. */
	f = fget_raw(fd);
	if (!f)
		return ERR_PTR(-EBADF);
	/* Our reference on @f keeps the mount alive for the call. */
	file = rust_shmem_file_setup_with_mnt(f->f_path.mnt, name, size, flags);
	fput(f);
	return file;
}

static struct file *rsc_setup(const struct rsc_create *req)
{
	vma_flags_t flags = EMPTY_VMA_FLAGS;

	if (req->flags & RSC_F_NORESERVE)
		flags = mk_vma_flags(VMA_NORESERVE_BIT);
	if (req->setup != RSC_SETUP_WITH_MNT && req->mnt_fd != RSC_MNT_PRIVATE)
		return ERR_PTR(-EINVAL);

	switch (req->setup) {
	case RSC_SETUP_FILE:
		return rust_shmem_file_setup(req->name, req->size, flags);
	case RSC_SETUP_KERNEL_FILE:
		return rust_shmem_kernel_file_setup(req->name, req->size, flags);
	case RSC_SETUP_WITH_MNT:
		return rsc_setup_with_mnt(req->mnt_fd, req->name, req->size, flags);
	default:
		return ERR_PTR(-EINVAL);
	}
}

static long rsc_ioc_create(struct rsc_ctx *ctx, void __user *argp)
{
	struct rsc_create req;
	struct file *file;
	u32 id;
	int ret;

	if (copy_from_user(&req, argp, sizeof(req)))
		return -EFAULT;
	if (req.flags & ~RSC_F_NORESERVE)
		return -EINVAL;
	if (!req.name[0] || !memchr(req.name, '\0', sizeof(req.name)))
		return -EINVAL;

	file = rsc_setup(&req);
	if (IS_ERR(file))
		return PTR_ERR(file);

	mutex_lock(&ctx->lock);
	ret = xa_alloc(&ctx->objs, &id, file, XA_LIMIT(1, RSC_MAX_OBJECTS), GFP_KERNEL);
	mutex_unlock(&ctx->lock);
	if (ret) {
		fput(file);
		return ret == -EBUSY ? -EMFILE : ret;
	}

	req.handle = id;
	req.mmap_offset = RSC_MMAP_OFFSET(id);
	if (copy_to_user(argp, &req, sizeof(req))) {
		/* Unless another thread already released the handle it could not know. */
		mutex_lock(&ctx->lock);
		if (xa_load(&ctx->objs, id) == file)
			xa_erase(&ctx->objs, id);
		else
			file = NULL;
		mutex_unlock(&ctx->lock);
		if (file)
			fput(file);
		return -EFAULT;
	}
	return 0;
}

static long rsc_ioc_release(struct rsc_ctx *ctx, void __user *argp)
{
	struct file *file;
	u32 handle;

	if (get_user(handle, (u32 __user *)argp))
		return -EFAULT;
	if (!handle || handle > RSC_MAX_OBJECTS)
		return -ENOENT;
	mutex_lock(&ctx->lock);
	file = xa_erase(&ctx->objs, handle);
	mutex_unlock(&ctx->lock);
	if (!file)
		return -ENOENT;
	fput(file);
	return 0;
}

/* kernel_read()/kernel_write() through the object's page cache, like XFS's xfile. */
static long rsc_ioc_io(struct rsc_ctx *ctx, void __user *argp, bool write)
{
	struct rsc_io io;
	struct file *file;
	void __user *ubuf;
	loff_t pos;
	ssize_t ret;
	void *buf;

	if (copy_from_user(&io, argp, sizeof(io)))
		return -EFAULT;
	if (io.reserved || io.offset < 0 || !io.len || io.len > RSC_IO_MAX)
		return -EINVAL;
	ubuf = u64_to_user_ptr(io.buf);

	file = rsc_get(ctx, io.handle);
	if (!file)
		return -ENOENT;
	buf = kvmalloc(io.len, GFP_KERNEL);
	if (!buf) {
		fput(file);
		return -ENOMEM;
	}
	pos = io.offset;
	if (write) {
		ret = -EFAULT;
		if (!copy_from_user(buf, ubuf, io.len))
			ret = kernel_write(file, buf, io.len, &pos);
	} else {
		ret = kernel_read(file, buf, io.len, &pos);
		if (ret > 0 && copy_to_user(ubuf, buf, ret))
			ret = -EFAULT;
	}
	kvfree(buf);
	fput(file);
	return ret;
}

static long rsc_ioc_resize(struct rsc_ctx *ctx, void __user *argp)
{
	struct rsc_resize rs;
	struct file *file;
	long ret;

	if (copy_from_user(&rs, argp, sizeof(rs)))
		return -EFAULT;
	if (rs.reserved || rs.size < 0)
		return -EINVAL;
	file = rsc_get(ctx, rs.handle);
	if (!file)
		return -ENOENT;
	ret = vfs_truncate(&file->f_path, rs.size);
	fput(file);
	return ret;
}

static long rsc_ioc_info(struct rsc_ctx *ctx, void __user *argp)
{
	struct rsc_info info;
	struct inode *inode;
	struct file *file;
	u32 handle;

	if (get_user(handle, (u32 __user *)argp))
		return -EFAULT;
	file = rsc_get(ctx, handle);
	if (!file)
		return -ENOENT;
	inode = file_inode(file);

	memset(&info, 0, sizeof(info));
	info.handle = handle;
	if (IS_PRIVATE(inode))
		info.flags |= RSC_INFO_PRIVATE;
	if (file->f_path.mnt == READ_ONCE(rsc_mnt))
		info.flags |= RSC_INFO_OWN_MOUNT;
	if ((file->f_mode & (FMODE_READ | FMODE_WRITE)) == (FMODE_READ | FMODE_WRITE))
		info.flags |= RSC_INFO_FMODE_RW;
	info.size = i_size_read(inode);
	info.magic = inode->i_sb->s_magic;
	info.ino = inode->i_ino;
	info.nlink = inode->i_nlink;
	info.mode = inode->i_mode;
	info.nrpages = READ_ONCE(file->f_mapping->nrpages);
	strscpy(info.fstype, inode->i_sb->s_type->name, sizeof(info.fstype));
	/* Pseudo files are never renamed: the name is stable. */
	scnprintf(info.name, sizeof(info.name), "%pd", file->f_path.dentry);
	fput(file);

	return copy_to_user(argp, &info, sizeof(info)) ? -EFAULT : 0;
}

static long rsc_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	struct rsc_ctx *ctx = filp->private_data;
	void __user *argp = (void __user *)arg;

	switch (cmd) {
	case RSC_IOC_CREATE:
		return rsc_ioc_create(ctx, argp);
	case RSC_IOC_RELEASE:
		return rsc_ioc_release(ctx, argp);
	case RSC_IOC_WRITE:
		return rsc_ioc_io(ctx, argp, true);
	case RSC_IOC_READ:
		return rsc_ioc_io(ctx, argp, false);
	case RSC_IOC_RESIZE:
		return rsc_ioc_resize(ctx, argp);
	case RSC_IOC_INFO:
		return rsc_ioc_info(ctx, argp);
	default:
		return -ENOTTY;
	}
}

/*
 * Offset 0: a shared anonymous mapping through rust_shmem_zero_setup(). Otherwise the object
 * whose fake offset the mapping starts in, from the byte offset below it, as DRM GEM maps its
 * shmem-backed objects.
 */
static int rsc_mmap(struct file *filp, struct vm_area_struct *vma)
{
	struct rsc_ctx *ctx = filp->private_data;
	unsigned long handle = vma->vm_pgoff / RSC_WINDOW_PAGES;
	unsigned long pgoff = vma->vm_pgoff % RSC_WINDOW_PAGES;
	struct file *obj;
	int ret;

	if (!handle) {
		if (pgoff || !vma_test(vma, VMA_MAYSHARE_BIT))
			return -EINVAL;
		return rust_shmem_zero_setup(vma);
	}
	if (vma_pages(vma) > RSC_WINDOW_PAGES - pgoff)
		return -EINVAL;
	obj = rsc_get(ctx, handle);
	if (!obj)
		return -EINVAL;	/* drm_gem_mmap(): no object at this offset */

	vma->vm_pgoff = pgoff;
	vma_set_file(vma, obj);
	/* f_op->mmap or, through compat_vma_mmap(), f_op->mmap_prepare of the object. */
	ret = vfs_mmap(obj, vma);
	fput(obj);
	return ret;
}

static int rsc_open(struct inode *inode, struct file *filp)
{
	struct rsc_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);

	if (!ctx)
		return -ENOMEM;
	mutex_init(&ctx->lock);
	xa_init_flags(&ctx->objs, XA_FLAGS_ALLOC1);
	filp->private_data = ctx;
	return 0;
}

static int rsc_release(struct inode *inode, struct file *filp)
{
	struct rsc_ctx *ctx = filp->private_data;
	struct file *file;
	unsigned long id;

	xa_for_each(&ctx->objs, id, file)
		fput(file);
	xa_destroy(&ctx->objs);
	mutex_destroy(&ctx->lock);
	kfree(ctx);
	return 0;
}

static const struct file_operations rsc_fops = {
	.owner		= THIS_MODULE,
	.open		= rsc_open,
	.release	= rsc_release,
	.unlocked_ioctl	= rsc_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= rsc_mmap,
};

static struct miscdevice rsc_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= RSC_DEV_NAME,
	.fops	= &rsc_fops,
	.mode	= 0600,
};

/* drivers/char/mem.c's mmap_zero_prepare(), on rust_shmem. */
static int rsc_desc_mmap_prepare(struct vm_area_desc *desc)
{
	if (vma_desc_test(desc, VMA_MAYSHARE_BIT))
		return rust_shmem_zero_setup_desc(desc);
	vma_desc_set_anonymous(desc);
	return 0;
}

static const struct file_operations rsc_desc_fops = {
	.owner		= THIS_MODULE,
	.mmap_prepare	= rsc_desc_mmap_prepare,
};

static struct miscdevice rsc_desc_dev = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= RSC_DESC_DEV_NAME,
	.fops	= &rsc_desc_fops,
	.mode	= 0600,
};

static int __init rsc_init(void)
{
	int ret;

	ret = misc_register(&rsc_dev);
	if (ret)
		return ret;
	ret = misc_register(&rsc_desc_dev);
	if (ret)
		misc_deregister(&rsc_dev);
	return ret;
}

static void __exit rsc_exit(void)
{
	misc_deregister(&rsc_desc_dev);
	misc_deregister(&rsc_dev);
	/* No open file is left (they pin us), so nothing uses the mount but its files' owners. */
	if (rsc_mnt)
		kern_unmount(rsc_mnt);
}

module_init(rsc_init);
module_exit(rsc_exit);

MODULE_DESCRIPTION("Test consumer of rust_shmem's kernel API");
MODULE_LICENSE("GPL");
