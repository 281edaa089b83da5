/* A null-pointer store kills the process with SIGSEGV; output flushed before it survives.
 * ox86-test: signal=11 */
#include <stdio.h>

int main(void)
{
    printf("about to store through a null pointer\n");
    fflush(stdout);
    fprintf(stderr, "stderr before the crash\n");
    volatile int *p = (volatile int *)0;
    *p = 1;
    printf("not reached\n");
    return 0;
}
