/* libFuzzer harness: --set values.
 *
 * The input is split at newlines into "group.key=value" strings (at most 16)
 * applied over a small valid scenario, as `cnisim run --set ...` does.  Any
 * input must either load or fail with a one-line message naming the file. */
#include <string.h>

#include "fuzz.h"
#include "scenario.h"

static const char base[] = "[scenario]\n"
                           "name = fuzz-set\n"
                           "seed = 7\n"
                           "replications = 2\n"
                           "duration_s = 0.5\n"
                           "[cluster]\n"
                           "nodes = 3\n"
                           "services = 10, 100\n"
                           "[workload]\n"
                           "model = closed\n"
                           "concurrency = 8\n"
                           "traffic = pod-to-service:0.8, pod-to-external:0.2\n"
                           "[plugins]\n"
                           "compare = kubenet, azure-cni, cilium\n"
                           "[costs]\n";

#define MAX_SETS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_fuzz_init();
    char *text = g_malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    /* A NUL ends a command-line argument: what follows it is not seen. */
    char **sets = g_strsplit(text, "\n", MAX_SETS);
    g_free(text);

    GError *err = NULL;
    cn_scenario *sc =
        cn_scenario_load_data(base, sizeof base - 1, "fuzz.ini", (const char *const *)sets, &err);
    if (!sc) {
        g_assert(err != NULL);
        g_assert(g_str_has_prefix(err->message, "fuzz.ini: "));
        g_assert(strchr(err->message, '\n') == NULL); /* one line */
        g_error_free(err);
    } else {
        gsize n = cn_scenario_n_points(sc);
        g_assert(n >= 1 && n <= 100000);
        for (gsize p = 0; p < n; p++) {
            cn_config c;
            cn_scenario_config(sc, p, &c);
            g_assert(c.n_variants >= 1);
        }
        cn_scenario_free(sc);
    }
    g_strfreev(sets);
    return 0;
}
