/*
 * _mmtrace.c - the CPython extension module mmtrace._mmtrace: a thin layer over libmmtrace
 * (mmtrace.h) and libmmtrace-study (mmtrace_study.h) for the Python package in this folder.
 *
 * Why an extension module and not ctypes or cffi: the library's API passes structs by pointer
 * (mmt_config, mmt_layer, mmt_layer_result, mmt_diag, mmt_llm_model). ctypes would re-declare
 * each layout in Python, unchecked, so a field added to mmtrace.h would shift the others in
 * silence; cffi adds a build step and a dependency of its own. This file includes mmtrace.h,
 * so the compiler checks every field, and it is the only compiled part: setup.py finds the
 * library with pkg-config, and Debian's python3-dev is all it needs. It releases the GIL around
 * every simulation (Py_BEGIN_ALLOW_THREADS), so Python threads run simulations in parallel.
 *
 * Ownership: a config or an LLM model crosses into Python as the bytes of its struct (opaque
 * to Python, rebuilt here); layers go in as tuples and results come out as tuples. Errors
 * raise mmtrace.Error with the diag's file, line and message and the MMT_E* code.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <mmtrace.h>
#include <mmtrace_study.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static PyObject *Error; /* mmtrace.Error */

/* Raises Error from a library code and its diag (file, line, message). */
static PyObject *raise_diag(int code, const mmt_diag *d)
{
    const char *msg = d && d->message[0] ? d->message : mmt_strerror(code);
    const char *file = d ? d->file : "";
    long line = d ? d->line : 0;
    PyObject *text;
    if (file[0] && line > 0)
        text = PyUnicode_FromFormat("%s:%ld: %s", file, line, msg);
    else if (file[0])
        text = PyUnicode_FromFormat("%s: %s", file, msg);
    else
        text = PyUnicode_FromString(msg);
    if (!text)
        return NULL;
    PyObject *e = PyObject_CallOneArg(Error, text);
    Py_DECREF(text);
    if (!e)
        return NULL;
    PyObject *f = file[0] ? PyUnicode_DecodeFSDefault(file) : Py_NewRef(Py_None);
    PyObject *l = line > 0 ? PyLong_FromLong(line) : Py_NewRef(Py_None);
    PyObject *m = PyUnicode_FromString(msg);
    PyObject *c = PyLong_FromLong(code);
    if (f && l && m && c && PyObject_SetAttrString(e, "file", f) == 0 &&
        PyObject_SetAttrString(e, "line", l) == 0 && PyObject_SetAttrString(e, "message", m) == 0 &&
        PyObject_SetAttrString(e, "code", c) == 0)
        PyErr_SetObject(Error, e);
    Py_XDECREF(f), Py_XDECREF(l), Py_XDECREF(m), Py_XDECREF(c), Py_DECREF(e);
    return NULL;
}

/* Raises Error with a message of our own (no file). */
static PyObject *raise_msg(int code, const char *msg)
{
    mmt_diag d = {0};
    snprintf(d.message, sizeof d.message, "%s", msg);
    return raise_diag(code, &d);
}

/* Collects a reader's warnings as (file, line, message) tuples into a list (ud). */
static void collect_warning(void *ud, const mmt_diag *d)
{
    PyObject *t = Py_BuildValue("(sls)", d->file, d->line, d->message);
    if (t) {
        PyList_Append((PyObject *)ud, t);
        Py_DECREF(t);
    } else
        PyErr_Clear();
}

/* ---------------------------------------------------------------- configs */

/* The fields of a config as a dict; "raw" holds the struct itself. */
static PyObject *config_dict(const mmt_config *c, PyObject *warnings)
{
    return Py_BuildValue(
        "{s:y#,s:s,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:L,s:i,s:L,s:s,s:i,s:(iii),s:i,s:i,s:O}", "raw",
        (const char *)c, (Py_ssize_t)sizeof *c, "run_name", c->run_name, "array_h",
        (long long)c->array_h, "array_w", (long long)c->array_w, "ifmap_kb", (long long)c->ifmap_kb,
        "filter_kb", (long long)c->filter_kb, "ofmap_kb", (long long)c->ofmap_kb, "ifmap_offset",
        (long long)c->ifmap_offset, "filter_offset", (long long)c->filter_offset, "ofmap_offset",
        (long long)c->ofmap_offset, "user_bw", c->user_bw, "bandwidth", (long long)c->bandwidth,
        "dataflow", mmt_dataflow_name(c->dataflow), "has_precision", c->has_precision, "bits",
        c->bits_milli[0], c->bits_milli[1], c->bits_milli[2], "v3", c->version == MMT_SCALESIM_V3,
        "v3_format", c->v3_format, "warnings", warnings);
}

