#include "calibration.h"

#include <glib.h>
#include <math.h>
#include <string.h>

const cn_cal_entry cn_cal_table[CAL_COUNT] = {
#define CAL(id, value, min, max, unit, status, source) {#id, value, min, max, unit, status, source},
#include "calibration.def"
#undef CAL
};

int cn_cal_lookup(const char *name)
{
    for (int i = 0; i < CAL_COUNT; i++)
        if (strcmp(cn_cal_table[i].name, name) == 0)
            return i;
    return -1;
}

bool cn_cal_whole(int id)
{
    static const char *const whole_units[] = {"prefix",    "pods",  "nodes", "pools",
                                              "addresses", "ports", "bool",  "retries"};
    for (size_t i = 0; i < G_N_ELEMENTS(whole_units); i++)
        if (strcmp(cn_cal_table[id].unit, whole_units[i]) == 0)
            return true;
    return false;
}

bool cn_cal_in_range(int id, double x)
{
    const cn_cal_entry *e = &cn_cal_table[id];
    if (!isfinite(x) || x < e->min || x > e->max)
        return false;
    return !cn_cal_whole(id) || x == floor(x);
}

char *cn_cal_range_text(int id)
{
    const cn_cal_entry *e = &cn_cal_table[id];
    return g_strdup_printf("a %s of %s from %.10g to %.10g",
                           cn_cal_whole(id) ? "whole number" : "number", e->unit, e->min, e->max);
}
