/* Returning from main: the value becomes the exit status (taken modulo 256), and buffered
 * output is flushed on the way out. ox86-test: exit=7 */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argv;
    printf("argc %d; returning 263 from main, seen as 7\n", argc);
    fprintf(stderr, "stderr is unbuffered\n");
    return 263;
}
