/*
 * llm_cli.h - mmtrace-gen's LLM front end: lowers model presets or HuggingFace config.json
 * files to SCALE-Sim GEMM topologies plus part manifests (--model, --hf-config, ...).
 */
#ifndef MMT_LLM_CLI_H
#define MMT_LLM_CLI_H

#include "mmtrace.h"

#include <getopt.h>
#include <stdio.h>

/* Copies gen's long options (up to their terminator) and appends the LLM front end's into out
 * (cap entries, terminator included); returns how many there are. */
size_t llm_cli_longopts(const struct option *gen, struct option *out, size_t cap);
/* Takes option c (long name name, value optarg) if it is the LLM front end's: 0, or an exit
 * status for a bad value; -1 if c is not one of its options. */
int llm_cli_option(int c, const char *name);
/* The first LLM option given (NULL: none); *models is 1 once --model or --hf-config named a
 * model, which makes gen's run a lowering instead of trace generation. */
const char *llm_cli_given(int *models);
/* Lowers what the options asked for into outdir (cfgp: a .cfg to copy instead of --hw's
 * preset); returns an exit status (0 ok, 1 error, 2 usage). */
int llm_cli_run(const char *cfgp, const char *outdir, mmt_scalesim version);
/* Prints the LLM options for --help. */
void llm_cli_usage(FILE *f);

#endif
