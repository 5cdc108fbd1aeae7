# SPDX-License-Identifier: GPL-2.0
#
# Entry points for users and CI. The module itself is built by Kbuild (this directory is the M= of
# an external-module build against the test kernel); everything else lives in qemu/ and tests/.
#
#   make deps      install toolchain, qemu, busybox and the kernel source (qemu/deps.sh; idempotent)
#   make kernel    build the test kernel into ~/.cache/rust_shmem (cached; qemu/kernel.sh)
#   make module    build rust_shmem.ko
#   make consumer  build tests/consumer's rust_shmem_consumer.ko against rust_shmem's exports
#   make takeover  build src/takeover's rust_shmem_takeover.ko, the livepatch that sends the kernel's
#                  shared anonymous, /dev/zero and SysV memory to rust_shmem
#   make lint      build with clippy and -Dwarnings (C: -Werror), rustfmt --check the crate, and
#                  lint-layer
#   make lint-layer  qemu/lint.py: bindings/extern/unsafe only in src/vfs/ and src/kabi/ (policy
#                  files: their ceilings in qemu/lint-exceptions), a SAFETY comment on every unsafe
#                  block, `# Invariants` on raw-pointer structs; after its self-test
#                  (qemu/lint-selftest.sh)
#   make rust-analyzer  write rust-project.json for the module (the kernel's target with M=)
#   make tests     build the kselftests and the demo into build/tests (tests/Makefile)
#   make tools     build tools/'s LD_PRELOAD shim build/tools/librust_shmem_sysv.so (SysV calls on
#                  /dev/rust_shmem_sysv)
#   make image     build the initramfs build/initramfs.cpio.gz (qemu/image.sh)
#   make run       all of the above, then boot the guest and run the shared-memory demo
#   make check     deps, kernel, lint (which builds the module), tests, image, then boot the guest and
#                  run every test: TAP on stdout, last line "N passed, N failed"; fails on any failure
#   make check-debug  the same on the debug kernel flavour (qemu/kernel-debug.config)
#   make soak      the check N times (N=5) on one build, then which tests failed in which runs
#                  (FLAVOUR=debug for the debug check; TESTS=posix_shm for a boot soak)
#   make bench     boot the guest and compare rust_shmem with tmpfs and /dev/zero (tests/bench.c):
#                  throughput on both and the ratio, per workload; not a test
#   make profile   the bench under perf in the guest, one side at a time (needs linux-perf)
#   make shell     boot the guest with the module mounted on /dev/shm and give an interactive shell
#   make clean     remove build/ and the module's build products (never the kernel cache)
#
# Variables:
#   TESTS=a,b            check: run only these test binaries
#   KDIR=/path           use this configured and built kernel tree instead of qemu/kernel.sh's
#   FLAVOUR=debug        kernel flavour for qemu/kernel.sh (default plain)
#   LINT_WERROR=0        lint: report clippy/compiler warnings without failing
#   EXTRA_KO=a.ko        image: further modules for /lib/modules (space-separated)
#   HOST_BINS=/usr/bin/x image: host programs carried into the guest with their libraries
#   V=1                  show the commands
# Environment (see qemu/boot.sh): RUST_SHMEM_TIMEOUT, RUST_SHMEM_KVM, RUST_SHMEM_CACHE.

SHELL := /bin/bash
# rustup's rustc/cargo/bindgen (qemu/common.sh does the same for the scripts).
export PATH := $(HOME)/.cargo/bin:$(PATH)
BUILD := $(CURDIR)/build
LLVM := -19
FLAVOUR ?= plain
LINT_WERROR ?= 1
# The kernel source directory, as qemu/common.sh defines it (no side effects: safe for `make clean`).
KSRC := $(shell . $(CURDIR)/qemu/common.sh && echo "$$KSRC_DIR")
# The kernel build directory is found (and the kernel built if needed) once per make invocation, by
# the `kernel` target, which writes it to build/.kdir; recipes read it from there.
KDIR_FILE := $(BUILD)/.kdir
KDIR_SH = $$(cat $(KDIR_FILE))

ifeq ($(V),1)
Q :=
else
Q := @
endif
say = @printf '  %-8s %s\n' '$(1)' '$(2)'

LINT_FLAGS := CLIPPY=1
ifeq ($(LINT_WERROR),1)
LINT_FLAGS += KRUSTFLAGS=-Dwarnings KCFLAGS=-Werror
endif
MODULE_FLAGS :=
# Crate files for rustfmt: the root (rustfmt follows its `mod` declarations into src/).
CRATE_ROOT := rust_shmem.rs

.PHONY: all deps kernel module consumer takeover lint lint-layer rust-analyzer tests tools image run check check-debug soak bench profile shell clean
all: module

deps:
	$(Q)qemu/deps.sh