/* config_read(path, v3) -> dict: reads a SCALE-Sim .cfg (configparser rules). */
static PyObject *py_config_read(PyObject *self, PyObject *args)
{
    PyObject *path;
    int v3;
    if (!PyArg_ParseTuple(args, "O&p", PyUnicode_FSConverter, &path, &v3))
        return NULL;
    PyObject *warnings = PyList_New(0);
    mmt_config c;
    mmt_diag d = {0};
    int r = warnings ? mmt_config_read_version(PyBytes_AS_STRING(path),
                                               v3 ? MMT_SCALESIM_V3 : MMT_SCALESIM_V2, &c, &d,
                                               collect_warning, warnings)
                     : MMT_ENOMEM;
    Py_DECREF(path);
    PyObject *out = r == 0 ? config_dict(&c, warnings) : (warnings ? raise_diag(r, &d) : NULL);
    Py_XDECREF(warnings);
    return out;
}

/* config_parse(name, text, v3) -> dict: the same for a .cfg held in a string. */
static PyObject *py_config_parse(PyObject *self, PyObject *args)
{
    const char *name, *text;
    Py_ssize_t len;
    int v3;
    if (!PyArg_ParseTuple(args, "ss#p", &name, &text, &len, &v3))
        return NULL;
    PyObject *warnings = PyList_New(0);
    if (!warnings)
        return NULL;
    mmt_config c;
    mmt_diag d = {0};
    int r =
        mmt_config_parse_version(name, text, (size_t)len, v3 ? MMT_SCALESIM_V3 : MMT_SCALESIM_V2,
                                 &c, &d, collect_warning, warnings);
    PyObject *out = r == 0 ? config_dict(&c, warnings) : raise_diag(r, &d);
    Py_DECREF(warnings);
    return out;
}

/* Copies the struct out of a config's "raw" bytes. */
static int config_from_raw(PyObject *raw, mmt_config *c)
{
    char *p;
    Py_ssize_t n;
    if (PyBytes_AsStringAndSize(raw, &p, &n) != 0)
        return -1;
    if ((size_t)n != sizeof *c) {
        PyErr_SetString(PyExc_ValueError, "not a config of this build of libmmtrace");
        return -1;
    }
    memcpy(c, p, sizeof *c);
    /* made by config_dict from a reader's result; refuse bytes that were not */
    if ((unsigned)c->dataflow > MMT_DF_IS || (unsigned)c->version > MMT_SCALESIM_V3 ||
        !memchr(c->run_name, 0, sizeof c->run_name)) {
        PyErr_SetString(PyExc_ValueError, "not a config read by libmmtrace");
        return -1;
    }
    return 0;
}

/* config_dataflow(raw, df) -> raw: the config with another dataflow ("os", "ws", "is"). */
static PyObject *py_config_dataflow(PyObject *self, PyObject *args)
{
    PyObject *raw;
    const char *df;
    mmt_config c;
    if (!PyArg_ParseTuple(args, "Ss", &raw, &df) || config_from_raw(raw, &c) != 0)
        return NULL;
    for (int i = 0; i < 3; i++)
        if (strcmp(df, mmt_dataflow_name((mmt_dataflow)i)) == 0) {
            c.dataflow = (mmt_dataflow)i;
            return PyBytes_FromStringAndSize((const char *)&c, sizeof c);
        }
    PyErr_Format(PyExc_ValueError, "dataflow must be 'os', 'ws' or 'is', not '%s'", df);
    return NULL;
}

/* ---------------------------------------------------------------- topologies */

/* Layer i of a topology as (name, H, W, FH, FW, C, N, SH, SW, line). */
static PyObject *layer_tuple(const mmt_layer *l)
{
    return Py_BuildValue("(sLLLLLLLLl)", l->name ? l->name : "", (long long)l->ifmap_h,
                         (long long)l->ifmap_w, (long long)l->filt_h, (long long)l->filt_w,
                         (long long)l->channels, (long long)l->num_filt, (long long)l->stride_h,
                         (long long)l->stride_w, l->line);
}

