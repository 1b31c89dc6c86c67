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
    int var; /* a migrate event: its target's index in the run's variants; else -1 */
} cn_event_ctx;

typedef struct {
    cn_event_ctx *ctx;   /* one per event of the configuration */
    GPtrArray *upgrades; /* upgrades and migrations, done or under way (freed with the run) */
    bool reimaging;      /* one is under way */
    GPtrArray *waiting;  /* upgrades and migrations asked for meanwhile (cn_event_ctx) */
} cn_events;

/* Schedule the configuration's events (none: nothing happens). */
void events_start(run *r);
void events_free(run *r);

#endif
