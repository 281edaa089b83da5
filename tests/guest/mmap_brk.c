/* Memory management calls: anonymous mmap/munmap, MAP_FIXED over our own mapping, mprotect,
 * mremap growth (data kept), file-backed MAP_SHARED and MAP_PRIVATE mappings, msync, madvise,
 * brk/sbrk growth and shrink, and MAP_FIXED_NOREPLACE refusing an occupied range. */
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    unsigned char *m = mmap(NULL, 16 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    CHECK_EQ((uintptr_t)m % page, 0);
    for (long i = 0; i < 16 * page; i++)
        CHECK_EQ(m[i], 0);
    for (long i = 0; i < 16 * page; i++)
        m[i] = (unsigned char)(i / page + 1);
    printf("anonymous mapping: 16 pages zeroed then filled\n");

    /* MAP_FIXED replaces part of it with fresh zero pages */
    unsigned char *f = mmap(m + 4 * page, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(f == m + 4 * page);
    CHECK_EQ(m[4 * page], 0);
    CHECK_EQ(m[6 * page], 7);
    CHECK_EQ(m[3 * page], 4);
    /* MAP_FIXED_NOREPLACE refuses an occupied range */
    void *nr = mmap(m, page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(nr == MAP_FAILED);
    CHECK_EQ(errno, EEXIST);
    printf("MAP_FIXED replaced pages 4-5; MAP_FIXED_NOREPLACE gave EEXIST\n");

    CHECK_EQ(mprotect(m + 8 * page, page, PROT_READ), 0);
    CHECK_EQ(m[8 * page], 9);
    CHECK_EQ(mprotect(m + 8 * page, page, PROT_READ | PROT_WRITE), 0);
    m[8 * page] = 99;
    CHECK_EQ(madvise(m + 10 * page, 2 * page, MADV_DONTNEED), 0);
    CHECK_EQ(m[10 * page], 0); /* private anonymous pages come back zeroed */
    printf("mprotect round trip; MADV_DONTNEED zeroed pages\n");

    unsigned char *g = mremap(m, 16 * page, 64 * page, MREMAP_MAYMOVE);
    CHECK(g != MAP_FAILED);
    CHECK_EQ(g[8 * page], 99);
    CHECK_EQ(g[15 * page], 16);
    g[63 * page] = 1;
    CHECK_EQ(munmap(g, 64 * page), 0);
    printf("mremap grew the mapping to 64 pages keeping the data\n");

    /* file mappings */
    int fd = open("mapped.bin", O_CREAT | O_RDWR | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 3 * page), 0);
    unsigned char *sh = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(sh != MAP_FAILED);
    memcpy(sh + page + 10, "shared write", 12);
    CHECK_EQ(msync(sh, 3 * page, MS_SYNC), 0);
    char back[16] = { 0 };
    CHECK_EQ(pread(fd, back, 12, page + 10), 12);
    CHECK(strcmp(back, "shared write") == 0);
    unsigned char *pr = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, page);
    CHECK(pr != MAP_FAILED);
    CHECK(memcmp(pr + 10, "shared write", 12) == 0);
    memcpy(pr + 10, "PRIVATE", 7);
    CHECK_EQ(pread(fd, back, 12, page + 10), 12);
    CHECK(strcmp(back, "shared write") == 0);
    CHECK(memcmp(sh + page + 10, "shared", 6) == 0);
    printf("file mappings: shared writes reach the file, private ones do not (%s)\n", back);
    munmap(sh, 3 * page);
    munmap(pr, page);
    close(fd);
    unlink("mapped.bin");

    /* the program break, through the raw system call (libc sbrk support varies) */
    char *b0 = (char *)syscall(SYS_brk, 0);
    char *b1 = (char *)syscall(SYS_brk, b0 + 5 * page);
    CHECK(b1 == b0 + 5 * page);
    memset(b0, 0x5a, 5 * page);
    char *b2 = (char *)syscall(SYS_brk, b0 + 3 * page);
    CHECK(b2 == b0 + 3 * page);
    CHECK_EQ(b0[3 * page - 1], 0x5a);
    char *b3 = (char *)syscall(SYS_brk, b0 + 5 * page);
    CHECK(b3 == b0 + 5 * page);
    CHECK_EQ(b0[4 * page], 0); /* pages given back and taken again are zero */
    CHECK(syscall(SYS_brk, b0) == (long)b0);
    printf("brk grew by 5 pages, shrank by 2, grew again with zeroed pages, and went back\n");

    /* munmap of an unmapped range is fine; of a misaligned address is EINVAL */
    CHECK_EQ(munmap((char *)b0 + 1, page), -1);
    CHECK_EQ(errno, EINVAL);
    return check_done("mmap_brk");
}
