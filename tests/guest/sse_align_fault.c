/* A legacy SSE instruction with a misaligned 16-byte memory operand raises
 * #GP, which Linux delivers as SIGSEGV; the unaligned forms before it must
 * not fault.
 * ox86-test: signal=11 */
#include <emmintrin.h>
#include <stdio.h>

static char buf[64] __attribute__((aligned(16)));

int main(void)
{
    for (int i = 0; i < 64; i++)
        buf[i] = (char)i;
    __m128i x = _mm_setzero_si128();
    /* MOVDQU and MOVUPS accept any address. */
    __asm__ volatile("movdqu 1(%1), %0\n\tmovups 7(%1), %0" : "+x"(x) : "r"(buf) : "memory");
    printf("unaligned loads ok\n");
    fflush(stdout);
    /* PADDB with a misaligned m128 operand: #GP. */
    __asm__ volatile("paddb 3(%1), %0" : "+x"(x) : "r"(buf) : "memory");
    printf("not reached\n");
    return 0;
}
