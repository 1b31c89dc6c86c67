/* An LD_PRELOAD shim for the output-safety test: a disk that fills up.
 * Every creation of a file or directory whose path contains $ENOSPC_MATCH
 * is counted; the $ENOSPC_AT-th and every later one fails with ENOSPC, as
 * a full file system would refuse it.  Reads and other paths pass through. */
/* Both open and open64 are defined here: no redirection of one to the other. */
#undef _FILE_OFFSET_BITS
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int created;

/* The full path of path as seen from dirfd (AT_FDCWD or a directory). */
static void resolve(int dirfd, const char *path, char *out, size_t n)
{
    if (path[0] == '/' || dirfd == AT_FDCWD) {
        snprintf(out, n, "%s", path);
        return;
    }
    char link[64], dir[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", dirfd);
    ssize_t k = readlink(link, dir, sizeof dir - 1);
    dir[k > 0 ? k : 0] = '\0';
    snprintf(out, n, "%s/%s", dir, path);
}

static int full(int dirfd, const char *path)
{
    const char *match = getenv("ENOSPC_MATCH"), *at = getenv("ENOSPC_AT");
    if (!match || !at || !path)
        return 0;
    char p[PATH_MAX * 2];
    resolve(dirfd, path, p, sizeof p);
    if (!strstr(p, match))
        return 0;
    return ++created >= atoi(at);
}

/* The next definition of name (libc's); memcpy because ISO C has no cast
 * from an object pointer to a function pointer. */
#define REAL(name, type)                                                                           \
    static type real_##name;                                                                       \
    if (!real_##name) {                                                                            \
        void *sym_ = dlsym(RTLD_NEXT, #name);                                                      \
        memcpy(&real_##name, &sym_, sizeof sym_);                                                  \
    }

typedef int (*open_fn)(const char *, int, ...);
typedef int (*openat_fn)(int, const char *, int, ...);
typedef int (*mkdir_fn)(const char *, mode_t);

static mode_t mode_of(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_of(flags, ap);
    va_end(ap);
    if ((flags & O_CREAT) && full(AT_FDCWD, path)) {
        errno = ENOSPC;
        return -1;
    }
    REAL(open, open_fn);
    return real_open(path, flags, m);
}

int open64(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_of(flags, ap);
    va_end(ap);
    if ((flags & O_CREAT) && full(AT_FDCWD, path)) {
        errno = ENOSPC;
        return -1;
    }
    REAL(open64, open_fn);
    return real_open64(path, flags, m);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_of(flags, ap);
    va_end(ap);
    if ((flags & O_CREAT) && full(dirfd, path)) {
        errno = ENOSPC;
        return -1;
    }
    REAL(openat, openat_fn);
    return real_openat(dirfd, path, flags, m);
}

int openat64(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    mode_t m = mode_of(flags, ap);
    va_end(ap);
    if ((flags & O_CREAT) && full(dirfd, path)) {
        errno = ENOSPC;
        return -1;
    }
    REAL(openat64, openat_fn);
    return real_openat64(dirfd, path, flags, m);
}

int mkdir(const char *path, mode_t mode)
{
    if (full(AT_FDCWD, path)) {
        errno = ENOSPC;
        return -1;
    }
    REAL(mkdir, mkdir_fn);
    return real_mkdir(path, mode);
}
