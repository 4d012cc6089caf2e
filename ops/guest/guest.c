/*
 * The vmflow test guest: proves that a live migration delivered the guest's memory intact.
 *
 * It fills all RAM above 4 MiB with a pattern derived from each word's address, then loops:
 *   busy mode (default): rewrites a working set of ws=N MiB (one word per page, a new generation
 *     each round, checking the previous generation first) and re-verifies the rest a chunk at a time;
 *   paced busy mode ("paced" as well): the same work once per timer tick (~18 a second: the working
 *     set rewritten, two chunks re-verified), halting in between, so that several guests migrating at
 *     once under TCG dirty memory all the time without taking every core from the host's processes;
 *   idle mode ("idle" on the command line): halts between timer ticks and only re-verifies a chunk
 *     each second, so it costs almost no CPU.
 * "corrupt" on the command line flips one word after the fill: the detector's own self-test.
 * About once a second (PIT ticks) it prints on COM1:  hb <n> pass <p> gen <g> bad <b>
 * where bad counts the corrupt words found so far (each repaired once counted, so counted once). The first corrupt
 * words are also printed as "BAD addr=... got=... want=...".
 */
#include <stdint.h>

#define REGION_START (4u << 20)
#define PAGE 4096u
#define CHUNK_BYTES (1u << 20)
#define HZ_DIVISOR 65535u           /* PIT at ~18.2 Hz */
#define TICKS_PER_BEAT 18u

volatile uint32_t ticks;
extern void irq0_entry(void);

