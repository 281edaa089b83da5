/* GNU C nested functions whose address is taken: gcc writes a trampoline
 * (load the static chain, jump to the function) on the stack, which makes
 * the program ask for an executable stack. Two such functions called in
 * turn from the same depth get their trampolines at the same address, so
 * each call runs code the previous one overwrote. */
#include "check.h"

static int __attribute__((noinline)) apply(int (*f)(int), int x)
{
    return f(x);
}

static int __attribute__((noinline)) with_offset(int k, int x)
{
    int add(int v) { return v + k; }
    return apply(add, x);
}

static int __attribute__((noinline)) with_scale(int k, int x)
{
    int mul(int v) { return v * k; }
    return apply(mul, x);
}

int main(void)
{
    long sum = 0;
    for (int i = 0; i < 3000; i++) {
        int a = with_offset(i, 5), m = with_scale(i, 3);
        if (a != i + 5 || m != 3 * i) {
            CHECK_EQ(a, i + 5);
            CHECK_EQ(m, 3 * i);
            break;
        }
        sum += a + m;
    }
    CHECK_EQ(sum, 3000L * 5 + 4L * (2999L * 3000 / 2));
    printf("trampolines: %ld\n", sum);
    return check_done("smc_trampoline");
}
