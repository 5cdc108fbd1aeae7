#!/usr/bin/env bash
# Installs everything the build and the guest need, idempotently:
# Debian packages, rust-src, bindgen-cli, pjdfstest, fsx and the linux-source-7.3 tarball (from
# trixie-backports, fetched through a private apt configuration so the machine's apt sources stay
# untouched).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=qemu/common.sh
. "$here/common.sh"

installed=()

# The guest runs host programs through its read-only 9p view of the host root (qemu/init): the
# real-client suites use PostgreSQL 15 and CPython 3.11's own test suite from here.
apt_pkgs=(clang-19 lld-19 llvm-19 libclang-19-dev flex bison bc libelf-dev libssl-dev cpio
	  qemu-system-x86 busybox-static make gcc libc6-dev xz-utils python3 kmod stress-ng
	  postgresql-15 python3.11 libpython3.11-testsuite util-linux)
missing=()
for p in "${apt_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
	log "installing Debian packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# postgresql-15 is for the guest only: no cluster, no server on the host.
	mkdir -p /etc/postgresql-common/createcluster.d
	echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/rust_shmem.conf
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	installed+=("${missing[@]}")
fi

# rust-src builds the kernel's Rust core; clippy and rustfmt are for `make lint` / `make check`.
have_components=$(rustup component list --installed 2>/dev/null || true)
for c in rust-src clippy rustfmt; do
	if ! grep -q "^$c" <<<"$have_components"; then
		log "installing $c"
		rustup component add "$c" >/dev/null
		installed+=("$c")
	fi
done

if ! command -v bindgen >/dev/null 2>&1; then
	log "installing bindgen-cli (takes a few minutes)"
	cargo install --locked bindgen-cli >/dev/null 2>&1
	installed+=(bindgen-cli)
fi

# Third-party test suites run in the guest (tests/suites/): crates.io's pjdfstest and fsx, at pinned
# versions so that the set of pjdfstest cases does not change under us. Both are small (~40 s each).
for spec in pjdfstest@0.2.2 fsx@0.3.2; do
	crate=${spec%@*}
	version=${spec#*@}
	if [ "$("$crate" --version 2>/dev/null)" != "$crate $version" ]; then
		log "installing $crate $version (cargo install, under a minute)"
		cargo install --locked --quiet "$crate" --version "$version" >/dev/null 2>&1 ||
			die "cargo install --locked $crate --version $version failed"
		installed+=("$crate-$version")
	fi
done

# The kernel source, through a private apt state (see fetch-kernel.sh).
if [ ! -f "$KSRC_STAMP" ]; then
	"$here/fetch-kernel.sh"
	installed+=("linux-source-7.3=$(cat "$KSRC_STAMP")")
fi

if ((${#installed[@]})); then
	log "deps: installed ${installed[*]}"
else
	log "deps: everything already installed (linux-source $(cat "$KSRC_STAMP"))"
fi