kernel: deps
	$(Q)mkdir -p $(BUILD)
	$(Q)if [ -n "$(KDIR)" ]; then \
		[ -f "$(KDIR)/.config" ] || { echo "KDIR=$(KDIR) is not a configured kernel tree" >&2; exit 1; }; \
		echo "$(KDIR)"; \
	else qemu/kernel.sh $(FLAVOUR); fi >$(KDIR_FILE).tmp
	$(Q)mv $(KDIR_FILE).tmp $(KDIR_FILE)

module: kernel
	$(call say,MODULE,rust_shmem.ko$(if $(MODULE_FLAGS), [$(MODULE_FLAGS)]))
	$(Q)$(MAKE) -s --no-print-directory -C "$(KDIR_SH)" M=$(CURDIR) LLVM=$(LLVM) $(MODULE_FLAGS) modules

# A C module that uses rust_shmem's exported API (tests/setup_api_*.c drive it). MODPOST resolves
# those symbols from rust_shmem's Module.symvers, so it is built after the module; its products go
# to build/consumer (MO=), not into the source tree.
CONSUMER_KO := $(BUILD)/consumer/rust_shmem_consumer.ko
consumer: module
	$(call say,MODULE,rust_shmem_consumer.ko)
	$(Q)mkdir -p $(BUILD)/consumer
	$(Q)$(MAKE) -s --no-print-directory -C "$(KDIR_SH)" M=$(CURDIR)/tests/consumer \
		MO=$(BUILD)/consumer LLVM=$(LLVM) KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers \
		$(if $(filter 1,$(LINT_WERROR)),KCFLAGS=-Werror) modules

# The takeover livepatch (src/takeover/): C, built like the consumer against rust_shmem's exports.
TAKEOVER_KO := $(BUILD)/takeover/rust_shmem_takeover.ko
takeover: module
	$(call say,MODULE,rust_shmem_takeover.ko)
	$(Q)mkdir -p $(BUILD)/takeover
	$(Q)$(MAKE) -s --no-print-directory -C "$(KDIR_SH)" M=$(CURDIR)/src/takeover \
		MO=$(BUILD)/takeover LLVM=$(LLVM) KBUILD_EXTRA_SYMBOLS=$(CURDIR)/Module.symvers \
		$(if $(filter 1,$(LINT_WERROR)),KCFLAGS=-Werror) modules

# The clippy build produces the module too, so check builds it once, with the lint flags.
lint: MODULE_FLAGS := $(LINT_FLAGS)
lint: lint-layer module
	$(call say,RUSTFMT,--check $(CRATE_ROOT))
	$(Q)rustfmt --check --edition 2021 --config-path $(KSRC)/.rustfmt.toml $(CRATE_ROOT)

# The layering check, after the self-test that shows it still rejects a bad example of each rule.
lint-layer: deps
	$(call say,LINT,qemu/lint-selftest.sh)
	$(Q)qemu/lint-selftest.sh
	$(call say,LINT,qemu/lint.py)
	$(Q)qemu/lint.py

# rust-project.json for rust-analyzer: the kernel's own `rust-analyzer` target with M=, which
# lists our crate (rust_shmem.rs, found through Kbuild) over the KDIR tree's core, kernel, pin_init
# ... crates, with absolute paths (KBUILD_ABS_SRCTREE). crate::bindings' generated half,
# src/bindings_generated.rs, is made by the module build.
rust-analyzer: kernel
	$(call say,GEN,rust-project.json)
	$(Q)$(MAKE) -s --no-print-directory -C "$(KDIR_SH)" M=$(CURDIR) LLVM=$(LLVM) \
		KBUILD_ABS_SRCTREE=1 rust-analyzer
	$(Q)[ -f src/bindings_generated.rs ] || echo "  note: no src/bindings_generated.rs yet:" \
		"\`make module\` generates it (go-to-definition into crate::bindings needs it)"

tests: kernel
	$(call say,TESTS,build/tests)
	$(Q)[ -f tests/Makefile ] || { echo "tests/Makefile is missing" >&2; exit 1; }
	$(Q)$(MAKE) -s --no-print-directory -C tests KSRC=$(KSRC) KDIR="$(KDIR_SH)" OUT=$(BUILD)/tests

SYSV_SHIM := $(BUILD)/tools/librust_shmem_sysv.so
tools:
	$(call say,TOOLS,build/tools)
	$(Q)$(MAKE) -s --no-print-directory -C tools OUT=$(BUILD)/tools

