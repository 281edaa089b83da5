/* Signal delivery without libc: rt_sigaction with SA_SIGINFO|SA_RESTORER and our own
 * rt_sigreturn trampoline; a SIGUSR1 sent with kill() and a SIGSEGV from a load through a bad
 * pointer. The handlers check the frame (stack alignment, siginfo fields, ucontext registers),
 * the SIGSEGV handler edits RIP and RBX in the ucontext to resume past the fault, and every
 * register the handlers clobber (general purpose and XMM) is restored by rt_sigreturn. */
#include "raw.inc"

#define SA_SIGINFO 4
#define SA_RESTORER 0x04000000
#define UC_GREGS 40                     /* offsetof(ucontext_t, uc_mcontext.gregs) */
#define REG_RBX 11
#define REG_RIP 16

    .text
    .globl _start
_start:
    /* install both handlers */
    lea act_usr1(%rip), %rsi
    mov $10, %edi
    call install
    EXPECT(%rax, 0)
    lea act_segv(%rip), %rsi
    mov $11, %edi
    call install
    EXPECT(%rax, 0)

    /* registers the handler will clobber */
    mov $0x1212, %r12
    mov $0x1313, %r13
    mov $0x1414, %r14
    mov $0x1515, %r15
    mov $0x0b0b, %rbx
    mov $0x4242424242424242, %rax
    movq %rax, %xmm0
    mov $SYS_getpid, %eax
    syscall
    mov %rax, %rdi
    mov $10, %esi
    mov $SYS_kill, %eax
    syscall
    EXPECT(%rax, 0)
    EXPECT(%r12, 0x1212)
    EXPECT(%r13, 0x1313)
    EXPECT(%r14, 0x1414)
    EXPECT(%r15, 0x1515)
    EXPECT(%rbx, 0x0b0b)
    movq %xmm0, %rax
    EXPECT(%rax, 0x4242424242424242)
    mov usr1_hits(%rip), %rax
    EXPECT(%rax, 1)
    mov usr1_code(%rip), %rax
    EXPECT(%rax, 0)                 /* SI_USER */
    mov usr1_align(%rip), %rax
    EXPECT(%rax, 0)                 /* handler entered with (rsp + 8) % 16 == 0 */

    /* a fault resumed by the handler: it skips the 3-byte load and sets RBX */
    mov $0x10, %rax
    mov $0x1313, %r13
    mov $1, %rbx
fault:
    mov (%rax), %rbx                /* 48 8b 18 */
    EXPECT(%rbx, 0x5e5e)
    EXPECT(%r13, 0x1313)
    mov segv_addr(%rip), %rax
    EXPECT(%rax, 0x10)
    mov segv_code(%rip), %rax
    EXPECT(%rax, 1)                 /* SEGV_MAPERR */
    mov segv_rip(%rip), %rax
    lea fault(%rip), %rcx
    sub %rcx, %rax
    EXPECT(%rax, 0)                 /* the ucontext RIP is the faulting instruction */

    PRINT "raw_signal done\n"
    EXIT_WITH_FAILURES

/* install: edi = signal, rsi = handler; returns the rt_sigaction result */
install:
    lea sigact(%rip), %rdx
    mov %rsi, (%rdx)
    movq $(SA_SIGINFO | SA_RESTORER), 8(%rdx)
    lea restorer(%rip), %rax
    mov %rax, 16(%rdx)
    movq $0, 24(%rdx)
    mov %rdx, %rsi
    xor %edx, %edx
    mov $8, %r10d
    mov $SYS_rt_sigaction, %eax
    syscall
    ret

restorer:
    mov $SYS_rt_sigreturn, %eax
    syscall
    hlt

act_usr1:
    lea 8(%rsp), %rax
    and $15, %eax
    mov %rax, usr1_align(%rip)
    incq usr1_hits(%rip)
    movslq 8(%rsi), %rax            /* si_code */
    mov %rax, usr1_code(%rip)
    PRINT "in the SIGUSR1 handler\n"
    mov $-1, %r12
    mov $-1, %r13
    mov $-1, %r14
    mov $-1, %r15
    mov $-1, %rbx
    pxor %xmm0, %xmm0
    ret

act_segv:
    mov 16(%rsi), %rax              /* si_addr */
    mov %rax, segv_addr(%rip)
    movslq 8(%rsi), %rax
    mov %rax, segv_code(%rip)
    mov UC_GREGS+8*REG_RIP(%rdx), %rax
    mov %rax, segv_rip(%rip)
    addq $3, UC_GREGS+8*REG_RIP(%rdx)
    movq $0x5e5e, UC_GREGS+8*REG_RBX(%rdx)
    mov $-1, %r13
    PRINT "in the SIGSEGV handler\n"
    ret

    .bss
    .balign 8
sigact:
    .skip 32
usr1_hits:
    .skip 8
usr1_code:
    .skip 8
usr1_align:
    .skip 8
segv_addr:
    .skip 8
segv_code:
    .skip 8
segv_rip:
    .skip 8
