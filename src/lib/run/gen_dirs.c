/*
 * gen_dirs.c - the run directory of trace generation (mmtrace-gen): the inputs' names checked
 * against what the run writes (mmt_gen_check_inputs), OUTDIR/<run_name>/layer<i>/ made with the
 * lock and the incomplete marker taken before anything changes and the inputs copied beside the
 * reports (mmt_gen_prepare), then every layer folder flushed and the marker removed
 * (mmt_gen_finish).
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Last path component of path. */
static const char *base_of(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

int mmt_gen_check_inputs(const char *cfgp, const char *topop, mmt_diag *d)
{
    const char *src[2] = {cfgp, topop};
    for (int i = 0; i < 2; i++)
        if (mmt_output_name_reserved(base_of(src[i])))
            return mmt__diag(d, MMT_EINVAL, src[i], 0,
                             "the run directory uses the name '%s' itself; rename the file",
                             base_of(src[i]));
    if (!strcmp(base_of(cfgp), base_of(topop)))
        return mmt__diag(d, MMT_EINVAL, topop, 0,
                         "the cfg and the topology have the same file name '%s', and their "
                         "copies in the run directory would overwrite each other; rename one",
                         base_of(topop));
    return 0;
}

/* Makes rundir/layer<i>/ for each layer, then copies the inputs into rundir. */
static int layers_and_inputs(const mmt_run *run, const char *cfgp, const char *topop, mmt_diag *d)
{
    const char *rundir = mmt_run_dir(run);
    int r = 0;
    for (size_t i = 0; r == 0 && i < mmt_run_count(run); i++) {
        char *path = mmt__xfmt("%s/layer%zu", rundir, i);
        r = path ? mmt_mkdirs(path, d) : mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
        free(path);
    }
    const char *src[2] = {cfgp, topop};
    for (int i = 0; r == 0 && i < 2; i++) {
        char *path = mmt__xfmt("%s/%s", rundir, base_of(src[i]));
        r = path ? mmt_copy_file(src[i], path, d)
                 : mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
        free(path);
    }
    return r;
}

int mmt_gen_prepare(const mmt_run *run, const char *cfgp, const char *topop, mmt_diag *d)
{
    const char *rundir = mmt_run_dir(run);
    int r = mmt_mkdirs(rundir, d);
    if (r == 0)
        r = mmt_rundir_lock(rundir, d);
    if (r != 0)
        return r;
    mmt_rundir_clean_stale(rundir); /* temporaries of a killed run; ours are not made yet */
    if ((r = mmt_rundir_mark_incomplete(rundir, MMT_RUN_GEN, d)) != 0)
        return r;
    return layers_and_inputs(run, cfgp, topop, d);
}

int mmt_gen_finish(const mmt_run *run, mmt_diag *d)
{
    for (size_t i = 0; i < mmt_run_count(run); i++) {
        char *path = mmt__xfmt("%s/layer%zu", mmt_run_dir(run), i);
        if (!path)
            return mmt__diag(d, MMT_ENOMEM, "", 0, "out of memory");
        int r =
            mmt_fsync_dir(path) != 0 ? mmt__sys_diag(d, path, 0, "cannot flush to the disk") : 0;
        free(path);
        if (r)
            return r;
    }
    return mmt_rundir_mark_complete(mmt_run_dir(run), d);
}
