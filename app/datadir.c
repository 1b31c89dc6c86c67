/* Shipped scenarios in the installed data directory: see datadir.h. */
#include "datadir.h"

#include <string.h>

#include "cnisim-config.h"

const char *cn_datadir(void)
{
    const char *env = g_getenv("CNISIM_DATADIR");
    return env && *env ? env : CNISIM_PKGDATADIR;
}

static char *scenario_dir(void)
{
    return g_build_filename(cn_datadir(), "scenarios", NULL);
}

char *cn_datadir_find_scenario(const char *arg, GError **error)
{
    /* A path, or a file in the working directory, always wins, so a local
     * quickstart.ini is never shadowed by the shipped one. */
    if (strchr(arg, '/') || g_str_has_suffix(arg, ".ini") || g_file_test(arg, G_FILE_TEST_EXISTS))
        return g_strdup(arg);
    g_autofree char *dir = scenario_dir();
    g_autofree char *base = g_strconcat(arg, ".ini", NULL);
    char *shipped = g_build_filename(dir, base, NULL);
    if (g_file_test(shipped, G_FILE_TEST_IS_REGULAR))
        return shipped;
    g_free(shipped);
    g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                "%s: no such file, and no shipped scenario %s in %s "
                "(cnisim help scenarios lists them; CNISIM_DATADIR sets the data directory)",
                arg, base, dir);
    return NULL;
}

static int by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

gboolean cn_datadir_print_scenarios(FILE *out, GError **error)
{
    g_autofree char *dir = scenario_dir();
    g_autoptr(GError) local = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &local);
    if (!d) {
        g_set_error(error, G_FILE_ERROR, G_FILE_ERROR_NOENT,
                    "cannot list the shipped scenarios: %s (is cnisim installed? "
                    "CNISIM_DATADIR sets the data directory)",
                    local->message);
        return FALSE;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    for (const char *f; (f = g_dir_read_name(d));)
        if (g_str_has_suffix(f, ".ini"))
            g_ptr_array_add(names, g_strndup(f, strlen(f) - strlen(".ini")));
    g_ptr_array_sort(names, by_name);
    fprintf(out, "Shipped scenarios in %s (cnisim run NAME):\n", dir);
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        g_autofree char *base = g_strconcat(name, ".ini", NULL);
        g_autofree char *path = g_build_filename(dir, base, NULL);
        g_autoptr(GKeyFile) kf = g_key_file_new();
        g_autofree char *desc = NULL;
        /* A listing, not a check: a file the loader would refuse still
         * shows, and `cnisim validate NAME` says what is wrong with it. */
        if (g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
            desc = g_key_file_get_string(kf, "scenario", "description", NULL);
        fprintf(out, "  %-20s %s\n", name, desc ? desc : "(no description)");
    }
    return TRUE;
}
