/* Sockets on this machine only: socketpair (stream with shutdown, datagram, seqpacket),
 * sendmsg/recvmsg passing a descriptor with SCM_RIGHTS, TCP over 127.0.0.1 on a port the
 * kernel picks (bind, listen, getsockname, connect, accept4, getpeername, send/recv,
 * setsockopt/getsockopt, shutdown), and UDP sendto/recvfrom. Ports and addresses are checked,
 * never printed. */
#include "check.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static void pairs(void)
{
    int sv[2];
    CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    CHECK_EQ(send(sv[0], "hello", 5, 0), 5);
    char buf[64];
    CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 5);
    CHECK(memcmp(buf, "hello", 5) == 0);
    CHECK_EQ(shutdown(sv[0], SHUT_WR), 0);
    CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 0);
    CHECK_EQ(send(sv[1], "back", 4, 0), 4);
    CHECK_EQ(recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), 4);
    CHECK_EQ(recv(sv[0], buf, sizeof buf, MSG_DONTWAIT), -1);
    CHECK_EQ(errno, EAGAIN);
    close(sv[0]);
    close(sv[1]);
    printf("stream pair: data, shutdown seen as end of file, EAGAIN\n");

    /* datagram and seqpacket keep message boundaries */
    for (int type = 0; type < 2; type++) {
        CHECK_EQ(socketpair(AF_UNIX, type ? SOCK_SEQPACKET : SOCK_DGRAM, 0, sv), 0);
        CHECK_EQ(send(sv[0], "one", 3, 0), 3);
        CHECK_EQ(send(sv[0], "three", 5, 0), 5);
        CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 3);
        CHECK_EQ(recv(sv[1], buf, 2, 0), 2);
        CHECK_EQ(send(sv[0], "x", 1, 0), 1);
        CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 1);
        close(sv[0]);
        close(sv[1]);
    }
    printf("datagram and seqpacket pairs keep boundaries\n");

    /* SCM_RIGHTS: a pipe's write end travels through the socket */
    CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
    int p[2];
    CHECK_EQ(pipe(p), 0);
    char data[] = "fd follows";
    struct iovec iov = { data, sizeof data };
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct msghdr mh = { 0 };
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.space;
    mh.msg_controllen = sizeof ctl.space;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &p[1], sizeof(int));
    CHECK_EQ(sendmsg(sv[0], &mh, 0), sizeof data);

    char rdata[64];
    struct iovec riov = { rdata, sizeof rdata };
    union {
        struct cmsghdr h;
        char space[CMSG_SPACE(sizeof(int))];
    } rctl;
    struct msghdr rh = { 0 };
    rh.msg_iov = &riov;
    rh.msg_iovlen = 1;
    rh.msg_control = rctl.space;
    rh.msg_controllen = sizeof rctl.space;
    CHECK_EQ(recvmsg(sv[1], &rh, 0), sizeof data);
    CHECK(strcmp(rdata, data) == 0);
    struct cmsghdr *rc = CMSG_FIRSTHDR(&rh);
    CHECK(rc != NULL && rc->cmsg_type == SCM_RIGHTS);
    int got = -1;
    if (rc)
        memcpy(&got, CMSG_DATA(rc), sizeof(int));
    CHECK(got >= 0 && got != p[1]);
    CHECK_EQ(write(got, "via passed fd", 13), 13);
    char pbuf[32];
    CHECK_EQ(read(p[0], pbuf, sizeof pbuf), 13);
    CHECK(memcmp(pbuf, "via passed fd", 13) == 0);
    close(got);
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
    printf("SCM_RIGHTS: a descriptor passed and used\n");
}

