/* Integer division by zero raises #DE, delivered as SIGFPE, which kills the process.
 * ox86-test: signal=8 */
#include <stdio.h>

int main(void)
{
    volatile int num = 1234, den = 0;
    printf("dividing %d by %d\n", num, den);
    fflush(stdout);
    int q = num / den;
    printf("not reached: %d\n", q);
    return 0;
}
