/*
 * figure.c - the study's figures, drawn in-process with cairo: a heat map with a colour bar, a
 * line plot with its legend under it, and small multiples. Each figure is drawn onto a cairo
 * recording surface, laid out from the text extents of its own font (DejaVu Sans through
 * fontconfig, unhinted metrics); the recording is replayed onto the PNG's image surface, and
 * the same drawing code draws again onto an SVG or PDF surface (cairo 1.16 leaks a recording
 * replayed onto those). Each format is written to memory and put into place with
 * mmt__write_file_atomic (the study's write batch). Beside each figure goes the CSV of exactly
 * the numbers drawn.
 *
 * Units: points (1/72 in) at print size. Every text drawn is kept as a box (its logical
 * extents: advance x font height), so that mmt__fig_check can say whether a text leaves the
 * canvas or overlaps another (tests/unit/test_figure.c checks every figure type).
 */
#include "internal.h"
#include "fig_internal.h"
#include "mmtrace_study.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define FONT "DejaVu Sans"

int mmt__fig_strict; /* tests: a layout with clipped or overlapping text is an error */
atomic_int mmt__fig_notes;

/* Sizes of one preset: canvas width, font sizes, the plot's aspect ratio, PNG resolution. */
typedef struct preset {
    double W, tick, label, title, legend, note, aspect, dpi, pad;
} preset;
static const preset presets[2] = {
    {504, 8, 9, 10, 8, 7.5, 0.55, 150, 5},  /* MMT_FIG_PAGE: 7 in */
    {237.6, 7, 7.5, 8, 7, 7, 0.68, 300, 3}, /* MMT_FIG_COLUMN: 3.3 in */
};

/* One figure being drawn. */
typedef struct fig {
    cairo_t *cr;
    cairo_font_options_t *fo; /* unhinted metrics: the same text extents on every surface */
    const preset *P;
    int titles;
    double H; /* the canvas height, known once the layout is done */
    mmt__fig_box *box;
    size_t nbox, capbox;
    int bad;  /* out of memory while keeping boxes */
    int flat; /* drawn as a note: the data have one value */
} fig;

/* Growable bytes: one encoded figure in memory. */
typedef struct bytes {
    unsigned char *p;
    size_t n, cap;
    int bad;
} bytes;

/* cairo's write callback: appends to a bytes. */
static cairo_status_t put(void *ud, const unsigned char *data, unsigned int len)
{
    bytes *b = ud;
    if (b->bad)
        return CAIRO_STATUS_WRITE_ERROR;
    if (b->n + len > b->cap) {
        size_t nc = (b->cap ? 2 * b->cap : 65536) + len;
        unsigned char *np = realloc(b->p, nc);
        if (!np)
            return b->bad = 1, CAIRO_STATUS_NO_MEMORY;
        b->p = np, b->cap = nc;
    }
    memcpy(b->p + b->n, data, len);
    b->n += len;
    return CAIRO_STATUS_SUCCESS;
}

/* Keeps a text's box (x, y top left, w x h) for the checks. */
static void keep_box(fig *F, double x, double y, double w, double h, const char *s)
{
    if (F->nbox == F->capbox) {
        size_t nc = F->capbox ? 2 * F->capbox : 64;
        mmt__fig_box *nb = realloc(F->box, nc * sizeof *nb);
        if (!nb) {
            F->bad = 1;
            return;
        }
        F->box = nb, F->capbox = nc;
    }
    mmt__fig_box *b = &F->box[F->nbox++];
    b->x = x, b->y = y, b->w = w, b->h = h;
    snprintf(b->text, sizeof b->text, "%s", s);
}

