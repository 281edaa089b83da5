/* Processes forking while new code is being compiled: each round runs eight functions never
 * run before (each loops, so that it is due for compiling at once) and forks straight after;
 * the child runs those again and eight more new ones, and reports a hash through a pipe.
 * Twenty-four rounds, children reaped in order. */
#include "check.h"
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#define F(K)                                                                                   \
    static uint64_t f##K(uint64_t x)                                                           \
    {                                                                                          \
        for (int i = 0; i < 3 + K % 5; i++)                                                    \
            x = (x * (2 * K + 1)) ^ (x >> (K % 13 + 1)) ^ (uint64_t)K;                         \
        return x;                                                                              \
    }
#define DEF8(a) F(a##0) F(a##1) F(a##2) F(a##3) F(a##4) F(a##5) F(a##6) F(a##7)
#define T8(a) f##a##0, f##a##1, f##a##2, f##a##3, f##a##4, f##a##5, f##a##6, f##a##7,

DEF8(1) DEF8(2) DEF8(3) DEF8(4) DEF8(5) DEF8(6) DEF8(7) DEF8(8) DEF8(9) DEF8(10) DEF8(11)
DEF8(12) DEF8(13) DEF8(14) DEF8(15) DEF8(16) DEF8(17) DEF8(18) DEF8(19) DEF8(20) DEF8(21)
DEF8(22) DEF8(23) DEF8(24) DEF8(25)

static uint64_t (*const table[])(uint64_t) = {
    T8(1) T8(2) T8(3) T8(4) T8(5) T8(6) T8(7) T8(8) T8(9) T8(10) T8(11) T8(12) T8(13)
    T8(14) T8(15) T8(16) T8(17) T8(18) T8(19) T8(20) T8(21) T8(22) T8(23) T8(24) T8(25)
};

/* Runs functions [first, first + 8) of the table, each three times. */
static uint64_t run8(volatile int first, uint64_t h)
{
    for (int k = 0; k < 8; k++)
        for (int rep = 0; rep < 3; rep++)
            h = table[first + k](h + (uint64_t)rep);
    return h;
}

int main(void)
{
    fflush(stdout);
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (int round = 0; round < 24; round++) {
        h = run8(round * 8, h);
        int p[2];
        CHECK_EQ(pipe(p), 0);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            uint64_t c = run8(round * 8, h);
            c = run8(round * 8 + 8, c);
            if (write(p[1], &c, sizeof c) != sizeof c)
                _exit(100);
            _exit(round);
        }
        close(p[1]);
        uint64_t c = 0;
        CHECK_EQ(read(p[0], &c, sizeof c), sizeof c);
        close(p[0]);
        int status;
        CHECK_EQ(waitpid(pid, &status, 0), pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == round);
        printf("round %2d: parent %016llx child %016llx\n", round, (unsigned long long)h,
               (unsigned long long)c);
        hash_u64(c);
    }
    return check_done("fork_fresh_code");
}
