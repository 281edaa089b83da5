/* abort() raises SIGABRT; unflushed stdio output is lost, stderr output is not.
 * ox86-test: signal=6 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("flushed line\n");
    fflush(stdout);
    printf("this buffered line is lost when abort kills the process\n");
    fprintf(stderr, "calling abort\n");
    abort();
}