/* Sets the font: size in points, bold or not. */
static void font(fig *F, double size, int bold)
{
    cairo_select_font_face(F->cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(F->cr, size);
    if (F->fo)
        cairo_set_font_options(F->cr, F->fo);
}

/* Width of s in the current font. */
static double tw(fig *F, const char *s)
{
    cairo_text_extents_t e;
    cairo_text_extents(F->cr, s, &e);
    return e.x_advance;
}

/* Height of a line of the current font (ascent + descent). */
static double lh(fig *F)
{
    cairo_font_extents_t e;
    cairo_font_extents(F->cr, &e);
    return e.ascent + e.descent;
}

/* Draws s in the current font with its box's point (ha, va) at (x, y): ha 0 left, 0.5 centre,
 * 1 right; va 0 top, 0.5 middle, 1 bottom. up: rotated to read upwards (the box is then
 * turned too: ha runs along the text, bottom to top). */
static void text(fig *F, double x, double y, double ha, double va, int up, const char *s)
{
    cairo_font_extents_t fe;
    cairo_font_extents(F->cr, &fe);
    double w = tw(F, s), h = fe.ascent + fe.descent;
    cairo_save(F->cr);
    cairo_set_source_rgb(F->cr, 0, 0, 0);
    if (!up) {
        double bx = x - ha * w, by = y - va * h;
        keep_box(F, bx, by, w, h, s);
        cairo_move_to(F->cr, bx, by + fe.ascent);
    } else {
        double bx = x - va * h, by = y + ha * w - w; /* the box, upright: h wide, w tall */
        keep_box(F, bx, by, h, w, s);
        cairo_move_to(F->cr, bx + fe.ascent, by + w);
        cairo_rotate(F->cr, -M_PI / 2);
    }
    cairo_show_text(F->cr, s);
    cairo_restore(F->cr);
}

/* Splits s into lines no wider than maxw in the current font (at spaces; a longer word stays
 * whole). Fills up to 6 lines into line[] (each up to 255 bytes) and returns their number. */
static int wrap(fig *F, const char *s, double maxw, char line[6][256])
{
    int k = 0;
    line[0][0] = '\0';
    while (*s == ' ')
        s++;
    while (*s && k < 6) {
        const char *e = s, *best = NULL;
        char t[256];
        for (;;) {
            const char *n = e;
            while (*n && *n != ' ')
                n++;
            snprintf(t, sizeof t, "%.*s", (int)(n - s), s);
            if (best && tw(F, t) > maxw)
                break;
            best = n;
            if (!*n || n - s > 250)
                break;
            e = n + 1;
        }
        snprintf(line[k++], 256, "%.*s", (int)(best - s), s);
        for (s = best; *s == ' '; s++) {
        }
    }
    return k;
}

/* Draws s centred at x from y down, wrapped to maxw; returns the y under it. */
static double para(fig *F, double x, double y, double maxw, const char *s)
{
    char line[6][256];
    int k = wrap(F, s, maxw, line);
    double h = lh(F);
    for (int i = 0; i < k; i++, y += h)
        text(F, x, y, 0.5, 0, 0, line[i]);
    return y;
}

/* The title (unless no_titles) and the note under it, centred; returns the y under them. */
static double heading(fig *F, const char *title, const char *note)
{
    double W = F->P->W, y = F->P->pad;
    if (title && F->titles) {
        font(F, F->P->title, 1);
        y = para(F, W / 2, y, W - 2 * F->P->pad, title) + 2;
    }
    if (note) {
        font(F, F->P->note, 0);
        y = para(F, W / 2, y, W - 2 * F->P->pad, note) + 2;
    }
    return y + 3;
}

/* ---------------------------------------------------------------- axes */

/* A "nice" tick step giving about n ticks over span. */
static double tick_step(double span, int n)
{
    double raw = span / n, mag = pow(10, floor(log10(raw))), m = raw / mag;
    return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * mag;
}

/* The axes of a plot or grid panel. */
typedef struct axes {
    double xmin, xmax, ymin, ymax;
    int logx;
    double x0, y0, w, h; /* the plot area on the canvas */
} axes;

static double ax_x(const axes *A, double x)
{
    double f = A->logx ? (log2(x) - log2(A->xmin)) / (log2(A->xmax) - log2(A->xmin))
                       : (x - A->xmin) / (A->xmax - A->xmin);
    return A->x0 + f * A->w;
}

static double ax_y(const axes *A, double y)
{
    return A->y0 + A->h - (y - A->ymin) / (A->ymax - A->ymin) * A->h;
}

/* A tick label: 32k for 32768 on a log2 axis, else %g. */
static void tick_label(double v, int logx, char *s, size_t cap)
{
    if (logx && v >= 1024 && fmod(v, 1024) == 0)
        snprintf(s, cap, "%gk", v / 1024);
    else
        snprintf(s, cap, "%g", fabs(v) < 1e-12 ? 0 : v);
}

/* The x ticks: up to 64 values into v; every k-th is labelled, k chosen so that labels of the
 * current font keep 4 pt apart over width w. Returns the number of ticks. */
static int x_ticks(fig *F, const axes *A, double w, double *v, int *every)
{
    int n = 0;
    char s[32];
    for (int want = 8; want >= 2; want--) {
        n = 0;
        double sx = A->logx ? 0 : tick_step(A->xmax - A->xmin, want);
        double t = A->logx ? exp2(ceil(log2(A->xmin) - 1e-9)) : ceil(A->xmin / sx - 1e-9) * sx;
        for (; t <= A->xmax * (1 + 1e-9) + 1e-12 && n < 64; t = A->logx ? t * 2 : t + sx)
            v[n++] = t;
        double maxw = 0;
        for (int i = 0; i < n; i++) {
            tick_label(v[i], A->logx, s, sizeof s);
            maxw = fmax(maxw, tw(F, s));
        }
        double gap = n > 1 ? w / (A->logx ? log2(A->xmax / A->xmin) : (A->xmax - A->xmin) / sx) : w;
        *every = A->logx ? (int)ceil((maxw + 4) / gap) : 1;
        if (*every < 1)
            *every = 1;
        if (A->logx || gap >= maxw + 4)
            return n;
    }
    return n;
}

/* The y ticks (about 5) into v; returns their number. */
static int y_ticks(const axes *A, double *v, int want)
{
    double sy = tick_step(A->ymax - A->ymin, want);
    int n = 0;
    for (double t = ceil(A->ymin / sy - 1e-9) * sy; t <= A->ymax + 1e-9 * sy && n < 64; t += sy)
        v[n++] = t;
    return n;
}

/* Width of the widest y tick label. */
static double y_label_w(fig *F, const axes *A)
{
    double v[64], m = 0;
    char s[32];
    int n = y_ticks(A, v, 5);
    for (int i = 0; i < n; i++) {
        tick_label(v[i], 0, s, sizeof s);
        m = fmax(m, tw(F, s));
    }
    return m;
}

/* Draws the grid lines, frame and (where xl, yl say) tick labels of A. */
static void draw_axes(fig *F, const axes *A, int xl, int yl)
{
    cairo_t *cr = F->cr;
    double v[64];
    int every, n;
    char s[32];
    font(F, F->P->tick, 0);
    cairo_set_line_width(cr, 0.4);
    cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    n = x_ticks(F, A, A->w, v, &every);
    for (int i = 0; i < n; i++) {
        double x = ax_x(A, v[i]);
        cairo_move_to(cr, x, A->y0), cairo_line_to(cr, x, A->y0 + A->h);
        cairo_stroke(cr);
        tick_label(v[i], A->logx, s, sizeof s);
        if (xl && i % every == 0) /* under the half of the lowest y label that hangs below */
            text(F, x, A->y0 + A->h + lh(F) / 2 + 1, 0.5, 0, 0, s);
        cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    }
    for (int want = 5; want >= 2; want--) /* as many as keep the labels apart */
        if ((n = y_ticks(A, v, want)) < 2 || A->h / (n - 1) >= lh(F) + 1)
            break;
    for (int i = 0; i < n; i++) {
        double y = ax_y(A, v[i]);
        cairo_move_to(cr, A->x0, y), cairo_line_to(cr, A->x0 + A->w, y);
        cairo_stroke(cr);
        tick_label(v[i], 0, s, sizeof s);
        if (yl)
            text(F, A->x0 - 2.5, y, 1, 0.5, 0, s);
        cairo_set_source_rgb(cr, 0.85, 0.85, 0.85);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.6);
    cairo_rectangle(cr, A->x0, A->y0, A->w, A->h);
    cairo_stroke(cr);
}

/* ---------------------------------------------------------------- series */

void mmt_fig_series_style(size_t i, int *line, int *marker)
{
    *marker = (int)(i % MMT_FIG_NMARKERS) + 1;
    *line = (int)((i + i / MMT_FIG_NMARKERS) % MMT_FIG_NLINES);
}

/* Eight colours that stay apart (Okabe-Ito, black first); grey prints tell series apart by
 * line and marker. */
static const double palette[8][3] = {{0, 0, 0},          {0.90, 0.62, 0.00}, {0.34, 0.71, 0.91},
                                     {0.00, 0.62, 0.45}, {0.80, 0.47, 0.65}, {0.00, 0.45, 0.70},
                                     {0.84, 0.37, 0.00}, {0.50, 0.50, 0.50}};

/* The colour of a series: by its marker (so a legend entry and its curve agree). */
static void set_colour(cairo_t *cr, const mmt_fig_series *s)
{
    if (s->ref) {
        cairo_set_source_rgb(cr, 0.45, 0.45, 0.45);
        return;
    }
    const double *c = palette[(unsigned)(s->marker > 0 ? s->marker - 1 : 0) % 8];
    cairo_set_source_rgb(cr, c[0], c[1], c[2]);
}

/* Sets the dash pattern of line style k (lw: the line width). */
static void set_dash(cairo_t *cr, int k, double lw)
{
    static const double d1[] = {4, 2.5}, d2[] = {0.1, 2}, d3[] = {5, 1.8, 0.1, 1.8},
                        d4[] = {8, 2.5};
    cairo_set_line_cap(cr, k == 2 || k == 3 ? CAIRO_LINE_CAP_ROUND : CAIRO_LINE_CAP_BUTT);
    (void)lw;
    switch (k) {
    case 1: cairo_set_dash(cr, d1, 2, 0); break;
    case 2: cairo_set_dash(cr, d2, 2, 0); break;
    case 3: cairo_set_dash(cr, d3, 4, 0); break;
    case 4: cairo_set_dash(cr, d4, 2, 0); break;
    default: cairo_set_dash(cr, NULL, 0, 0);
    }
}

/* A regular polygon of k corners, radius r, first corner at angle a0 (radians). */
static void polygon(cairo_t *cr, double x, double y, double r, int k, double a0)
{
    for (int i = 0; i < k; i++) {
        double a = a0 + 2 * M_PI * i / k;
        if (i == 0)
            cairo_move_to(cr, x + r * cos(a), y - r * sin(a));
        else
            cairo_line_to(cr, x + r * cos(a), y - r * sin(a));
    }
    cairo_close_path(cr);
}

/* Marker m (1..MMT_FIG_NMARKERS) at (x, y), radius r: six shapes filled, the same six open,
 * then plus, cross, asterisk and a bar. */
static void marker(cairo_t *cr, int m, double x, double y, double r)
{
    if (m < 1)
        return;
    cairo_save(cr);
    cairo_set_dash(cr, NULL, 0, 0);
    cairo_set_line_width(cr, 0.7);
    cairo_new_path(cr);
    int shape = (m - 1) % 6, open = m > 6;
    if (m <= 12) {
        switch (shape) {
        case 0: cairo_arc(cr, x, y, r * 0.9, 0, 2 * M_PI); break;
        case 1: cairo_rectangle(cr, x - r * 0.8, y - r * 0.8, r * 1.6, r * 1.6); break;
        case 2: polygon(cr, x, y, r * 1.1, 3, M_PI / 2); break;
        case 3: polygon(cr, x, y, r * 1.1, 4, M_PI / 2); break;
        case 4: polygon(cr, x, y, r * 1.1, 3, -M_PI / 2); break;
        default: polygon(cr, x, y, r, 5, M_PI / 2);
        }
        if (open) {
            cairo_save(cr);
            cairo_set_source_rgb(cr, 1, 1, 1);
            cairo_fill_preserve(cr);
            cairo_restore(cr);
            cairo_stroke(cr);
        } else
            cairo_fill(cr);
    } else {
        int arms = m == 13 ? 2 : m == 14 ? 2 : m == 15 ? 3 : 1;
        double a0 = m == 14 ? M_PI / 4 : m == 16 ? 0 : M_PI / 2;
        cairo_set_line_width(cr, 0.9);
        for (int i = 0; i < arms; i++) {
            double a = a0 + M_PI * i / arms;
            cairo_move_to(cr, x + r * cos(a), y - r * sin(a));
            cairo_line_to(cr, x - r * cos(a), y + r * sin(a));
        }
        cairo_stroke(cr);
    }
    cairo_restore(cr);
}

/* Draws series s (index k in its figure) on A: the line clipped to the plot area, then the
 * markers (at most about 10 on a dense curve, placed apart from other series' by k). */
static void draw_series(fig *F, const axes *A, const mmt_fig_series *s, size_t k)
{
    cairo_t *cr = F->cr;
    double lw = s->ref ? 0.6 : 0.9, r = F->P->tick * 0.28;
    cairo_save(cr);
    set_colour(cr, s);
    if (s->line >= 0) {
        cairo_save(cr);
        cairo_rectangle(cr, A->x0, A->y0, A->w, A->h);
        cairo_clip(cr);
        cairo_set_line_width(cr, lw);
        set_dash(cr, s->line, lw);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        int pen = 0;
        for (size_t i = 0; i < s->n; i++) {
            double x = ax_x(A, s->x[i]), y = ax_y(A, s->y[i]);
            if (!isfinite(x) || !isfinite(y)) {
                pen = 0;
                continue;
            }
            if (pen)
                cairo_line_to(cr, x, y);
            else
                cairo_move_to(cr, x, y);
            pen = 1;
        }
        cairo_stroke(cr);
        cairo_restore(cr);
    }
    size_t step = s->n <= 30 ? 1 : s->n / 10;
    for (size_t i = 0; s->marker && i < s->n; i++) {
        if ((i + k * 3) % step != 0 && i + 1 != s->n)
            continue;
        double x = ax_x(A, s->x[i]), y = ax_y(A, s->y[i]);
        if (isfinite(x) && isfinite(y) && x >= A->x0 - 0.01 && x <= A->x0 + A->w + 0.01 &&
            y >= A->y0 - 0.01 && y <= A->y0 + A->h + 0.01)
            marker(cr, s->marker, x, y, r);
    }
    cairo_restore(cr);
}

/* The legend of n series under the plot from y across the canvas, in as many columns as fit;
 * returns the y under it. */
static double legend(fig *F, const mmt_fig_series *s, size_t n, double y)
{
    cairo_t *cr = F->cr;
    const double sample = 20, gap = 3, pad = F->P->pad;
    font(F, F->P->legend, 0);
    double maxw = 0, h = lh(F) + 1.5;
    const mmt_fig_series *all = s, *shown[256];
    size_t ns = 0;
    for (size_t i = 0; i < n && ns < 256; i++)
        if (all[i].ref != 2)
            shown[ns++] = &all[i];
    n = ns;
    for (size_t i = 0; i < n; i++)
        maxw = fmax(maxw, tw(F, shown[i]->label));
    double colw = sample + gap + maxw + 8, avail = F->P->W - 2 * pad;
    size_t nc = colw > avail ? 1 : (size_t)(avail / colw);
    nc = nc > n ? n : nc;
    double x0 = pad + (avail - (double)nc * colw + 8) / 2;
    x0 = x0 < pad ? pad : x0;
    for (size_t i = 0; i < n; i++) {
        double x = x0 + (double)(i % nc) * colw, yc = y + (double)(i / nc) * h + h / 2;
        const mmt_fig_series *e = shown[i];
        cairo_save(cr);
        set_colour(cr, e);
        if (e->line >= 0) {
            cairo_set_line_width(cr, e->ref ? 0.6 : 0.9);
            set_dash(cr, e->line, 0.9);
            cairo_move_to(cr, x, yc), cairo_line_to(cr, x + sample, yc);
            cairo_stroke(cr);
        }
        marker(cr, e->marker, x + sample / 2, yc, F->P->tick * 0.28);
        cairo_restore(cr);
        text(F, x + sample + gap, yc, 0, 0.5, 0, e->label);
    }
    return y + (double)((n + nc - 1) / nc) * h;
}

/* ---------------------------------------------------------------- the values say nothing */

/* Widens [lo, hi] to the finite values v[0..n). */
static void flat(const double *v, size_t n, double *lo, double *hi)
{
    for (size_t i = 0; i < n; i++)
        if (isfinite(v[i])) {
            *lo = fmin(*lo, v[i]);
            *hi = fmax(*hi, v[i]);
        }
}

/* 1 if [lo, hi] (from flat) is one value as a figure prints it: within 0.5% of each other. */
static int one_value(double lo, double hi)
{
    return lo <= hi && hi - lo <= 0.005 * fmax(1, fabs(hi));
}

/* The canvas of a figure whose data have one value: the heading, then a framed note. */
static void draw_flat(fig *F, const char *title, const char *what, double v)
{
    double y = heading(F, title, NULL), W = F->P->W, pad = F->P->pad;
    char s[512];
    F->flat = 1;
    snprintf(s, sizeof s,
             "Not drawn: every value of %s here is %.2f, so a chart would show nothing. "
             "The CSV beside this file has the numbers.",
             what, v);
    font(F, F->P->label, 0);
    double top = y + 6;
    y = para(F, W / 2, top + 6, W - 4 * pad - 12, s) + 6;
    cairo_set_source_rgb(F->cr, 0.5, 0.5, 0.5);
    cairo_set_line_width(F->cr, 0.6);
    cairo_rectangle(F->cr, 2 * pad, top, W - 4 * pad, y - top);
    cairo_stroke(F->cr);
    F->H = y + 2 * pad;
}

/* ---------------------------------------------------------------- output */

/* One output file: name (the stem plus its extension) and its bytes. */
static int put_file(const char *stem, const char *ext, bytes *b, mmt_diag *d)
{
    char *path = mmt__xfmt("%s.%s", stem, ext);
    int r = !path || b->bad ? mmt__diag(d, MMT_ENOMEM, stem, 0, "out of memory")
                            : mmt__write_file_atomic(path, (const char *)b->p, b->n, d);
    free(path);
    free(b->p);
    b->p = NULL, b->n = b->cap = 0;
    return r;
}

/* Appends a PNG chunk: length, type, data, CRC of type and data. */
static void png_chunk(bytes *b, const char *type, const unsigned char *data, size_t n)
{
    unsigned char h[8] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                          (unsigned char)(n >> 8), (unsigned char)n};
    memcpy(h + 4, type, 4);
    put(b, h, 8);
    if (n)
        put(b, data, (unsigned)n);
    uLong c = crc32(crc32(0, h + 4, 4), data, (uInt)n);
    unsigned char t[4] = {(unsigned char)(c >> 24), (unsigned char)(c >> 16),
                          (unsigned char)(c >> 8), (unsigned char)c};
    put(b, t, 4);
}