/* The layers of a topology as a list of layer tuples, and the warnings. */
static PyObject *topology_list(mmt_topology *t, PyObject *warnings)
{
    size_t n = mmt_topology_count(t);
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *x = layer_tuple(mmt_topology_layer(t, i));
        if (!x)
            Py_CLEAR(list);
        else
            PyList_SET_ITEM(list, (Py_ssize_t)i, x);
    }
    mmt_topology_free(t);
    if (!list)
        return NULL;
    PyObject *out = Py_BuildValue("(OO)", list, warnings);
    Py_DECREF(list);
    return out;
}

/* topology_read(path, gemm, v3) -> (layers, warnings): SCALE-Sim's topology CSV reader. */
static PyObject *py_topology_read(PyObject *self, PyObject *args)
{
    PyObject *path;
    int gemm, v3;
    if (!PyArg_ParseTuple(args, "O&pp", PyUnicode_FSConverter, &path, &gemm, &v3))
        return NULL;
    PyObject *warnings = PyList_New(0);
    mmt_topology *t = NULL;
    mmt_diag d = {0};
    int r = warnings ? mmt_topology_read_version(PyBytes_AS_STRING(path), gemm,
                                                 v3 ? MMT_SCALESIM_V3 : MMT_SCALESIM_V2, &t, &d,
                                                 collect_warning, warnings)
                     : MMT_ENOMEM;
    Py_DECREF(path);
    PyObject *out = r == 0 ? topology_list(t, warnings) : (warnings ? raise_diag(r, &d) : NULL);
    Py_XDECREF(warnings);
    return out;
}

/* topology_parse(name, text, gemm, v3) -> (layers, warnings). */
static PyObject *py_topology_parse(PyObject *self, PyObject *args)
{
    const char *name, *text;
    Py_ssize_t len;
    int gemm, v3;
    if (!PyArg_ParseTuple(args, "ss#pp", &name, &text, &len, &gemm, &v3))
        return NULL;
    PyObject *warnings = PyList_New(0);
    if (!warnings)
        return NULL;
    mmt_topology *t = NULL;
    mmt_diag d = {0};
    int r = mmt_topology_parse_version(name, text, (size_t)len, gemm,
                                       v3 ? MMT_SCALESIM_V3 : MMT_SCALESIM_V2, &t, &d,
                                       collect_warning, warnings);
    PyObject *out = r == 0 ? topology_list(t, warnings) : raise_diag(r, &d);
    Py_DECREF(warnings);
    return out;
}

/* ---------------------------------------------------------------- simulation */

/* One simulation over many layers, shared by the pool's threads. */
typedef struct simjob {
    mmt_config cfg;
    mmt_layer *layers;
    char **names;      /* the layers' names (for messages), owned */
    char *(*paths)[6]; /* per layer: 3 SRAM then 3 DRAM trace paths, or NULL */
    size_t n;
    mmt_engine engine;
    int py311, level;
    mmt_layer_result *res;
    pthread_mutex_t lock;
    size_t bad; /* lowest failed layer, n if none */
    int code;
    mmt_diag diag;
} simjob;

/* Pool job: simulates layer i; on failure records it if it is the lowest so far. */
static int sim_layer(void *ud, size_t i)
{
    simjob *J = ud;
    mmt_diag d = {0};
    mmt_geom g;
    mmt_sim_opts o = {
        .gzip_level = J->level, .py311_sum = J->py311, .engine = J->engine, .diag = &d};
    if (J->paths)
        for (int k = 0; k < 3; k++) {
            o.sram_trace_path[k] = J->paths[i][k];
            o.dram_trace_path[k] = J->paths[i][3 + k];
        }
    int r = mmt_geom_init(&g, &J->layers[i], &J->cfg, &d);
    if (r == 0)
        r = mmt_sim_check(&J->cfg, &g, J->layers[i].line, &d);
    if (r == 0) {
        d.message[0] = 0;
        r = mmt_sim_run(&J->cfg, &g, &o, &J->res[i]);
        if (r && !d.message[0])
            snprintf(d.message, sizeof d.message, "%s",
                     r == MMT_EINVAL && J->engine == MMT_ENGINE_FOLDS
                         ? "the fold engine cannot run this layer exactly (engine='folds')"
                         : mmt_strerror(r));
    }
    if (r) {
        pthread_mutex_lock(&J->lock);
        if (i < J->bad) {
            J->bad = i, J->code = r, J->diag = d;
            if (!d.file[0] && !d.line)
                J->diag.line = J->layers[i].line;
        }
        pthread_mutex_unlock(&J->lock);
    }
    return r;
}

