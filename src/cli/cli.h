/* cli.h - what the subcommands share: common options and config loading.
 *
 * Contract
 *   Every subcommand takes `--config FILE` and `--set name=value` (repeatable) anywhere after
 *   its name; nf_cli_common_opt() consumes them. nf_cli_load_config() layers defaults, the
 *   file, the process environment and the --set values; on a problem it prints one line per
 *   problem on stderr and returns exit status 2. Subcommands return exit statuses:
 *   0 ok, 1 runtime failure, 2 bad usage, config or input.
 */
#ifndef NF_CLI_H
#define NF_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "../config/config.h"

#define NF_CLI_SETS_MAX 128

struct nf_cli {
    const char *cmd; /* for messages: "simulate" */
    const char *config_file;
    const char *sets[NF_CLI_SETS_MAX];
    size_t nsets;
    char store_set[1100]; /* "store=..." from --store */
};

/* true = consumed argv[*i] (and maybe its value; *i advanced past it), false = not a common
 * option. Bad usage of a common option (a missing, empty or repeated value) prints the
 * problem and exits with status 2: it is found while reading the arguments, before anything
 * is opened, so there is nothing to clean up (a fatal error at start-up). */
bool nf_cli_common_opt(struct nf_cli *cli, int argc, char **argv, int *i);
int nf_cli_load_config(const struct nf_cli *cli, struct nf_config *cfg);
/* The same, but the problems go into problems_out (cap bytes, one line, "; " between them)
 * instead of stderr: for a daemon whose stderr is JSON lines. */
int nf_cli_load_config_to(const struct nf_cli *cli, struct nf_config *cfg, char *problems_out,
                          size_t cap);
struct nf_kube;
struct nf_kube_opts;
struct nf_prom_opts;
/* The clients' options from the configuration: the clients never see the config. The
 * options point into `cfg`, which must outlive their use. */
void nf_cli_kube_opts(const struct nf_config *cfg, struct nf_kube_opts *o);
void nf_cli_prom_opts(const struct nf_config *cfg, struct nf_prom_opts *o);
/* The Prometheus source for a command: 0, or the exit status (message printed). */
struct nf_prom_source;
int nf_cli_prom_open(const struct nf_cli *cli, const struct nf_config *cfg,
                     struct nf_prom_source **out);
/* Check the --html target before any work (files.h): 0, or the exit status (message
 * printed). `json`: the report goes to standard output, so "-" cannot. */
struct nf_outfile;
int nf_cli_html_target(const struct nf_cli *cli, const char *html, bool json, struct nf_outfile *o);
/* A simulator report as text (or JSON) on standard output and, when `html` is not NULL, as
 * HTML there (checked with nf_cli_html_target). Returns the exit status. */
struct nf_sim_report;
int nf_cli_emit_report(const struct nf_cli *cli, const struct nf_sim_report *rep, bool json,
                       const struct nf_outfile *html);
/* Load the command's configuration into cfg and open the API server client it names: 0, or
 * the exit status (message printed). */
int nf_cli_kube_open(const struct nf_cli *cli, struct nf_config *cfg, struct nf_kube *k);
/* Exit status for a Kubernetes error: 2 for our own configuration (the kubeconfig), 1 for
 * anything the API server did or answered, however malformed. */
int nf_cli_kube_exit(int rc);

/* For commands that take only the common options: parse them all and load the config.
 * 0, or the exit status to return (messages printed). */
int nf_cli_common_only(struct nf_cli *cli, int argc, char **argv, struct nf_config *cfg);
/* Print "nodefleet CMD: message" on stderr as one clean line (every message of a command to
 * a person goes through here or nf_cli_usage_error; the daemon's go through the logger). */
void nf_cli_say(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Print "nodefleet CMD: message" and the help hint on stderr; returns 2. */
int nf_cli_usage_error(const struct nf_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The value of an option that takes one: argv[*i + 1], or NULL after printing an error
 * (missing or empty: no option of ours takes an empty value). */
const char *nf_cli_value(const struct nf_cli *cli, int argc, char **argv, int *i);
/* For an option given at most once: its value into *slot; -1 (message printed) when it is
 * missing, empty, or *slot was already set (a repeated single-valued option). */
int nf_cli_value_once(const struct nf_cli *cli, int argc, char **argv, int *i, const char **slot);
/* For an option that accumulates (--policy): its value appended to list[*n]; -1 (message
 * printed) when missing, empty or past `max`. */
int nf_cli_list_value(const struct nf_cli *cli, int argc, char **argv, int *i, const char **list,
                      size_t *n, size_t max);
/* Add "name=value" as a --set, kept in `storage` (cap bytes; must outlive the cli).
 * 0, or -1 with the message printed. */
int nf_cli_add_set(struct nf_cli *cli, const char *name, const char *value, char *storage,
                   size_t cap);

int nf_cmd_decide(int argc, char **argv);
int nf_cmd_nodes(int argc, char **argv);
int nf_cmd_drain(int argc, char **argv);
int nf_cmd_simulate(int argc, char **argv);
int nf_cmd_check_config(int argc, char **argv);
int nf_cmd_run(int argc, char **argv);
int nf_cmd_once(int argc, char **argv);
int nf_cmd_status(int argc, char **argv);
int nf_cmd_explain(int argc, char **argv);
int nf_cmd_lambda(int argc, char **argv);
int nf_cmd_observe(int argc, char **argv);
int nf_cmd_replay(int argc, char **argv);
int nf_cmd_unlock(int argc, char **argv);

#endif
