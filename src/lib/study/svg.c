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
    text(b, x + 70, y + h / 2, 12, "middle", 90, 0, label);
}

int mmt_svg_heatmap_write(const char *path, const mmt_svg_heatmap *h, mmt_diag *diag)
{
    const double cw = 62, ch = 34, left = 90, top = 70, bottom = 110;
    const double gw = cw * (double)h->cols, gh = ch * (double)h->rows;
    /* wide enough for the title (about 9.5 px per character at 16 px bold) */
    const double tw = 9.5 * (double)strlen(h->title) + 40;
    const double W = left + gw + 120 > tw ? left + gw + 120 : tw, H = top + gh + bottom;
    buf b = {0};
    start(&b, W, H);
    text(&b, W / 2, 30, 16, "middle", 0, 1, h->title);
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
    text(&b, left + gw / 2, H - 12, 13, "middle", 0, 0, h->xlabel);
    text(&b, 24, top + gh / 2, 13, "middle", -90, 0, h->ylabel);
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

/* Axes, grid and tick labels of a plot area. */
static void axes(buf *b, const mmt_svg_plot *p, double x0, double y0, double w, double h)
{
    char s[32];
    double sx = tick_step(p->xmax - p->xmin, 8), sy = tick_step(p->ymax - p->ymin, 6);
    double v0 = p->logx ? exp2(ceil(log2(p->xmin))) : ceil(p->xmin / sx) * sx;
    for (double v = v0; v <= p->xmax * (1 + 1e-9) + 1e-9 * sx; v = p->logx ? v * 2 : v + sx) {
        double x = x0 + xfrac(p, v) * w;
        out(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x, y0,
            x, y0 + h);
        snprintf(s, sizeof s, "%g", v);
        text(b, x, y0 + h + 16, 11, "middle", 0, 0, s);
    }
    for (double v = ceil(p->ymin / sy) * sy; v <= p->ymax + 1e-9 * sy; v += sy) {
        double y = y0 + h - (v - p->ymin) / (p->ymax - p->ymin) * h;
        out(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x0, y,
            x0 + w, y);
        snprintf(s, sizeof s, "%g", v);
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

/* One series as a polyline clipped to the plot area. */
static void series(buf *b, const mmt_svg_plot *p, const mmt_svg_series *s, double x0, double y0,
                   double w, double h)
{
    out(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.8\"%s points=\"",
        palette[(unsigned)s->color % NPALETTE], s->dashed ? " stroke-dasharray=\"6,4\"" : "");
    for (int pass = 0; pass < 1 + !!s->markers; pass++) {
        for (size_t i = 0; i < s->n; i++) {
            double x = x0 + xfrac(p, s->x[i]) * w;
            double y = y0 + h - (s->y[i] - p->ymin) / (p->ymax - p->ymin) * h;
            if (!isfinite(x) || !isfinite(y))
                continue;
            y = y < y0 ? y0 : y > y0 + h ? y0 + h : y;
            if (pass == 0)
                out(b, "%.1f,%.1f ", x, y);
            else
                out(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", x, y,
                    palette[(unsigned)s->color % NPALETTE]);
        }
        if (pass == 0)
            out(b, "\" clip-path=\"url(#plot)\"/>\n");
    }
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
    out(&b,
        "<defs><clipPath id=\"plot\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
        "height=\"%.1f\"/></clipPath></defs>\n",
        x0, y0, w, h);
    text(&b, (x0 + w + legw) / 2, 26, 16, "middle", 0, 1, p->title);
    if (p->note)
        text(&b, (x0 + w + legw) / 2, 46, 11, "middle", 0, 0, p->note);
    axes(&b, p, x0, y0, w, h);
    for (size_t i = 0; i < p->nseries; i++)
        series(&b, p, &p->series[i], x0, y0, w, h);
    text(&b, x0 + w / 2, y0 + h + 40, 13, "middle", 0, 0, p->xlabel);
    text(&b, 20, y0 + h / 2, 13, "middle", -90, 0, p->ylabel);
    for (size_t i = 0; i < p->nseries; i++) {
        const mmt_svg_series *s = &p->series[i];
        double lx = x0 + w + 20, ly = y0 + 10 + lh * (double)i;
        out(&b,
            "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
            "stroke-width=\"2\"%s/>\n",
            lx, ly, lx + 30, ly, palette[(unsigned)s->color % NPALETTE],
            s->dashed ? " stroke-dasharray=\"6,4\"" : "");
        if (s->markers)
            out(&b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", lx + 15, ly,
                palette[(unsigned)s->color % NPALETTE]);
        text(&b, lx + 36, ly + 4, 11, "start", 0, 0, s->label);
    }
    return finish(&b, path, diag);
}
