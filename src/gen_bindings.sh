#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Generates the bindings that `kernel::bindings` lacks, with exactly the clang flags the kernel used
# for its own bindgen run (taken from rust/bindings/.bindings_generated.rs.cmd of the built tree).
# Only allowlisted items are emitted; every type they mention resolves to `kernel::bindings`.
#
# Usage: gen_bindings.sh OBJTREE HEADER OUTPUT
set -eu
objtree=$1 header=$2 out=$3
cmdfile=$objtree/rust/bindings/.bindings_generated.rs.cmd
[ -f "$cmdfile" ] || { echo "gen_bindings.sh: $cmdfile missing (kernel not built?)" >&2; exit 1; }

# The clang half of the kernel's bindgen command, minus its dependency file and module-name defines.
flags=$(sed -n 's/^savedcmd_[^ ]* := //p' "$cmdfile" | sed -e 's/^.* -- //' -e 's/ *; *sed .*$//' \
	-e 's/-Wp,-MMD,[^ ]*//' -e "s/-DKBUILD_[A-Z]*='[^']*'//g" -e 's/-D__KBUILD_MODNAME=[^ ]*//')

cd "$objtree"
eval "set -- $flags"
bindgen "$header" -o "$out" \
	--use-core --ctypes-prefix ffi --no-layout-tests --no-doc-comments --rust-target 1.85 \
	--no-recursive-allowlist --no-debug '.*' --default-non-copy-union-style manually_drop \
	--with-derive-custom-struct '.*=MaybeZeroable' --with-derive-custom-union '.*=MaybeZeroable' \
	--allowlist-type 'fs_context' --allowlist-type 'fs_context_operations' \
	--allowlist-type 'fs_context_purpose' --allowlist-type 'fs_context_phase' \
	--allowlist-type 'fs_parameter' --allowlist-type 'fs_parameter__bindgen_ty_.*' \
	--allowlist-type 'fs_value_type' \
	--allowlist-type 'fs_parameter_spec' --allowlist-type 'fs_param_type' \
	--allowlist-type 'fs_parse_result' --allowlist-type 'fs_parse_result__bindgen_ty_.*' \
	--allowlist-type 'shmem_inode_info' --allowlist-type 'shmem_inode_info__bindgen_ty_.*' \
	--allowlist-type 'export_operations' --allowlist-type 'handle_to_path_ctx' --allowlist-type 'handle_to_path_flags' --allowlist-type 'fid' --allowlist-type 'fid__bindgen_ty_.*' --allowlist-type 'rust_shmem_sysv_.*' --allowlist-var 'RUST_SHMEM_SYSV_IOC_MAGIC' --allowlist-type 'shared_policy' --allowlist-type 'p_log' --allowlist-type 'fc_log' --allowlist-type 'kstatfs' \
	--allowlist-type 'file_kattr' \
	--allowlist-function 'get_tree_nodev' --allowlist-function '__fs_parse' \
	--allowlist-function 'logfc' --allowlist-function 'fs_param_is_.*' \
	--allowlist-function 'rust_shmem_.*' --allowlist-function 'shmem_file_setup' --allowlist-function 'put_ipc_ns' \
	--allowlist-function 'posix_acl_update_mode' --allowlist-function 'set_cached_acl' \
	--allowlist-function 'posix_acl_create' --allowlist-function 'posix_acl_chmod' \
	--allowlist-function 'fileattr_fill_flags' --allowlist-function 'vfs_parse_monolithic_sep' \
	--allowlist-type 'pipe_buffer' --allowlist-type 'pipe_buf_operations' \
	--allowlist-function 'add_to_pipe' --allowlist-var 'nosteal_pipe_buf_ops' \
	--allowlist-var 'fs_param_.*' --allowlist-var 'RUST_SHMEM_.*' \
	-- "$@" -DMODULE -I"$(dirname "$header")"
