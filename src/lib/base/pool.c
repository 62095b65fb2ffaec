/*
 * pool.c - the one thread pool of the library: a fixed set of threads pulls job indices from an
 * atomic counter until none are left or one job has failed. The caller's thread only watches
 * (and reports progress), so progress lines come from one thread.
 */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#define POOL_MAX_THREADS 256

typedef struct pool {
    size_t njobs;
    mmt_pool_job_fn fn;
    void *ud;
    atomic_size_t next, done;
    atomic_int failed;
    pthread_mutex_t m; /* with c: the watcher wakes when the last worker leaves */
    pthread_cond_t c;
    long active;       /* workers still running, under m */
} pool;

/* Worker: runs jobs until none are left or one failed; keeps the first failure code. */
static void *worker(void *arg)
{
    pool *P = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&P->next, 1);
        if (i >= P->njobs || atomic_load(&P->failed))
            break;
        int r = P->fn(P->ud, i);
        if (r) {
            int zero = 0;
            atomic_compare_exchange_strong(&P->failed, &zero, r);
        }
        atomic_fetch_add(&P->done, 1);
    }
    pthread_mutex_lock(&P->m);
    if (--P->active == 0)
        pthread_cond_signal(&P->c);
    pthread_mutex_unlock(&P->m);
    return NULL;
}

/* Calls tick about every 100 ms until every worker has left; returns as soon as the last one
 * has (a sleep would add up to 100 ms to every run). */
static void watch(pool *P, mmt_pool_tick_fn tick, void *tick_ud)
{
    pthread_mutex_lock(&P->m);
    while (P->active > 0) {
        pthread_mutex_unlock(&P->m);
        if (tick)
            tick(tick_ud, atomic_load(&P->done), P->njobs);
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000;
        ts.tv_sec += ts.tv_nsec / 1000000000;
        ts.tv_nsec %= 1000000000;
        pthread_mutex_lock(&P->m);
        if (P->active > 0)
            pthread_cond_timedwait(&P->c, &P->m, &ts);
    }
    pthread_mutex_unlock(&P->m);
}

int mmt_pool_run(size_t njobs, long nthreads, mmt_pool_job_fn fn, void *ud, mmt_pool_tick_fn tick,
                 void *tick_ud)
{
    pool P = {.njobs = njobs, .fn = fn, .ud = ud};
    pthread_mutex_init(&P.m, NULL);
    pthread_cond_init(&P.c, NULL);
    atomic_init(&P.next, 0);
    atomic_init(&P.done, 0);
    atomic_init(&P.failed, 0);
    pthread_t th[POOL_MAX_THREADS];
    long n = nthreads < 1 ? 1 : nthreads > POOL_MAX_THREADS ? POOL_MAX_THREADS : nthreads;
    if ((size_t)n > njobs)
        n = (long)njobs;
    long started = 0;
    P.active = n;
    for (; started < n; started++)
        if (pthread_create(&th[started], NULL, worker, &P) != 0)
            break;
    pthread_mutex_lock(&P.m);
    P.active -= n - started; /* threads that could not start */
    pthread_mutex_unlock(&P.m);
    if (started == 0) {
        P.active = 1;
        worker(&P);
    }
    watch(&P, started > 0 ? tick : NULL, tick_ud);
    for (long i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    pthread_cond_destroy(&P.c);
    pthread_mutex_destroy(&P.m);
    if (tick)
        tick(tick_ud, atomic_load(&P.done), njobs);
    return atomic_load(&P.failed);
}
