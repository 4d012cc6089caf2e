#!/usr/bin/env bash
# Builds the test guest (a ~7 KB multiboot ELF32) from source: ops/guest/build.sh [OUTPUT]
# Needs gcc and binutils (no 32-bit multilib: the kernel is freestanding).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/target/vmflow-guest.elf}"
mkdir -p "$(dirname "$out")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
flags=(-m32 -ffreestanding -fno-pic -fno-pie -fno-stack-protector -nostdlib -O2 -Wall -Wextra -Werror)
gcc "${flags[@]}" -c "$here/boot.S" -o "$tmp/boot.o"
gcc "${flags[@]}" -c "$here/guest.c" -o "$tmp/guest.o"
ld -m elf_i386 -T "$here/guest.ld" -o "$out" "$tmp/boot.o" "$tmp/guest.o"
echo "$out"
