/* Replay driver: runs a libFuzzer harness's LLVMFuzzerTestOneInput on every
 * file of the directories (or the files) given, in name order, so CI can
 * replay the corpus and every crash input ever found without clang.
 *
 *   replay-loader tests/fuzz/corpus/loader tests/fuzz/crashes/loader
 *
 * Exits 0 when every input ran (a harness failure aborts), 2 on a missing
 * directory or an unreadable file. */
#include <stdio.h>
#include <string.h>

#include "fuzz.h"

static int run_file(const char *path)
{
    g_autofree char *data = NULL;
    gsize len = 0;
    g_autoptr(GError) err = NULL;
    if (!g_file_get_contents(path, &data, &len, &err)) {
        fprintf(stderr, "replay: %s\n", err->message);
        return -1;
    }
    LLVMFuzzerTestOneInput((const uint8_t *)data, len);
    return 1;
}

static gint cmp_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every regular file of dir except dot files (.gitkeep), in name order. */
static int run_dir(const char *dir)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(GDir) d = g_dir_open(dir, 0, &err);
    if (!d) {
        fprintf(stderr, "replay: %s\n", err->message);
        return -1;
    }
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    while ((name = g_dir_read_name(d)))
        if (name[0] != '.')
            g_ptr_array_add(names, g_build_filename(dir, name, NULL));
    g_ptr_array_sort(names, cmp_names);
    int n = 0;
    for (guint i = 0; i < names->len; i++) {
        const char *path = g_ptr_array_index(names, i);
        if (!g_file_test(path, G_FILE_TEST_IS_REGULAR))
            continue;
        if (run_file(path) < 0)
            return -1;
        n++;
    }
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 2;
    }
    int total = 0;
    for (int i = 1; i < argc; i++) {
        int n = g_file_test(argv[i], G_FILE_TEST_IS_DIR) ? run_dir(argv[i]) : run_file(argv[i]);
        if (n < 0)
            return 2;
        printf("%s: %d input(s) replayed\n", argv[i], n);
        total += n;
    }
    printf("%d input(s) replayed, no failure\n", total);
    return 0;
}
