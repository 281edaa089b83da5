/* Thread-local storage through FS: initialised and zeroed __thread variables, arrays and
 * structs, the TCB self pointer at %fs:0, and FS-relative loads written in asm. */
#include "check.h"

static __thread int counter = 42;
static __thread long zeroed;
static __thread char name[32] = "tls-initial";
static __thread struct {
    short a;
    double b;
    long c[4];
} rec = { 7, 2.5, { 1, 2, 3, 4 } };
__thread uint64_t exported = 0x1122334455667788ULL;

static int bump(void)
{
    return ++counter;
}

int main(void)
{
    CHECK_EQ(counter, 42);
    CHECK_EQ(zeroed, 0);
    CHECK(strcmp(name, "tls-initial") == 0);
    CHECK_EQ(rec.a, 7);
    CHECK(rec.b == 2.5);
    printf("initial: counter=%d zeroed=%ld name=%s rec=%d %.1f %ld %ld\n", counter, zeroed, name, rec.a, rec.b,
           rec.c[0], rec.c[3]);

    for (int i = 0; i < 1000; i++) {
        bump();
        zeroed += i;
        rec.c[i & 3] += i;
    }
    snprintf(name, sizeof name, "tls-%d", counter);
    CHECK_EQ(counter, 1042);
    CHECK_EQ(zeroed, 499500);
    printf("after: counter=%d zeroed=%ld name=%s rec.c=%ld %ld %ld %ld\n", counter, zeroed, name, rec.c[0], rec.c[1],
           rec.c[2], rec.c[3]);

    /* The TCB starts with a pointer to itself (both glibc and musl), read as %fs:0. */
    uint64_t self;
    __asm__("movq %%fs:0, %0" : "=r"(self));
    CHECK_EQ(self, (uint64_t)__builtin_thread_pointer());
    /* Local-exec variables sit at a fixed offset from the thread pointer. */
    int64_t off = (int64_t)((uint64_t)&counter - self);
    int via_fs;
    __asm__("movl %%fs:(%1), %0" : "=r"(via_fs) : "r"(off));
    CHECK_EQ(via_fs, counter);
    __asm__ volatile("addl $8, %%fs:(%0)" : : "r"(off) : "memory");
    CHECK_EQ(counter, 1050);
    uint64_t ex;
    __asm__("movq %%fs:0, %%rax\n\tmovq (%%rax,%1), %0" : "=r"(ex) : "r"((uint64_t)&exported - self) : "rax");
    CHECK_EQ(ex, 0x1122334455667788ULL);
    printf("fs:0 is the thread pointer: %s; fs-relative counter %d, exported %llx\n",
           self == (uint64_t)__builtin_thread_pointer() ? "yes" : "no", counter, (unsigned long long)ex);
    CHECK(off < 0); /* x86-64 TLS variant II: the block lies below the TCB */
    return check_done("tls_vars");
}
