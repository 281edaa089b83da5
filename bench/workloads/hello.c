/* Startup workload: a static hello world. bench/run times the median of
 * many runs, so this measures loading, translating the C runtime's start-up
 * code, and exiting. */
#include <stdio.h>

int main(void)
{
    puts("hello, world");
    return 0;
}