/* The calling thread's scratch memory, kept between figures (a fresh canvas of a few MB per
 * PNG cost more in page faults than its drawing): the canvas and one filtered row. */
static _Thread_local struct {
    unsigned char *px, *row;
    size_t pxcap, rowcap;
} scratch;

void mmt__fig_scratch_free(void)
{
    free(scratch.px), free(scratch.row);
    memset(&scratch, 0, sizeof scratch);
}

/* p grown to at least n bytes (kept in *cap); NULL when out of memory (p is kept). */
static unsigned char *grow(unsigned char **p, size_t *cap, size_t n)
{
    if (n > *cap) {
        unsigned char *np = realloc(*p, n);
        if (!np)
            return NULL;
        *p = np, *cap = n;
    }
    return *p;
}

/* Deflates the avail_in bytes at zs->next_in into out (flush: Z_NO_FLUSH or Z_FINISH); 0 or
 * -1. */
static int deflate_into(z_stream *zs, bytes *out, int flush)
{
    unsigned char buf[65536];
    int zr;
    do {
        zs->next_out = buf, zs->avail_out = sizeof buf;
        zr = deflate(zs, flush);
        if (zr == Z_STREAM_ERROR || put(out, buf, (unsigned)(sizeof buf - zs->avail_out)))
            return -1;
    } while (zs->avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
    return 0;
}

/* The w x h RGB24 pixels px (stride bytes a row) as a PNG: 8-bit RGB, every row filtered
 * "Up", deflated as runs at level 1 (the rows of a chart are mostly white, so mostly zeros
 * once filtered). cairo's own writer (libpng's adaptive filters at level 6) took most of the
 * figure stage, ten times as long as drawing. */
static cairo_status_t png_write(const unsigned char *px, int w, int h, int stride, bytes *out)
{
    size_t rn = 1 + 3 * (size_t)w;
    unsigned char *row = grow(&scratch.row, &scratch.rowcap, rn);
    if (!row)
        return CAIRO_STATUS_NO_MEMORY;
    static const unsigned char sig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    unsigned char ihdr[13] = {(unsigned char)(w >> 24),
                              (unsigned char)(w >> 16),
                              (unsigned char)(w >> 8),
                              (unsigned char)w,
                              (unsigned char)(h >> 24),
                              (unsigned char)(h >> 16),
                              (unsigned char)(h >> 8),
                              (unsigned char)h,
                              8,
                              2,
                              0,
                              0,
                              0}; /* 8 bits, RGB, deflate, filters, no interlace */
    put(out, sig, 8);
    png_chunk(out, "IHDR", ihdr, 13);
    size_t at = out->n; /* the IDAT chunk: its length is known at the end */
    put(out, (const unsigned char *)"\0\0\0\0IDAT", 8);
    z_stream zs = {0};
    if (deflateInit2(&zs, 1, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK)
        return CAIRO_STATUS_NO_MEMORY;
    int bad = 0;
    for (int y = 0; y < h && !bad; y++) {
        const uint32_t *p = (const uint32_t *)(const void *)(px + (size_t)y * (size_t)stride);
        const uint32_t *q = y ? p - stride / 4 : NULL;
        row[0] = 2; /* Up: each byte minus the one above */
        for (int x = 0; x < w; x++) {
            uint32_t c = p[x], u = q ? q[x] : 0;
            row[1 + 3 * x] = (unsigned char)((c >> 16) - (u >> 16));
            row[2 + 3 * x] = (unsigned char)((c >> 8) - (u >> 8));
            row[3 + 3 * x] = (unsigned char)(c - u);
        }
        zs.next_in = row, zs.avail_in = (uInt)rn;
        bad = deflate_into(&zs, out, Z_NO_FLUSH);
    }
    if (!bad)
        bad = deflate_into(&zs, out, Z_FINISH);
    deflateEnd(&zs);
    if (bad || out->bad)
        return CAIRO_STATUS_NO_MEMORY;
    size_t n = out->n - at - 8;
    unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 8), (unsigned char)n};
    memcpy(out->p + at, len, 4);
    uLong c = crc32(0, out->p + at + 4, (uInt)(n + 4));
    unsigned char t[4] = {(unsigned char)(c >> 24), (unsigned char)(c >> 16),
                          (unsigned char)(c >> 8), (unsigned char)c};
    put(out, t, 4);
    png_chunk(out, "IEND", NULL, 0);
    return out->bad ? CAIRO_STATUS_NO_MEMORY : CAIRO_STATUS_SUCCESS;
}

