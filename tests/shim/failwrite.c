/*
 * failwrite.c - an LD_PRELOAD shim for tests/failure.sh where no small filesystem can be
 * mounted: write() to a regular file fails with ENOSPC once MMT_FAIL_AFTER bytes (default
 * 65536) have been written to regular files by the process, as on a full disk.
 * Build: cc -shared -fPIC -o failwrite.so failwrite.c -ldl
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

static atomic_llong written;

ssize_t write(int fd, const void *buf, size_t n)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (!real)
        real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        const char *e = getenv("MMT_FAIL_AFTER");
        long long cap = e ? atoll(e) : 65536;
        if (atomic_fetch_add(&written, (long long)n) + (long long)n > cap) {
            errno = ENOSPC;
            return -1;
        }
    }
    return real(fd, buf, n);
}
