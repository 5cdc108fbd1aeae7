# shellcheck shell=bash disable=SC2034 # sourced: the variables are used by the scripts
# Shared settings for the qemu/ scripts. Source it; do not run it.
# RUST_SHMEM_CACHE overrides where the kernel source and the built kernels live (outside the checkout,
# so a fresh clone reuses them).
CACHE_DIR=${RUST_SHMEM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rust_shmem}
KSRC_DIR=$CACHE_DIR/linux-source-7.3
KSRC_STAMP=$KSRC_DIR/.debian-version
export PATH="$HOME/.cargo/bin:$PATH"

log() { printf '%s\n' "rust_shmem: $*" >&2; }
warn() { printf '%s\n' "rust_shmem: warning: $*" >&2; }
die() { printf '%s\n' "rust_shmem: error: $*" >&2; exit 1; }
