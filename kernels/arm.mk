# kernels/arm.mk - `make test-arm`: the kernel checks cross-compiled for
# arm64 and run under qemu on both NEON tiers (CONVENTIONS §8). Own build
# folder build-arm/; a Check-free harness (tests/arm/) shares the comparisons
# of the Check suite (tests/util/kernel_verify.c).
ARM_CC   ?= aarch64-linux-gnu-gcc
ARM_QEMU ?= qemu-aarch64 -L /usr/aarch64-linux-gnu
ARM_B    := $(CURDIR)/build-arm
ARM_SRC  := $(wildcard kernels/*.c kernels/ref/*.c kernels/arm/neon/*.c kernels/arm/dotprod/*.c) \
            lib/isa.c lib/status.c tests/util/kernel_verify.c tests/arm/check_kernels_arm.c
ARM_OBJ  := $(ARM_SRC:%.c=$(ARM_B)/obj/%.o)
ARM_CFLAGS := -std=c11 -O2 $(WARN) -Iinclude -I. -Itests -D_GNU_SOURCE -MMD -MP

# Only the dotprod directory may use ARMv8.2 instructions (STYLE §7).
$(ARM_B)/obj/kernels/arm/dotprod/%.o: ARM_ISA := -march=armv8.2-a+dotprod+fp16

$(ARM_B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(ARM_CC) $(ARM_CFLAGS) $(ARM_ISA) -c $< -o $@

$(ARM_B)/check_kernels_arm: $(ARM_OBJ)
	$(ARM_CC) -o $@ $^ -lm -pthread

.PHONY: test-arm
# cortex-a72 has no dotprod: the plain NEON tier runs and dotprod must be
# reported missing; qemu's default `max` CPU has dotprod: both tiers run.
test-arm: $(ARM_B)/check_kernels_arm
	QEMU_CPU=cortex-a72 HEARTH_ARM_EXPECT=neon $(ARM_QEMU) $<
	HEARTH_ARM_EXPECT=neon-dotprod $(ARM_QEMU) $<

-include $(shell find $(ARM_B)/obj -name '*.d' 2>/dev/null)
