/* Multiboot (v1) entry of the vmflow test guest: QEMU loads this ELF with -kernel (libvirt <kernel>). */
    .set MB_MAGIC, 0x1BADB002
    .set MB_FLAGS, 0x00000003          /* page-align modules, give us the memory map */
    .set MB_CHECKSUM, -(MB_MAGIC + MB_FLAGS)

    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long MB_CHECKSUM

    .section .bss
    .align 16
stack_bottom:
    .skip 16384
stack_top:

    .section .text
    .global _start
_start:
    cli
    mov $stack_top, %esp
    push %ebx                          /* multiboot information structure */
    push %eax                          /* multiboot magic */
    call kmain
1:  cli
    hlt
    jmp 1b

/* IRQ0 (PIT): count ticks, acknowledge the PIC. */
    .global irq0_entry
irq0_entry:
    push %eax
    incl ticks
    mov $0x20, %al
    outb %al, $0x20
    pop %eax
    iret
    .section .note.GNU-stack, "", @progbits
