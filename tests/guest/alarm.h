/* For guest tests whose loops spin until a signal arrives: `stop`, which
 * SIGALRM's handler `on_alarm` sets to 1, and `arm`, which clears it and
 * has SIGALRM sent once, 20 ms later. */
#ifndef ALARM_H
#define ALARM_H

#include "check.h"
#include <signal.h>
#include <sys/time.h>

static volatile sig_atomic_t stop;

static void on_alarm(int sig)
{
    (void)sig;
    stop = 1;
}

static void arm(void)
{
    struct itimerval it = {{0, 0}, {0, 20000}};
    stop = 0;
    CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
}

#endif
