/* Memory advice and descriptor-to-descriptor copies: madvise (MADV_DONTNEED zeroes private
 * anonymous pages, ENOMEM on unmapped memory), mincore, msync of a shared file mapping,
 * mlock/munlock, memfd_create with a shared mapping, copy_file_range, sendfile, splice through
 * a pipe, tee between pipes, vmsplice, and pipe2 flags. */
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#define PAGE 4096

static void advice(void)
{
    unsigned char *m = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    memset(m, 0x5a, 4 * PAGE);
    unsigned char vec[4] = { 0 };
    CHECK_EQ(mincore(m, 4 * PAGE, vec), 0);
    CHECK_EQ(vec[0] & 1, 1);
    CHECK_EQ(vec[3] & 1, 1);
    CHECK_EQ(madvise(m + PAGE, PAGE, MADV_DONTNEED), 0);
    CHECK_EQ(m[PAGE], 0);
    CHECK_EQ(m[2 * PAGE - 1], 0);
    CHECK_EQ(m[0], 0x5a);
    CHECK_EQ(m[2 * PAGE], 0x5a);
    CHECK_EQ(madvise(m, 4 * PAGE, MADV_WILLNEED), 0);
    CHECK_EQ(madvise(m, 4 * PAGE, MADV_SEQUENTIAL), 0);
    CHECK_EQ(madvise(m + 1, PAGE, MADV_NORMAL), -1);
    CHECK_EQ(errno, EINVAL);
    int r = mlock(m, PAGE);
    CHECK(r == 0 || errno == EPERM || errno == ENOMEM || errno == EAGAIN);
    if (r == 0)
        CHECK_EQ(munlock(m, PAGE), 0);
    CHECK_EQ(munmap(m, 4 * PAGE), 0);
    CHECK_EQ(madvise(m, PAGE, MADV_NORMAL), -1);
    CHECK_EQ(errno, ENOMEM);
    CHECK_EQ(mincore(m, PAGE, vec), -1);
    CHECK_EQ(errno, ENOMEM);
    printf("madvise: DONTNEED zeroed one page, unmapped memory is ENOMEM\n");
}

static void shared_file(void)
{
    int fd = open("shared.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(ftruncate(fd, 2 * PAGE), 0);
    char *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    CHECK(m != MAP_FAILED);
    strcpy(m + PAGE + 10, "written through the mapping");
    CHECK_EQ(msync(m, 2 * PAGE, MS_SYNC), 0);
    CHECK_EQ(msync(m + 1, PAGE, MS_SYNC), -1);
    CHECK_EQ(errno, EINVAL);
    char buf[64] = { 0 };
    CHECK_EQ(pread(fd, buf, 27, PAGE + 10), 27);
    printf("msync: file reads [%s]\n", buf);
    CHECK_EQ(munmap(m, 2 * PAGE), 0);
    close(fd);
    unlink("shared.dat");

    int mfd = memfd_create("ox86-memfd", MFD_CLOEXEC);
    CHECK(mfd >= 0);
    CHECK_EQ(fcntl(mfd, F_GETFD), FD_CLOEXEC);
    CHECK_EQ(ftruncate(mfd, PAGE), 0);
    char *a = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
    char *b = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, mfd, 0);
    CHECK(a != MAP_FAILED && b != MAP_FAILED);
    strcpy(a, "memfd shared");
    CHECK(strcmp(b, "memfd shared") == 0);
    struct stat st;
    CHECK_EQ(fstat(mfd, &st), 0);
    CHECK_EQ(st.st_size, PAGE);
    munmap(a, PAGE);
    munmap(b, PAGE);
    close(mfd);
    printf("memfd: two mappings see one page\n");
}

static void copies(void)
{
    int src = open("src.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
    int dst = open("dst.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(src >= 0 && dst >= 0);
    char data[10000];
    for (int i = 0; i < (int)sizeof data; i++)
        data[i] = (char)('a' + i % 26);
    CHECK_EQ(write(src, data, sizeof data), sizeof data);

    loff_t in = 100, out = 0;
    long n = syscall(SYS_copy_file_range, src, &in, dst, &out, 5000L, 0U);
    CHECK_EQ(n, 5000);
    CHECK_EQ(in, 5100);
    CHECK_EQ(out, 5000);
    char buf[10000];
    CHECK_EQ(pread(dst, buf, 5000, 0), 5000);
    CHECK(memcmp(buf, data + 100, 5000) == 0);

    off_t off = 9000;
    CHECK_EQ(lseek(dst, 0, SEEK_SET), 0);
    CHECK_EQ(sendfile(dst, src, &off, 2000), 1000);
    CHECK_EQ(off, 10000);
    CHECK_EQ(pread(dst, buf, 1000, 0), 1000);
    CHECK(memcmp(buf, data + 9000, 1000) == 0);

    int p[2], q[2];
    CHECK_EQ(pipe2(p, O_CLOEXEC), 0);
    CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
    CHECK_EQ(pipe2(q, O_NONBLOCK), 0);
    CHECK(fcntl(q[1], F_GETFL) & O_NONBLOCK);
    loff_t sin = 26;
    CHECK_EQ(splice(src, &sin, p[1], NULL, 52, 0), 52);
    CHECK_EQ(tee(p[0], q[1], 52, 0), 52);
    loff_t sout = 0;
    CHECK_EQ(splice(p[0], NULL, dst, &sout, 52, 0), 52);
    CHECK_EQ(pread(dst, buf, 52, 0), 52);
    CHECK(memcmp(buf, data, 52) == 0);
    CHECK_EQ(read(q[0], buf, sizeof buf), 52);
    CHECK(memcmp(buf, data, 52) == 0);

    char v1[] = "vm", v2[] = "splice";
    struct iovec iov[2] = { { v1, 2 }, { v2, 6 } };
    CHECK_EQ(vmsplice(q[1], iov, 2, 0), 8);
    CHECK_EQ(read(q[0], buf, sizeof buf), 8);
    CHECK(memcmp(buf, "vmsplice", 8) == 0);
    printf("copy_file_range, sendfile, splice, tee, vmsplice: bytes arrived\n");
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    close(src);
    close(dst);
    unlink("src.dat");
    unlink("dst.dat");
}

int main(void)
{
    advice();
    shared_file();
    copies();
    return check_done("mem_fd_misc");
}
