/* Scenario files: loading, checking and sweep expansion.
 *
 * A scenario is a GKeyFile with groups [scenario], [cluster], [workload],
 * [plugins] and [costs].  A comma list in a numeric key, or in a key with a
 * fixed set of words, is a sweep; several swept keys form their cartesian
 * product, the first swept key in the file varying slowest.  Every error
 * names the file, the group, the key and what was expected. */
#ifndef CN_SCENARIO_H
#define CN_SCENARIO_H

#include <stdio.h>
#include <glib.h>

#include "config.h"

#define CN_SCENARIO_ERROR (cn_scenario_error_quark())
GQuark cn_scenario_error_quark(void);
typedef enum {
    CN_SCENARIO_ERROR_IO,          /* the file could not be read */
    CN_SCENARIO_ERROR_SYNTAX,      /* not a key file */
    CN_SCENARIO_ERROR_UNKNOWN,     /* unknown group or key */
    CN_SCENARIO_ERROR_VALUE,       /* a value of the wrong kind or out of range */
    CN_SCENARIO_ERROR_COMBINATION, /* values that cannot go together */
} cn_scenario_error_code;

typedef struct cn_scenario cn_scenario;

/* A scenario file is a regular file of at most this many bytes (a FIFO or
 * a device is refused, not read until memory runs out). */
#define CN_SCENARIO_MAX_BYTES (1u << 20)

/* Load a scenario file.  sets is a NULL-terminated list of "group.key=value"
 * overrides (may be NULL), applied over the file's values. */
cn_scenario *cn_scenario_load(const char *path, const char *const *sets, GError **error);
/* The same from text in memory; display_name stands for the file in errors. */
cn_scenario *cn_scenario_load_data(const char *data, gsize len, const char *display_name,
                                   const char *const *sets, GError **error);
void cn_scenario_free(cn_scenario *sc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(cn_scenario, cn_scenario_free)

const char *cn_scenario_path(const cn_scenario *sc);
/* The file's bytes as loaded (before --set overrides). */
const char *cn_scenario_text(const cn_scenario *sc, gsize *len);
/* SHA-256 of the file's bytes, in hex. */
const char *cn_scenario_digest(const cn_scenario *sc);

/* Sweep axes, in file order, and the number of points (their product). */
int cn_scenario_n_axes(const cn_scenario *sc);
const char *cn_scenario_axis_key(const cn_scenario *sc, int axis); /* key without group */
const char *cn_scenario_axis_group(const cn_scenario *sc, int axis);
gsize cn_scenario_n_points(const cn_scenario *sc);
/* The value of an axis at a point, as written in the file. */
const char *cn_scenario_axis_value(const cn_scenario *sc, int axis, gsize point);

/* The configuration at point (0 .. n_points-1). */
void cn_scenario_config(const cn_scenario *sc, gsize point, cn_config *out);

/* The defaults of every key, as used when a scenario leaves a key out. */
void cn_config_defaults(cn_config *c);

/* Print every group and key with its default and meaning (cnisim help keys). */
void cn_scenario_print_keys(FILE *out);

#endif
