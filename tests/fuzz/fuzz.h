/* Shared by the libFuzzer harnesses and the replay driver: the libFuzzer
 * entry point and the settings every harness wants. */
#ifndef CN_FUZZ_H
#define CN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <glib.h>

/* Called by libFuzzer (or replay.c) once per input; returns 0. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* GLib criticals and warnings are programmer errors (a g_return_if_fail that
 * fired): print them and abort, so that the fuzzer (which catches SIGABRT,
 * not the SIGTRAP GLib raises for fatal messages) reports them as crashes. */
static inline void cn_fuzz_log(const gchar *domain, GLogLevelFlags level, const gchar *message,
                               gpointer data)
{
    g_log_default_handler(domain, level, message, data);
    if (level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING))
        abort();
}

static inline void cn_fuzz_init(void)
{
    static gboolean done;
    if (!done) {
        g_log_set_default_handler(cn_fuzz_log, NULL);
        done = TRUE;
    }
}

#endif