/* A result as a tuple: total_cycles, stall_cycles, overall_util, mapping_eff, compute_util,
 * macs, has_sram, sram_start, sram_stop, sram_count, dram_start, dram_stop, dram_count (the
 * last seven are 3-tuples by operand). */
static PyObject *result_tuple(const mmt_layer_result *r)
{
#define T3(a) (long long)(a)[0], (long long)(a)[1], (long long)(a)[2]
    return Py_BuildValue("(LLdddL(iii)(LLL)(LLL)(LLL)(LLL)(LLL)(LLL))", (long long)r->total_cycles,
                         (long long)r->stall_cycles, r->overall_util, r->mapping_eff,
                         r->compute_util, (long long)r->macs, r->has_sram[0], r->has_sram[1],
                         r->has_sram[2], T3(r->sram_start), T3(r->sram_stop), T3(r->sram_count),
                         T3(r->dram_start), T3(r->dram_stop), T3(r->dram_count));
#undef T3
}

/* The reverse of result_tuple. */
static int result_from_tuple(PyObject *t, mmt_layer_result *r)
{
    memset(r, 0, sizeof *r);
    long long tc, sc, macs, a[6][3];
    int h[3];
    if (!PyArg_ParseTuple(t, "LLdddL(iii)(LLL)(LLL)(LLL)(LLL)(LLL)(LLL)", &tc, &sc,
                          &r->overall_util, &r->mapping_eff, &r->compute_util, &macs, &h[0], &h[1],
                          &h[2], &a[0][0], &a[0][1], &a[0][2], &a[1][0], &a[1][1], &a[1][2],
                          &a[2][0], &a[2][1], &a[2][2], &a[3][0], &a[3][1], &a[3][2], &a[4][0],
                          &a[4][1], &a[4][2], &a[5][0], &a[5][1], &a[5][2]))
        return -1;
    r->total_cycles = tc, r->stall_cycles = sc, r->macs = macs;
    for (int k = 0; k < 3; k++) {
        r->has_sram[k] = h[k];
        r->sram_start[k] = a[0][k], r->sram_stop[k] = a[1][k], r->sram_count[k] = a[2][k];
        r->dram_start[k] = a[3][k], r->dram_stop[k] = a[4][k], r->dram_count[k] = a[5][k];
    }
    return 0;
}

/* Fills layer l from a layer tuple (name, H, W, FH, FW, C, N, SH, SW, line); *name gets a
 * copy of the name, which the caller frees. */
static int layer_from_tuple(PyObject *t, mmt_layer *l, char **name)
{
    const char *s;
    long long v[8];
    long line;
    if (!PyArg_ParseTuple(t, "sLLLLLLLLl", &s, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
                          &v[7], &line))
        return -1;
    if (!(*name = strdup(s))) {
        PyErr_NoMemory();
        return -1;
    }
    *l = (mmt_layer){.name = *name,
                     .ifmap_h = v[0],
                     .ifmap_w = v[1],
                     .filt_h = v[2],
                     .filt_w = v[3],
                     .channels = v[4],
                     .num_filt = v[5],
                     .stride_h = v[6],
                     .stride_w = v[7],
                     .line = line};
    return 0;
}

/* Frees what a simjob owns. */
static void simjob_free(simjob *J)
{
    for (size_t i = 0; J->names && i < J->n; i++)
        free(J->names[i]);
    for (size_t i = 0; J->paths && i < J->n; i++)
        for (int k = 0; k < 6; k++)
            free(J->paths[i][k]);
    free(J->names), free(J->paths), free(J->layers), free(J->res);
    pthread_mutex_destroy(&J->lock);
}

/* Reads the per-layer trace paths (a list of 6-tuples of str or None) into J. */
static int simjob_paths(simjob *J, PyObject *paths)
{
    if (PyList_Size(paths) != (Py_ssize_t)J->n) {
        PyErr_SetString(PyExc_ValueError, "one tuple of six trace paths per layer");
        return -1;
    }
    if (!(J->paths = calloc(J->n ? J->n : 1, sizeof *J->paths))) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < J->n; i++) {
        PyObject *t = PyList_GET_ITEM(paths, (Py_ssize_t)i);
        if (!PyTuple_Check(t) || PyTuple_GET_SIZE(t) != 6) {
            PyErr_SetString(PyExc_ValueError, "one tuple of six trace paths per layer");
            return -1;
        }
        for (int k = 0; k < 6; k++) {
            PyObject *p = PyTuple_GET_ITEM(t, k), *b = NULL;
            if (p == Py_None)
                continue;
            if (!PyUnicode_FSConverter(p, &b))
                return -1;
            J->paths[i][k] = strdup(PyBytes_AS_STRING(b));
            Py_DECREF(b);
            if (!J->paths[i][k]) {
                PyErr_NoMemory();
                return -1;
            }
        }
    }
    return 0;
}

