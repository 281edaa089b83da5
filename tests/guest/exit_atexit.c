/* exit() with a non-zero status: atexit handlers run in reverse order of registration, stdio
 * buffers are flushed, and the status reaches the parent. ox86-test: exit=42 */
#include <stdio.h>
#include <stdlib.h>

static void first(void)
{
    printf("handler registered first runs last\n");
}

static void second(void)
{
    printf("handler registered second runs second\n");
}

static void third(void)
{
    printf("handler registered third runs first\n");
    fprintf(stderr, "stderr from an atexit handler\n");
}

int main(void)
{
    atexit(first);
    atexit(second);
    atexit(third);
    for (int i = 0; i < 50; i++)
        printf("buffered line %d\n", i);
    exit(42);
}
