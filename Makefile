# Makefile - hearth (GNU make). Targets and their contracts: README "Build" and
# ../shared/docs/CONVENTIONS.md §1. Sources are found by wildcard: a new file in
# lib/, kernels/<tier>/, examples/, bench/ or tests/ needs no edit here.

PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
BINDIR       ?= $(PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR      ?=

CC    ?= cc
ARCH  ?= $(shell $(CC) -dumpmachine | cut -d- -f1)
# SANITIZE: empty, address (ASan + UBSan) or thread; each has its own build folder.
SANITIZE ?=
# BLAS / HWLOC: auto (use when installed), 1 (require), 0 (never).
BLAS  ?= auto
HWLOC ?= auto

VERSION_MAJOR := 0
VERSION       := 0.1.0

ifeq ($(SANITIZE),address)
  B := build-asan
  SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else ifeq ($(SANITIZE),thread)
  B := build-tsan
  SAN_FLAGS := -O1 -g -fsanitize=thread
else ifeq ($(SANITIZE),)
  B := build
  SAN_FLAGS := -O2
else
  $(error SANITIZE must be empty, address or thread)
endif
# Absolute so that tests and scripts find binaries whatever their working folder.
BUILD := $(CURDIR)/$(B)

# -D_GNU_SOURCE: mmap/MAP_POPULATE, getauxval, sched affinity (Linux only features).
# -fvisibility=hidden: only HEARTH_API symbols leave the shared library.
# No -ffast-math anywhere: the kernels' reference rounding must hold (STYLE §8).
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
CFLAGS   ?=
CPPFLAGS := -Iinclude -D_GNU_SOURCE
BASEFLAGS := -std=c11 $(SAN_FLAGS) $(WARN) -fPIC -fvisibility=hidden -pthread -MMD -MP
LDLIBS   := -lm -pthread

# ---- Optional libraries ----------------------------------------------------
# Debian's single-threaded OpenBLAS lives in its own folder (CONVENTIONS §7):
# link it from there, never through the pthread-build alternative.
# -print-multiarch gives Debian's folder name with gcc and clang alike
# (clang's -dumpmachine says x86_64-pc-linux-gnu, which is no folder).
MULTIARCH    := $(shell $(CC) -print-multiarch 2>/dev/null)
OPENBLAS_DIR := /usr/lib/$(MULTIARCH)/openblas-serial
OPENBLAS_INC := /usr/include/$(MULTIARCH)/openblas-serial
ifeq ($(BLAS),auto)
  BLAS := $(if $(wildcard $(OPENBLAS_INC)/cblas.h),1,0)
endif
ifeq ($(BLAS),1)
  CPPFLAGS += -DHEARTH_HAVE_BLAS -I$(OPENBLAS_INC)
  LDLIBS   += -L$(OPENBLAS_DIR) -Wl,-rpath,$(OPENBLAS_DIR) -lopenblas
  PC_LIBS_PRIVATE += -L$(OPENBLAS_DIR) -lopenblas
endif
ifeq ($(HWLOC),auto)
  HWLOC := $(shell pkg-config --exists hwloc 2>/dev/null && echo 1 || echo 0)
endif
ifeq ($(HWLOC),1)
  CPPFLAGS += -DHEARTH_HAVE_HWLOC $(shell pkg-config --cflags hwloc)
  LDLIBS   += $(shell pkg-config --libs hwloc)
  PC_LIBS_PRIVATE += -lhwloc
endif

# ---- Library sources -------------------------------------------------------
LIB_SRC := $(wildcard lib/*.c) $(wildcard kernels/*.c) $(wildcard kernels/ref/*.c)
ifeq ($(ARCH),x86_64)
  LIB_SRC += $(wildcard kernels/x86/avx2/*.c) $(wildcard kernels/x86/avx512/*.c) \
             $(wildcard kernels/x86/avx512vnni/*.c)
endif
ifeq ($(ARCH),aarch64)
  LIB_SRC += $(wildcard kernels/arm/neon/*.c) $(wildcard kernels/arm/dotprod/*.c)
endif
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)

# ISA flags go on ISA directories only (STYLE §7): lib/, kernels/ref/ and the
# dispatcher are plain C that any CPU of the architecture runs.
$(BUILD)/obj/kernels/x86/avx2/%.o:       ISA_FLAGS := -mavx2 -mfma -mf16c
$(BUILD)/obj/kernels/x86/avx512/%.o:     ISA_FLAGS := -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl
$(BUILD)/obj/kernels/x86/avx512vnni/%.o: ISA_FLAGS := -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512vnni
$(BUILD)/obj/kernels/x86/avx512vnni/%_gfni.o: ISA_FLAGS := -mavx2 -mfma -mf16c -mavx512f -mavx512bw -mavx512vl -mavx512vnni -mgfni
$(BUILD)/obj/kernels/arm/dotprod/%.o:    ISA_FLAGS := -march=armv8.2-a+dotprod+fp16

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(BASEFLAGS) $(ISA_FLAGS) $(OBJ_FLAGS) $(CFLAGS) -c $< -o $@

STATIC := $(BUILD)/libhearth.a
SHARED := $(BUILD)/libhearth.so.$(VERSION_MAJOR)

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	$(AR) rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libhearth.so.$(VERSION_MAJOR) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)
	ln -sf libhearth.so.$(VERSION_MAJOR) $(BUILD)/libhearth.so

# ---- Programs --------------------------------------------------------------
# examples/NAME.c -> bin/hearth-NAME; bench/NAME.c -> bin/hearth-NAME (underscores
# become dashes: bench/bench_kernels.c -> hearth-bench-kernels). Files under
# examples/common/ and bench/common/ are linked into every program of that folder.
prog_name = hearth-$(subst _,-,$(basename $(notdir $(1))))
EX_SRC    := $(wildcard examples/*.c)
BENCH_SRC := $(wildcard bench/*.c)
EX_COMMON := $(wildcard examples/common/*.c)
BENCH_COMMON := $(wildcard bench/common/*.c)
PROGRAMS  := $(foreach s,$(EX_SRC) $(BENCH_SRC),$(BUILD)/bin/$(call prog_name,$(s)))

define PROGRAM_RULE
$(BUILD)/bin/$(call prog_name,$(1)): $(BUILD)/obj/$(1:.c=.o) $(2:%.c=$(BUILD)/obj/%.o) $(STATIC)
	@mkdir -p $$(dir $$@)
	$$(CC) $(SAN_FLAGS) -pthread -o $$@ $$(filter %.o,$$^) $(STATIC) $$(LDLIBS)
endef
$(foreach s,$(EX_SRC),$(eval $(call PROGRAM_RULE,$(s),$(EX_COMMON))))
$(foreach s,$(BENCH_SRC),$(eval $(call PROGRAM_RULE,$(s),$(BENCH_COMMON))))

.DEFAULT_GOAL := all
.PHONY: all lib programs
all: lib programs
lib: $(STATIC) $(SHARED)
programs: $(PROGRAMS)

# ---- Tests -----------------------------------------------------------------
# Every tests/check_NAME.c defines `Suite *NAME_suite(void)`; the list of suites
# is generated so that adding a suite never edits a shared file.
TEST_SUITES := $(filter-out tests/check_main.c,$(wildcard tests/check_*.c))
TEST_UTIL   := $(wildcard tests/util/*.c)
TEST_OBJ    := $(TEST_SUITES:%.c=$(BUILD)/obj/%.o) $(TEST_UTIL:%.c=$(BUILD)/obj/%.o)
SUITE_NAMES := $(patsubst tests/check_%.c,%,$(TEST_SUITES))
CHECK_CFLAGS = $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   = $(shell pkg-config --libs check 2>/dev/null)
TEST_RUNNER := $(BUILD)/tests/check_runner

$(BUILD)/tests/suites.inc: FORCE
	@mkdir -p $(dir $@)
	@printf '$(foreach n,$(SUITE_NAMES),HEARTH_SUITE($(n))\n)' > $@.tmp
	@cmp -s $@.tmp $@ 2>/dev/null && rm -f $@.tmp || mv $@.tmp $@

# Suites are found by name, not by header, so their entry points have no prototype.
$(BUILD)/obj/tests/%.o: CPPFLAGS += -I. -Itests -I$(BUILD)/tests $(CHECK_CFLAGS)
$(BUILD)/obj/tests/%.o: OBJ_FLAGS := -Wno-missing-prototypes
$(BUILD)/obj/bench/%.o: CPPFLAGS += -I.
$(BUILD)/obj/tests/check_main.o: $(BUILD)/tests/suites.inc

$(TEST_RUNNER): $(BUILD)/obj/tests/check_main.o $(TEST_OBJ) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_FLAGS) -pthread -o $@ $(filter %.o,$^) $(STATIC) $(CHECK_LIBS) $(LDLIBS)

# Environment for tests: where the programs are, and where ../shared is.
TEST_ENV := HEARTH_BIN_DIR=$(BUILD)/bin HEARTH_BUILD_DIR=$(BUILD) HEARTH_SHARED_DIR=$(CURDIR)/../shared \
            HEARTH_SRC_DIR=$(CURDIR)

.PHONY: test run-tests ensure-deps deps test-install
test: ensure-deps
	@$(MAKE) --no-print-directory run-tests
run-tests: all $(TEST_RUNNER)
	$(TEST_ENV) $(TEST_RUNNER)
ifeq ($(SANITIZE),)
	@$(MAKE) --no-print-directory test-install
endif

# Proves the installed library, header and hearth.pc work for a program outside the tree.
test-install: all
	@bash tests/install_test.sh

# ---- Dependencies (CONVENTIONS §1) ----------------------------------------
DEB_REQUIRED := pkg-config check
DEB_OPTIONAL := libopenblas-serial-dev libhwloc-dev
DEB_TOOLS    := clang libclang-rt-dev gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user \
                python3-jinja2
deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y $(DEB_REQUIRED) $(DEB_OPTIONAL) $(DEB_TOOLS)

# Required: pkg-config and Check. Missing ones are installed when we are root,
# otherwise we stop with the one command to run. Optional libraries are
# installed when root; otherwise the build notes the fallback and goes on.
ensure-deps:
	@missing=""; for p in $(DEB_REQUIRED) $(DEB_OPTIONAL); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing || exit 1; \
	  elif ! pkg-config --exists check 2>/dev/null; then \
	    echo "missing packages; run: sudo apt-get install -y$$missing"; exit 1; \
	  else echo "note: optional packages missing ($$missing): building without them"; fi; \
	fi

# ---- Install ---------------------------------------------------------------
# Regenerated every time: it records PREFIX, which changes between installs.
$(BUILD)/hearth.pc: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
	  'Name: hearth' 'Description: on-device LLM inference runtime' 'Version: $(VERSION)' \
	  'Libs: -L$${libdir} -lhearth' 'Libs.private: -lm -pthread $(PC_LIBS_PRIVATE)' \
	  'Cflags: -I$${includedir}' > $@

.PHONY: install uninstall clean
install: lib $(BUILD)/hearth.pc
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 include/hearth.h $(DESTDIR)$(INCLUDEDIR)/hearth.h
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libhearth.a
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/libhearth.so.$(VERSION_MAJOR)
	ln -sf libhearth.so.$(VERSION_MAJOR) $(DESTDIR)$(LIBDIR)/libhearth.so
	install -m 644 $(BUILD)/hearth.pc $(DESTDIR)$(PKGCONFIGDIR)/hearth.pc
uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/hearth.h $(DESTDIR)$(LIBDIR)/libhearth.a \
	  $(DESTDIR)$(LIBDIR)/libhearth.so $(DESTDIR)$(LIBDIR)/libhearth.so.$(VERSION_MAJOR) \
	  $(DESTDIR)$(PKGCONFIGDIR)/hearth.pc
clean:
	rm -rf build build-asan build-tsan build-fuzz build-arm build-clang

# ---- Hygiene ---------------------------------------------------------------
.PHONY: check-symbols check-header
# Every exported symbol starts with hearth_; release objects never call exit/abort/printf.
check-symbols: lib
	@bad=$$(nm -D --defined-only $(SHARED) | awk '$$2 ~ /[TDBR]/ {print $$3}' | grep -v '^hearth_' || true); \
	if [ -n "$$bad" ]; then echo "non-hearth exported symbols: $$bad"; exit 1; fi
	@bad=$$(nm -u $(STATIC) | grep -wE 'exit|abort|printf|fprintf|puts|putchar' || true); \
	if [ -n "$$bad" ]; then echo "library references forbidden symbols: $$bad"; exit 1; fi
	@echo "check-symbols: ok"
check-header:
	@mkdir -p $(BUILD)
	@printf '#include "hearth.h"\nint main(void) { return hearth_version_number() == 0; }\n' > $(BUILD)/hdr.c
	$(CC) -std=c99 -pedantic -Wall -Wextra -Werror -Iinclude -fsyntax-only $(BUILD)/hdr.c
	@cp $(BUILD)/hdr.c $(BUILD)/hdr.cpp
	@if command -v c++ >/dev/null; then c++ -Wall -Wextra -Werror -Iinclude -fsyntax-only $(BUILD)/hdr.cpp; fi
	@echo "check-header: ok"

.PHONY: FORCE
FORCE:

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
# Target fragments kept beside what they serve (fuzzing in tests/, NEON runs in
# kernels/, demo in examples/, benchmarks in bench/).
include $(wildcard tests/*.mk kernels/*.mk examples/*.mk bench/*.mk)
