/* File system calls on files this test creates in its working directory (and one mkstemp
 * file in /tmp): open/creat flags, write/read, lseek in every mode, pread/pwrite, fstat/stat/
 * lstat fields that do not depend on the host, ftruncate, rename, link/symlink/readlink,
 * access, unlink, O_APPEND, O_EXCL errors, and stdio streams on top. */
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static void raw_calls(void)
{
    int fd = open("data.bin", O_CREAT | O_RDWR | O_TRUNC, 0640);
    CHECK(fd >= 0);
    char buf[4096];
    for (int i = 0; i < (int)sizeof buf; i++)
        buf[i] = (char)(i * 13 + 7);
    CHECK_EQ(write(fd, buf, sizeof buf), sizeof buf);
    CHECK_EQ(write(fd, "tail", 4), 4);
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4100);
    CHECK_EQ(lseek(fd, 100, SEEK_SET), 100);
    char got[64];
    CHECK_EQ(read(fd, got, 64), 64);
    CHECK(memcmp(got, buf + 100, 64) == 0);
    CHECK_EQ(lseek(fd, -4, SEEK_END), 4096);
    CHECK_EQ(read(fd, got, 64), 4);
    CHECK(memcmp(got, "tail", 4) == 0);
    CHECK_EQ(read(fd, got, 64), 0);
    CHECK_EQ(pwrite(fd, "PW", 2, 10), 2);
    CHECK_EQ(pread(fd, got, 4, 9), 4);
    CHECK(got[1] == 'P' && got[2] == 'W');
    CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4100); /* pread/pwrite leave the offset alone */

    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 4100);
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(st.st_mode & 0777, 0640 & ~0022 & 0777);
    CHECK_EQ(st.st_nlink, 1);
    printf("data.bin: size %lld regular %d mode %o nlink %lu\n", (long long)st.st_size, S_ISREG(st.st_mode),
           (unsigned)(st.st_mode & 0777), (unsigned long)st.st_nlink);
    CHECK_EQ(ftruncate(fd, 1000), 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 1000);
    /* a hole reads as zeros */
    CHECK_EQ(pwrite(fd, "Z", 1, 20000), 1);
    CHECK_EQ(pread(fd, got, 8, 15000), 8);
    for (int i = 0; i < 8; i++)
        CHECK_EQ(got[i], 0);
    CHECK_EQ(close(fd), 0);
    CHECK_EQ(close(fd), -1);
    CHECK_EQ(errno, EBADF);

    CHECK_EQ(open("data.bin", O_CREAT | O_EXCL | O_WRONLY, 0600), -1);
    CHECK_EQ(errno, EEXIST);
    CHECK_EQ(open("missing/file", O_RDONLY), -1);
    CHECK_EQ(errno, ENOENT);
    printf("errors: EBADF EEXIST ENOENT as expected\n");

    fd = open("log.txt", O_CREAT | O_WRONLY | O_APPEND, 0600);
    for (int i = 0; i < 5; i++) {
        lseek(fd, 0, SEEK_SET);
        dprintf(fd, "line %d\n", i);
    }
    close(fd);
    fd = open("log.txt", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    close(fd);
    printf("O_APPEND file:\n%s", buf);
    CHECK(strcmp(buf, "line 0\nline 1\nline 2\nline 3\nline 4\n") == 0);

    CHECK_EQ(rename("log.txt", "renamed.txt"), 0);
    CHECK_EQ(access("log.txt", F_OK), -1);
    CHECK_EQ(access("renamed.txt", R_OK | W_OK), 0);
    CHECK_EQ(link("renamed.txt", "hard.txt"), 0);
    CHECK_EQ(stat("renamed.txt", &st), 0);
    CHECK_EQ(st.st_nlink, 2);
    CHECK_EQ(symlink("renamed.txt", "soft.txt"), 0);
    char target[64];
    ssize_t tl = readlink("soft.txt", target, sizeof target - 1);
    CHECK_EQ(tl, 11);
    target[tl < 0 ? 0 : tl] = 0;
    CHECK_EQ(lstat("soft.txt", &st), 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK_EQ(stat("soft.txt", &st), 0);
    CHECK(S_ISREG(st.st_mode));
    printf("rename/link/symlink: readlink -> %s, nlink 2\n", target);
    CHECK_EQ(unlink("soft.txt"), 0);
    CHECK_EQ(unlink("hard.txt"), 0);
    CHECK_EQ(unlink("renamed.txt"), 0);
    CHECK_EQ(unlink("data.bin"), 0);
    CHECK_EQ(unlink("data.bin"), -1);
}

static void streams(void)
{
    FILE *f = fopen("stream.txt", "w+");
    CHECK(f != NULL);
    for (int i = 0; i < 200; i++)
        fprintf(f, "%d squared is %d\n", i, i * i);
    CHECK_EQ(fflush(f), 0);
    long end = ftell(f);
    printf("stream: %ld bytes written\n", end);
    rewind(f);
    char line[128];
    int lines = 0;
    long sum = 0;
    while (fgets(line, sizeof line, f)) {
        int a, b;
        if (sscanf(line, "%d squared is %d", &a, &b) == 2) {
            CHECK_EQ(b, a * a);
            sum += b;
        }
        lines++;
    }
    CHECK(feof(f));
    printf("stream: %d lines, sum %ld\n", lines, sum);
    CHECK_EQ(fseek(f, 5, SEEK_SET), 0);
    int c = fgetc(f);
    printf("byte at 5: %c\n", c);
    fclose(f);

    f = fopen("stream.txt", "rb");
    fseek(f, 0, SEEK_END);
    CHECK_EQ(ftell(f), end);
    fclose(f);
    CHECK_EQ(remove("stream.txt"), 0);
    CHECK(fopen("stream.txt", "r") == NULL);
}

static void temp_file(void)
{
    char name[] = "/tmp/ox86-file-io-XXXXXX";
    int fd = mkstemp(name);
    CHECK(fd >= 0);
    CHECK_EQ(strncmp(name, "/tmp/ox86-file-io-", 18), 0);
    CHECK_EQ(write(fd, "temporary", 9), 9);
    struct stat st;
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 9);
    CHECK_EQ(st.st_mode & 0777, 0600);
    close(fd);
    CHECK_EQ(unlink(name), 0);
    printf("mkstemp: made, written, stat'ed and removed a file in /tmp\n");
}

int main(void)
{
    umask(022);
    raw_calls();
    streams();
    temp_file();
    return check_done("file_io");
}
