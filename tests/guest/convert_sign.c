/* Sign and zero extension: CBW CWDE CDQE CWD CDQ CQO, MOVSX/MOVZX from bytes and words
 * (register and memory), MOVSXD, and the C integer conversions that compile to them. */
#include "check.h"

static const uint64_t values[] = {
    0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x12345678, 0x7fffffff, 0x80000000,
    0xffffffff, 0xfedcba9876543210ULL, 0x8000000000000000ULL, 0xffffffffffffffffULL, 0x00000000deadbeefULL,
};

int main(void)
{
    for (unsigned i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        uint64_t v = values[i], ax, dx;
        uint64_t junk = 0xa5a5a5a5a5a5a5a5ULL;

        ax = (junk & ~0xffULL) | (v & 0xff);
        __asm__("cbtw" : "+a"(ax));
        CHECK_EQ(ax, (junk & ~0xffffULL) | (uint16_t)(int16_t)(int8_t)v);
        uint64_t cbw = ax;

        ax = (junk & ~0xffffULL) | (v & 0xffff);
        __asm__("cwtl" : "+a"(ax));
        CHECK_EQ(ax, (uint32_t)(int32_t)(int16_t)v);
        uint64_t cwde = ax;

        ax = (junk & ~0xffffffffULL) | (v & 0xffffffff);
        __asm__("cltq" : "+a"(ax));
        CHECK_EQ(ax, (uint64_t)(int64_t)(int32_t)v);
        uint64_t cdqe = ax;

        ax = v;
        dx = junk;
        __asm__("cwtd" : "+a"(ax), "+d"(dx));
        CHECK_EQ(dx, (junk & ~0xffffULL) | ((v & 0x8000) ? 0xffff : 0));
        uint64_t cwd = dx;

        ax = v;
        dx = junk;
        __asm__("cltd" : "+a"(ax), "+d"(dx));
        CHECK_EQ(dx, (v & 0x80000000) ? 0xffffffffULL : 0);
        uint64_t cdq = dx;

        ax = v;
        dx = junk;
        __asm__("cqto" : "+a"(ax), "+d"(dx));
        CHECK_EQ(dx, (v >> 63) ? ~0ULL : 0);
        uint64_t cqo = dx;

        uint64_t sb, zb, sw, zw, sd, sbm, zwm, r16 = junk;
        __asm__("movsbq %b1, %0" : "=r"(sb) : "q"(v));
        __asm__("movzbq %b1, %0" : "=r"(zb) : "q"(v));
        __asm__("movswq %w1, %0" : "=r"(sw) : "r"(v));
        __asm__("movzwq %w1, %0" : "=r"(zw) : "r"(v));
        __asm__("movslq %k1, %0" : "=r"(sd) : "r"(v));
        __asm__("movsbq (%1), %0" : "=r"(sbm) : "r"(&v), "m"(v));
        __asm__("movzwq (%1), %0" : "=r"(zwm) : "r"(&v), "m"(v));
        __asm__("movsbw %b1, %w0" : "+r"(r16) : "q"(v));
        CHECK_EQ(sb, (uint64_t)(int64_t)(int8_t)v);
        CHECK_EQ(zb, (uint8_t)v);
        CHECK_EQ(sw, (uint64_t)(int64_t)(int16_t)v);
        CHECK_EQ(zw, (uint16_t)v);
        CHECK_EQ(sd, (uint64_t)(int64_t)(int32_t)v);
        CHECK_EQ(sbm, sb);
        CHECK_EQ(zwm, zw);
        CHECK_EQ(r16, (junk & ~0xffffULL) | (uint16_t)(int16_t)(int8_t)v);
        uint64_t mz;
        __asm__("movzbl %b1, %k0" : "=r"(mz) : "q"(v));
        CHECK_EQ(mz, (uint8_t)v);

        printf("%016llx: cbw %llx cwde %llx cdqe %llx cwd %llx cdq %llx cqo %llx\n", (unsigned long long)v,
               (unsigned long long)cbw, (unsigned long long)cwde, (unsigned long long)cdqe,
               (unsigned long long)cwd, (unsigned long long)cdq, (unsigned long long)cqo);
        printf("  movsx b %llx w %llx d %llx movzx b %llx w %llx movsbw %llx\n", (unsigned long long)sb,
               (unsigned long long)sw, (unsigned long long)sd, (unsigned long long)zb, (unsigned long long)zw,
               (unsigned long long)r16);
        hash_u64(cbw ^ cwde ^ cdqe ^ cwd ^ cdq ^ cqo ^ sb ^ zb ^ sw ^ zw ^ sd);

        volatile int64_t s64 = (int64_t)v;
        volatile uint64_t u64 = v;
        printf("  C: %d %d %d %u %u %u %lld %lld %llu\n", (int)(signed char)s64, (int)(short)s64, (int)s64,
               (unsigned)(unsigned char)u64, (unsigned)(unsigned short)u64, (unsigned)u64,
               (long long)(int)s64, (long long)(signed char)u64, (unsigned long long)(unsigned)(short)u64);
    }
    return check_done("convert_sign");
}
