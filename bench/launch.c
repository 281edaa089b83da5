/* bench/run's launcher: runs a command in a child of this small static
 * process and reports the child's wait status and peak RSS. A process's
 * ru_maxrss counts the memory of whatever exec'ed it, so a command started
 * straight from Python would show Python's size as its floor.
 *
 * Usage: launch PROGRAM ARGS...  (PROGRAM is a path, not searched for)
 * Writes "STATUS MAXRSS_KIB\n" to fd 3, which the command does not inherit,
 * and exits 0; exits 2 when it cannot run or wait for the command. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2 || fcntl(3, F_SETFD, FD_CLOEXEC) != 0) {
        fprintf(stderr, "launch: usage: launch PROGRAM ARGS... with fd 3 open\n");
        return 2;
    }
    pid_t pid = vfork();
    if (pid < 0) {
        perror("launch: vfork");
        return 2;
    }
    if (pid == 0) {
        execv(argv[1], argv + 1);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) {
        perror("launch: wait4");
        return 2;
    }
    dprintf(3, "%d %ld\n", status, ru.ru_maxrss);
    return 0;
}
