/* Pipes and descriptors: pipe/pipe2, read/write across a pipe with partial reads, dup/dup2/
 * dup3 (stdout redirected into a pipe and back), fcntl flags and FD_CLOEXEC, O_NONBLOCK giving
 * EAGAIN, poll, readv/writev, and reading the fixed text the harness feeds on stdin. */
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void)
{
    /* stdin comes from the test harness */
    char in[256];
    ssize_t n = read(0, in, sizeof in - 1);
    CHECK(n > 0);
    in[n < 0 ? 0 : n] = 0;
    printf("stdin (%zd bytes):\n%s", n, in);
    CHECK_EQ(read(0, in, sizeof in), 0);

    int p[2];
    CHECK_EQ(pipe(p), 0);
    const char msg[] = "through the pipe";
    CHECK_EQ(write(p[1], msg, sizeof msg), sizeof msg);
    char got[64];
    CHECK_EQ(read(p[0], got, 5), 5);
    CHECK_EQ(read(p[0], got + 5, sizeof got - 5), sizeof msg - 5);
    CHECK(strcmp(got, msg) == 0);
    printf("pipe: [%s]\n", got);

    /* O_NONBLOCK on the read end: an empty pipe gives EAGAIN */
    int fl = fcntl(p[0], F_GETFL);
    CHECK(fl >= 0 && !(fl & O_NONBLOCK));
    CHECK_EQ(fcntl(p[0], F_SETFL, fl | O_NONBLOCK), 0);
    CHECK_EQ(read(p[0], got, 1), -1);
    CHECK_EQ(errno, EAGAIN);
    printf("nonblocking empty read: EAGAIN\n");

    struct pollfd pfd[2] = { { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 } };
    CHECK_EQ(poll(pfd, 2, 0), 1);
    CHECK_EQ(pfd[1].revents & POLLOUT, POLLOUT);
    CHECK_EQ(write(p[1], "x", 1), 1);
    CHECK_EQ(poll(pfd, 2, 100), 2);
    CHECK_EQ(pfd[0].revents & POLLIN, POLLIN);
    CHECK_EQ(read(p[0], got, 1), 1);
    printf("poll: readable after a write\n");

    /* writev / readv */
    struct iovec out[3] = { { "alpha ", 6 }, { "beta ", 5 }, { "gamma", 5 } };
    CHECK_EQ(writev(p[1], out, 3), 16);
    char x[7] = { 0 }, y[20] = { 0 };
    struct iovec iv[2] = { { x, 6 }, { y, sizeof y - 1 } };
    CHECK_EQ(readv(p[0], iv, 2), 16);
    printf("readv: [%s] [%s]\n", x, y);

    /* dup2 stdout into the pipe, print, restore */
    fflush(stdout);
    int saved = dup(1);
    CHECK(saved > 2);
    CHECK_EQ(dup2(p[1], 1), 1);
    printf("captured line %d\n", 42);
    fflush(stdout);
    CHECK_EQ(dup2(saved, 1), 1);
    close(saved);
    n = read(p[0], got, sizeof got - 1);
    got[n < 0 ? 0 : n] = 0;
    printf("captured from stdout: [%.*s]\n", (int)(n > 0 ? n - 1 : 0), got);
    CHECK(strcmp(got, "captured line 42\n") == 0);

    /* descriptor flags */
    int d = fcntl(p[0], F_DUPFD_CLOEXEC, 10);
    CHECK(d >= 10);
    CHECK_EQ(fcntl(d, F_GETFD), FD_CLOEXEC);
    CHECK_EQ(fcntl(p[0], F_GETFD), 0);
    int d3 = dup3(p[0], 20, O_CLOEXEC);
    CHECK_EQ(d3, 20);
    CHECK_EQ(fcntl(20, F_GETFD), FD_CLOEXEC);
    close(d);
    close(d3);
    CHECK_EQ(dup2(p[0], p[0]), p[0]);
    printf("F_DUPFD_CLOEXEC and dup3 set FD_CLOEXEC\n");

    /* closing the write end gives EOF; writing with no reader gives EPIPE (SIGPIPE ignored) */
    close(p[1]);
    CHECK_EQ(fcntl(p[0], F_SETFL, fl), 0);
    CHECK_EQ(read(p[0], got, 10), 0);
    int q[2];
    CHECK_EQ(pipe2(q, O_CLOEXEC), 0);
    CHECK_EQ(fcntl(q[1], F_GETFD), FD_CLOEXEC);
    close(q[0]);
    signal(SIGPIPE, SIG_IGN);
    CHECK_EQ(write(q[1], "z", 1), -1);
    CHECK_EQ(errno, EPIPE);
    printf("EOF after close; EPIPE without a reader\n");
    close(q[1]);
    close(p[0]);

    /* a big transfer through a pipe in chunks, checked by sum */
    CHECK_EQ(pipe(p), 0);
    unsigned long sum_in = 0, sum_out = 0;
    char chunk[4000];
    for (int round = 0; round < 10; round++) {
        for (int i = 0; i < (int)sizeof chunk; i++) {
            chunk[i] = (char)(i ^ round);
            sum_in += (unsigned char)chunk[i];
        }
        CHECK_EQ(write(p[1], chunk, sizeof chunk), sizeof chunk);
        ssize_t left = sizeof chunk;
        while (left > 0) {
            ssize_t r = read(p[0], chunk, left > 1000 ? 1000 : left);
            CHECK(r > 0);
            if (r <= 0)
                break;
            for (ssize_t i = 0; i < r; i++)
                sum_out += (unsigned char)chunk[i];
            left -= r;
        }
    }
    CHECK_EQ(sum_in, sum_out);
    printf("40000 bytes through a pipe, sum %lu\n", sum_out);
    return check_done("pipe_dup");
}
