/* POSIX threads: workers computing disjoint sums joined in order, a mutex-protected counter,
 * a condition-variable handshake, per-thread __thread values, pthread_once, thread return
 * values, and thread ids that differ from the process id. Printed results are independent of
 * scheduling. */
#include "check.h"
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WORKERS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long shared_counter;
static int stage;
static __thread long mine = 1000;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int once_runs;

static void init_once(void)
{
    once_runs++;
}

struct job {
    int index;
    long from, to;
    long sum;
    long tls_seen;
    int tid_differs;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    pthread_once(&once, init_once);
    mine += j->index; /* each thread starts from its own copy */
    for (long i = j->from; i < j->to; i++)
        j->sum += i * i % 7;
    for (int i = 0; i < 10000; i++) {
        pthread_mutex_lock(&lock);
        shared_counter++;
        pthread_mutex_unlock(&lock);
    }
    j->tls_seen = mine;
    j->tid_differs = (pid_t)syscall(SYS_gettid) != getpid();
    return (void *)(long)(j->index * 100);
}

static void *waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    while (stage != 1)
        pthread_cond_wait(&cond, &lock);
    stage = 2;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    return NULL;
}

int main(void)
{
    pthread_t t[WORKERS];
    struct job jobs[WORKERS];
    for (int i = 0; i < WORKERS; i++) {
        jobs[i] = (struct job){ i, i * 250000L, (i + 1) * 250000L, 0, 0, 0 };
        int rc = pthread_create(&t[i], NULL, worker, &jobs[i]);
        CHECK_EQ(rc, 0);
        if (rc != 0) {
            printf("pthread_create failed: %d\n", rc);
            return check_done("pthread_basic");
        }
    }
    long total = 0;
    for (int i = 0; i < WORKERS; i++) {
        void *ret;
        CHECK_EQ(pthread_join(t[i], &ret), 0);
        CHECK_EQ((long)ret, i * 100);
        CHECK_EQ(jobs[i].tls_seen, 1000 + i);
        CHECK_EQ(jobs[i].tid_differs, 1);
        printf("worker %d: sum %ld, returned %ld, its __thread value %ld\n", i, jobs[i].sum, (long)ret, jobs[i].tls_seen);
        total += jobs[i].sum;
    }
    long check = 0;
    for (long i = 0; i < WORKERS * 250000L; i++)
        check += i * i % 7;
    CHECK_EQ(total, check);
    CHECK_EQ(shared_counter, WORKERS * 10000);
    CHECK_EQ(mine, 1000);
    CHECK_EQ(once_runs, 1);
    printf("total %ld, counter %ld, main's __thread value %ld, once ran %d time(s)\n", total, shared_counter, mine, once_runs);

    pthread_t w;
    if (pthread_create(&w, NULL, waiter, NULL) != 0) {
        CHECK(0);
        return check_done("pthread_basic");
    }
    pthread_mutex_lock(&lock);
    stage = 1;
    pthread_cond_broadcast(&cond);
    while (stage != 2)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    CHECK_EQ(pthread_join(w, NULL), 0);
    printf("condition variable handshake reached stage %d\n", stage);
    return check_done("pthread_basic");
}
