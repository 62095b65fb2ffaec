/*
 * pysum.c - Python's sum() of floats. CPython >= 3.12 adds with Neumaier compensation;
 * <= 3.11 adds naively from left to right (doc/scalesim-v2.md §0). Both start from the int 0, so the first
 * value becomes 0 + x (which turns -0.0 into 0.0).
 */
#include "sim_internal.h"

#include <math.h>

void mmt_pysum_init(mmt_pysum_acc *a)
{
    a->f = 0.0;
    a->c = 0.0;
    a->n = 0;
}

void mmt_pysum_add(mmt_pysum_acc *a, double x)
{
    if (a->n++ == 0) {
        a->f = 0 + x; /* int 0 + float */
        return;
    }
    double t = a->f + x;
    if (fabs(a->f) >= fabs(x))
        a->c += (a->f - t) + x;
    else
        a->c += (x - t) + a->f;
    a->f = t;
}

double mmt_pysum_result(const mmt_pysum_acc *a)
{
    if (a->n == 0)
        return 0.0;
    if (a->c != 0.0 && isfinite(a->c))
        return a->f + a->c;
    return a->f;
}

double mmt_pysum(const double *v, size_t n)
{
    mmt_pysum_acc a;
    mmt_pysum_init(&a);
    for (size_t i = 0; i < n; i++)
        mmt_pysum_add(&a, v[i]);
    return mmt_pysum_result(&a);
}

double mmt__sum311(const double *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s = s + v[i];
    return s;
}