static uint32_t region_end, ws_end;
static uint32_t bad, generation, pass, beats;

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static void putc_serial(char c) {
    while (!(inb(0x3F8 + 5) & 0x20)) { }
    outb(0x3F8, (uint8_t)c);
}
static void puts_serial(const char *s) { while (*s) putc_serial(*s++); }
static void put_dec(uint32_t v) {
    char buf[11]; int i = 0;
    do { buf[i++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (i) putc_serial(buf[--i]);
}
static void put_hex(uint32_t v) {
    puts_serial("0x");
    for (int s = 28; s >= 0; s -= 4) putc_serial("0123456789abcdef"[(v >> s) & 0xF]);
}

static inline uint32_t pattern(uint32_t addr) { return (addr * 2654435761u) ^ 0x5bd1e995u; }

static void report_bad(uint32_t addr, uint32_t got, uint32_t want) {
    if (++bad <= 8) {
        puts_serial("BAD addr="); put_hex(addr); puts_serial(" got="); put_hex(got);
        puts_serial(" want="); put_hex(want); puts_serial("\n");
    }
}

/* The working set: the first word of each page in [REGION_START, ws_end) holds pattern + generation. */
static void dirty_working_set(void) {
    for (uint32_t a = REGION_START; a < ws_end; a += PAGE) {
        volatile uint32_t *w = (volatile uint32_t *)a;
        uint32_t want = pattern(a) + generation;
        if (*w != want) report_bad(a, *w, want);
        *w = pattern(a) + generation + 1;
    }
    generation++;
}

/* Verifies one chunk of the static part; returns the next cursor. */
static uint32_t verify_chunk(uint32_t cursor) {
    uint32_t end = cursor + CHUNK_BYTES;
    if (end > region_end) end = region_end;
    for (uint32_t a = cursor; a < end; a += 4) {
        if (a < ws_end && (a & (PAGE - 1)) == 0) continue;   /* working-set word: checked by dirty_working_set */
        uint32_t got = *(volatile uint32_t *)a;
        if (got != pattern(a)) {
            report_bad(a, got, pattern(a));
            *(volatile uint32_t *)a = pattern(a);          /* repair, so one corruption counts once */
        }
    }
    if (end >= region_end) { pass++; return REGION_START; }
    return end;
}

static void heartbeat(void) {
    puts_serial("hb "); put_dec(++beats); puts_serial(" pass "); put_dec(pass);
    puts_serial(" gen "); put_dec(generation); puts_serial(" bad "); put_dec(bad); puts_serial("\n");
}

struct idt_entry { uint16_t off_lo, sel; uint8_t zero, flags; uint16_t off_hi; } __attribute__((packed));
struct idt_ptr { uint16_t limit; uint32_t base; } __attribute__((packed));
static struct idt_entry idt[256];

static void start_timer(void) {
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    uint32_t h = (uint32_t)irq0_entry;
    idt[0x20] = (struct idt_entry){ (uint16_t)h, cs, 0, 0x8E, (uint16_t)(h >> 16) };
    struct idt_ptr p = { sizeof(idt) - 1, (uint32_t)idt };
    __asm__ volatile("lidt %0" : : "m"(p));
    /* remap the PICs to vectors 0x20/0x28, unmask only IRQ0 */
    outb(0x20, 0x11); outb(0xA0, 0x11);
    outb(0x21, 0x20); outb(0xA1, 0x28);
    outb(0x21, 0x04); outb(0xA1, 0x02);
    outb(0x21, 0x01); outb(0xA1, 0x01);
    outb(0x21, 0xFE); outb(0xA1, 0xFF);
    /* PIT channel 0, rate generator */
    outb(0x43, 0x34);
    outb(0x40, HZ_DIVISOR & 0xFF); outb(0x40, HZ_DIVISOR >> 8);
    __asm__ volatile("sti");
}

/* Finds "key=" in the command line and parses the decimal after it. */
static uint32_t arg_num(const char *cmd, const char *key, uint32_t dflt) {
    for (const char *p = cmd; p && *p; p++) {
        const char *k = key, *q = p;
        while (*k && *q == *k) { k++; q++; }
        if (!*k && (p == cmd || p[-1] == ' ')) {
            uint32_t v = 0;
            while (*q >= '0' && *q <= '9') v = v * 10 + (uint32_t)(*q++ - '0');
            return v;
        }
    }
    return dflt;
}
static int has_word(const char *cmd, const char *word) {
    for (const char *p = cmd; p && *p; p++) {
        const char *w = word, *q = p;
        while (*w && *q == *w) { w++; q++; }
        if (!*w && (p == cmd || p[-1] == ' ') && (*q == 0 || *q == ' ')) return 1;
    }
    return 0;
}

void kmain(uint32_t magic, const uint32_t *mbi) {
    outb(0x3F8 + 1, 0x00); outb(0x3F8 + 3, 0x80); outb(0x3F8 + 0, 0x01); outb(0x3F8 + 1, 0x00);
    outb(0x3F8 + 3, 0x03); outb(0x3F8 + 2, 0xC7);
    if (magic != 0x2BADB002u || !(mbi[0] & 1)) { puts_serial("vmflow-guest: not booted by multiboot\n"); return; }
    const char *cmd = (mbi[0] & 4) ? (const char *)mbi[4] : "";
    int idle = has_word(cmd, "idle");
    int paced = has_word(cmd, "paced");
    uint32_t ws_mib = arg_num(cmd, "ws=", idle ? 0 : 16);
    region_end = (1u << 20) + mbi[2] * 1024u;            /* mem_upper is in KiB above 1 MiB */
    if (region_end > 0xF0000000u) region_end = 0xF0000000u;
    ws_end = REGION_START + ws_mib * (1u << 20);
    if (ws_end > region_end) ws_end = region_end;

    puts_serial("vmflow-guest boot mem="); put_dec(region_end >> 20); puts_serial("MiB ws=");
    put_dec((ws_end - REGION_START) >> 20); puts_serial("MiB mode=");
    puts_serial(idle ? "idle\n" : paced ? "paced\n" : "busy\n");
    for (uint32_t a = REGION_START; a < region_end; a += 4) *(volatile uint32_t *)a = pattern(a);
    puts_serial("READY filled "); put_dec((region_end - REGION_START) >> 20); puts_serial(" MiB\n");
    if (has_word(cmd, "corrupt")) {
        uint32_t victim = region_end - PAGE + 8;     /* far from the working set */
        *(volatile uint32_t *)victim ^= 0x00400000u;
        puts_serial("SELFTEST corrupted "); put_hex(victim); puts_serial("\n");
    }

    start_timer();
    uint32_t cursor = REGION_START, next_beat = ticks + TICKS_PER_BEAT;
    for (;;) {
        if (idle) {
            __asm__ volatile("hlt");
            if ((int32_t)(ticks - next_beat) >= 0) {
                cursor = verify_chunk(cursor);
                heartbeat();
                next_beat += TICKS_PER_BEAT;
            }
        } else {
            dirty_working_set();
            cursor = verify_chunk(cursor);
            if (paced) {
                cursor = verify_chunk(cursor);
                __asm__ volatile("hlt");                      /* until the next tick */
            }
            if ((int32_t)(ticks - next_beat) >= 0) {
                heartbeat();
                next_beat = ticks + TICKS_PER_BEAT;
            }
        }
    }
}
