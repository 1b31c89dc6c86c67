#include "calibration.h"

#include <string.h>

const cn_cal_entry cn_cal_table[CAL_COUNT] = {
#define CAL(id, value, unit, status, source) {#id, value, unit, status, source},
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
