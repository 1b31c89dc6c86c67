#include "units.h"

#include <math.h>

/* 2^63 as a double: every double below it converts to int64 exactly enough;
 * it and everything above do not fit. */
#define INT64_LIMIT 9223372036854775808.0

cn_units_status cn_units_scale_ns(double value, double ns_per_unit, int64_t *out_ns)
{
    if (!isfinite(value) || !isfinite(ns_per_unit))
        return CN_UNITS_NOT_FINITE;
    if (value < 0 || ns_per_unit < 0)
        return CN_UNITS_NEGATIVE;
    double ns = value * ns_per_unit; /* may be +inf: caught below */
    double r = round(ns);            /* halves away from zero, as llround */
    if (!(r < INT64_LIMIT))
        return CN_UNITS_OVERFLOW;
    if (r == 0 && value > 0 && ns_per_unit > 0)
        return CN_UNITS_ZERO;
    *out_ns = (int64_t)r;
    return CN_UNITS_OK;
}

cn_units_status cn_units_rate_to_interval_ns(double rate_per_s, int64_t *out_ns)
{
    if (!isfinite(rate_per_s))
        return CN_UNITS_NOT_FINITE;
    if (rate_per_s < 0)
        return CN_UNITS_NEGATIVE;
    double interval_ns = 1e9 / rate_per_s; /* +inf for 0 or a subnormal rate */
    if (!isfinite(interval_ns))
        return CN_UNITS_OVERFLOW;
    return cn_units_scale_ns(interval_ns, 1.0, out_ns);
}

const char *cn_units_status_text(cn_units_status st)
{
    switch (st) {
    case CN_UNITS_OK:
        return "ok";
    case CN_UNITS_NOT_FINITE:
        return "is not a finite number";
    case CN_UNITS_NEGATIVE:
        return "is negative";
    case CN_UNITS_OVERFLOW:
        return "overflows int64 nanoseconds (more than 292 years)";
    case CN_UNITS_ZERO:
        return "rounds to zero nanoseconds";
    }
    return "?";
}