static void tcp(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(ls >= 0);
    int one = 1, v = 0;
    socklen_t vl = sizeof v;
    CHECK_EQ(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one), 0);
    CHECK_EQ(getsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &v, &vl), 0);
    CHECK(v != 0);
    vl = sizeof v;
    CHECK_EQ(getsockopt(ls, SOL_SOCKET, SO_TYPE, &v, &vl), 0);
    CHECK_EQ(v, SOCK_STREAM);
    struct sockaddr_in a = { 0 };
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    CHECK_EQ(bind(ls, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ(listen(ls, 4), 0);
    socklen_t al = sizeof a;
    CHECK_EQ(getsockname(ls, (struct sockaddr *)&a, &al), 0);
    CHECK(a.sin_port != 0);

    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    CHECK(c >= 0);
    CHECK_EQ(connect(c, (struct sockaddr *)&a, sizeof a), 0);
    CHECK_EQ(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
    struct sockaddr_in peer, local;
    socklen_t pl = sizeof peer;
    int s = accept4(ls, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC | SOCK_NONBLOCK);
    CHECK(s >= 0);
    CHECK_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
    CHECK(fcntl(s, F_GETFL) & O_NONBLOCK);
    socklen_t ll = sizeof local;
    CHECK_EQ(getsockname(c, (struct sockaddr *)&local, &ll), 0);
    CHECK_EQ(peer.sin_port, local.sin_port);
    pl = sizeof peer;
    CHECK_EQ(getpeername(c, (struct sockaddr *)&peer, &pl), 0);
    CHECK_EQ(peer.sin_port, a.sin_port);
    CHECK_EQ(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));

    char big[20000], in[20000];
    for (int i = 0; i < (int)sizeof big; i++)
        big[i] = (char)(i * 7 + 3);
    CHECK_EQ(send(c, big, sizeof big, 0), sizeof big);
    size_t have = 0;
    while (have < sizeof in) {
        ssize_t n = recv(s, in + have, sizeof in - have, 0);
        if (n > 0)
            have += (size_t)n;
        else if (n < 0 && errno != EAGAIN)
            break;
    }
    CHECK_EQ(have, sizeof in);
    CHECK(memcmp(big, in, sizeof in) == 0);
    CHECK_EQ(sendto(s, "reply", 5, 0, NULL, 0), 5);
    char r[8];
    CHECK_EQ(recvfrom(c, r, 5, MSG_WAITALL, NULL, NULL), 5);
    CHECK_EQ(shutdown(c, SHUT_RDWR), 0);
    ssize_t n;
    while ((n = recv(s, r, sizeof r, 0)) < 0 && errno == EAGAIN)
        ;
    CHECK_EQ(n, 0);
    vl = sizeof v;
    CHECK_EQ(getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &vl), 0);
    CHECK_EQ(v, 0);
    close(s);
    close(c);
    close(ls);
    printf("tcp over loopback: %zu bytes, a reply, orderly shutdown\n", have);
}

static void udp(void)
{
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(a >= 0 && b >= 0);
    struct sockaddr_in aa = { 0 }, ba = { 0 }, from;
    aa.sin_family = ba.sin_family = AF_INET;
    aa.sin_addr.s_addr = ba.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_EQ(bind(a, (struct sockaddr *)&aa, sizeof aa), 0);
    CHECK_EQ(bind(b, (struct sockaddr *)&ba, sizeof ba), 0);
    socklen_t l = sizeof aa;
    CHECK_EQ(getsockname(a, (struct sockaddr *)&aa, &l), 0);
    l = sizeof ba;
    CHECK_EQ(getsockname(b, (struct sockaddr *)&ba, &l), 0);
    CHECK_EQ(sendto(a, "datagram", 8, 0, (struct sockaddr *)&ba, sizeof ba), 8);
    char buf[16];
    socklen_t fl = sizeof from;
    CHECK_EQ(recvfrom(b, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 8);
    CHECK(memcmp(buf, "datagram", 8) == 0);
    CHECK_EQ(from.sin_port, aa.sin_port);
    close(a);
    close(b);
    printf("udp over loopback: one datagram, sender address right\n");
}

int main(void)
{
    pairs();
    tcp();
    udp();
    return check_done("socket_loopback");
}
