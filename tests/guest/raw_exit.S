/* exit (not exit_group) with status 3 from a program without libc, after a write that does
 * not end in a newline. ox86-test: exit=3 */
#include "raw.inc"

    .text
    .globl _start
_start:
    PRINT "leaving with status 3"
    mov $3, %edi
    mov $SYS_exit, %eax
    syscall
    hlt
