/*
 * svg.c - the study's figures written as SVG 1.1 text: a heat map with a colour bar and a line
 * plot with a legend. No plotting dependency; the output is plain text rendered by any browser
 * or rsvg-convert.
 */
#include "internal.h"
#include "mmtrace_study.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The SVG text being built (the library's one text buffer). */
typedef mmt__buf buf;
#define out(...) mmt__buf_printf(__VA_ARGS__)

/* Appends s with XML special characters escaped. */
static void esc(buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': out(b, "&lt;"); break;
        case '>': out(b, "&gt;"); break;
        case '&': out(b, "&amp;"); break;
        case '"': out(b, "&quot;"); break;
        default: out(b, "%c", *s);
        }
    }
}

/* A text element; anchor is start, middle or end; rot rotates about the anchor point. */
static void text(buf *b, double x, double y, int size, const char *anchor, int rot, int bold,
                 const char *s)
{
    out(b, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" text-anchor=\"%s\"%s", x, y, size, anchor,
        bold ? " font-weight=\"bold\"" : "");
    if (rot)
        out(b, " transform=\"rotate(%d %.1f %.1f)\"", rot, x, y);
    out(b, ">");
    esc(b, s);
    out(b, "</text>\n");
}

/* Writes the buffer atomically and frees it. */
static int finish(buf *b, const char *path, mmt_diag *d)
{
    out(b, "</svg>\n");
    return mmt__buf_write(b, path, d);
}

/* Opens the document with a white background. */
static void start(buf *b, double w, double h)
{
    out(b,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
        "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\">\n"
        "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
        w, h, w, h);
}