/* simulate(raw, layers, engine, jobs, py311, paths, level, topo) -> list of result tuples.
 * Simulates every layer (fused model; with paths, also writing each layer's six traces,
 * gzip), on up to `jobs` threads, without the GIL. A failure raises Error for the failed
 * layer of lowest index, naming the file topo (may be "") at the layer's line. */
static PyObject *py_simulate(PyObject *self, PyObject *args)
{
    PyObject *raw, *layers, *paths;
    const char *engine, *topo;
    long jobs;
    int py311, level;
    if (!PyArg_ParseTuple(args, "SO!slpOis", &raw, &PyList_Type, &layers, &engine, &jobs, &py311,
                          &paths, &level, &topo))
        return NULL;
    simjob J = {.n = (size_t)PyList_GET_SIZE(layers), .py311 = py311, .level = level};
    pthread_mutex_init(&J.lock, NULL);
    J.bad = J.n;
    PyObject *out = NULL;
    if (config_from_raw(raw, &J.cfg) != 0)
        goto done;
    if (mmt_engine_parse(engine, &J.engine) != 0) {
        PyErr_Format(PyExc_ValueError, "engine must be 'auto', 'rows' or 'folds', not '%s'",
                     engine);
        goto done;
    }
    size_t cap = J.n ? J.n : 1;
    J.layers = calloc(cap, sizeof *J.layers), J.names = calloc(cap, sizeof *J.names);
    J.res = calloc(cap, sizeof *J.res);
    if (!J.layers || !J.names || !J.res) {
        PyErr_NoMemory();
        goto done;
    }
    for (size_t i = 0; i < J.n; i++)
        if (layer_from_tuple(PyList_GET_ITEM(layers, (Py_ssize_t)i), &J.layers[i], &J.names[i]))
            goto done;
    if (paths != Py_None && simjob_paths(&J, paths) != 0)
        goto done;
    int r = 0;
    Py_BEGIN_ALLOW_THREADS if (jobs <= 1 ||
                               J.n == 1) /* on this thread: no thread to start for one layer */
        for (size_t i = 0; i < J.n && r == 0; i++) r = sim_layer(&J, i);
    else r = mmt_pool_run(J.n, jobs, sim_layer, &J, NULL, NULL);
    Py_END_ALLOW_THREADS if (r)
    {
        if (J.bad == J.n) /* not reached: a failing job records itself */
            J.code = r;
        if (J.bad < J.n && !strstr(J.diag.message, "layer")) {
            char m[sizeof J.diag.message];
            snprintf(m, sizeof m, "layer %zu (%.100s): %.380s", J.bad, J.names[J.bad],
                     J.diag.message);
            memcpy(J.diag.message, m, sizeof m);
        }
        if (!J.diag.file[0] && J.diag.line > 0)
            snprintf(J.diag.file, sizeof J.diag.file, "%s", topo);
        raise_diag(J.code, &J.diag);
        goto done;
    }
    out = PyList_New((Py_ssize_t)J.n);
    for (size_t i = 0; out && i < J.n; i++) {
        PyObject *t = result_tuple(&J.res[i]);
        if (!t)
            Py_CLEAR(out);
        else
            PyList_SET_ITEM(out, (Py_ssize_t)i, t);
    }
done:
    simjob_free(&J);
    return out;
}

/* Fills a result array from a list of result tuples; the caller frees *res. */
static int results_from_list(PyObject *list, mmt_layer_result **res, size_t *n)
{
    if (!PyList_Check(list)) {
        PyErr_SetString(PyExc_TypeError, "a list of results");
        return -1;
    }
    *n = (size_t)PyList_GET_SIZE(list);
    if (!(*res = calloc(*n ? *n : 1, sizeof **res))) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < *n; i++)
        if (result_from_tuple(PyList_GET_ITEM(list, (Py_ssize_t)i), &(*res)[i]) != 0) {
            free(*res);
            return -1;
        }
    return 0;
}

