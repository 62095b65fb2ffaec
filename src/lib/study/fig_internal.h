/*
 * fig_internal.h - what the figure renderer (figure.c) shares with its tests: the boxes of the
 * texts a figure drew and the check that none leaves the canvas or overlaps another; not
 * installed.
 */
#ifndef MMT_FIG_INTERNAL_H
#define MMT_FIG_INTERNAL_H

#include "mmtrace.h"

#include <stdatomic.h>
#include <stddef.h>

/* One text drawn: its logical box (advance x font height) on the canvas, points from the top
 * left, and the text (cut to 95 bytes) to name it. */
typedef struct mmt__fig_box {
    double x, y, w, h;
    char text[96];
} mmt__fig_box;

/* MMT_EINVAL (diag: figure fig, the text) if a box leaves the W x H canvas or overlaps
 * another; 0 otherwise. */
int mmt__fig_check(const mmt__fig_box *b, size_t n, double W, double H, const char *fig,
                   mmt_diag *d);

/* Non-zero: every figure is checked with mmt__fig_check before it is written, and one that
 * fails is an error (tests set it; a user's run draws what it can). */
extern int mmt__fig_strict;

/* Figures drawn as a note because their data have one value (tests read it). */
extern atomic_int mmt__fig_notes;

/* Loads fontconfig and the figures' two font faces on the calling thread and holds them until
 * release (NULL accepted), so that threads drawing at once find them made: fontconfig's first
 * load and cairo's font cache, raced by two threads, leak what the loser made. */
void *mmt__fig_fonts_hold(void);
void mmt__fig_fonts_release(void *hold);

/* Frees the calling thread's scratch memory (the PNG canvas and rows it keeps between
 * figures); a thread that drew figures calls it before it ends. */
void mmt__fig_scratch_free(void);

#endif
