/*
 * outside_study.c - a program written against the installed libmmtrace-study alone, as a user
 * would: only <mmtrace_study.h>, compiled and linked with the flags `pkg-config mmtrace-study`
 * gives (which bring libmmtrace, GSL and cairo through Requires). It runs a small study (edge,
 * gpt2, two lengths, no cache) into OUTDIR with its figures as SVG and PNG, then prints the
 * points, S(100) at f = 0.5 and the fit of two exact points of f(l) = 1/(1 + 1 + l/1000).
 *
 * Usage: outside_study OUTDIR. Exit 0 ok, 1 error (one line on stderr).
 */
#include <mmtrace_study.h>

#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: outside_study OUTDIR\n");
        return 1;
    }
    mmt_study_args *a;
    mmt_diag d = {0};
    static const char *const opt[][2] = {
        {"--hw", "edge"}, {"--model", "gpt2"}, {"--seq", "128,256"}};
    if (mmt_study_args_new(&a) != 0)
        return fprintf(stderr, "outside_study: out of memory\n"), 1;
    for (int i = 0; i < 3; i++)
        if (mmt_study_args_set(a, opt[i][0], opt[i][1], MMT_SCALESIM_V2, NULL, NULL, &d) != 0)
            return fprintf(stderr, "outside_study: %s\n", d.message), 1;
    if (mmt_study_args_check(a, &d) != 0)
        return fprintf(stderr, "outside_study: %s\n", d.message), 1;
    mmt_study_spec *sp = mmt_study_args_spec(a);
    sp->outdir = argv[1], sp->jobs = 1;
    sp->figures.formats = MMT_FIG_SVG | MMT_FIG_PNG;
    mmt_study_summary s;
    int r = mmt_study_run(sp, &s, &d);
    mmt_study_args_free(a);
    if (r != 0)
        return fprintf(stderr, "outside_study: %s: %s: %s\n", d.file, mmt_strerror(r), d.message),
               1;
    const double l[2] = {1000, 3000}, f[2] = {1 / 3.0, 1 / 5.0};
    mmt_study_fit fit;
    if (mmt_study_fit_run(l, f, 2, &fit) != 0)
        return fprintf(stderr, "outside_study: the fit failed\n"), 1;
    printf("points %zu\nS100 %.4f\nalpha %.3f beta %.6f\n", s.points, mmt_study_amdahl(0.5, 100),
           fit.alpha, fit.beta);
    return 0;
}
