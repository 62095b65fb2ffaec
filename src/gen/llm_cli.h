/*
 * llm_cli.h - mmtrace-gen's LLM front end: lowers model presets or HuggingFace config.json
 * files to SCALE-Sim GEMM topologies plus part manifests (--model, --hf-config, ...).
 */
#ifndef MMT_LLM_CLI_H
#define MMT_LLM_CLI_H

#include <stdio.h>

/* 1 if argv asks for the LLM front end (--model or --hf-config present). */
int llm_cli_wanted(int argc, char **argv);
/* Runs the LLM front end; returns an exit status (0 ok, 1 error, 2 usage). */
int llm_cli_main(int argc, char **argv);
/* Prints the LLM options for --help. */
void llm_cli_usage(FILE *f);

#endif
