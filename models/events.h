/* Scheduled events of a run ([event NAME] groups): each fires at its at_s
 * and changes one key of the running workload or cluster, through the part
 * that owns it (workload, control plane). */
#ifndef CN_EVENTS_H
#define CN_EVENTS_H

#include <glib.h>

#include "config.h"

typedef struct run run;

typedef struct {
    run *r;
    const cn_event *ev;
} cn_event_ctx;

typedef struct {
    cn_event_ctx *ctx;   /* one per event of the configuration */
    GPtrArray *upgrades; /* upgrades under way (freed with the run) */
} cn_events;

/* Schedule the configuration's events (none: nothing happens). */
void events_start(run *r);
void events_free(run *r);

#endif
