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

#define COMMA ,

static mode_t mode_of(int flags, va_list ap)
{
    return (flags & (O_CREAT | O_TMPFILE)) ? (mode_t)va_arg(ap, int) : 0;
}

/* open(path, flags[, mode]) and openat(dirfd, path, flags[, mode]), each
 * also as its 64-bit name: refuse a creation on the full disk, else pass
 * the call on. */
#define OPEN_LIKE(name, type, DIRFD_PARAM, DIRFD, DIRFD_ARG)                                       \
    int name(DIRFD_PARAM const char *path, int flags, ...)                                         \
    {                                                                                              \
        va_list ap;                                                                                \
        va_start(ap, flags);                                                                       \
        mode_t m = mode_of(flags, ap);                                                             \
        va_end(ap);                                                                                \
        if ((flags & O_CREAT) && full(DIRFD, path)) {                                              \
            errno = ENOSPC;                                                                        \
            return -1;                                                                             \
        }                                                                                          \
        REAL(name, type);                                                                          \
        return real_##name(DIRFD_ARG path, flags, m);                                              \
    }

OPEN_LIKE(open, open_fn, , AT_FDCWD, )
OPEN_LIKE(open64, open_fn, , AT_FDCWD, )
OPEN_LIKE(openat, openat_fn, int dirfd COMMA, dirfd, dirfd COMMA)
OPEN_LIKE(openat64, openat_fn, int dirfd COMMA, dirfd, dirfd COMMA)

int mkdir(const char *path, mode_t mode)
{
    if (full(AT_FDCWD, path)) {
        errno = ENOSPC;
        return -1;
    }
    REAL(mkdir, mkdir_fn);
    return real_mkdir(path, mode);
}
