/* The calibration table: every default cost, size and limit the models use,
 * with its unit, status and source.  Entries live in calibration.def; model
 * code reads them through a cn_config's cost[] array, so a scenario's
 * [costs] group can override any of them by name. */
#ifndef CN_CALIBRATION_H
#define CN_CALIBRATION_H

#include <stdbool.h>

typedef enum {
#define CAL(id, value, min, max, unit, status, source) CAL_##id,
#include "calibration.def"
#undef CAL
    CAL_COUNT
} cn_cal_id;

typedef struct {
    const char *name;   /* the key used in [costs] */
    double value;       /* default */
    double min, max;    /* the range a [costs] override may take, inclusive */
    const char *unit;   /* ns, bytes, entries, ... */
    char status;        /* 'R' read, 'D' derived, 'A' assumed */
    const char *source; /* document and address, or the assumption and why */
} cn_cal_entry;

extern const cn_cal_entry cn_cal_table[CAL_COUNT];

/* Index of the entry named name, or -1. */
int cn_cal_lookup(const char *name);

/* Whether entry id counts discrete things (prefix, pods, nodes, addresses,
 * ports, bool) and so takes whole numbers only. */
bool cn_cal_whole(int id);

/* Whether x is a value entry id may take: finite, within [min, max], whole
 * if the entry is. */
bool cn_cal_in_range(int id, double x);

/* "a whole number of pods from 1 to 1000" or "a number of ns from 0 to
 * 1e+04": the range in words, for messages and 'cnisim help costs'.
 * Free with g_free. */
char *cn_cal_range_text(int id);

#endif
