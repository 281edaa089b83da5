/* Code replaced by a fixed mapping: a page of code runs often enough to be
 * compiled, then mmap(MAP_FIXED) puts a file's page with other code at the
 * same address (no mprotect in between), which must run from then on. */
#define _GNU_SOURCE
#include "check.h"
#include <sys/mman.h>
#include <unistd.h>

typedef int (*fn_t)(void);

/* mov eax, imm32; ret */
static void code_returning(unsigned char *p, int value)
{
    p[0] = 0xb8;
    memcpy(p + 1, &value, 4);
    p[5] = 0xc3;
}

static long run(fn_t fn, int want)
{
    long sum = 0;
    for (int i = 0; i < 20000; i++) {
        int got = fn();
        if (got != want) {
            CHECK_EQ(got, want);
            break;
        }
        sum += got;
    }
    return sum;
}

int main(void)
{
    long ps = sysconf(_SC_PAGESIZE);
    unsigned char *page = mmap(0, ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(page != MAP_FAILED);
    code_returning(page, 1);
    CHECK_EQ(mprotect(page, ps, PROT_READ | PROT_EXEC), 0);
    printf("first %ld\n", run((fn_t)(void *)page, 1));

    /* The replacement: a memory file's page holding other code. */
    int fd = memfd_create("code", 0);
    CHECK(fd >= 0);
    unsigned char buf[4096] = {0};
    code_returning(buf, 2);
    CHECK_EQ(write(fd, buf, sizeof buf), sizeof buf);
    void *again = mmap(page, ps, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd, 0);
    CHECK(again == page);
    printf("replaced %ld\n", run((fn_t)(void *)page, 2));

    /* And back to anonymous memory, written through a second fixed
     * mapping of the same page that is writable and executable. */
    void *third = mmap(page, ps, PROT_READ | PROT_WRITE | PROT_EXEC,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (third == page) {
        code_returning(page, 3);
        printf("third %ld\n", run((fn_t)(void *)page, 3));
    } else {
        printf("third: no writable and executable mapping here\n");
    }
    close(fd);
    return check_done("mmap_fixed_code");
}
