# arm_golden.mk - `make test-arm-golden`: the golden accuracy test of
# ../shared/golden/README.md for the NEON tiers, under qemu (CONVENTIONS §8).
# The whole library is cross-compiled for arm64 into its own folder,
# build-arm-golden/, without BLAS or hwloc (the library builds with neither),
# and a Check-free program (tests/arm/golden_main.c) runs every golden file:
# as a Cortex-A72 (no dotprod: the plain `neon` tier), as qemu's default CPU
# (`neon-dotprod`), and once at the scalar tier.
AG_CC   ?= aarch64-linux-gnu-gcc
AG_AR   ?= aarch64-linux-gnu-ar
AG_QEMU ?= qemu-aarch64 -L /usr/aarch64-linux-gnu
AG_B    := $(CURDIR)/build-arm-golden
AG_SRC  := $(wildcard lib/*.c kernels/*.c kernels/ref/*.c kernels/arm/neon/*.c \
                      kernels/arm/dotprod/*.c)
AG_OBJ  := $(AG_SRC:%.c=$(AG_B)/obj/%.o)
AG_CFLAGS := -std=c11 -O2 $(WARN) -Iinclude -D_GNU_SOURCE -pthread -MMD -MP
AG_ENV  := HEARTH_SHARED_DIR=$${HEARTH_SHARED_DIR:-$(CURDIR)/../shared}

# Only the dotprod directory may use ARMv8.2 instructions (STYLE §7).
$(AG_B)/obj/kernels/arm/dotprod/%.o: AG_ISA := -march=armv8.2-a+dotprod+fp16

$(AG_B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(AG_CC) $(AG_CFLAGS) $(AG_ISA) -c $< -o $@

$(AG_B)/libhearth.a: $(AG_OBJ)
	@rm -f $@
	$(AG_AR) rcs $@ $^

$(AG_B)/golden_main: $(AG_B)/obj/tests/arm/golden_main.o $(AG_B)/libhearth.a
	$(AG_CC) -o $@ $^ -lm -pthread

.PHONY: test-arm-golden
test-arm-golden: $(AG_B)/golden_main
	$(AG_ENV) QEMU_CPU=cortex-a72 $(AG_QEMU) $< neon
	$(AG_ENV) $(AG_QEMU) $< neon-dotprod
	$(AG_ENV) $(AG_QEMU) $< scalar

-include $(shell find $(AG_B)/obj -name '*.d' 2>/dev/null)

# `make clean` also removes this folder (extra prerequisite, no Makefile edit).
.PHONY: clean-arm-golden
clean: clean-arm-golden
clean-arm-golden:
	rm -rf $(AG_B)