/* cairo names an SVG's groups after its surfaces' serial numbers, which count every surface
 * the process made ("surface1584"): renumbered here 1, 2, ... in order of first use, so that a
 * figure's bytes do not depend on what was drawn before it or on another thread. */
static int svg_renumber(bytes *b)
{
    static const char key[] = "surface";
    const size_t kn = sizeof key - 1;
    unsigned long old[64];
    size_t nold = 0;
    bytes o = {0};
    for (size_t i = 0; i < b->n;) {
        const unsigned char *q = b->p + i;
        size_t j = i + kn;
        if (b->n - i > kn && !memcmp(q, key, kn) && b->p[j] >= '0' && b->p[j] <= '9') {
            unsigned long v = 0;
            for (; j < b->n && b->p[j] >= '0' && b->p[j] <= '9'; j++)
                v = v * 10 + (unsigned long)(b->p[j] - '0');
            size_t k = 0;
            while (k < nold && old[k] != v)
                k++;
            if (k == nold && nold < 64)
                old[nold++] = v;
            char t[40]; /* (past 64 groups, never met: the number as cairo gave it) */
            int tn = k < 64 ? snprintf(t, sizeof t, "%s%zu", key, k + 1)
                            : snprintf(t, sizeof t, "%sx%lu", key, v);
            put(&o, (const unsigned char *)t, (unsigned)tn);
            i = j;
            continue;
        }
        const unsigned char *e = memchr(q + 1, 's', b->n - i - 1);
        size_t run = e ? (size_t)(e - q) : b->n - i;
        put(&o, q, (unsigned)run);
        i += run;
    }
    if (o.bad) {
        free(o.p);
        return -1;
    }
    free(b->p);
    *b = o;
    return 0;
}

