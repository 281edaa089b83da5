/* Processes and their ids: waitid (exited, killed, WNOWAIT then wait4), vfork, a fork-like
 * raw clone, kill and tgkill, execve of /proc/self/exe (the program itself, which runs again
 * in child mode) and of a shell script, execve errors, and the small process calls: prctl
 * names, personality, capget, getgroups, get/setpriority, sched_get/setaffinity, sysinfo,
 * times, getrusage of children, clock_nanosleep. Host-dependent values are checked, not
 * printed. */
#include "check.h"
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* struct __user_cap_header_struct and __user_cap_data_struct (uapi/linux/capability.h). */
struct cap_header {
    uint32_t version;
    int pid;
};
struct cap_data {
    uint32_t effective, permitted, inheritable;
};
#define CAP_VERSION_3 0x20080522

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
    (void)sig;
    got_usr1++;
}

static void waits(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
    CHECK_EQ(si.si_pid, pid);
    CHECK_EQ(si.si_code, CLD_EXITED);
    CHECK_EQ(si.si_status, 7);
    int status;
    struct rusage ru;
    CHECK_EQ(wait4(pid, &status, 0, &ru), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
    printf("waitid: child exited with %d, still there for wait4\n", si.si_status);

    pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    CHECK_EQ(kill(pid, SIGTERM), 0);
    memset(&si, 0, sizeof si);
    CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED), 0);
    CHECK_EQ(si.si_pid, pid);
    CHECK_EQ(si.si_code, CLD_KILLED);
    CHECK_EQ(si.si_status, SIGTERM);
    printf("waitid: child killed by signal %d\n", si.si_status);
    CHECK_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), -1);
    CHECK_EQ(errno, ECHILD);

    pid = vfork();
    if (pid == 0)
        _exit(3);
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 3);

    fflush(stdout);
    long r = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
    if (r == 0)
        _exit(9);
    CHECK(r > 0);
    CHECK_EQ(waitpid((pid_t)r, &status, 0), r);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 9);
    /* the kernel stores the child's id in the parent's and the child's copy of memory */
    pid_t ptid = 0, ctid = 0;
    fflush(stdout);
    r = syscall(SYS_clone, (long)(SIGCHLD | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID), 0L, &ptid, &ctid, 0L);
    if (r == 0)
        _exit(ctid == syscall(SYS_gettid) && ptid == 0 ? 11 : 12);
    CHECK(r > 0);
    CHECK_EQ(ptid, r);
    CHECK_EQ(ctid, 0);
    CHECK_EQ(waitpid((pid_t)r, &status, 0), r);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 11);
    printf("vfork and raw fork-like clones: children exited with 3, 9 and %d\n", WEXITSTATUS(status));

    struct rusage rc;
    CHECK_EQ(getrusage(RUSAGE_CHILDREN, &rc), 0);
    CHECK(rc.ru_utime.tv_sec >= 0 && rc.ru_stime.tv_usec >= 0);
}

static void signals(void)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_usr1;
    CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
    CHECK_EQ(kill(getpid(), 0), 0);
    CHECK_EQ(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), SIGUSR1), 0);
    CHECK_EQ(got_usr1, 1);
    CHECK_EQ(kill(getpid(), SIGUSR1), 0);
    CHECK_EQ(got_usr1, 2);
    CHECK_EQ(syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), 0), 0);
    CHECK_EQ(kill(-1234567, 0), -1);
    CHECK_EQ(errno, ESRCH);
    printf("kill and tgkill to self: handler ran %d times\n", (int)got_usr1);
}

