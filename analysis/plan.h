/* `cnisim plan`: address planning, limits and migration paths for every
 * variant and sweep point of a scenario, with no traffic simulation. */
#ifndef CN_PLAN_H
#define CN_PLAN_H

#include <stdio.h>
#include <glib.h>

#include "scenario.h"

/* Write ipam.csv (DESIGN.md / issue contract columns) for every point and
 * variant of sc to path.  Writes to a temporary file and renames. */
gboolean cn_plan_write_ipam_csv(const cn_scenario *sc, const char *path, GError **error);
/* Write migrations.csv (from_variant, to_variant, in_place, steps, prerequisites). */
gboolean cn_plan_write_migrations_csv(const cn_scenario *sc, const char *path, GError **error);
/* Print the readable plan table, with migration paths, to out. */
void cn_plan_print(const cn_scenario *sc, FILE *out);

#endif