/* Replays the recording rec (W x H points) onto one surface of format f, into out. */
static cairo_status_t encode(cairo_surface_t *rec, const fig *F0,
                             void (*fn)(fig *F, const void *ud), const void *ud, unsigned f,
                             bytes *out)
{
    const double W = F0->P->W, H = F0->H, dpi = F0->P->dpi;
    cairo_surface_t *s;
    double k = 1;
    if (f == MMT_FIG_SVG) {
        s = cairo_svg_surface_create_for_stream(put, out, W, H);
        cairo_svg_surface_restrict_to_version(s, CAIRO_SVG_VERSION_1_1);
    } else if (f == MMT_FIG_PDF) {
        s = cairo_pdf_surface_create_for_stream(put, out, W, H);
        /* a fixed date: the same figure gives the same bytes (a rerun replaces nothing) */
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, "2000-01-01T00:00:00Z");
        cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "mmtrace");
    } else {
        k = dpi / 72;
        int w = (int)ceil(W * k), h = (int)ceil(H * k);
        int stride = cairo_format_stride_for_width(CAIRO_FORMAT_RGB24, w);
        if (!grow(&scratch.px, &scratch.pxcap, (size_t)stride * (size_t)h))
            return CAIRO_STATUS_NO_MEMORY;
        s = cairo_image_surface_create_for_data(scratch.px, CAIRO_FORMAT_RGB24, w, h, stride);
    }
    cairo_t *cr = cairo_create(s);
    cairo_scale(cr, k, k);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_status_t st = CAIRO_STATUS_SUCCESS;
    if (f == MMT_FIG_PNG) { /* the recording replayed */
        cairo_set_source_surface(cr, rec, 0, 0);
        cairo_paint(cr);
    } else { /* drawn again: cairo 1.16 leaks a recording replayed onto an SVG or PDF surface */
        fig G = {.cr = cr, .fo = F0->fo, .P = F0->P, .titles = F0->titles};
        fn(&G, ud);
        free(G.box);
        if (G.H != F0->H) /* the same drawing on the same metrics: not reached */
            st = CAIRO_STATUS_INVALID_SIZE;
    }
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_status(cr);
    cairo_destroy(cr);
    if (st == CAIRO_STATUS_SUCCESS && f == MMT_FIG_PNG) {
        cairo_surface_flush(s);
        st = png_write(cairo_image_surface_get_data(s), cairo_image_surface_get_width(s),
                       cairo_image_surface_get_height(s), cairo_image_surface_get_stride(s), out);
    }
    cairo_surface_finish(s);
    if (st == CAIRO_STATUS_SUCCESS)
        st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (st == CAIRO_STATUS_SUCCESS && f == MMT_FIG_SVG && svg_renumber(out) != 0)
        st = CAIRO_STATUS_NO_MEMORY;
    return st;
}

/* Appends n bytes of s to b (the CSV is most of a figure's text: printf per piece was slow). */
static void app(mmt__buf *b, const char *s, size_t n)
{
    if (b->bad)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = (b->cap ? 2 * b->cap : 16384) + n;
        char *np = realloc(b->p, nc);
        if (!np) {
            b->bad = 1;
            return;
        }
        b->p = np, b->cap = nc;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

/* A CSV field: quoted when it holds a comma, quote or line break (quotes doubled). */
static void csv_field(mmt__buf *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        app(b, s, strlen(s));
        return;
    }
    app(b, "\"", 1);
    for (const char *q; (q = strchr(s, '"')); s = q + 1)
        app(b, s, (size_t)(q - s) + 1), app(b, "\"", 1);
    app(b, s, strlen(s));
    app(b, "\"", 1);
}

