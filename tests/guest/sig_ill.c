/* UD2 raises #UD, delivered as SIGILL, which kills the process. ox86-test: signal=4 */
#include <stdio.h>

int main(void)
{
    printf("executing ud2\n");
    fflush(stdout);
    __asm__ volatile("ud2");
    printf("not reached\n");
    return 0;
}