/* report_write(dir, results, v3, sync): SCALE-Sim's three reports, each staged and renamed
 * into place; flushed to the disk first when sync is true (mmt_report_write_flags). */
static PyObject *py_report_write(PyObject *self, PyObject *args)
{
    PyObject *dir, *list;
    int v3, sync;
    if (!PyArg_ParseTuple(args, "O&Opp", PyUnicode_FSConverter, &dir, &list, &v3, &sync))
        return NULL;
    mmt_layer_result *res = NULL;
    size_t n;
    PyObject *out = NULL;
    if (results_from_list(list, &res, &n) == 0) {
        mmt_diag d = {0};
        int r;
        Py_BEGIN_ALLOW_THREADS r = mmt_report_write_flags(PyBytes_AS_STRING(dir), res, n,
                                                          v3 ? MMT_SCALESIM_V3 : MMT_SCALESIM_V2,
                                                          sync ? 0 : MMT_WRITE_NOSYNC, &d);
        Py_END_ALLOW_THREADS out = r == 0 ? Py_NewRef(Py_None) : raise_diag(r, &d);
        free(res);
    }
    Py_DECREF(dir);
    return out;
}

/* report_format(which, results) -> str: report 0 COMPUTE, 1 BANDWIDTH, 2 DETAILED_ACCESS. */
static PyObject *py_report_format(PyObject *self, PyObject *args)
{
    PyObject *list;
    int which;
    if (!PyArg_ParseTuple(args, "iO", &which, &list))
        return NULL;
    mmt_layer_result *res = NULL;
    size_t n, len = 0;
    if (results_from_list(list, &res, &n) != 0)
        return NULL;
    char *text = NULL;
    int r = mmt_report_format(which, res, n, &text, &len);
    free(res);
    if (r != 0)
        return raise_msg(r, mmt_strerror(r));
    PyObject *out = PyUnicode_FromStringAndSize(text, (Py_ssize_t)len);
    free(text);
    return out;
}

/* console(result, v3) -> str: SCALE-Sim's console summary of one layer. */
static PyObject *py_console(PyObject *self, PyObject *args)
{
    PyObject *t;
    int v3;
    mmt_layer_result r;
    if (!PyArg_ParseTuple(args, "Op", &t, &v3) || result_from_tuple(t, &r) != 0)
        return NULL;
    char buf[4096];
    int n = mmt_report_console_version(buf, sizeof buf, &r, v3 ? MMT_SCALESIM_V3 : MMT_SCALESIM_V2);
    if (n < 0)
        return raise_msg(n, mmt_strerror(n));
    return PyUnicode_FromStringAndSize(buf, n);
}

/* ---------------------------------------------------------------- LLM lowering */

/* A model as (raw, name, family). */
static PyObject *model_tuple(const mmt_llm_model *m)
{
    return Py_BuildValue("(y#ss)", (const char *)m, (Py_ssize_t)sizeof *m, m->name, m->family);
}

/* llm_presets() -> list of the preset names (the paper's 13 first). */
static PyObject *py_llm_presets(PyObject *self, PyObject *noargs)
{
    size_t n = mmt_llm_preset_count_all();
    PyObject *list = PyList_New(0);
    for (size_t i = 0; list && i < n; i++) {
        PyObject *s = PyUnicode_FromString(mmt_llm_preset_at(i)->name);
        if (!s || PyList_Append(list, s) != 0)
            Py_CLEAR(list);
        Py_XDECREF(s);
    }
    return list;
}

/* llm_model(name_or_path, is_path) -> (raw, name, family): a preset or a config.json. */
static PyObject *py_llm_model(PyObject *self, PyObject *args)
{
    PyObject *arg;
    int is_path;
    if (!PyArg_ParseTuple(args, "O&p", PyUnicode_FSConverter, &arg, &is_path))
        return NULL;
    mmt_llm_model m;
    mmt_diag d = {0};
    int r;
    if (is_path)
        r = mmt_llm_config_read(PyBytes_AS_STRING(arg), &m, &d);
    else if ((r = mmt_llm_preset(PyBytes_AS_STRING(arg), &m)) != 0)
        snprintf(d.message, sizeof d.message,
                 "no preset model '%.200s' (mmtrace.presets() lists them)", PyBytes_AS_STRING(arg));
    Py_DECREF(arg);
    return r == 0 ? model_tuple(&m) : raise_diag(r, &d);
}

