#!/usr/bin/env bash
# Builds the test kernel (tinyconfig + kernel.config) out of the source tree into the cache, keyed by
# the kernel version and a hash of the config fragment, and prints the build directory on stdout.
# A cached build is reused as it is; a changed fragment or version gets a new directory.
# Usage: kernel.sh [flavour]   (flavour "plain" by default; "debug" adds kernel-debug.config)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=qemu/common.sh
. "$here/common.sh"

flavour=${1:-plain}
fragments=("$here/kernel.config")
[ "$flavour" = plain ] || fragments+=("$here/kernel-$flavour.config")
[ -f "$KSRC_STAMP" ] || die "kernel source missing: run qemu/deps.sh"

ver=$(cat "$KSRC_STAMP")
key=$( (echo "$ver"; cat "${fragments[@]}"; clang-19 --version | head -1; rustc --version; bindgen --version) \
	| sha256sum | cut -c1-12)
out="$CACHE_DIR/build-$ver-$flavour-$key"
if [ -f "$out/.rust_shmem-built" ]; then
	log "kernel: cached $flavour build $out"
	echo "$out"
	exit 0
fi

log "kernel: building $flavour $ver into $out (several minutes)"
mkdir -p "$out"
kmake() { make -C "$KSRC_DIR" O="$out" LLVM=-19 -j"$(nproc)" "$@"; }
kmake tinyconfig >/dev/null
"$KSRC_DIR/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "${fragments[@]}" >/dev/null
kmake olddefconfig >/dev/null
# Every requested option must have survived olddefconfig, or the build is not what we asked for.
bad=0
for f in "${fragments[@]}"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=n) opt=${line%%=*}; grep -q "^$opt=" "$out/.config" && { warn "$opt is set"; bad=1; } ;;
		CONFIG_*) grep -qx "$line" "$out/.config" || { warn "$line did not stick"; bad=1; } ;;
		esac
	done <"$f"
done
[ "$bad" = 0 ] || die "kernel config fragment does not apply cleanly"
kmake rustavailable >/dev/null
kmake bzImage modules >"$out/build.log" 2>&1 || { tail -40 "$out/build.log" >&2; die "kernel build failed"; }
touch "$out/.rust_shmem-built"
log "kernel: built $out"
echo "$out"
