/* Where an installed cnisim finds its shipped scenarios: DATADIR/scenarios,
 * DATADIR being $CNISIM_DATADIR when set (a staged install, a test) and the
 * install prefix's share/cnisim otherwise. */
#pragma once

#include <stdio.h>
#include <glib.h>

/* The data directory in use (not owned by the caller). */
const char *cn_datadir(void);

/* The scenario file a command line names.  ARG itself when it exists, has a
 * '/' or ends in ".ini"; otherwise DATADIR/scenarios/ARG.ini.  NULL (and an
 * error naming both places) when ARG is a bare name found in neither. */
char *cn_datadir_find_scenario(const char *arg, GError **error);

/* One line per shipped scenario: its name and its [scenario] description. */
gboolean cn_datadir_print_scenarios(FILE *out, GError **error);
