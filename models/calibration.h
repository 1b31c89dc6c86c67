/* The calibration table: every default cost, size and limit the models use,
 * with its unit, status and source.  Entries live in calibration.def; model
 * code reads them through a cn_config's cost[] array, so a scenario's
 * [costs] group can override any of them by name. */
#ifndef CN_CALIBRATION_H
#define CN_CALIBRATION_H

typedef enum {
#define CAL(id, value, unit, status, source) CAL_##id,
#include "calibration.def"
#undef CAL
    CAL_COUNT
} cn_cal_id;

typedef struct {
    const char *name;   /* the key used in [costs] */
    double value;       /* default */
    const char *unit;   /* ns, bytes, entries, ... */
    char status;        /* 'R' read, 'D' derived, 'A' assumed */
    const char *source; /* document and address, or the assumption and why */
} cn_cal_entry;

extern const cn_cal_entry cn_cal_table[CAL_COUNT];

/* Index of the entry named name, or -1. */
int cn_cal_lookup(const char *name);

#endif