/* Viridis-like colour for v in [0, 1] (piecewise linear through 5 stops). */
static void colour(double v, int rgb[3])
{
    static const int stop[5][3] = {
        {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
    if (!isfinite(v)) {
        rgb[0] = rgb[1] = rgb[2] = 200;
        return;
    }
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    double t = v * 4;
    int i = (int)t < 4 ? (int)t : 3;
    double u = t - i;
    for (int k = 0; k < 3; k++)
        rgb[k] = (int)lround(stop[i][k] + u * (stop[i + 1][k] - stop[i][k]));
}

/* The colour bar to the right of a heat map, 0 at the bottom and 1 at the top. */
static void colour_bar(buf *b, double x, double y, double h, const char *label)
{
    int rgb[3];
    for (int i = 0; i < 50; i++) {
        colour((i + 0.5) / 50, rgb);
        out(b,
            "<rect x=\"%.1f\" y=\"%.2f\" width=\"18\" height=\"%.2f\" fill=\"rgb(%d,%d,%d)\"/>\n",
            x, y + h - (i + 1) * h / 50, h / 50 + 0.3, rgb[0], rgb[1], rgb[2]);
    }
    out(b,
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"%.1f\" fill=\"none\" "
        "stroke=\"black\"/>\n",
        x, y, h);
    char s[16];
    for (int i = 0; i <= 4; i++) {
        snprintf(s, sizeof s, "%.2f", i / 4.0);
        text(b, x + 24, y + h - i * h / 4 + 4, 11, "start", 0, 0, s);
    }
    text(b, x + 64, y + h / 2, 11, "middle", 90, 0, label);
}

/* Splits s into lines of at most maxc characters at spaces (a longer word stays whole);
 * fills start/len of up to maxl lines and returns their number. */
static int wrap(const char *s, size_t maxc, size_t *start, size_t *len, int maxl)
{
    size_t n = strlen(s), i = 0;
    int k = 0;
    while (i < n && k < maxl) {
        size_t e = i + maxc < n ? i + maxc : n, cut = e;
        if (e < n) {
            while (cut > i && s[cut] != ' ')
                cut--;
            if (cut == i) /* one long word: up to its end */
                for (cut = e; cut < n && s[cut] != ' '; cut++) {
                }
        }
        if (k == maxl - 1)
            cut = n;
        start[k] = i, len[k++] = cut - i;
        for (i = cut; i < n && s[i] == ' '; i++) {
        }
    }
    return k;
}

/* The title, wrapped to the width W, centred from baseline y; returns the y below it. */
static double title(buf *b, double W, double y, const char *s)
{
    size_t st[4], ln[4];
    char line[512];
    int k = wrap(s, (size_t)((W - 20) / 9.5), st, ln, 4);
    for (int i = 0; i < k; i++, y += 20) {
        snprintf(line, sizeof line, "%.*s", (int)ln[i], s + st[i]);
        text(b, W / 2, y, 16, "middle", 0, 1, line);
    }
    return y;
}

int mmt_svg_heatmap_write(const char *path, const mmt_svg_heatmap *h, mmt_diag *diag)
{
    size_t maxl = 0, st[4], ln[4];
    for (size_t c = 0; c < h->cols; c++)
        maxl = strlen(h->col_labels[c]) > maxl ? strlen(h->col_labels[c]) : maxl;
    const double cw = 62, ch = 34, gw = cw * (double)h->cols, gh = ch * (double)h->rows;
    /* the canvas fits the cells, the colour bar and its label (centred when the 400 px
     * minimum is wider); the title wraps to it */
    const double need = 90 + gw + 120, W = need > 400 ? need : 400, left = 90 + (W - need) / 2;
    const double top = 30 + 20 * wrap(h->title, (size_t)((W - 20) / 9.5), st, ln, 4);
    const double bottom = 46 + 6.5 * 0.71 * (double)maxl, H = top + gh + bottom;
    buf b = {0};
    start(&b, W, H);
    title(&b, W, 28, h->title);
    for (size_t r = 0; r < h->rows; r++)
        for (size_t c = 0; c < h->cols; c++) {
            double v = h->values[r * h->cols + c];
            int rgb[3];
            colour(v, rgb);
            double x = left + c * cw, y = top + r * ch;
            out(&b,
                "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                "fill=\"rgb(%d,%d,%d)\" stroke=\"white\" stroke-width=\"1\"/>\n",
                x, y, cw, ch, rgb[0], rgb[1], rgb[2]);
            char s[16];
            snprintf(s, sizeof s, isfinite(v) ? "%.2f" : "n/a", v);
            double lum = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2];
            out(&b,
                "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\" "
                "fill=\"%s\">%s</text>\n",
                x + cw / 2, y + ch / 2 + 4, lum > 140 ? "black" : "white", s);
        }
    for (size_t r = 0; r < h->rows; r++)
        text(&b, left - 8, top + r * ch + ch / 2 + 4, 11, "end", 0, 0, h->row_labels[r]);
    for (size_t c = 0; c < h->cols; c++)
        text(&b, left + c * cw + cw / 2 + 4, top + gh + 10, 11, "end", -45, 0, h->col_labels[c]);
    text(&b, left + gw / 2, H - 10, 13, "middle", 0, 0, h->xlabel);
    text(&b, left - 66, top + gh / 2, 13, "middle", -90, 0, h->ylabel);
    colour_bar(&b, left + gw + 20, top, gh, h->value_label);
    return finish(&b, path, diag);
}

/* A "nice" tick step giving about n ticks over span. */
static double tick_step(double span, int n)
{
    double raw = span / n, mag = pow(10, floor(log10(raw))), m = raw / mag;
    return (m < 1.5 ? 1 : m < 3 ? 2 : m < 7 ? 5 : 10) * mag;
}

/* Position of data x in [0, 1] across the plot (log2 when p->logx). */
static double xfrac(const mmt_svg_plot *p, double x)
{
    if (p->logx)
        return (log2(x) - log2(p->xmin)) / (log2(p->xmax) - log2(p->xmin));
    return (x - p->xmin) / (p->xmax - p->xmin);
}

/* Axes, grid and tick labels of a plot area (tick labels only where xl, yl say). */
static void axes(buf *b, const mmt_svg_plot *p, double x0, double y0, double w, double h, int xl,
                 int yl)
{
    char s[32];
    double sx = tick_step(p->xmax - p->xmin, w < 400 ? 4 : 8), sy = tick_step(p->ymax - p->ymin, 6);
    double v0 = p->logx ? exp2(ceil(log2(p->xmin))) : ceil(p->xmin / sx) * sx;
    /* a log axis labels every k-th power of two so that labels keep 45 px apart */
    double gap = p->logx ? w / (log2(p->xmax) - log2(p->xmin)) : 1e9;
    int every = p->logx && gap < 45 ? (int)ceil(45 / gap) : 1, k = 0;
    for (double v = v0; v <= p->xmax * (1 + 1e-9) + 1e-9 * sx; v = p->logx ? v * 2 : v + sx) {
        double x = x0 + xfrac(p, v) * w;
        out(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x, y0,
            x, y0 + h);
        if (w < 400 && v >= 1024 && fmod(v, 1024) == 0) /* a small panel: 32k, not 32768 */
            snprintf(s, sizeof s, "%gk", v / 1024);
        else
            snprintf(s, sizeof s, "%g", v);
        if (xl && k++ % every == 0)
            text(b, x, y0 + h + 16, 11, "middle", 0, 0, s);
    }
    for (double v = ceil(p->ymin / sy) * sy; v <= p->ymax + 1e-9 * sy; v += sy) {
        double y = y0 + h - (v - p->ymin) / (p->ymax - p->ymin) * h;
        out(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x0, y,
            x0 + w, y);
        snprintf(s, sizeof s, "%g", v);
        if (yl)
            text(b, x0 - 6, y + 4, 11, "end", 0, 0, s);
    }
    out(b,
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
        "stroke=\"black\"/>\n",
        x0, y0, w, h);
}

/* Fourteen distinguishable colours (Tableau 10 and four darker ones). */
static const char *const palette[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
                                      "#000000", "#393b79", "#637939", "#843c39"};
#define NPALETTE (sizeof palette / sizeof palette[0])

/* The stroke-dasharray attribute of a line style (dashed: see mmt_svg_series). */
static const char *dash(int style)
{
    return style == 1   ? " stroke-dasharray=\"6,4\""
           : style == 2 ? " stroke-dasharray=\"1.5,3\" stroke-linecap=\"round\""
           : style == 3 ? " stroke-dasharray=\"8,3,2,3\""
                        : "";
}

/* A marker of shape m (mmt_svg_series.markers) at (x, y). */
static void marker(buf *b, int m, double x, double y, const char *col)
{
    if (m == 1)
        out(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", x, y, col);
    else if (m == 2)
        out(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"6\" height=\"6\" fill=\"%s\"/>\n", x - 3,
            y - 3, col);
    else if (m == 3)
        out(b, "<path d=\"M%.1f %.1fl3.6 6.4h-7.2z\" fill=\"%s\"/>\n", x, y - 4, col);
    else if (m == 4)
        out(b, "<path d=\"M%.1f %.1fl4 4l-4 4l-4 -4z\" fill=\"%s\"/>\n", x, y - 4, col);
    else if (m == 5)
        out(b,
            "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.2\" fill=\"white\" stroke=\"%s\" "
            "stroke-width=\"1.4\"/>\n",
            x, y, col);
}

/* One series as a polyline clipped to the plot area (clip: the clipPath's id), then its
 * markers. */
static void series(buf *b, const mmt_svg_plot *p, const mmt_svg_series *s, double x0, double y0,
                   double w, double h, const char *clip)
{
    const char *col = palette[(unsigned)s->color % NPALETTE];
    for (int pass = s->dashed < 0; pass < 1 + !!s->markers; pass++) {
        if (pass == 0)
            out(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s points=\"", col,
                dash(s->dashed));
        for (size_t i = 0; i < s->n; i++) {
            double x = x0 + xfrac(p, s->x[i]) * w;
            double y = y0 + h - (s->y[i] - p->ymin) / (p->ymax - p->ymin) * h;
            if (!isfinite(x) || !isfinite(y))
                continue;
            y = y < y0 ? y0 : y > y0 + h ? y0 + h : y;
            if (pass == 0)
                out(b, "%.1f,%.1f ", x, y);
            else if (s->n <= 30 || i % (s->n / 10) == s->n / 20) /* a dense curve: ~10 */
                marker(b, s->markers, x, y, col);
        }
        if (pass == 0)
            out(b, "\" clip-path=\"url(#%s)\"/>\n", clip);
    }
}

/* A legend entry at (lx, ly): the line style and marker of s, then its label. */
static void legend_entry(buf *b, const mmt_svg_series *s, double lx, double ly)
{
    const char *col = palette[(unsigned)s->color % NPALETTE];
    if (s->dashed >= 0)
        out(b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"2\"%s/>\n",
            lx, ly, lx + 30, ly, col, dash(s->dashed));
    marker(b, s->markers, lx + 15, ly, col);
    text(b, lx + 36, ly + 4, 11, "start", 0, 0, s->label);
}

/* A clipPath named id for a plot area. */
static void clip_def(buf *b, const char *id, double x0, double y0, double w, double h)
{
    out(b,
        "<defs><clipPath id=\"%s\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
        "height=\"%.1f\"/></clipPath></defs>\n",
        id, x0, y0, w, h);
}

int mmt_svg_plot_write(const char *path, const mmt_svg_plot *p, mmt_diag *diag)
{
    const double x0 = 70, y0 = p->note ? 72 : 56, w = 560, h = 380, legw = 300;
    const double lh = 17, W = x0 + w + legw;
    double H = y0 + h + 60;
    if (y0 + 10 + lh * (double)p->nseries > H)
        H = y0 + 10 + lh * (double)p->nseries + 10;
    buf b = {0};
    start(&b, W, H);
    clip_def(&b, "plot", x0, y0, w, h);
    text(&b, (x0 + w + legw) / 2, 26, 16, "middle", 0, 1, p->title);
    if (p->note)
        text(&b, (x0 + w + legw) / 2, 46, 11, "middle", 0, 0, p->note);
    axes(&b, p, x0, y0, w, h, 1, 1);
    for (size_t i = 0; i < p->nseries; i++)
        series(&b, p, &p->series[i], x0, y0, w, h, "plot");
    text(&b, x0 + w / 2, y0 + h + 40, 13, "middle", 0, 0, p->xlabel);
    text(&b, 20, y0 + h / 2, 13, "middle", -90, 0, p->ylabel);
    for (size_t i = 0; i < p->nseries; i++)
        legend_entry(&b, &p->series[i], x0 + w + 20, y0 + 10 + lh * (double)i);
    return finish(&b, path, diag);
}

/* The legend of a grid: in the spare cell at (x, y) (w wide), or boxed in panel 0's top right
 * corner when the grid has no spare cell. */
static void grid_legend(buf *b, const mmt_svg_grid *g, double x, double y, double w, int spare)
{
    const double lh = 17;
    size_t n = g->nseries[0], maxl = 0;
    for (size_t i = 0; i < n; i++)
        maxl = strlen(g->series[0][i].label) > maxl ? strlen(g->series[0][i].label) : maxl;
    double bw = 46 + 6.2 * (double)maxl, bh = lh * (double)n + 8;
    double lx = spare ? x + 10 : x + w - bw - 4, ly = spare ? y + 10 : y + 4;
    out(b,
        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"white\" "
        "fill-opacity=\"0.9\" stroke=\"#999\"/>\n",
        lx, ly, bw, bh);
    for (size_t i = 0; i < n; i++)
        legend_entry(b, &g->series[0][i], lx + 6, ly + 4 + lh * (double)i + lh / 2);
}

int mmt_svg_grid_write(const char *path, const mmt_svg_grid *g, mmt_diag *diag)
{
    const size_t nc = g->ncols ? g->ncols : 1, nr = (g->npanels + nc - 1) / nc;
    const double pw = 220, ph = 150, gx = 24, gy = 46, left = 74, W = left + nc * (pw + gx) + 10;
    size_t st[4], ln[4];
    const double top = 30 + 20 * wrap(g->title, (size_t)((W - 20) / 9.5), st, ln, 4) +
                       (g->note ? 18 : 0) + 22;
    const double H = top + nr * (ph + gy) + 30;
    const mmt_svg_plot p = {.xmin = g->xmin, .xmax = g->xmax, .ymin = g->ymin, .ymax = g->ymax,
                            .logx = g->logx};
    buf b = {0};
    start(&b, W, H);
    double y = title(&b, W, 28, g->title);
    if (g->note)
        text(&b, W / 2, y, 11, "middle", 0, 0, g->note);
    for (size_t i = 0; i < g->npanels; i++) {
        double x0 = left + (double)(i % nc) * (pw + gx), y0 = top + (double)(i / nc) * (ph + gy);
        char id[32];
        snprintf(id, sizeof id, "p%zu", i);
        clip_def(&b, id, x0, y0, pw, ph);
        text(&b, x0 + pw / 2, y0 - 7, 12, "middle", 0, 1, g->panel_titles[i]);
        axes(&b, &p, x0, y0, pw, ph, i + nc >= g->npanels, i % nc == 0);
        for (size_t k = 0; k < g->nseries[i]; k++)
            series(&b, &p, &g->series[i][k], x0, y0, pw, ph, id);
    }
    int spare = g->npanels % nc != 0;
    size_t li = spare ? g->npanels : 0;
    if (g->npanels && g->nseries[0])
        grid_legend(&b, g, left + (double)(li % nc) * (pw + gx),
                    top + (double)(li / nc) * (ph + gy), pw, spare);
    text(&b, left + nc * (pw + gx) / 2, H - 12, 13, "middle", 0, 0, g->xlabel);
    text(&b, 20, top + nr * (ph + gy) / 2, 13, "middle", -90, 0, g->ylabel);
    return finish(&b, path, diag);
}
