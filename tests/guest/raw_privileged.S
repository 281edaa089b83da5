/* A privileged instruction (HLT) in user mode raises #GP, delivered as SIGSEGV, which kills
 * the process. ox86-test: signal=11 */
#include "raw.inc"

    .text
    .globl _start
_start:
    PRINT "executing hlt in user mode\n"
    hlt
    PRINT "not reached\n"
    mov $0, %edi
    mov $SYS_exit_group, %eax
    syscall
