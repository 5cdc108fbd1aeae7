// SPDX-License-Identifier: GPL-2.0

//! `splice_read` of page-cache files that keeps holes holes (`shmem_file_splice_read`): pages
//! with data go into the pipe by reference, as `filemap_splice_read` does, while holes and
//! preallocated pages that were never written go in as the shared zero page. `filemap_splice_read`
//! would instead fill a hole with a new page (charging it) and turn a preallocated page into data.
//! `splice(2)` from a file, `sendfile(2)` and `copy_file_range(2)` all read through here.

use crate::bindings;
use kernel::prelude::*;

use super::{folio::PageCache, FileSystem, Inode};

/// Pipe buffers of the zero page: nothing to reference or release, nothing to steal (tmpfs's
/// `zero_pipe_buf_ops`).
static ZERO_PIPE_BUF_OPS: bindings::pipe_buf_operations = bindings::pipe_buf_operations {
    confirm: None,
    release: Some(zero_buf_release),
    try_steal: Some(zero_buf_try_steal),
    get: Some(zero_buf_get),
};

/// The zero page is never freed: nothing to release.
extern "C" fn zero_buf_release(
    _pipe: *mut bindings::pipe_inode_info,
    _buf: *mut bindings::pipe_buffer,
) {
}

/// The zero page is shared: no reader may take it over.
extern "C" fn zero_buf_try_steal(
    _pipe: *mut bindings::pipe_inode_info,
    _buf: *mut bindings::pipe_buffer,
) -> bool {
    false
}

/// The zero page is never freed: a further pipe buffer of it needs no reference.
extern "C" fn zero_buf_get(
    _pipe: *mut bindings::pipe_inode_info,
    _buf: *mut bindings::pipe_buffer,
) -> bool {
    true
}

/// `file_operations::splice_read` of `T`'s regular files (see the module documentation).
///
/// # Safety
///
/// A splice from one of `T`'s regular files, open for reading: valid `ppos` and `pipe`, with the
/// pipe locked as `vfs_splice_read` has it.
pub(crate) unsafe extern "C" fn splice_read<T: FileSystem>(
    file: *mut bindings::file,
    ppos: *mut bindings::loff_t,
    pipe: *mut bindings::pipe_inode_info,
    len: usize,
    _flags: c_uint,
) -> isize {
    // SAFETY: The file is open and one of `T`'s regular files.
    let inode = unsafe { Inode::<T>::from_raw((*file).f_inode) };
    let cache = PageCache::of(inode);
    let mut left = len;
    let mut spliced = 0usize;
    let mut error = 0isize;
    while left > 0 {
        // SAFETY: `*ppos` is ours to read and advance during the call.
        let pos = unsafe { *ppos };
        let Some(segment) = cache.read_segment(pos, left) else {
            break;
        };
        let (offset, part) = (segment.offset, segment.len);
        let (page_ptr, ops) = match segment.folio {
            // The pipe buffer takes over the folio reference; `nosteal_pipe_buf_ops` releases
            // it with `put_page` and never lets a reader steal a page of the cache.
            Some(folio) => (
                folio.into_page(segment.index),
                &raw const bindings::nosteal_pipe_buf_ops,
            ),
            // SAFETY: `ZERO_PAGE` is always valid and never freed.
            None => (
                unsafe { bindings::rust_shmem_zero_page() },
                &raw const ZERO_PIPE_BUF_OPS,
            ),
        };
        let mut buf = bindings::pipe_buffer {
            page: page_ptr,
            offset: offset as c_uint,
            len: part as c_uint,
            ops,
            flags: 0,
            private: 0,
        };
        // SAFETY: The pipe is locked by our caller; `buf` describes `part` valid bytes of a page
        // and owns the reference its `ops` release, which `add_to_pipe` moves into the pipe or
        // releases when the pipe is full or has no reader.
        let ret = unsafe { bindings::add_to_pipe(pipe, &mut buf) };
        if ret < 0 {
            // A full pipe ends the splice with what we have (0 if nothing), as `filemap_splice_read`.
            if ret != EAGAIN.to_errno() as isize {
                error = ret;
            }
            break;
        }
        spliced += part;
        left -= part;
        // SAFETY: As above.
        unsafe { *ppos += part as i64 };
        super::cond_resched();
    }
    // SAFETY: The file is valid; reads update atime.
    unsafe { super::file::file_accessed(file) };
    if spliced > 0 {
        spliced as isize
    } else {
        error
    }
}
