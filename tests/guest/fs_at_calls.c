/* File-system calls relative to directory descriptors, and the stat family: mkdirat, openat,
 * fstatat with AT_SYMLINK_NOFOLLOW and AT_EMPTY_PATH, statx, symlinkat/readlinkat, linkat and
 * link counts, renameat2 (NOREPLACE, EXCHANGE), unlinkat (AT_REMOVEDIR), fchmodat, fchownat to
 * the owner itself, utimensat with fixed times and UTIME_OMIT, faccessat, umask, truncate,
 * fsync/fdatasync/sync, posix_fadvise, statfs/fstatfs, a raw getdents64 listing, and
 * chdir/fchdir. Everything happens in the test's own empty working directory. */
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

/* struct statx (include/uapi/linux/stat.h), spelled out for libcs without it. */
struct kstatx_ts {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t reserved;
};
struct kstatx {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, pad0;
    uint64_t ino, size, blocks, attributes_mask;
    struct kstatx_ts atime, btime, ctime, mtime;
    uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
    uint64_t spare[14];
};
#define K_STATX_BASIC_STATS 0x7ffu
#define K_RENAME_NOREPLACE 1
#define K_RENAME_EXCHANGE 2

static void write_file(int dirfd, const char *name, const char *text)
{
    int fd = openat(dirfd, name, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, text, strlen(text)), strlen(text));
    CHECK_EQ(close(fd), 0);
}

static void read_file(int dirfd, const char *name, char *buf, size_t size)
{
    int fd = openat(dirfd, name, O_RDONLY);
    CHECK(fd >= 0);
    ssize_t n = read(fd, buf, size - 1);
    buf[n < 0 ? 0 : n] = 0;
    close(fd);
}

/* Names in a directory through raw getdents64, sorted, one line. */
static void list_dir(int dirfd, const char *label)
{
    char buf[4096], names[32][64];
    unsigned char types[32];
    int n = 0;
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY);
    CHECK(fd >= 0);
    for (;;) {
        long got = syscall(SYS_getdents64, fd, buf, sizeof buf);
        CHECK(got >= 0);
        if (got <= 0)
            break;
        for (long off = 0; off < got;) {
            unsigned short reclen;
            memcpy(&reclen, buf + off + 16, 2);
            const char *name = buf + off + 19;
            if (strcmp(name, ".") && strcmp(name, "..") && n < 32) {
                snprintf(names[n], sizeof names[n], "%s", name);
                types[n] = (unsigned char)buf[off + 18];
                n++;
            }
            off += reclen;
        }
    }
    close(fd);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[i], names[j]) > 0) {
                char t[64];
                unsigned char ty = types[i];
                memcpy(t, names[i], 64);
                memcpy(names[i], names[j], 64);
                memcpy(names[j], t, 64);
                types[i] = types[j];
                types[j] = ty;
            }
    printf("%s:", label);
    for (int i = 0; i < n; i++)
        printf(" %s(%c)", names[i], types[i] == 4 ? 'd' : types[i] == 10 ? 'l' : types[i] == 8 ? 'f' : '?');
    printf("\n");
}

