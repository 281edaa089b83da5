/* fcntl and file locks: F_DUPFD/F_DUPFD_CLOEXEC, F_GETFD/F_SETFD, F_GETFL/F_SETFL, POSIX
 * record locks seen from a forked child (F_GETLK reports the owner, F_SETLK conflicts,
 * F_SETLKW waits until the parent unlocks), open file description locks (F_OFD_*) between two
 * opens in one process, and flock. Children report through their exit status. */
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif

static int lock(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = { 0 };
    fl.l_type = type;
    fl.l_whence = SEEK_SET;
    fl.l_start = start;
    fl.l_len = len;
    return fcntl(fd, cmd, &fl);
}

static int wait_child(pid_t pid)
{
    int status = -1;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status));
    return WEXITSTATUS(status);
}

int main(void)
{
    int fd = open("locked.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(write(fd, "0123456789abcdefghijklmnopqrstuvwxyz", 36), 36);

    /* descriptor flags and duplication */
    int d = fcntl(fd, F_DUPFD, 20);
    CHECK(d >= 20);
    CHECK_EQ(fcntl(d, F_GETFD), 0);
    int dc = fcntl(fd, F_DUPFD_CLOEXEC, 20);
    CHECK(dc > d);
    CHECK_EQ(fcntl(dc, F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(d, F_SETFD, FD_CLOEXEC), 0);
    CHECK_EQ(fcntl(d, F_GETFD), FD_CLOEXEC);
    int fl = fcntl(fd, F_GETFL);
    CHECK_EQ(fl & O_ACCMODE, O_RDWR);
    CHECK_EQ(fcntl(fd, F_SETFL, fl | O_APPEND | O_NONBLOCK), 0);
    CHECK_EQ(fcntl(d, F_GETFL) & (O_APPEND | O_NONBLOCK), O_APPEND | O_NONBLOCK);
    CHECK_EQ(fcntl(fd, F_SETFL, fl), 0);
    close(d);
    close(dc);
    CHECK_EQ(fcntl(d, F_GETFD), -1);
    CHECK_EQ(errno, EBADF);

    /* POSIX record locks, parent holds [0, 10) for writing and [10, 20) for reading */
    CHECK_EQ(lock(fd, F_SETLK, F_WRLCK, 0, 10), 0);
    CHECK_EQ(lock(fd, F_SETLK, F_RDLCK, 10, 10), 0);
    pid_t parent = getpid();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int bad = 0;
        struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
        if (fcntl(fd, F_GETLK, &q) != 0 || q.l_type != F_WRLCK || q.l_pid != parent || q.l_start != 0 || q.l_len != 10)
            bad |= 1;
        if (lock(fd, F_SETLK, F_WRLCK, 5, 10) != -1 || (errno != EAGAIN && errno != EACCES))
            bad |= 2;
        if (lock(fd, F_SETLK, F_RDLCK, 12, 4) != 0) /* shared with the parent's read lock */
            bad |= 4;
        if (lock(fd, F_SETLK, F_WRLCK, 25, 5) != 0)
            bad |= 8;
        struct flock q2 = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 30, .l_len = 5 };
        if (fcntl(fd, F_GETLK, &q2) != 0 || q2.l_type != F_UNLCK)
            bad |= 16;
        _exit(bad);
    }
    int bad = wait_child(pid);
    printf("child's view of the parent's locks: %s (%#x)\n", bad ? "wrong" : "right", bad);
    CHECK_EQ(bad, 0);

    /* F_SETLKW in a child waits for the parent to unlock */
    int p[2];
    CHECK_EQ(pipe(p), 0);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        CHECK_EQ(write(p[1], "w", 1), 1);
        int r = lock(fd, F_SETLKW, F_WRLCK, 0, 10);
        _exit(r == 0 ? 0 : 1);
    }
    close(p[1]);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    close(p[0]);
    CHECK_EQ(lock(fd, F_SETLK, F_UNLCK, 0, 0), 0);
    CHECK_EQ(wait_child(pid), 0);
    printf("F_SETLKW got the lock after the unlock\n");

    /* open file description locks conflict between two opens of one file */
    int a = open("locked.dat", O_RDWR);
    int b = open("locked.dat", O_RDWR);
    CHECK(a >= 0 && b >= 0);
    CHECK_EQ(lock(a, F_OFD_SETLK, F_WRLCK, 0, 4), 0);
    CHECK_EQ(lock(b, F_OFD_SETLK, F_WRLCK, 2, 4), -1);
    CHECK_EQ(errno, EAGAIN);
    struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1 };
    CHECK_EQ(fcntl(b, F_OFD_GETLK, &q), 0);
    CHECK_EQ(q.l_type, F_WRLCK);
    CHECK_EQ(q.l_pid, -1);
    CHECK_EQ(lock(b, F_OFD_SETLK, F_WRLCK, 4, 4), 0);
    CHECK_EQ(lock(a, F_OFD_SETLK, F_UNLCK, 0, 4), 0);
    CHECK_EQ(lock(b, F_OFD_SETLKW, F_WRLCK, 0, 4), 0);
    printf("OFD locks: conflict between descriptions, then released\n");

    /* flock */
    CHECK_EQ(flock(a, LOCK_EX | LOCK_NB), 0);
    CHECK_EQ(flock(b, LOCK_SH | LOCK_NB), -1);
    CHECK_EQ(errno, EWOULDBLOCK);
    CHECK_EQ(flock(a, LOCK_SH), 0);
    CHECK_EQ(flock(b, LOCK_SH | LOCK_NB), 0);
    CHECK_EQ(flock(a, LOCK_UN), 0);
    CHECK_EQ(flock(b, LOCK_UN), 0);
    CHECK_EQ(flock(a, LOCK_EX | LOCK_NB), 0);
    printf("flock: exclusive, shared, released\n");
    close(a);
    close(b);
    close(fd);
    CHECK_EQ(unlink("locked.dat"), 0);
    return check_done("fcntl_locks");
}
