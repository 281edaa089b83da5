/* 16-byte SSE loads and stores (MOVUPS, MOVDQU, PADDB's memory operand)
 * that cross from a writable page into an inaccessible one: SIGSEGV at the
 * first byte of the second page, and a store writes none of its bytes. */
#include "check.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile uintptr_t fault_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    fault_addr = (uintptr_t)si->si_addr;
    siglongjmp(env, 1);
}

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
                              MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(map != MAP_FAILED);
    CHECK_EQ(mprotect(map + page, page, PROT_NONE), 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);

    for (int i = 0; i < page; i++)
        map[i] = (unsigned char)(i * 7 + 1);
    static const unsigned char ones[16] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    };
    for (int back = 1; back <= 16; back++) {
        unsigned char *p = map + page - back;
        const char *what[] = {"movups store", "movdqu store", "movups load", "paddb load"};
        for (int k = 0; k < 4; k++) {
            fault_addr = 0;
            int faulted = 0;
            if (sigsetjmp(env, 1) == 0) {
                switch (k) {
                case 0:
                    __asm__ volatile("movups %1, %%xmm2\n\tmovups %%xmm2, %0"
                                     : "=m"(*(unsigned char(*)[16])p)
                                     : "m"(ones)
                                     : "xmm2");
                    break;
                case 1:
                    __asm__ volatile("movdqu %1, %%xmm3\n\tmovdqu %%xmm3, %0"
                                     : "=m"(*(unsigned char(*)[16])p)
                                     : "m"(ones)
                                     : "xmm3");
                    break;
                case 2:
                    __asm__ volatile("movups %0, %%xmm4\n\tmovups %%xmm4, %%xmm5"
                                     :
                                     : "m"(*(unsigned char(*)[16])p)
                                     : "xmm4", "xmm5");
                    break;
                default:
                    /* Unaligned unless 16 back: #GP (SIGSEGV, address 0)
                     * comes before the page fault. */
                    __asm__ volatile("pxor %%xmm6, %%xmm6\n\tpaddb %0, %%xmm6"
                                     :
                                     : "m"(*(unsigned char(*)[16])p)
                                     : "xmm6");
                    break;
                }
            } else {
                faulted = 1;
            }
            long at = fault_addr ? (long)(fault_addr - (uintptr_t)map) - page : -1;
            printf("%2d back, %s: %s", back, what[k], faulted ? "SIGSEGV" : "ok");
            if (faulted)
                printf(" at %s%ld", fault_addr ? "page+" : "", fault_addr ? at : 0L);
            printf("\n");
            hash_u64((uint64_t)faulted << 32 | (uint64_t)(at & 0xffff));
        }
        /* Nothing of a faulting store was written; a whole one was. */
        int changed = 0;
        for (int i = 0; i < page; i++)
            changed += map[i] != (unsigned char)(i * 7 + 1);
        printf("%2d back: %d bytes changed\n", back, changed);
        CHECK_EQ(changed, back == 16 ? 16 : 0);
        for (int i = 0; i < page; i++)
            map[i] = (unsigned char)(i * 7 + 1);
    }
    return check_done("sse_page_cross");
}