# Third-party suites (tests/suites/): the programs, which qemu/deps.sh installs with cargo or apt, and
# their guest runners, which become /tests/bin entries like the kselftests. PostgreSQL and Python are
# not copied: they run from the host root that the guest mounts over 9p (qemu/init).
SUITE_BINS := pjdfstest:/usr/bin/pjdfstest fsx:/usr/bin/fsx \
	$(CURDIR)/tests/suites/pjdfstest.sh:/tests/bin/pjdfstest $(CURDIR)/tests/suites/fsx.sh:/tests/bin/fsx \
	stress-ng:/usr/bin/stress-ng $(CURDIR)/tests/suites/stress.sh:/tests/bin/stress \
	$(CURDIR)/tests/suites/oom_refs.sh:/tests/bin/oom_refs \
	$(CURDIR)/tests/suites/postgres.sh:/tests/bin/postgres \
	$(CURDIR)/tests/suites/python_shm.sh:/tests/bin/python_shm \
	$(CURDIR)/tests/suites/takeover_mode.sh:/tests/bin/takeover_mode \
	$(CURDIR)/tests/suites/pg_lib.sh:/tests/lib/pg_lib.sh \
	$(CURDIR)/tests/suites/tap_lib.sh:/tests/lib/tap_lib.sh \
	$(CURDIR)/tests/suites/takeover_lib.sh:/tests/lib/takeover_lib.sh \
	$(CURDIR)/tests/suites/pgbench_bench.sh:/tests/tools/pgbench_bench

# The shim and the dynamically linked test that preloads it, with their shared libraries.
SYSV_BINS := $(SYSV_SHIM):/usr/lib/librust_shmem_sysv.so \
	$(BUILD)/tests/sysv_preload:/tests/bin/sysv_preload

image: module consumer takeover tests tools
	$(Q)qemu/image.sh -m $(CURDIR)/rust_shmem.ko -t $(BUILD)/tests \
		$(foreach k,$(CONSUMER_KO) $(TAKEOVER_KO) $(EXTRA_KO),-k $(k)) \
		$(foreach b,$(SUITE_BINS) $(SYSV_BINS) $(HOST_BINS),-b $(b)) \
		$(BUILD)/initramfs.cpio.gz >/dev/null

BOOT = RUST_SHMEM_FLAVOUR=$(FLAVOUR) qemu/boot.sh -k "$(KDIR_SH)/arch/x86/boot/bzImage" -i $(BUILD)/initramfs.cpio.gz -o $(BUILD)

run: image
	$(Q)$(BOOT) -m run

check: MODULE_FLAGS := $(LINT_FLAGS)
check: lint image
	$(Q)$(BOOT) -m check $(if $(TESTS),-t $(TESTS))

bench: image
	$(Q)$(BOOT) -m bench

# The bench under perf in the guest (timer sampling), one side at a time, e.g.
#   make profile RUST_SHMEM_APPEND="RS_BENCH_ONLY=zero_fault RS_BENCH_SIDE=ours"
profile: HOST_BINS += $(shell command -v perf)
profile: deps
	$(Q)command -v perf >/dev/null || { echo "make profile needs perf (Debian's linux-perf)" >&2; exit 1; }
	$(Q)$(MAKE) --no-print-directory bench HOST_BINS="$(HOST_BINS)" \
		RUST_SHMEM_APPEND="RS_PROFILE=$${RS_PROFILE:-0.5} $${RUST_SHMEM_APPEND:-}"

# The whole check on the debug kernel (KASAN, KFENCE, lockdep, DEBUG_VM, kmemleak, ...): a second
# cached kernel build. The guest is several times slower, hence the longer timeout, shorter fsx
# runs (the plain check runs the 100k-operation one), 5 pgbench transactions per client instead
# of 30 and PostgreSQL's takeover side in mmap mode only (the SysV takeover path runs in
# takeover_mode), and Python's shared-memory cases with the fork start method only (the plain
# check runs forkserver too).
DEBUG_ENV = RUST_SHMEM_TIMEOUT=$${RUST_SHMEM_TIMEOUT:-3600} \
	RUST_SHMEM_APPEND="RS_FSX_OPS=30000 RS_FSX_SHORT_OPS=5000 RS_PG_TX=5 RS_PG_SIDES=ours,kernel,takeover_mmap RS_PY_VARIANTS= $${RUST_SHMEM_APPEND:-}"
check-debug:
	$(Q)$(DEBUG_ENV) $(MAKE) --no-print-directory check FLAVOUR=debug

# The check N times on one build (FLAVOUR=debug: the debug check), and which tests failed in which
# runs (qemu/soak.sh; runs kept in build/soak/). With TESTS=posix_shm it is a boot soak: boot, the
# first test, and the kernel health checks after it.
N ?= 5
soak: MODULE_FLAGS := $(LINT_FLAGS)
soak: lint image
	$(Q)$(if $(filter debug,$(FLAVOUR)),$(DEBUG_ENV)) qemu/soak.sh -n $(N) -o $(BUILD)/soak -- \
		$(BOOT) -m check $(if $(TESTS),-t $(TESTS))

shell: image
	$(Q)$(BOOT) -m shell

clean:
	$(call say,CLEAN,build/ and module build products)
	$(Q)rm -rf $(BUILD)
	$(Q)rm -f *.o *.ko *.mod *.mod.c *.mod.o .*.cmd .*.d modules.order Module.symvers \
		.module-common.o .cache.mk
	$(Q)find src \( -name '*.o' -o -name '.*.cmd' -o -name '*.d' -o -name '*.rmeta' \
		-o -name bindings_generated.rs \) -delete 2>/dev/null || true