int main(void)
{
    mode_t old = umask(022);
    umask(old);
    CHECK_EQ(umask(027), old);

    CHECK_EQ(mkdirat(AT_FDCWD, "top", 0777), 0);
    struct stat st;
    CHECK_EQ(stat("top", &st), 0);
    printf("mkdirat under umask 027: mode %o\n", st.st_mode & 07777);
    CHECK_EQ(st.st_mode & 07777, 0750);
    umask(022);
    CHECK_EQ(mkdirat(AT_FDCWD, "top", 0777), -1);
    CHECK_EQ(errno, EEXIST);

    int top = open("top", O_RDONLY | O_DIRECTORY);
    CHECK(top >= 0);
    write_file(top, "a.txt", "alpha\n");
    write_file(top, "b.txt", "bravo bravo\n");
    CHECK_EQ(mkdirat(top, "sub", 0755), 0);
    CHECK_EQ(symlinkat("a.txt", top, "link"), 0);

    /* fstatat: follow, no-follow, empty path */
    CHECK_EQ(fstatat(top, "link", &st, 0), 0);
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(st.st_size, 6);
    CHECK_EQ(fstatat(top, "link", &st, AT_SYMLINK_NOFOLLOW), 0);
    CHECK(S_ISLNK(st.st_mode));
    CHECK_EQ(st.st_size, 5);
    CHECK_EQ(fstatat(top, "", &st, AT_EMPTY_PATH), 0);
    CHECK(S_ISDIR(st.st_mode));
    CHECK_EQ(fstatat(top, "missing", &st, 0), -1);
    CHECK_EQ(errno, ENOENT);
    CHECK_EQ(lstat("top/link", &st), 0);
    CHECK(S_ISLNK(st.st_mode));

    char buf[256];
    ssize_t n = readlinkat(top, "link", buf, sizeof buf);
    CHECK_EQ(n, 5);
    buf[n < 0 ? 0 : n] = 0;
    printf("readlinkat: %s\n", buf);
    CHECK_EQ(readlinkat(top, "a.txt", buf, sizeof buf), -1);
    CHECK_EQ(errno, EINVAL);

    /* statx agrees with fstatat */
    struct kstatx sx;
    memset(&sx, 0xa5, sizeof sx);
    CHECK_EQ(syscall(SYS_statx, top, "b.txt", 0, K_STATX_BASIC_STATS, &sx), 0);
    CHECK_EQ(fstatat(top, "b.txt", &st, 0), 0);
    CHECK_EQ(sx.mask & K_STATX_BASIC_STATS, K_STATX_BASIC_STATS);
    CHECK_EQ(sx.size, 12);
    CHECK_EQ(sx.ino, st.st_ino);
    CHECK_EQ(sx.mode, st.st_mode);
    CHECK_EQ(sx.nlink, 1);
    CHECK_EQ(sx.uid, getuid());
    CHECK_EQ(sx.mtime.tv_sec, st.st_mtim.tv_sec);
    CHECK_EQ(sx.mtime.tv_nsec, st.st_mtim.tv_nsec);
    printf("statx b.txt: size %llu, mode %o\n", (unsigned long long)sx.size, sx.mode & 07777);

    /* linkat raises the link count */
    CHECK_EQ(linkat(top, "a.txt", top, "sub/hard", 0), 0);
    CHECK_EQ(fstatat(top, "a.txt", &st, 0), 0);
    CHECK_EQ(st.st_nlink, 2);
    read_file(top, "sub/hard", buf, sizeof buf);
    CHECK(strcmp(buf, "alpha\n") == 0);

    /* renameat2 */
    CHECK_EQ(syscall(SYS_renameat2, top, "b.txt", top, "a.txt", K_RENAME_NOREPLACE), -1);
    CHECK_EQ(errno, EEXIST);
    long r = syscall(SYS_renameat2, top, "a.txt", top, "b.txt", K_RENAME_EXCHANGE);
    CHECK(r == 0 || errno == EINVAL);
    if (r == 0) {
        read_file(top, "a.txt", buf, sizeof buf);
        CHECK(strcmp(buf, "bravo bravo\n") == 0);
        CHECK_EQ(syscall(SYS_renameat2, top, "a.txt", top, "b.txt", K_RENAME_EXCHANGE), 0);
    }
    CHECK_EQ(renameat(top, "b.txt", top, "sub/c.txt"), 0);
    CHECK_EQ(syscall(SYS_renameat2, top, "sub/c.txt", top, "c.txt", 0), 0);

    /* fchmodat, fchownat to ourselves, faccessat */
    CHECK_EQ(fchmodat(top, "c.txt", 0600, 0), 0);
    CHECK_EQ(fstatat(top, "c.txt", &st, 0), 0);
    CHECK_EQ(st.st_mode & 07777, 0600);
    CHECK_EQ(fchownat(top, "c.txt", getuid(), getgid(), 0), 0);
    CHECK_EQ(fchownat(top, "link", (uid_t)-1, (gid_t)-1, AT_SYMLINK_NOFOLLOW), 0);
    CHECK_EQ(faccessat(top, "c.txt", R_OK | W_OK, 0), 0);
    CHECK_EQ(faccessat(top, "nothing", F_OK, 0), -1);
    CHECK_EQ(errno, ENOENT);
    CHECK_EQ(access("top/c.txt", F_OK), 0);

    /* utimensat with fixed times; UTIME_OMIT keeps one of them */
    struct timespec ts[2] = { { 1000000000, 500000000 }, { 1234567890, 123456789 } };
    CHECK_EQ(utimensat(top, "c.txt", ts, 0), 0);
    CHECK_EQ(fstatat(top, "c.txt", &st, 0), 0);
    printf("utimensat: atime %lld.%09ld mtime %lld.%09ld\n", (long long)st.st_atim.tv_sec,
           st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
    CHECK_EQ(st.st_mtim.tv_sec, 1234567890);
    CHECK_EQ(st.st_mtim.tv_nsec, 123456789);
    struct timespec omit[2] = { { 0, UTIME_OMIT }, { 42, 0 } };
    CHECK_EQ(utimensat(top, "c.txt", omit, 0), 0);
    CHECK_EQ(fstatat(top, "c.txt", &st, 0), 0);
    CHECK_EQ(st.st_atim.tv_sec, 1000000000);
    CHECK_EQ(st.st_mtim.tv_sec, 42);
    struct timeval tv[2] = { { 7, 0 }, { 8, 0 } };
    CHECK_EQ(utimes("top/c.txt", tv), 0);
    CHECK_EQ(stat("top/c.txt", &st), 0);
    CHECK_EQ(st.st_mtim.tv_sec, 8);

    /* truncate, fsync, fdatasync, fadvise, sync */
    CHECK_EQ(truncate("top/c.txt", 3), 0);
    int fd = openat(top, "c.txt", O_RDWR);
    CHECK(fd >= 0);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 3);
    CHECK_EQ(ftruncate(fd, 10000), 0);
    CHECK_EQ(fsync(fd), 0);
    CHECK_EQ(fdatasync(fd), 0);
    CHECK_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL), 0);
    CHECK_EQ(posix_fadvise(fd, 0, 0, 12345), EINVAL);
    CHECK_EQ(fstat(fd, &st), 0);
    CHECK_EQ(st.st_size, 10000);
    close(fd);
    sync();

    /* statfs and fstatfs describe the same file system */
    struct statfs s1, s2;
    CHECK_EQ(statfs("top", &s1), 0);
    CHECK_EQ(fstatfs(top, &s2), 0);
    CHECK_EQ(s1.f_type, s2.f_type);
    CHECK_EQ(s1.f_bsize, s2.f_bsize);
    CHECK(s1.f_bsize > 0);

    list_dir(top, "top");

    /* chdir/fchdir and relative names */
    int here = open(".", O_RDONLY | O_DIRECTORY);
    CHECK_EQ(fchdir(top), 0);
    CHECK_EQ(access("c.txt", F_OK), 0);
    CHECK_EQ(chdir("sub"), 0);
    CHECK_EQ(access("hard", F_OK), 0);
    CHECK_EQ(fchdir(here), 0);
    CHECK_EQ(access("top", F_OK), 0);

    /* unlinkat of files, the symlink and the directories */
    CHECK_EQ(unlinkat(top, "sub", AT_REMOVEDIR), -1);
    CHECK_EQ(errno, ENOTEMPTY);
    CHECK_EQ(unlinkat(top, "sub/hard", 0), 0);
    CHECK_EQ(unlinkat(top, "sub", 0), -1);
    CHECK_EQ(errno, EISDIR);
    CHECK_EQ(unlinkat(top, "sub", AT_REMOVEDIR), 0);
    CHECK_EQ(unlinkat(top, "link", 0), 0);
    CHECK_EQ(unlinkat(top, "a.txt", 0), 0);
    CHECK_EQ(unlinkat(top, "c.txt", 0), 0);
    list_dir(top, "top after unlinkat");
    close(top);
    CHECK_EQ(unlinkat(AT_FDCWD, "top", AT_REMOVEDIR), 0);
    umask(old);
    return check_done("fs_at_calls");
}
