/* Data layout operations: bitfields (signed and unsigned, straddling bytes), packed structs
 * with unaligned fields, unions for type punning, struct copy and return by value, large
 * struct arguments, arrays of structs, and unaligned loads/stores of every width. */
#include "check.h"

struct bits {
    unsigned a : 3;
    signed b : 5;
    unsigned c : 12;
    signed d : 20;
    unsigned long long e : 40;
    unsigned f : 1;
};

struct __attribute__((packed)) packed {
    char tag;
    uint64_t q;
    uint16_t w;
    uint32_t l;
    double d;
};

union pun {
    double d;
    uint64_t u;
    float f[2];
    unsigned char b[8];
};

struct big {
    long v[20];
    char name[24];
};

static struct big make_big(long seed)
{
    struct big b;
    for (int i = 0; i < 20; i++)
        b.v[i] = seed * (i + 1);
    snprintf(b.name, sizeof b.name, "big-%ld", seed);
    return b;
}

static long sum_big(struct big b)
{
    long s = 0;
    for (int i = 0; i < 20; i++)
        s += b.v[i];
    b.v[0] = -1; /* the caller's copy must not change */
    return s;
}

int main(void)
{
    struct bits bf = { 0 };
    for (int i = 0; i < 40; i++) {
        bf.a = (unsigned)i;
        bf.b = i - 20;
        bf.c = (unsigned)(i * 301);
        bf.d = (i - 20) * 40000;
        bf.e = (unsigned long long)i * 0x1234567ULL;
        bf.f = (unsigned)i & 1;
        printf("bits %2d: a=%u b=%d c=%u d=%d e=%llx f=%u\n", i, bf.a, bf.b, bf.c, bf.d, (unsigned long long)bf.e, bf.f);
        CHECK_EQ(bf.a, (unsigned)i & 7);
        CHECK_EQ(bf.c, (unsigned)(i * 301) & 0xfff);
        hash_bytes(&bf, sizeof bf);
    }

    static struct packed arr[5];
    CHECK_EQ(sizeof(struct packed), 23);
    for (int i = 0; i < 5; i++) {
        arr[i].tag = (char)('A' + i);
        arr[i].q = 0x0102030405060708ULL * (uint64_t)(i + 1);
        arr[i].w = (uint16_t)(0xabcd + i);
        arr[i].l = 0xdeadbeefu - (uint32_t)i;
        arr[i].d = 1.5 * i;
    }
    for (int i = 0; i < 5; i++) {
        printf("packed %c q=%llx w=%x l=%x d=%g\n", arr[i].tag, (unsigned long long)arr[i].q, arr[i].w, arr[i].l, arr[i].d);
    }
    hash_bytes(arr, sizeof arr);

    unsigned char raw[64];
    for (int i = 0; i < 64; i++)
        raw[i] = (unsigned char)(i * 17 + 1);
    for (int off = 0; off < 9; off++) {
        uint16_t w;
        uint32_t l;
        uint64_t q;
        memcpy(&w, raw + off, 2);
        memcpy(&l, raw + off, 4);
        memcpy(&q, raw + off, 8);
        volatile uint64_t *uq = (volatile uint64_t *)(raw + 32 + off);
        *uq = q ^ 0xffffffffffffffffULL;
        printf("unaligned +%d: %04x %08x %016llx -> %016llx\n", off, w, l, (unsigned long long)q, (unsigned long long)*uq);
    }

    union pun p;
    p.d = -2.5;
    printf("pun: %016llx %02x %a\n", (unsigned long long)p.u, p.b[7], p.f[1]);
    CHECK_EQ(p.u, 0xc004000000000000ULL);

    struct big b = make_big(3);
    struct big c = b;
    long s = sum_big(c);
    CHECK_EQ(s, 3 * 210);
    CHECK_EQ(c.v[0], 3);
    printf("big %s sum %ld first %ld\n", c.name, s, c.v[0]);
    struct big many[10];
    for (int i = 0; i < 10; i++)
        many[i] = make_big(i);
    long total = 0;
    for (int i = 0; i < 10; i++)
        total += sum_big(many[i]);
    printf("total of 10 bigs %ld\n", total);
    return check_done("struct_bitfield");
}
