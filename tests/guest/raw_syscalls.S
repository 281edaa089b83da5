/* Raw system calls from _start without libc: the initial stack (alignment, argc, argv
 * strings, envp), write to stdout/stderr, read of the harness's stdin, error returns as
 * negative errno (EBADF, ENOENT, EINVAL, ENOSYS), getpid/gettid, uname, mmap/munmap, brk,
 * clock_gettime, getrandom, and arch_prctl(ARCH_SET_FS/ARCH_GET_FS) with FS-relative loads. */
#include "raw.inc"

    .text
    .globl _start
_start:
    mov %rsp, %rbp                  /* rbp = initial stack: argc, argv..., 0, envp..., 0, auxv */
    mov %rsp, %rax
    and $15, %rax
    EXPECT(%rax, 0)                 /* the kernel aligns the initial stack to 16 bytes */
    mov (%rbp), %r12                /* argc */
    PRINT "argc = "
    PRINT_HEX %r12
    /* print argv[1..] with their lengths */
    mov $1, %r13
1:  cmp %r12, %r13
    jae 3f
    mov 8(%rbp,%r13,8), %rsi
    xor %edx, %edx
2:  cmpb $0, (%rsi,%rdx)
    je 4f
    inc %rdx
    jmp 2b
4:  PRINT "argv: ["
    call raw_print
    PRINT "]\n"
    inc %r13
    jmp 1b
3:  mov 8(%rbp,%r12,8), %rax
    EXPECT(%rax, 0)                 /* argv[argc] == NULL */
    /* count the environment */
    lea 16(%rbp,%r12,8), %rbx
    xor %ecx, %ecx
5:  cmpq $0, (%rbx,%rcx,8)
    je 6f
    inc %rcx
    jmp 5b
6:  PRINT "envc = "
    PRINT_HEX %rcx

    /* write to stderr */
    mov $SYS_write, %eax
    mov $2, %edi
    lea err_msg(%rip), %rsi
    mov $err_len, %edx
    syscall
    EXPECT(%rax, err_len)

    /* stdin holds the harness text; echo the first 64 bytes at most */
    sub $128, %rsp
    mov $SYS_read, %eax
    xor %edi, %edi
    mov %rsp, %rsi
    mov $64, %edx
    syscall
    mov %rax, %r14
    PRINT "stdin: "
    mov %rsp, %rsi
    mov %r14, %rdx
    call raw_print
    add $128, %rsp
    cmp $0, %r14
    setg %al
    movzbl %al, %eax
    EXPECT(%rax, 1)

    /* error returns */
    mov $SYS_write, %eax
    mov $99, %edi
    lea err_msg(%rip), %rsi
    mov $1, %edx
    syscall
    EXPECT(%rax, -9)                /* EBADF */
    mov $SYS_open, %eax
    lea missing(%rip), %rdi
    xor %esi, %esi
    xor %edx, %edx
    syscall
    EXPECT(%rax, -2)                /* ENOENT */
    mov $SYS_rt_sigaction, %eax
    mov $9, %edi                    /* SIGKILL cannot be caught */
    lea sigact(%rip), %rsi
    xor %edx, %edx
    mov $8, %r10d
    syscall
    EXPECT(%rax, -22)               /* EINVAL */
    mov $500, %eax
    syscall
    EXPECT(%rax, -38)               /* ENOSYS */

    /* syscall preserves everything but rax, rcx and r11 */
    mov $0x1111, %rbx
    mov $0x2222, %r12
    mov $0x3333, %r13
    mov $0x4444, %r14
    mov $0x5555, %r15
    mov $0x6666, %r8
    mov $0x7777, %r9
    mov $0x8888, %r10
    mov $SYS_getpid, %eax
    syscall
    mov %rax, %rdi
    mov $SYS_gettid, %eax
    syscall
    sub %rdi, %rax
    EXPECT(%rax, 0)                 /* single thread: tid == pid */
    EXPECT(%rbx, 0x1111)
    EXPECT(%r8, 0x6666)
    EXPECT(%r9, 0x7777)
    EXPECT(%r10, 0x8888)
    EXPECT(%r12, 0x2222)
    EXPECT(%r15, 0x5555)

    /* uname: the first field is the system name */
    sub $512, %rsp
    mov $SYS_uname, %eax
    mov %rsp, %rdi
    syscall
    EXPECT(%rax, 0)
    mov (%rsp), %rax
    movabs $0xffffffffff, %rcx
    and %rcx, %rax
    EXPECT(%rax, 0x78756e694c)      /* "Linux" */
    add $512, %rsp

    /* mmap 2 pages, touch them, unmap */
    mov $SYS_mmap, %eax
    xor %edi, %edi
    mov $8192, %esi
    mov $3, %edx                    /* PROT_READ | PROT_WRITE */
    mov $0x22, %r10d                /* MAP_PRIVATE | MAP_ANONYMOUS */
    mov $-1, %r8
    xor %r9d, %r9d
    syscall
    mov %rax, %rbx
    and $4095, %rax
    EXPECT(%rax, 0)
    mov (%rbx), %rax
    EXPECT(%rax, 0)
    movq $0x1234, 4096(%rbx)
    mov 4096(%rbx), %rax
    EXPECT(%rax, 0x1234)
    mov $SYS_munmap, %eax
    mov %rbx, %rdi
    mov $8192, %esi
    syscall
    EXPECT(%rax, 0)

    /* brk(0) returns the current break; growing it by a page works */
    mov $SYS_brk, %eax
    xor %edi, %edi
    syscall
    mov %rax, %rbx
    lea 4096(%rbx), %rdi
    mov $SYS_brk, %eax
    syscall
    sub %rbx, %rax
    EXPECT(%rax, 4096)
    movq $77, (%rbx)
    mov (%rbx), %rax
    EXPECT(%rax, 77)

    /* clock_gettime(CLOCK_MONOTONIC) and getrandom */
    sub $32, %rsp
    mov $SYS_clock_gettime, %eax
    mov $1, %edi
    mov %rsp, %rsi
    syscall
    EXPECT(%rax, 0)
    mov $SYS_getrandom, %eax
    mov %rsp, %rdi
    mov $16, %esi
    xor %edx, %edx
    syscall
    EXPECT(%rax, 16)
    add $32, %rsp

    /* arch_prctl: set FS to our block, read through %fs, read the base back */
    mov $SYS_arch_prctl, %eax
    mov $0x1002, %edi               /* ARCH_SET_FS */
    lea fs_block(%rip), %rsi
    syscall
    EXPECT(%rax, 0)
    mov %fs:8, %rax
    EXPECT(%rax, 0xfeedface)
    movq $0xabcdef, %fs:16
    mov fs_block+16(%rip), %rax
    EXPECT(%rax, 0xabcdef)
    sub $16, %rsp
    mov $SYS_arch_prctl, %eax
    mov $0x1003, %edi               /* ARCH_GET_FS */
    mov %rsp, %rsi
    syscall
    mov (%rsp), %rax
    lea fs_block(%rip), %rcx
    sub %rcx, %rax
    EXPECT(%rax, 0)
    add $16, %rsp

    PRINT "raw_syscalls done\n"
    EXIT_WITH_FAILURES

    .section .rodata
err_msg:
    .ascii "stderr from raw write\n"
    .set err_len, . - err_msg
missing:
    .asciz "/nonexistent/ox86/file"
    .data
    .balign 16
fs_block:
    .quad 0, 0xfeedface, 0, 0
sigact:
    .quad 1, 0, 0, 0
