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
    return NULL;
}

int mmt_pool_run(size_t njobs, long nthreads, mmt_pool_job_fn fn, void *ud, mmt_pool_tick_fn tick,
                 void *tick_ud)
{
    pool P = {.njobs = njobs, .fn = fn, .ud = ud};
    atomic_init(&P.next, 0);
    atomic_init(&P.done, 0);
    atomic_init(&P.failed, 0);
    pthread_t th[POOL_MAX_THREADS];
    long n = nthreads < 1 ? 1 : nthreads > POOL_MAX_THREADS ? POOL_MAX_THREADS : nthreads;
    if ((size_t)n > njobs)
        n = (long)njobs;
    long started = 0;
    for (; started < n; started++)
        if (pthread_create(&th[started], NULL, worker, &P) != 0)
            break;
    if (started == 0)
        worker(&P);
    while (started > 0 && tick && atomic_load(&P.done) < njobs && !atomic_load(&P.failed)) {
        tick(tick_ud, atomic_load(&P.done), njobs);
        nanosleep(&(struct timespec){0, 200000000}, NULL);
    }
    for (long i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    if (tick)
        tick(tick_ud, atomic_load(&P.done), njobs);
    return atomic_load(&P.failed);
}