static int run_child(const char *path, char *const argv[])
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execve(path, argv, environ);
        _exit(126);
    }
    int status;
    CHECK_EQ(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void execs(void)
{
    char *self[] = { "proc_exec_wait", "--child", "from execve", NULL };
    int code = run_child("/proc/self/exe", self);
    printf("execve /proc/self/exe: child exited with %d\n", code);
    CHECK_EQ(code, 42);

    int fd = open("script.sh", O_CREAT | O_WRONLY | O_TRUNC, 0755);
    CHECK(fd >= 0);
    const char text[] = "#!/bin/sh\necho \"script says $1\"\nexit 5\n";
    CHECK_EQ(write(fd, text, sizeof text - 1), sizeof text - 1);
    close(fd);
    char *sargs[] = { "script.sh", "hi", NULL };
    code = run_child("./script.sh", sargs);
    printf("execve of a script: exited with %d\n", code);
    CHECK_EQ(code, 5);
    unlink("script.sh");

    char *none[] = { "x", NULL };
    CHECK_EQ(execve("/nonexistent/program", none, environ), -1);
    CHECK_EQ(errno, ENOENT);
    CHECK_EQ(execve("/", none, environ), -1);
    CHECK_EQ(errno, EACCES);
    printf("execve errors: ENOENT, EACCES\n");
}

static void misc(void)
{
    char name[16];
    CHECK_EQ(prctl(PR_SET_NAME, "ox86-test", 0, 0, 0), 0);
    CHECK_EQ(prctl(PR_GET_NAME, name, 0, 0, 0), 0);
    CHECK(strcmp(name, "ox86-test") == 0);
    CHECK_EQ(prctl(PR_SET_PDEATHSIG, SIGHUP, 0, 0, 0), 0);
    int pd = 0;
    CHECK_EQ(prctl(PR_GET_PDEATHSIG, &pd, 0, 0, 0), 0);
    CHECK_EQ(pd, SIGHUP);
    CHECK_EQ(prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0), 0);
    CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
    printf("prctl: name %s\n", name);

    int pers = personality(0xffffffff);
    CHECK(pers >= 0);
    CHECK_EQ(personality(pers), pers);
    CHECK_EQ(personality(0xffffffff), pers);

    struct cap_header h = { CAP_VERSION_3, 0 };
    struct cap_data d[2];
    CHECK_EQ(syscall(SYS_capget, &h, d), 0);
    CHECK((d[0].effective & ~d[0].permitted) == 0);

    int ng = getgroups(0, NULL);
    CHECK(ng >= 0);
    gid_t groups[256];
    if (ng >= 0 && ng <= 256)
        CHECK_EQ(getgroups(ng, groups), ng);

    errno = 0;
    int prio = getpriority(PRIO_PROCESS, 0);
    CHECK_EQ(errno, 0);
    if (prio < 19) {
        CHECK_EQ(setpriority(PRIO_PROCESS, 0, prio + 1), 0);
        CHECK_EQ(getpriority(PRIO_PROCESS, 0), prio + 1);
    }

    cpu_set_t set;
    CPU_ZERO(&set);
    CHECK_EQ(sched_getaffinity(0, sizeof set, &set), 0);
    CHECK(CPU_COUNT(&set) >= 1);
    CHECK_EQ(sched_setaffinity(0, sizeof set, &set), 0);

    struct sysinfo si;
    CHECK_EQ(sysinfo(&si), 0);
    CHECK(si.mem_unit >= 1 && si.totalram > 0 && si.procs > 0);
    CHECK(si.freeram <= si.totalram);

    struct tms t;
    clock_t now = times(&t);
    CHECK(now != (clock_t)-1);
    CHECK(t.tms_utime >= 0 && t.tms_stime >= 0);

    struct timespec tiny = { 0, 1000 };
    CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &tiny, NULL), 0);
    struct timespec past = { 0, 1 };
    CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &past, NULL), 0);
    CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, NULL, NULL), EFAULT);
    printf("personality, capget, groups, priority, affinity, sysinfo, times, sleeps: done\n");
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "--child") == 0) {
        printf("child mode: %s\n", argv[2]);
        return 42;
    }
    waits();
    signals();
    execs();
    misc();
    return check_done("proc_exec_wait");
}
