/* Checked conversions from numbers given in seconds, microseconds or
 * nanoseconds (doubles from a scenario or the calibration table) to integer
 * nanoseconds of simulated time, and from a rate to its mean interval.
 *
 * Every such conversion goes through cn_units_scale_ns so that a value whose
 * product overflows int64 (about 292 years) or rounds to zero nanoseconds is
 * refused instead of wrapping or silently vanishing (issue 9, item 3). */
#ifndef CN_UNITS_H
#define CN_UNITS_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

typedef enum {
    CN_UNITS_OK,
    CN_UNITS_NOT_FINITE, /* nan or infinite */
    CN_UNITS_NEGATIVE,   /* below zero: no duration or rate is */
    CN_UNITS_OVERFLOW,   /* the product does not fit in int64 nanoseconds */
    CN_UNITS_ZERO,       /* a non-zero value that rounds to 0 ns */
} cn_units_status;

/* value x ns_per_unit, rounded to the nearest nanosecond, into *out_ns.
 * Zero converts to zero; a positive value must give at least 1 ns.  On
 * failure *out_ns is left alone. */
cn_units_status cn_units_scale_ns(double value, double ns_per_unit, int64_t *out_ns);

/* Seconds to nanoseconds. */
static inline cn_units_status cn_units_s_to_ns(double s, int64_t *out_ns)
{
    return cn_units_scale_ns(s, 1e9, out_ns);
}

/* Microseconds to nanoseconds. */
static inline cn_units_status cn_units_us_to_ns(double us, int64_t *out_ns)
{
    return cn_units_scale_ns(us, 1e3, out_ns);
}

/* The mean interval, in ns, between events at rate_per_s (1e9 / rate).  A
 * zero rate has no interval: it is refused as CN_UNITS_OVERFLOW, like any
 * rate so small that the interval exceeds int64. */
cn_units_status cn_units_rate_to_interval_ns(double rate_per_s, int64_t *out_ns);

/* llround(x) without the library call (per stage on the datapath): the
 * same value for every x, halves away from zero.  Below 2^52 truncation
 * and x - trunc(x) are exact; larger, non-finite and NaN values take
 * llround itself. */
static inline int64_t cn_units_round(double x)
{
    if (!(fabs(x) < 0x1p52))
        return llround(x);
    int64_t i = (int64_t)x;
    double f = x - (double)i;
    if (f >= 0.5)
        i++;
    else if (f <= -0.5)
        i--;
    return i;
}

/* What went wrong, for a message: "overflows int64 nanoseconds (more than
 * 292 years)", "rounds to zero nanoseconds", ... */
const char *cn_units_status_text(cn_units_status st);

#endif