/* A number of the CSV: %.10g (an integer below 2^53 as such), empty for NaN. */
static void csv_num(mmt__buf *b, double v)
{
    char t[40];
    int n = 0;
    if (isfinite(v) && v == floor(v) && fabs(v) < 9007199254740992.0)
        n = snprintf(t, sizeof t, "%lld", (long long)v);
    else if (isfinite(v))
        n = snprintf(t, sizeof t, "%.10g", v);
    app(b, t, (size_t)n);
}

/* Rows panel,series,x,y of n series (panel NULL: no panel column). */
static void csv_series(mmt__buf *b, const char *panel, const mmt_fig_series *s, size_t n)
{
    mmt__buf head = {0}; /* "panel,series," once per series */
    for (size_t k = 0; k < n; k++) {
        head.n = 0;
        if (panel)
            csv_field(&head, panel), app(&head, ",", 1);
        csv_field(&head, s[k].label);
        app(&head, ",", 1);
        for (size_t i = 0; i < s[k].n && !head.bad; i++) {
            app(b, head.p, head.n);
            csv_num(b, s[k].x[i]);
            app(b, ",", 1);
            csv_num(b, s[k].y[i]);
            app(b, "\n", 1);
        }
    }
    b->bad |= head.bad;
    free(head.p);
}

/* Draws with fn into a recording, checks the layout (mmt__fig_strict), then writes every
 * format asked for and the CSV csv (consumed). */
static int render(const char *stem, const mmt_fig_style *style, void (*fn)(fig *F, const void *ud),
                  const void *ud, mmt__buf *csv, mmt_diag *d)
{
    static const mmt_fig_style def = {MMT_FIG_SVG, MMT_FIG_PAGE, 0};
    style = style ? style : &def;
    const preset *P = &presets[style->size == MMT_FIG_COLUMN];
    fig F = {.P = P, .titles = !style->no_titles, .fo = cairo_font_options_create()};
    cairo_font_options_set_hint_metrics(F.fo, CAIRO_HINT_METRICS_OFF);
    cairo_font_options_set_hint_style(F.fo, CAIRO_HINT_STYLE_NONE);
    cairo_surface_t *rec = cairo_recording_surface_create(CAIRO_CONTENT_COLOR_ALPHA, NULL);
    F.cr = cairo_create(rec);
    fn(&F, ud);
    cairo_status_t st = cairo_status(F.cr);
    cairo_destroy(F.cr);
    int r = 0;
    if (st != CAIRO_STATUS_SUCCESS)
        r = mmt__diag(d, MMT_EINVAL, stem, 0, "cairo: %s", cairo_status_to_string(st));
    else if (F.bad)
        r = mmt__diag(d, MMT_ENOMEM, stem, 0, "out of memory");
    else if (mmt__fig_strict)
        r = mmt__fig_check(F.box, F.nbox, P->W, F.H, stem, d);
    if (F.flat)
        atomic_fetch_add(&mmt__fig_notes, 1);
    unsigned formats = style->formats ? style->formats : MMT_FIG_SVG;
    static const char *const ext[3] = {"svg", "png", "pdf"};
    for (unsigned k = 0; r == 0 && k < 3; k++) {
        if (!(formats & (1u << k)))
            continue;
        bytes b = {0};
        st = encode(rec, &F, fn, ud, 1u << k, &b);
        if (st != CAIRO_STATUS_SUCCESS) {
            free(b.p);
            r = mmt__diag(d, st == CAIRO_STATUS_NO_MEMORY ? MMT_ENOMEM : MMT_EINVAL, stem, 0,
                          "cairo: %s", cairo_status_to_string(st));
        } else
            r = put_file(stem, ext[k], &b, d);
    }
    cairo_surface_destroy(rec);
    cairo_font_options_destroy(F.fo);
    free(F.box);
    char *path = mmt__xfmt("%s.csv", stem);
    if (r == 0)
        r = path ? mmt__buf_write(csv, path, d)
                 : mmt__diag(d, MMT_ENOMEM, stem, 0, "out of memory");
    free(csv->p);
    csv->p = NULL, csv->n = csv->cap = 0;
    free(path);
    return r;
}

void *mmt__fig_fonts_hold(void)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(s);
    cairo_font_face_t **f = calloc(2, sizeof *f);
    for (int bold = 0; f && bold < 2; bold++) {
        f[bold] =
            cairo_toy_font_face_create(FONT, CAIRO_FONT_SLANT_NORMAL,
                                       bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
        cairo_set_font_face(cr, f[bold]);
        cairo_text_extents_t e;
        cairo_text_extents(cr, "0", &e); /* loads fontconfig's configuration and the font */
    }
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    return f;
}

void mmt__fig_fonts_release(void *hold)
{
    cairo_font_face_t **f = hold;
    for (int i = 0; f && i < 2; i++)
        cairo_font_face_destroy(f[i]);
    free(f);
}

int mmt__fig_check(const mmt__fig_box *b, size_t n, double W, double H, const char *name,
                   mmt_diag *d)
{
    const double e = 0.01;
    for (size_t i = 0; i < n; i++) {
        if (b[i].x < -e || b[i].y < -e || b[i].x + b[i].w > W + e || b[i].y + b[i].h > H + e)
            return mmt__diag(d, MMT_EINVAL, name, 0,
                             "text '%s' leaves the canvas (%.1f,%.1f %.1fx%.1f in %.1fx%.1f)",
                             b[i].text, b[i].x, b[i].y, b[i].w, b[i].h, W, H);
        for (size_t j = 0; j < i; j++)
            if (b[i].x + e < b[j].x + b[j].w && b[j].x + e < b[i].x + b[i].w &&
                b[i].y + e < b[j].y + b[j].h && b[j].y + e < b[i].y + b[i].h)
                return mmt__diag(d, MMT_EINVAL, name, 0, "text '%s' overlaps '%s'", b[i].text,
                                 b[j].text);
    }
    return 0;
}

/* ---------------------------------------------------------------- heat map */

/* Viridis-like colour for v in [0, 1] (piecewise linear through 5 stops; dark to light, so it
 * reads in grey too). */
