/* Self-modifying code in a writable and executable mapping: code is
 * rewritten by plain stores (no mprotect, no mmap in between) after it ran
 * often enough to be compiled, by itself, by the instruction just before
 * the rewritten one, by memcpy, by read(2) from a pipe and by a signal
 * frame pushed over it; each time the new code must run, as on the CPU.
 * System calls write their results next to code (fstat, ppoll). */
#include "check.h"
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef int (*fn_t)(void);

/* mov eax, imm32; ret */
static void code_returning(unsigned char *p, int value)
{
    p[0] = 0xb8;
    memcpy(p + 1, &value, 4);
    p[5] = 0xc3;
}

static long run(unsigned char *code, int times, int want)
{
    long sum = 0;
    for (int i = 0; i < times; i++) {
        int got = ((fn_t)(void *)code)();
        if (got != want) {
            CHECK_EQ(got, want);
            break;
        }
        sum += got;
    }
    return sum;
}

static volatile int handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

int main(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    unsigned char *page = mmap(0, 4 * ps, PROT_READ | PROT_WRITE | PROT_EXEC,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED);

    /* Patched by a store from C after 1000 runs. */
    code_returning(page, 1);
    long sum = run(page, 1000, 1);
    code_returning(page, 2);
    sum += run(page, 1000, 2);
    printf("patched once: %ld\n", sum);

    /* Patched before every call. */
    sum = 0;
    for (int i = 0; i < 3000; i++) {
        code_returning(page, i);
        int got = ((fn_t)(void *)page)();
        if (got != i) {
            CHECK_EQ(got, i);
            break;
        }
        sum += got;
    }
    printf("patched each call: %ld\n", sum);

    /* Code that counts its own calls in its immediate:
     *   mov eax, imm32; inc dword ptr [rip - 10]; ret */
    unsigned char *counter = page + 64;
    static const unsigned char counting[] = {0xb8, 0, 0, 0, 0, 0xff, 0x05, 0xf6, 0xff, 0xff, 0xff, 0xc3};
    memcpy(counter, counting, sizeof counting);
    sum = 0;
    for (int i = 0; i < 3000; i++) {
        int got = ((fn_t)(void *)counter)();
        if (got != i) {
            CHECK_EQ(got, i);
            break;
        }
        sum += got;
    }
    printf("counts itself: %ld\n", sum);

    /* An instruction rewriting the next one, whose new form must run:
     *   mov byte ptr [rip + 1], 7; mov eax, 1; ret  (reset to 1 before each call) */
    unsigned char *ahead = page + 128;
    static const unsigned char rewriting[] = {0xc6, 0x05, 1, 0, 0, 0, 7, 0xb8, 1, 0, 0, 0, 0xc3};
    memcpy(ahead, rewriting, sizeof rewriting);
    sum = 0;
    for (int i = 0; i < 2000; i++) {
        ahead[8] = 1;
        sum += ((fn_t)(void *)ahead)();
    }
    CHECK_EQ(sum, 7 * 2000);
    printf("rewrites the next instruction: %ld\n", sum);

    /* memcpy of whole functions over compiled code. */
    unsigned char staged[2][16];
    code_returning(staged[0], 10);
    code_returning(staged[1], 20);
    sum = 0;
    for (int i = 0; i < 2000; i++) {
        memcpy(page + 256, staged[i & 1], 16);
        sum += ((fn_t)(void *)(page + 256))();
    }
    CHECK_EQ(sum, 1000 * 10 + 1000 * 20);
    printf("memcpy: %ld\n", sum);

    /* read(2) into the code: the kernel writes it. */
    int fds[2];
    CHECK_EQ(pipe(fds), 0);
    sum = 0;
    for (int i = 0; i < 300; i++) {
        unsigned char buf[6];
        code_returning(buf, 100 + i);
        CHECK_EQ(write(fds[1], buf, sizeof buf), sizeof buf);
        CHECK_EQ(read(fds[0], page + 512, sizeof buf), sizeof buf);
        int got = ((fn_t)(void *)(page + 512))();
        if (got != 100 + i) {
            CHECK_EQ(got, 100 + i);
            break;
        }
        sum += got;
    }
    printf("read into code: %ld\n", sum);

    /* Results of system calls written next to code that has just run:
     * fstat's, and ppoll's (a call with a signal mask). */
    unsigned char *code = page + 768;
    code_returning(code, 5);
    CHECK_EQ(((fn_t)(void *)code)(), 5);
    struct stat *st = (struct stat *)(page + 1024);
    CHECK_EQ(fstat(fds[0], st), 0);
    CHECK(S_ISFIFO(st->st_mode));
    struct pollfd *pfd = (struct pollfd *)(page + 1536);
    pfd->fd = fds[1];
    pfd->events = POLLOUT;
    pfd->revents = 0;
    CHECK_EQ(((fn_t)(void *)code)(), 5);
    sigset_t none;
    sigemptyset(&none);
    CHECK_EQ(ppoll(pfd, 1, NULL, &none), 1);
    CHECK_EQ(pfd->revents, POLLOUT);
    code_returning(code, 6);
    CHECK_EQ(((fn_t)(void *)code)(), 6);

    /* A signal frame pushed over code on the alternate signal stack, which
     * is then the code's page again. */
    stack_t ss = {.ss_sp = page + ps, .ss_size = 3 * ps, .ss_flags = 0};
    CHECK_EQ(sigaltstack(&ss, NULL), 0);
    struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_ONSTACK};
    sigemptyset(&sa.sa_mask);
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    unsigned char *top = page + 4 * ps - 64;
    sum = 0;
    for (int i = 0; i < 200; i++) {
        code_returning(top, i);
        sum += ((fn_t)(void *)top)();
        CHECK_EQ(raise(SIGUSR1), 0);
    }
    CHECK_EQ(handled, 200);
    printf("under a signal frame: %ld\n", sum);

    /* Back to read-execute: the code stays as last written. */
    code_returning(page, 42);
    CHECK_EQ(mprotect(page, ps, PROT_READ | PROT_EXEC), 0);
    printf("read-execute: %ld\n", run(page, 1000, 42));
    return check_done("smc_rwx");
}
