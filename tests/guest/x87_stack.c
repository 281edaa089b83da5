/* The x87 register stack and the less common instructions, in inline asm:
 * stack overflow and underflow (QNaN indefinite, SF, C1), TOP and tags
 * through FNSTENV/FNSAVE, FXCH FFREE FINCSTP FDECSTP, FBLD/FBSTP, FIST vs
 * FISTTP, FPREM's partial remainder loop, FXTRACT, FSCALE, FCMOVcc,
 * constants, FNCLEX. Each asm block starts and ends with an empty stack. */
#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond)                                                   \
    do {                                                              \
        if (!(cond)) {                                                \
            printf("FAIL line %d: %s\n", __LINE__, #cond);            \
            failures++;                                               \
        }                                                             \
    } while (0)

#define X87_CLOBBERS "st", "st(1)", "st(2)", "st(3)", "st(4)", "st(5)", "st(6)", "st(7)", "memory"

typedef struct {
    unsigned char b[10];
} f80;

static void show(const char *what, const f80 *v)
{
    printf("%s=%02x%02x:", what, v->b[9], v->b[8]);
    for (int i = 7; i >= 0; i--)
        printf("%02x", v->b[i]);
    printf(" ");
}

static int is_indefinite(const f80 *v)
{
    static const unsigned char ind[10] = { 0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0xff };
    return memcmp(v->b, ind, 10) == 0;
}

int main(void)
{
    f80 r[8];
    unsigned short sw[4], env[14];

    /* Nine pushes on an eight-register stack. */
    __asm__ volatile("fninit\n\t"
                     "fld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfld1\n\tfldpi\n\t"
                     "fnstsw %1\n\t"
                     "fldz\n\t"
                     "fnstsw %2\n\t"
                     "fstpt %0\n\t"
                     "fninit"
                     : "=m"(r[0]), "=m"(sw[0]), "=m"(sw[1])
                     :
                     : X87_CLOBBERS);
    show("overflow", &r[0]);
    printf("sw before %04x after %04x\n", sw[0], sw[1]);
    CHECK(is_indefinite(&r[0]));
    CHECK((sw[1] & 0x0241) == 0x0241); /* C1 (overflow), SF, IE */
    CHECK(((sw[1] >> 11) & 7) == 7);

    /* An operation on an empty register. */
    __asm__ volatile("fninit\n\t"
                     "fld1\n\t"
                     "fadd %%st(3), %%st\n\t"
                     "fnstsw %1\n\t"
                     "fstpt %0\n\t"
                     "fninit"
                     : "=m"(r[0]), "=m"(sw[0])
                     :
                     : X87_CLOBBERS);
    show("underflow", &r[0]);
    printf("sw %04x\n", sw[0]);
    CHECK(is_indefinite(&r[0]));
    CHECK((sw[0] & 0x0241) == 0x0041);

    /* TOP and tags: FNSTENV after pushes, FFREE, FDECSTP. */
    __asm__ volatile("fninit\n\t"
                     "fldz\n\tfld1\n\tfldpi\n\t"
                     "ffree %%st(1)\n\t"
                     "fdecstp\n\t"
                     "fnstenv %0\n\t"
                     "fldenv %0\n\t"
                     "fincstp\n\t"
                     "fnstsw %1\n\t"
                     "fninit"
                     : "=m"(env), "=m"(sw[0])
                     :
                     : X87_CLOBBERS);
    printf("fnstenv: cw %04x sw %04x tw %04x; sw after fincstp %04x\n", env[0], env[2], env[4],
           sw[0]);
    CHECK(env[0] == 0x037f);
    CHECK(((env[2] >> 11) & 7) == 4);
    CHECK(env[4] == 0x73ff); /* R7 zero (01), R6 empty, R5 pi valid (00), rest empty */

    /* FXCH and FST/FSTP to registers. */
    __asm__ volatile("fninit\n\t"
                     "fld1\n\tfldpi\n\tfldl2t\n\t"
                     "fxch %%st(2)\n\t"
                     "fst %%st(1)\n\t"
                     "fstpt %0\n\tfstpt %1\n\tfstpt %2\n\t"
                     "fninit"
                     : "=m"(r[0]), "=m"(r[1]), "=m"(r[2])
                     :
                     : X87_CLOBBERS);
    show("fxch0", &r[0]);
    show("fxch1", &r[1]);
    show("fxch2", &r[2]);
    printf("\n");
    CHECK(memcmp(&r[0], &r[1], 10) == 0);

    /* FNSAVE/FRSTOR round trip, with an empty register in the middle. */
    unsigned char save[108];
    __asm__ volatile("fninit\n\t"
                     "fldlg2\n\tfldln2\n\tfldl2e\n\t"
                     "ffree %%st(1)\n\t"
                     "fnsave %0\n\t"
                     "fldz\n\t"
                     "frstor %0\n\t"
                     "fstpt %1\n\t"
                     "fincstp\n\t"
                     "fstpt %2\n\t"
                     "fnstsw %3\n\t"
                     "fninit"
                     : "+m"(save), "=m"(r[0]), "=m"(r[1]), "=m"(sw[0])
                     :
                     : X87_CLOBBERS);
    printf("fnsave: cw %02x%02x sw %02x%02x tw %02x%02x ", save[1], save[0], save[5], save[4],
           save[9], save[8]);
    show("st0", &r[0]);
    show("st2", &r[1]);
    printf("sw %04x\n", sw[0]);
    CHECK(sw[0] == 0);

    /* Packed BCD. */
    unsigned char bcd_in[10] = { 0x89, 0x67, 0x45, 0x23, 0x01, 0, 0, 0, 0, 0x80 }, bcd_out[10];
    __asm__ volatile("fninit\n\t"
                     "fbld %2\n\t"
                     "fld %%st\n\t"
                     "fstpt %0\n\t"
                     "fld1\n\tfaddp\n\t"
                     "fbstp %1\n\t"
                     "fninit"
                     : "=m"(r[0]), "=m"(bcd_out)
                     : "m"(bcd_in)
                     : X87_CLOBBERS);
    show("fbld", &r[0]);
    printf("fbstp %02x%02x%02x%02x%02x sign %02x\n", bcd_out[4], bcd_out[3], bcd_out[2],
           bcd_out[1], bcd_out[0], bcd_out[9]);
    CHECK(bcd_out[0] == 0x88 && bcd_out[4] == 0x01 && bcd_out[9] == 0x80);

    /* FIST (rounding control) against FISTTP (truncation). */
    static const long double ins[] = { 2.5L, 3.5L, -2.5L, -0.7L, 1e10L, -32768.4L, 40000.0L };
    for (unsigned k = 0; k < sizeof ins / sizeof ins[0]; k++) {
        short s16, t16;
        int s32, t32;
        long long s64, t64;
        __asm__ volatile("fninit\n\t"
                         "fldt %7\n\t"
                         "fists %0\n\tfistl %1\n\tfld %%st\n\tfistpll %2\n\t"
                         "fld %%st\n\tfisttps %3\n\tfld %%st\n\tfisttpl %4\n\tfisttpll %5\n\t"
                         "fnstsw %6\n\t"
                         "fninit"
                         : "=m"(s16), "=m"(s32), "=m"(s64), "=m"(t16), "=m"(t32), "=m"(t64),
                           "=m"(sw[0])
                         : "m"(ins[k])
                         : X87_CLOBBERS);
        printf("%Lg: fist %d %d %lld fisttp %d %d %lld sw %04x\n", ins[k], s16, s32, s64, t16,
               t32, t64, sw[0]);
    }

    /* FPREM: partial remainders of a huge dividend. */
    long double big = 1e4000L, three = 3.0L, rem;
    unsigned rounds = 0;
    unsigned short psw;
    __asm__ volatile("fninit" ::: X87_CLOBBERS);
    do {
        __asm__ volatile("fldt %2\n\tfldt %3\n\t"
                         "fprem\n\t"
                         "fnstsw %1\n\t"
                         "fstpt %0\n\t"
                         "fstp %%st(0)"
                         : "=m"(rem), "=m"(psw)
                         : "m"(three), "m"(big)
                         : X87_CLOBBERS);
        big = rem;
        rounds++;
    } while ((psw & 0x0400) && rounds < 1000);
    printf("fprem: %u rounds, remainder %Lg, quotient bits %x\n", rounds, rem,
           ((psw >> 8) & 1) << 2 | ((psw >> 14) & 1) << 1 | ((psw >> 9) & 1));
    CHECK(rounds > 1 && rem >= 0.0L && rem < 3.0L);

    /* FXTRACT and FSCALE. */
    long double x = -96.0L, sig, ex, sc;
    __asm__ volatile("fninit\n\t"
                     "fldt %3\n\tfxtract\n\t"
                     "fstpt %0\n\tfstpt %1\n\t"
                     "fildl %4\n\tfldt %3\n\tfscale\n\tfstpt %2\n\tfstp %%st(0)\n\t"
                     "fninit"
                     : "=m"(sig), "=m"(ex), "=m"(sc)
                     : "m"(x), "m"((int){ -3 })
                     : X87_CLOBBERS);
    printf("fxtract(-96) = %Lg * 2^%Lg, fscale(-96, -3) = %Lg\n", sig, ex, sc);
    CHECK(sig == -1.5L && ex == 6.0L && sc == -12.0L);

    /* FCMOVcc after an integer compare. */
    long double moved[4];
    for (int k = 0; k < 4; k++) {
        int a = k & 1, b = k >> 1;
        __asm__ volatile("fninit\n\t"
                         "fld1\n\tfldz\n\t"
                         "cmpl %2, %1\n\t"
                         "fcmovb %%st(1), %%st\n\t"
                         "fstpt %0\n\tfstp %%st(0)\n\t"
                         "fninit"
                         : "=m"(moved[k])
                         : "r"(a), "r"(b)
                         : X87_CLOBBERS, "cc");
        CHECK(moved[k] == (a < b ? 1.0L : 0.0L));
    }
    printf("fcmovb: %Lg %Lg %Lg %Lg\n", moved[0], moved[1], moved[2], moved[3]);

    /* FNCLEX clears flags and SF, keeps TOP. */
    __asm__ volatile("fninit\n\t"
                     "fld1\n\tfldz\n\tfdivr %%st(1), %%st\n\t"
                     "fnstsw %0\n\tfnclex\n\tfnstsw %1\n\t"
                     "fninit"
                     : "=m"(sw[0]), "=m"(sw[1])
                     :
                     : X87_CLOBBERS);
    printf("fnclex: %04x -> %04x\n", sw[0], sw[1]);
    CHECK((sw[0] & 0x3f) == 0x04 && (sw[1] & 0xff) == 0 && (sw[1] & 0x3800) == 0x3000);

    /* The constants, rounded down and up. */
    static const unsigned short cws[] = { 0x037f, 0x077f, 0x0b7f };
    for (unsigned k = 0; k < 3; k++) {
        __asm__ volatile("fninit\n\tfldcw %7\n\t"
                         "fldpi\n\tfstpt %0\n\tfldl2e\n\tfstpt %1\n\tfldl2t\n\tfstpt %2\n\t"
                         "fldlg2\n\tfstpt %3\n\tfldln2\n\tfstpt %4\n\tfld1\n\tfstpt %5\n\t"
                         "fldz\n\tfstpt %6\n\t"
                         "fninit"
                         : "=m"(r[0]), "=m"(r[1]), "=m"(r[2]), "=m"(r[3]), "=m"(r[4]), "=m"(r[5]),
                           "=m"(r[6])
                         : "m"(cws[k])
                         : X87_CLOBBERS);
        printf("cw %04x: ", cws[k]);
        for (int i = 0; i < 5; i++)
            show("c", &r[i]);
        printf("\n");
    }

    printf("%s\n", failures ? "x87_stack: FAILED" : "x87_stack: ok");
    return failures != 0;
}