static void colour(double v, double rgb[3])
{
    static const double stop[5][3] = {
        {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    if (!isfinite(v)) {
        rgb[0] = rgb[1] = rgb[2] = 0.8;
        return;
    }
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    double t = v * 4;
    int i = (int)t < 4 ? (int)t : 3;
    double u = t - i;
    for (int k = 0; k < 3; k++)
        rgb[k] = (stop[i][k] + u * (stop[i + 1][k] - stop[i][k])) / 255;
}

/* The colour bar at x from y to y + h (0 at the bottom, 1 at the top), its ticks and label. */
static void colour_bar(fig *F, double x, double y, double h, const char *label)
{
    cairo_t *cr = F->cr;
    double rgb[3], bw = F->P->tick;
    for (int i = 0; i < 64; i++) {
        colour((i + 0.5) / 64, rgb);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_rectangle(cr, x, y + h - (i + 1) * h / 64, bw, h / 64 + 0.2);
        cairo_fill(cr);
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.5);
    cairo_rectangle(cr, x, y, bw, h);
    cairo_stroke(cr);
    font(F, F->P->tick, 0);
    char s[16];
    double maxw = tw(F, "0.00");
    for (int i = 0; i <= 4; i += h >= 4 * lh(F) ? 1 : 2) {
        snprintf(s, sizeof s, "%.2f", i / 4.0);
        text(F, x + bw + 2, y + h - i * h / 4, 0, 0.5, 0, s);
    }
    font(F, F->P->label, 0);
    text(F, x + bw + 2 + maxw + 3, y + h / 2, 0.5, 0, 1, label);
}

typedef struct hm_ud {
    const mmt_fig_heatmap *h;
} hm_ud;

static void draw_heatmap(fig *F, const void *ud)
{
    const mmt_fig_heatmap *h = ((const hm_ud *)ud)->h;
    const preset *P = F->P;
    cairo_t *cr = F->cr;
    double lo = INFINITY, hi = -INFINITY;
    flat(h->values, h->rows * h->cols, &lo, &hi);
    if (one_value(lo, hi)) {
        draw_flat(F, h->title, h->value_label, lo);
        return;
    }
    double y = heading(F, h->title, NULL);
    font(F, P->label, 0);
    double lab = lh(F);
    font(F, P->tick, 0);
    double rw = 0, cwmax = 0, th = lh(F);
    for (size_t r = 0; r < h->rows; r++)
        rw = fmax(rw, tw(F, h->row_labels[r]));
    for (size_t c = 0; c < h->cols; c++)
        cwmax = fmax(cwmax, tw(F, h->col_labels[c]));
    double left = P->pad + lab + 3 + rw + 3;
    double right = 6 + P->tick + 2 + tw(F, "0.00") + 3 + lab + P->pad;
    double cw = (P->W - left - right) / (double)h->cols;
    cw = cw > 4 * th ? 4 * th : cw; /* a few columns: cells not wider than 4 lines */
    /* rows tall enough for the axis label and the colour bar's label beside them */
    font(F, P->label, 0);
    double need = fmax(tw(F, h->ylabel), tw(F, h->value_label)) + 4;
    font(F, P->tick, 0);
    double ch = fmax(1.8 * th, need / (double)h->rows);
    double gw = cw * (double)h->cols, gh = ch * (double)h->rows;
    left += (P->W - left - right - gw) / 2;
    y += 2;
    int values = tw(F, "0.00") + 2 <= cw && th + 1 <= ch;
    for (size_t r = 0; r < h->rows; r++)
        for (size_t c = 0; c < h->cols; c++) {
            double v = h->values[r * h->cols + c], rgb[3];
            colour(v, rgb);
            double x = left + (double)c * cw, yy = y + (double)r * ch;
            cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
            cairo_rectangle(cr, x, yy, cw, ch);
            cairo_fill_preserve(cr);
            cairo_set_source_rgb(cr, 1, 1, 1);
            cairo_set_line_width(cr, 0.5);
            cairo_stroke(cr);
            if (!values)
                continue;
            char s[16];
            snprintf(s, sizeof s, isfinite(v) ? "%.2f" : "n/a", v);
            double lum = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
            cairo_save(cr); /* no box kept: a value sits inside its cell */
            cairo_set_source_rgb(cr, lum > 0.55 ? 0 : 1, lum > 0.55 ? 0 : 1, lum > 0.55 ? 0 : 1);
            cairo_font_extents_t fe;
            cairo_font_extents(cr, &fe);
            cairo_move_to(cr, x + cw / 2 - tw(F, s) / 2,
                          yy + ch / 2 - (fe.ascent + fe.descent) / 2 + fe.ascent);
            cairo_show_text(cr, s);
            cairo_restore(cr);
        }
    for (size_t r = 0; r < h->rows; r++)
        text(F, left - 3, y + (double)r * ch + ch / 2, 1, 0.5, 0, h->row_labels[r]);
    for (size_t c = 0; c < h->cols; c++)
        text(F, left + (double)c * cw + cw / 2, y + gh + 2, 1, 0.5, 1, h->col_labels[c]);
    font(F, P->label, 0);
    text(F, left - 3 - rw - 3 - lab, y + gh / 2, 0.5, 0, 1, h->ylabel); /* beside the rows */
    double yb = y + gh + 2 + cwmax + 3;
    text(F, left + gw / 2, yb, 0.5, 0, 0, h->xlabel);
    colour_bar(F, left + gw + 6, y, gh, h->value_label);
    F->H = yb + lab + P->pad;
}

int mmt_fig_heatmap_write(const char *stem, const mmt_fig_heatmap *h, const mmt_fig_style *style,
                          mmt_diag *diag)
{
    mmt__buf csv = {0};
    csv_field(&csv, h->row_key ? h->row_key : "row");
    mmt__buf_printf(&csv, ",");
    csv_field(&csv, h->col_key ? h->col_key : "column");
    mmt__buf_printf(&csv, ",");
    csv_field(&csv, h->value_key ? h->value_key : "value");
    mmt__buf_printf(&csv, "\n");
    for (size_t r = 0; r < h->rows; r++)
        for (size_t c = 0; c < h->cols; c++) {
            csv_field(&csv, h->row_labels[r]);
            mmt__buf_printf(&csv, ",");
            csv_field(&csv, h->col_labels[c]);
            mmt__buf_printf(&csv, ",");
            csv_num(&csv, h->values[r * h->cols + c]);
            mmt__buf_printf(&csv, "\n");
        }
    hm_ud u = {h};
    return render(stem, style, draw_heatmap, &u, &csv, diag);
}

/* ---------------------------------------------------------------- line plot */

/* The range of the data series' y values (reference lines left out). */
static void data_range(const mmt_fig_series *s, size_t n, double *lo, double *hi)
{
    for (size_t k = 0; k < n; k++)
        if (!s[k].ref)
            flat(s[k].y, s[k].n, lo, hi);
}

static void draw_plot(fig *F, const void *ud)
{
    const mmt_fig_plot *p = ud;
    const preset *P = F->P;
    double lo = INFINITY, hi = -INFINITY;
    data_range(p->series, p->nseries, &lo, &hi);
    if (one_value(lo, hi)) {
        draw_flat(F, p->title, p->y_key ? p->y_key : p->ylabel, lo);
        return;
    }
    double y = heading(F, p->title, p->note);
    axes A = {p->xmin, p->xmax, p->ymin, p->ymax, p->logx, 0, 0, 0, 0};
    font(F, P->label, 0);
    double lab = lh(F);
    font(F, P->tick, 0);
    double th = lh(F);
    A.x0 = P->pad + lab + 3 + y_label_w(F, &A) + 3;
    A.y0 = y + th / 2;
    A.w = P->W - A.x0 - P->pad - 8;
    A.h = A.w * P->aspect;
    draw_axes(F, &A, 1, 1);
    for (size_t k = 0; k < p->nseries; k++)
        if (p->series[k].ref)
            draw_series(F, &A, &p->series[k], k);
    for (size_t k = 0; k < p->nseries; k++)
        if (!p->series[k].ref)
            draw_series(F, &A, &p->series[k], k);
    font(F, P->label, 0);
    text(F, P->pad, A.y0 + A.h / 2, 0.5, 0, 1, p->ylabel);
    y = A.y0 + A.h + th / 2 + 1 + th + 2;
    text(F, A.x0 + A.w / 2, y, 0.5, 0, 0, p->xlabel);
    y = legend(F, p->series, p->nseries, y + lab + 4);
    F->H = y + P->pad;
}

int mmt_fig_plot_write(const char *stem, const mmt_fig_plot *p, const mmt_fig_style *style,
                       mmt_diag *diag)
{
    mmt__buf csv = {0};
    mmt__buf_printf(&csv, "series,");
    csv_field(&csv, p->x_key ? p->x_key : "x");
    mmt__buf_printf(&csv, ",");
    csv_field(&csv, p->y_key ? p->y_key : "y");
    mmt__buf_printf(&csv, "\n");
    csv_series(&csv, NULL, p->series, p->nseries);
    return render(stem, style, draw_plot, p, &csv, diag);
}

/* ---------------------------------------------------------------- small multiples */

static void draw_grid(fig *F, const void *ud)
{
    const mmt_fig_grid *g = ud;
    const preset *P = F->P;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < g->npanels; i++)
        data_range(g->series[i], g->nseries[i], &lo, &hi);
    if (one_value(lo, hi)) {
        draw_flat(F, g->title, g->y_key ? g->y_key : g->ylabel, lo);
        return;
    }
    size_t nc = g->ncols ? g->ncols : 1;
    if (F->P == &presets[MMT_FIG_COLUMN] && nc > 3)
        nc = 3;
    nc = nc > g->npanels ? (g->npanels ? g->npanels : 1) : nc;
    size_t nr = (g->npanels + nc - 1) / nc;
    double y = heading(F, g->title, g->note);
    axes A = {g->xmin, g->xmax, g->ymin, g->ymax, g->logx, 0, 0, 0, 0};
    font(F, P->label, 0);
    double lab = lh(F);
    font(F, P->tick, 0);
    double th = lh(F);
    char s0[32], s1[32];
    tick_label(A.logx ? exp2(ceil(log2(A.xmin) - 1e-9)) : A.xmin, A.logx, s0, sizeof s0);
    tick_label(A.logx ? exp2(floor(log2(A.xmax) + 1e-9)) : A.xmax, A.logx, s1, sizeof s1);
    /* panels apart by the x tick labels at their edges (the last of one, the first of the
     * next), so that they never run into each other */
    double gx = fmax(6, (tw(F, s0) + tw(F, s1)) / 2 + 5);
    double left = P->pad + lab + 3 + y_label_w(F, &A) + 3;
    double pw = (P->W - left - P->pad - 6 - gx * (double)(nc - 1)) / (double)nc;
    double ph = pw * P->aspect;
    /* panel titles: up to two lines each, the same height for all */
    int tl = 1;
    char line[6][256];
    font(F, P->tick, 1);
    for (size_t i = 0; i < g->npanels; i++) {
        int k = wrap(F, g->panel_titles[i], pw, line);
        tl = k > tl ? (k > 2 ? 2 : k) : tl;
    }
    double ttl = tl * lh(F) + th / 2 + 1, rowh = ttl + ph + th / 2 + 1 + th + 4;
    for (size_t i = 0; i < g->npanels; i++) {
        A.x0 = left + (double)(i % nc) * (pw + gx);
        A.y0 = y + (double)(i / nc) * rowh + ttl;
        A.w = pw, A.h = ph;
        font(F, P->tick, 1);
        int k = wrap(F, g->panel_titles[i], pw, line);
        for (int j = 0; j < k && j < 2; j++)
            text(F, A.x0 + pw / 2, A.y0 - ttl + j * lh(F), 0.5, 0, 0, line[j]);
        draw_axes(F, &A, i + nc >= g->npanels, i % nc == 0);
        for (size_t s = 0; s < g->nseries[i]; s++)
            draw_series(F, &A, &g->series[i][s], s);
    }
    font(F, P->label, 0);
    double gh = (double)nr * rowh;
    text(F, P->pad, y + gh / 2, 0.5, 0, 1, g->ylabel);
    y += gh;
    text(F, left + ((double)nc * (pw + gx) - gx) / 2, y, 0.5, 0, 0, g->xlabel);
    y += lab + 4;
    if (g->npanels)
        y = legend(F, g->series[0], g->nseries[0], y);
    F->H = y + P->pad;
}

int mmt_fig_grid_write(const char *stem, const mmt_fig_grid *g, const mmt_fig_style *style,
                       mmt_diag *diag)
{
    mmt__buf csv = {0};
    mmt__buf_printf(&csv, "panel,series,");
    csv_field(&csv, g->x_key ? g->x_key : "x");
    mmt__buf_printf(&csv, ",");
    csv_field(&csv, g->y_key ? g->y_key : "y");
    mmt__buf_printf(&csv, "\n");
    for (size_t i = 0; i < g->npanels; i++)
        csv_series(&csv, g->panel_keys ? g->panel_keys[i] : g->panel_titles[i], g->series[i],
                   g->nseries[i]);
    return render(stem, style, draw_grid, g, &csv, diag);
}