/* llm_lower(raw, phase, seq, batch, ffn, attention, expand_heads) -> (rows, warnings): rows
 * (name, part, count, M, N, K, layers). ffn: -1 the model's own, 0 plain, 1 gated. */
static PyObject *py_llm_lower(PyObject *self, PyObject *args)
{
    PyObject *raw;
    int phase, ffn, attn, expand;
    long long seq, batch;
    if (!PyArg_ParseTuple(args, "SiLLiip", &raw, &phase, &seq, &batch, &ffn, &attn, &expand))
        return NULL;
    mmt_llm_model m;
    if (PyBytes_GET_SIZE(raw) != (Py_ssize_t)sizeof m) {
        PyErr_SetString(PyExc_ValueError, "not a model of this build of libmmtrace");
        return NULL;
    }
    memcpy(&m, PyBytes_AS_STRING(raw), sizeof m);
    mmt_llm_opts o = {.phase = (mmt_llm_phase)phase,
                      .seq = seq,
                      .batch = batch,
                      .ffn = ffn < 0 ? m.ffn : (mmt_llm_ffn)ffn,
                      .expand_heads = expand,
                      .attention = (mmt_llm_attn)attn};
    PyObject *warnings = PyList_New(0);
    if (!warnings)
        return NULL;
    mmt_llm_block *b = NULL;
    mmt_diag d = {0};
    int r = mmt_llm_lower(&m, &o, &b, &d, collect_warning, warnings);
    if (r != 0) {
        Py_DECREF(warnings);
        return raise_diag(r, &d);
    }
    PyObject *rows = PyList_New((Py_ssize_t)b->n);
    for (size_t i = 0; rows && i < b->n; i++) {
        const mmt_llm_layer *l = &b->layers[i];
        PyObject *t =
            Py_BuildValue("(ssLLLLL)", l->name, mmt_llm_part_name(l->part), (long long)l->count,
                          (long long)l->M, (long long)l->N, (long long)l->K, (long long)l->layers);
        if (!t)
            Py_CLEAR(rows);
        else
            PyList_SET_ITEM(rows, (Py_ssize_t)i, t);
    }
    mmt_llm_block_free(b);
    PyObject *out = rows ? Py_BuildValue("(OO)", rows, warnings) : NULL;
    Py_XDECREF(rows);
    Py_DECREF(warnings);
    return out;
}

/* ---------------------------------------------------------------- study */

/* study(options, outdir, jobs, cache_dir, engine, v3) -> summary dict. options: a list of
 * (option, value) pairs as mmtrace-replay --study takes them ("--hw", "cloud,edge"); the
 * study runs without the GIL and writes OUTDIR/results.csv and the other tables. */
static PyObject *py_study(PyObject *self, PyObject *args)
{
    PyObject *opts, *outdir, *cache;
    long jobs;
    const char *engine;
    int v3;
    if (!PyArg_ParseTuple(args, "O!O&lOsp", &PyList_Type, &opts, PyUnicode_FSConverter, &outdir,
                          &jobs, &cache, &engine, &v3))
        return NULL;
    mmt_scalesim v = v3 ? MMT_SCALESIM_V3 : MMT_SCALESIM_V2;
    mmt_study_args *a = NULL;
    PyObject *warnings = PyList_New(0), *cachebytes = NULL, *out = NULL;
    mmt_diag d = {0};
    mmt_engine e;
    int r, have_hw = 0;
    if (!warnings)
        goto done;
    if (mmt_engine_parse(engine, &e) != 0) {
        PyErr_Format(PyExc_ValueError, "engine must be 'auto', 'rows' or 'folds', not '%s'",
                     engine);
        goto done;
    }
    if (cache != Py_None && !PyUnicode_FSConverter(cache, &cachebytes))
        goto done;
    if ((r = mmt_study_args_new(&a)) != 0) {
        raise_msg(r, mmt_strerror(r));
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(opts); i++) {
        const char *opt, *val;
        if (!PyArg_ParseTuple(PyList_GET_ITEM(opts, i), "ss", &opt, &val))
            goto done;
        have_hw |= strcmp(opt, "--hw") == 0;
        if ((r = mmt_study_args_set(a, opt, val, v, collect_warning, warnings, &d)) != 0) {
            raise_diag(r, &d);
            goto done;
        }
    }
    if ((!have_hw && (r = mmt_study_args_set(a, "--hw", "cloud,edge", v, collect_warning, warnings,
                                             &d)) != 0) ||
        (r = mmt_study_args_check(a, &d)) != 0) {
        raise_diag(r, &d);
        goto done;
    }
    mmt_study_spec *sp = mmt_study_args_spec(a);
    sp->outdir = PyBytes_AS_STRING(outdir);
    sp->jobs = jobs < 1 ? 1 : jobs;
    sp->cache_dir = cachebytes ? PyBytes_AS_STRING(cachebytes) : NULL;
    sp->engine = (int)e;
    mmt_study_summary s = {0};
    Py_BEGIN_ALLOW_THREADS r = mmt_study_run(sp, &s, &d);
    Py_END_ALLOW_THREADS if (r != 0)
    {
        raise_diag(r, &d);
        goto done;
    }
    out = Py_BuildValue("{s:n,s:n,s:n,s:n,s:n,s:n,s:n,s:O}", "points", (Py_ssize_t)s.points,
                        "layers", (Py_ssize_t)s.layers, "distinct", (Py_ssize_t)s.distinct,
                        "cached", (Py_ssize_t)s.cached, "simulated", (Py_ssize_t)s.simulated,
                        "past_ctx", (Py_ssize_t)s.past_ctx, "corrupt", (Py_ssize_t)s.corrupt,
                        "warnings", warnings);
done:
    mmt_study_args_free(a);
    Py_XDECREF(warnings);
    Py_XDECREF(cachebytes);
    Py_DECREF(outdir);
    return out;
}

