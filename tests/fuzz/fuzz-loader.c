/* libFuzzer harness: the scenario loader on whole files.
 *
 * Any input must either load, or fail with a GError whose message names the
 * file ("fuzz.ini: ...") and is one line; a loaded scenario must give a
 * configuration at every sweep point (cn_scenario_config asserts that every
 * value was checked at load). */
#include <string.h>

#include "fuzz.h"
#include "scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cn_fuzz_init();
    GError *err = NULL;
    cn_scenario *sc = cn_scenario_load_data((const char *)data, size, "fuzz.ini", NULL, &err);
    if (!sc) {
        g_assert(err != NULL);
        g_assert(g_str_has_prefix(err->message, "fuzz.ini: "));
        g_assert(strchr(err->message, '\n') == NULL); /* one line */
        g_error_free(err);
        return 0;
    }
    g_assert(err == NULL);
    gsize n = cn_scenario_n_points(sc);
    g_assert(n >= 1 && n <= 100000);
    int axes = cn_scenario_n_axes(sc);
    for (gsize p = 0; p < n; p++) {
        cn_config c;
        cn_scenario_config(sc, p, &c);
        g_assert(c.n_variants >= 1);
        g_assert(c.nodes >= 1);
        for (int a = 0; a < axes; a++)
            g_assert(cn_scenario_axis_value(sc, a, p) != NULL);
    }
    for (int a = 0; a < axes; a++)
        g_assert(cn_scenario_axis_key(sc, a) && cn_scenario_axis_group(sc, a));
    g_assert(strlen(cn_scenario_digest(sc)) == 64);
    cn_scenario_free(sc);
    return 0;
}
