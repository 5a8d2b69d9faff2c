#!/usr/bin/env bash
# run.sh - cross-compiles the K-quant NEON harness and runs it under qemu, first
# as a Cortex-A72 (plain NEON, no dotprod) then as qemu's default CPU (dotprod).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${BUILD_ARM:-build-arm}/kquants
mkdir -p "$out"
CC=${CC_ARM:-aarch64-linux-gnu-gcc}
flags="-std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE -Iinclude -I."
objs=()
for f in kernels/ref/{q2_k,q3_k,q4_k,q5_k,q6_k,q8_k,iq4_xs,kquant_util}.c kernels/types.c \
         kernels/arm/neon/{q2_k,q3_k,q4_k,q5_k,q6_k,q8_k,iq4_xs}.c; do
  o="$out/$(echo "$f" | tr / _).o"; $CC $flags -c "$f" -o "$o"; objs+=("$o")
done
for f in kernels/arm/dotprod/{q2_k,q3_k,q4_k,q5_k,q6_k,iq4_xs}.c; do
  o="$out/$(echo "$f" | tr / _).o"; $CC $flags -march=armv8.2-a+dotprod+fp16 -c "$f" -o "$o"; objs+=("$o")
done
$CC $flags tests/arm/kquants_arm.c "${objs[@]}" -lm -o "$out/kquants_arm"
QEMU_CPU=cortex-a72 qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/kquants_arm"
qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/kquants_arm"