/* study_cache_default() -> str: the layer cache directory the CLI uses by default. */
static PyObject *py_study_cache_default(PyObject *self, PyObject *noargs)
{
    char buf[4096];
    if (mmt_study_cache_default(buf, sizeof buf) != 0)
        return raise_msg(MMT_EINVAL, "no cache directory: set XDG_CACHE_HOME or HOME");
    return PyUnicode_DecodeFSDefault(buf);
}

/* version() -> str: the library's version. */
static PyObject *py_version(PyObject *self, PyObject *noargs)
{
    return PyUnicode_FromString(mmt_version());
}

static PyMethodDef methods[] = {
    {"config_read", py_config_read, METH_VARARGS, "config_read(path, v3) -> dict"},
    {"config_parse", py_config_parse, METH_VARARGS, "config_parse(name, text, v3) -> dict"},
    {"config_dataflow", py_config_dataflow, METH_VARARGS, "config_dataflow(raw, df) -> raw"},
    {"topology_read", py_topology_read, METH_VARARGS,
     "topology_read(path, gemm, v3) -> (layers, warnings)"},
    {"topology_parse", py_topology_parse, METH_VARARGS,
     "topology_parse(name, text, gemm, v3) -> (layers, warnings)"},
    {"simulate", py_simulate, METH_VARARGS,
     "simulate(raw, layers, engine, jobs, py311, paths, level, topo) -> results"},
    {"report_write", py_report_write, METH_VARARGS, "report_write(dir, results, v3, sync)"},
    {"report_format", py_report_format, METH_VARARGS, "report_format(which, results) -> str"},
    {"console", py_console, METH_VARARGS, "console(result, v3) -> str"},
    {"llm_presets", py_llm_presets, METH_NOARGS, "llm_presets() -> list of names"},
    {"llm_model", py_llm_model, METH_VARARGS, "llm_model(name_or_path, is_path) -> model"},
    {"llm_lower", py_llm_lower, METH_VARARGS,
     "llm_lower(raw, phase, seq, batch, ffn, attention, expand_heads) -> (rows, warnings)"},
    {"study", py_study, METH_VARARGS,
     "study(options, outdir, jobs, cache_dir, engine, v3) -> summary"},
    {"study_cache_default", py_study_cache_default, METH_NOARGS, "the default layer cache"},
    {"version", py_version, METH_NOARGS, "version() -> the library's version"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "mmtrace._mmtrace",
                                    "libmmtrace for the mmtrace package (internal).", -1, methods};

PyMODINIT_FUNC PyInit__mmtrace(void)
{
    PyObject *m = PyModule_Create(&module);
    if (!m)
        return NULL;
    Error = PyErr_NewExceptionWithDoc(
        "mmtrace.Error",
        "An error of libmmtrace: .file and .line (None when not known) name the input at fault,\n"
        ".message says why, .code is the library's MMT_E* code (negative).",
        NULL, NULL);
    if (!Error || PyModule_AddObjectRef(m, "Error", Error) != 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
