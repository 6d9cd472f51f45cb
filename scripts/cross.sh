#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The portable core on a microcontroller: build it (and the example bare-metal
# port, examples/baremetal) for a Cortex-M4 with Debian's gcc-arm-none-eabi,
# print the sizes, and check the budgets: 24 KiB of flash and 10 KiB of RAM
# (the STP buffer in struct sqns_ctx, the UART ring, the stack) for the example.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh # gcc-arm-none-eabi and libnewlib-arm-none-eabi among them

FLASH_BUDGET=$((24 * 1024))
RAM_BUDGET=$((10 * 1024))
STACK=${SQNS_STACK_SIZE:-3072}
B=${SQNS_CROSS_BUILD:-build-arm}

cmake -S embedded -B "$B" -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/arm-none-eabi.cmake" \
    -DSQNS_STACK_SIZE="$STACK" >/dev/null
cmake --build "$B" -j"$(nproc)" >/dev/null

echo "== arm-none-eabi-gcc $(arm-none-eabi-gcc -dumpversion): -mthumb -mcpu=cortex-m4 -Os -ffreestanding"
echo "== the core library ($B/libsqnsupgrade_core.a)"
arm-none-eabi-size -t "$B/libsqnsupgrade_core.a"
echo "== the example port ($B/libbm_port.a)"
arm-none-eabi-size -t "$B/libbm_port.a"
echo "== the example firmware: core + port + start-up, linked with --gc-sections"
arm-none-eabi-size "$B/sqns_m4_example.elf"

# No stdio, no OS: all the core may take from outside is what the compiler emits.
undefined=$(arm-none-eabi-nm -u "$B/libsqnsupgrade_core.a" | awk 'NF == 2 { print $2 }' | sort -u)
defined=$(arm-none-eabi-nm --defined-only "$B/libsqnsupgrade_core.a" | awk 'NF == 3 { print $3 }' | sort -u)
external=$(comm -23 <(echo "$undefined") <(echo "$defined") | tr '\n' ' ')
echo "core's external symbols: ${external:-none}"
for s in $external; do
    case $s in
    memset | memcpy | memmove | memcmp | __aeabi_*) ;;
    *) echo "FAIL: the core needs '$s' from outside (only compiler helpers are allowed)" >&2; exit 1 ;;
    esac
done

symbol_size() { echo $((16#$(arm-none-eabi-nm -S "$B/sqns_m4_example.elf" | awk -v s="$1" '$4 == s { print $2 }'))); }
ctx=$(symbol_size ctx)
ring=$(symbol_size port)
read -r text data bss _ < <(arm-none-eabi-size "$B/sqns_m4_example.elf" | awk 'NR == 2')
core_text=$(arm-none-eabi-size -t "$B/libsqnsupgrade_core.a" | awk '/TOTALS/ { print $1 + $2 }')
flash=$((text + data))
ram=$((data + bss))
depth=$(python3 scripts/stack_depth.py Reset_Handler --isr SysTick_Handler --isr USART2_IRQHandler \
    --indirect port_read --indirect port_write --indirect port_set_rate --indirect port_now \
    --indirect flash_read --indirect on_event --indirect uart_tx --indirect uart_set_baud \
    --indirect wait_for_interrupt $(find "$B" -name '*.ci'))
echo "sizeof(struct sqns_ctx) = $ctx bytes (STP block buffer $((16 + 2016)) of them)"
echo "struct bm_port (UART ring + tick) = $ring bytes; stack reserved = $STACK bytes"
echo "$depth"
echo "core flash: $core_text bytes (.text + .data of every core object)"
echo "example flash: $flash / $FLASH_BUDGET bytes; example RAM: $ram / $RAM_BUDGET bytes (.data + .bss + stack)"
worst=$(echo "$depth" | awk '{ print $NF }')
[ "$worst" -le "$STACK" ] || { echo "FAIL: the stack needs $worst bytes, $STACK reserved" >&2; exit 1; }
[ "$core_text" -le "$FLASH_BUDGET" ] || { echo "FAIL: core over the flash budget" >&2; exit 1; }
[ "$flash" -le "$FLASH_BUDGET" ] || { echo "FAIL: example over the flash budget" >&2; exit 1; }
[ "$ram" -le "$RAM_BUDGET" ] || { echo "FAIL: example over the RAM budget" >&2; exit 1; }
echo "cross build OK: within 24 KiB flash and 10 KiB RAM"
