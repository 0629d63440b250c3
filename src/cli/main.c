/* main.c - the nodefleet command: dispatch to subcommands, help and version. */
#include <stdio.h>
#include <string.h>

#include "../config/config.h"
#include "cli.h"
#include "manpage.h"

#ifndef NF_VERSION
#define NF_VERSION "0.0.0-dev"
#endif

static const struct nf_cli_command commands[] = {
    {"run", nf_cmd_run, "the autoscaler: the cycle every interval, with /metrics and a status page",
     "usage: nodefleet run [--dry-run] [--cycles N] [--store S] [--config FILE] [--set "
     "name=value]...\n"
     "\n"
     "Runs the cycle every 'interval' (default 30s): takes the store's lease, reads the\n"
     "pool's EC2 instances and the cluster's nodes, finishes launches and drains earlier\n"
     "cycles started, reads the signals from Prometheus, decides with the configured policy,\n"
     "acts (every intent written to the store before the cloud or cluster is called),\n"
     "records, and releases the lease. Each step is a JSON line on stderr. Serves /metrics,\n"
     "/healthz, /readyz and the status page (/) on server.listen (default 127.0.0.1:9470).\n"
     "SIGTERM or SIGINT stops it after the current cycle (the lease is released); SIGHUP\n"
     "reloads the configuration, all or nothing (a bad one is logged and the old one kept).\n"
     "A signal that cannot be read is unknown, never 0, and never causes a scale-down.\n"
     "\n"
     "  --dry-run    observe and decide, log and notify what would be done, never act\n"
     "  --cycles N   stop after N cycles (for tests and one-off checks)\n"
     "  --store S    where the state and the lease live: sqlite:PATH (default\n"
     "               sqlite:nodefleet-state.db) or dynamodb[:TABLE]; same as --set store=S\n"
     "\n"
     "Exit status: 0 stopped cleanly; 1 runtime failure (e.g. the port is taken); 2 bad\n"
     "usage or config.\n"},
    {"once", nf_cmd_once, "one cycle, then exit (cron, or a scheduled task)",
     "usage: nodefleet once [--dry-run] [--deadline DURATION] [--store S] [--config FILE]\n"
     "                      [--set name=value]...\n"
     "\n"
     "One cycle of `run`, then exit. Another nodefleet holding the lease is not a failure:\n"
     "the cycle does nothing and says who holds it.\n"
     "\n"
     "  --deadline D   finish within D of the start (a timer's limit): a step whose timeouts\n"
     "                 do not fit in what is left less deadline_reserve is not started, every\n"
     "                 call is cut to fit, and the cycle ends early (reason \"deadline\") with\n"
     "                 the state written and the lease released\n"
     "\n"
     "Exit status: 0 acted or stable; 1 the cycle failed; 2 bad usage or config.\n"},
    {"lambda", nf_cmd_lambda, "the AWS Lambda custom runtime: one cycle per invocation",
     "usage: nodefleet lambda [--dry-run] [--store S] [--config FILE] [--set name=value]...\n"
     "\n"
     "Run as the function's bootstrap (AWS_LAMBDA_RUNTIME_API set by Lambda): waits for each\n"
     "invocation (the seed's EventBridge schedule), runs one cycle, and answers with the\n"
     "decision as JSON; a failed cycle is reported as the invocation's error. CloudWatch\n"
     "metrics are written as Embedded Metric Format lines to the function's log.\n"
     "\n"
     "Exit status: 1 when the Runtime API fails or start-up fails (reported to Lambda).\n"},
    {"observe", nf_cmd_observe, "print what nodefleet sees now, as decide's input",
     "usage: nodefleet observe [--config FILE] [--set name=value]...\n"
     "\n"
     "Reads every signal's recent history from Prometheus and the worker count, and prints\n"
     "them as the JSON observation 'nodefleet decide' takes, so\n"
     "  nodefleet observe | nodefleet decide\n"
     "shows what the autoscaler would decide now. Unknown signals are null, with the reason\n"
     "on stderr.\n"
     "\n"
     "Exit status: 0 ok (some signals may be unknown); 1 nothing could be read; 2 bad usage\n"
     "or config.\n"},
    {"simulate", nf_cmd_simulate, "replay a demand trace under policies and score them",
     "usage: nodefleet simulate [--trace FILE.csv] [--policy P]... [--json] [--html FILE]\n"
     "                          [--sweep NAME=V1,V2,...] [--seed N] [--config FILE]\n"
     "                          [--set name=value]...\n"
     "\n"
     "Runs the real decision cycle on a virtual clock against a modelled cluster and cloud,\n"
     "once per policy, on the same trace, and compares each with the oracle (perfect\n"
     "foresight, instant boot, the best spot mix). Without --trace it replays the NASA July\n"
     "1995 trace built into the binary. Policies: default, seed, static:N (none given: the\n"
     "'policy' setting); each runs at its own interval (default: 30s, seed: 120s), P@30s\n"
     "names another.\n"
     "The model's numbers are the sim.* settings ('nodefleet help settings').\n"
     "\n"
     "  --trace FILE   CSV with header t_seconds,value (one value per interval)\n"
     "  --policy P     a policy to score; repeat to compare several\n"
     "  --json         print the report as JSON instead of a table\n"
     "  --html FILE    also write a self-contained HTML report with charts (- for standard\n"
     "                 output; FILE must be a regular file or new: links, devices, FIFOs and\n"
     "                 directories are refused)\n"
     "  --sweep NAME=V1,V2,...\n"
     "                 run the first policy once per value of a setting (a policy setting\n"
     "                 or a sim.* one) and report cost against overload, with the values no\n"
     "                 other beats on both (the frontier); at most 32 values\n"
     "  --seed N       random seed (same seed and inputs: same report)\n"
     "\n"
     "Exit status: 0 ok, 1 runtime failure, 2 bad usage, config or trace.\n"},
    {"replay", nf_cmd_replay, "what each policy would have done over your Prometheus history",
     "usage: nodefleet replay --start T --end T [--prometheus URL] [--step 60s] [--policy P]...\n"
     "                        [--json] [--html FILE] [--config FILE] [--set name=value]...\n"
     "\n"
     "Reads the cluster's demand between --start and --end (Unix seconds or RFC 3339, as the\n"
     "Prometheus API takes them) with range queries - busy CPU cores\n"
     "(prometheus.query_demand_cores) plus the CPU requests of pending pods - and replays it\n"
     "through the simulator under each policy, scoring them against the oracle and against\n"
     "the workers the cluster actually ran (query_node_count, priced on-demand): what the\n"
     "autoscaler would have done last week, before you trust it with this week.\n"
     "\n"
     "  --prometheus URL  instead of prometheus_url\n"
     "  --step D          resolution of the history (default 60s)\n"
     "  --policy P        a policy to score; repeat to compare (default: the 'policy' setting)\n"
     "  --json, --html    as for simulate\n"
     "\n"
     "Exit status: 0 ok; 1 Prometheus could not give the demand; 2 bad usage or config.\n"},
    {"unlock", nf_cmd_unlock, "clear a stuck lease, saying who held it",
     "usage: nodefleet unlock [--store S] [--config FILE] [--set name=value]...\n"
     "\n"
     "Clears the lease on the pool's state (the `store`: the SQLite file, or the DynamoDB\n"
     "item keyed by cluster_id) whoever holds it - the seed's \"DynamoDB lock stuck\" fix -\n"
     "and prints who held it and until when. The fencing token goes up, so if the old\n"
     "holder is still alive, none of its writes will be accepted. AWS credentials and\n"
     "region as every AWS SDK finds them.\n"
     "\n"
     "Exit status: 0 cleared (or nothing to clear); 1 the store could not be reached; 2 bad\n"
     "usage or config.\n"},
    {"status", nf_cmd_status, "what the store holds: the lease, in-flight work, last decisions",
     "usage: nodefleet status [--json] [--store S] [--config FILE] [--set name=value]...\n"
     "\n"
     "Reads the pool's state from the store (changing nothing): who holds the lease and\n"
     "until when, the launches and drains in flight, the counters, and the last decisions\n"
     "with their reasons.\n"
     "\n"
     "Exit status: 0 ok; 1 the store could not be read; 2 bad usage or config.\n"},
    {"explain", nf_cmd_explain, "why the last cycle did or did not scale, and what it would do now",
     "usage: nodefleet explain [--json] [--store S] [--config FILE] [--set name=value]...\n"
     "\n"
     "The last recorded decision, then a fresh look at the world - a dry-run cycle: what\n"
     "nodefleet would do now and why, rule by rule (which held, which were unknown, which\n"
     "guard blocked), whether the observation is complete, and for each node whether it\n"
     "may be removed or the first rule that keeps it. Nothing is changed.\n"
     "\n"
     "Exit status: 0 ok; 1 the world could not be read; 2 bad usage or config.\n"},
    {"nodes", nf_cmd_nodes, "the workers, and whether each may be drained now (or why not)",
     "usage: nodefleet nodes [--json] [--config FILE] [--set name=value]...\n"
     "\n"
     "Reads the cluster from the API server (kube.kubeconfig, KUBECONFIG, ~/.kube/config,\n"
     "in-cluster, or K3s' /etc/rancher/k3s/k3s.yaml) and lists every node: status, zone,\n"
     "market, EC2 instance, pods, requested CPU, and whether nodefleet may drain it now or\n"
     "the first rule that forbids it (a pod that is a StatefulSet's, the only replica, ...).\n"
     "Also the worker counts and the pending (unschedulable) pods.\n"
     "\n"
     "Exit status: 0 ok; 1 the API server could not be read; 2 bad usage or config.\n"},
    {"drain", nf_cmd_drain, "drain one node as nodefleet does, safely, to the end",
     "usage: nodefleet drain NODE [--delete-node] [--deadline DURATION] [--config FILE]\n"
     "                       [--set name=value]...\n"
     "\n"
     "Cordons NODE, checks every pod on it against the scale-down safety rules, and evicts\n"
     "them through the Eviction API (PodDisruptionBudgets are honoured: a refusal is retried\n"
     "until kube.drain_timeout). DaemonSet and mirror pods stay. If a pod may not be moved,\n"
     "or the drain does not finish in time, the node is uncordoned and the reason printed.\n"
     "  --delete-node   delete the Node object once drained\n"
     "  --deadline D    the node's instance goes in D whatever happens (a spot interruption):\n"
     "                  the safety rules give way and nothing aborts; pods are evicted until\n"
     "                  30 s before D, then deleted (DaemonSet and mirror pods stay)\n"
     "\n"
     "Exit status: 0 drained; 1 aborted (node uncordoned) or API server unreachable; 2 bad\n"
     "usage or config.\n"},
    {"decide", nf_cmd_decide, "one decision: an observation (JSON) on stdin, a plan on stdout",
     "usage: nodefleet decide [--policy P] [--input FILE] [--config FILE] [--set name=value]...\n"
     "\n"
     "Reads one JSON observation and prints one JSON decision:\n"
     "  in:  {\"now\": T, \"workers\": {\"ready\": R, \"joining\": J, \"draining\": D},\n"
     "        \"samples\": [{\"t\": T, \"cpu\": %, \"memory\": %, \"pending_pods\": N,\n"
     "                     \"queue_depth\": N, \"latency_p95_ms\": MS, \"error_rate_pct\": %}, "
     "...],\n"
     "        \"last_scale_up\": T|null, \"last_scale_down\": T|null}\n"
     "  out: {\"action\": \"scale_up\"|\"scale_down\"|\"none\", \"nodes\": N, \"reason\": "
     "\"...\",\n"
     "        \"trail\": [{\"rule\": ..., \"status\": ..., \"detail\": ...}, ...]}\n"
     "Samples oldest first; a metric absent or null is unknown (never read as 0).\n"
     "\n"
     "Exit status: 0 ok; 2 bad usage, config or input (one line on stderr naming the field).\n"},
    {"check-config", nf_cmd_check_config, "print the effective configuration, or its problems",
     "usage: nodefleet check-config [--config FILE] [--set name=value]...\n"
     "                              [--example | --docs | --iam-policy]\n"
     "\n"
     "Loads defaults < FILE < environment < --set, all or nothing, and prints the effective\n"
     "configuration (secrets masked, each value's source noted) then 'configuration OK';\n"
     "or one line per problem, 'WHERE: setting: what is wrong', and exit status 2.\n"
     "The file may also be named by NODEFLEET_CONFIG.\n"
     "\n"
     "  --example   print a complete example config file (every setting, its default, help)\n"
     "  --docs      print the settings reference in Markdown (docs/configuration.md)\n"
     "  --iam-policy  print the least-privilege IAM policy for this configuration (pool\n"
     "                tags, table, topic, queue, secrets filled in)\n"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void print_overview(FILE *f)
{
    fprintf(f,
            "nodefleet %s - a node autoscaler for K3s worker pools on AWS EC2\n\n"
            "usage: nodefleet <command> [options]\n\ncommands:\n",
            NF_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-13s %s\n", "help",
            "help on a command, 'help settings' for every setting; 'help --man 1|5' and\n"
            "                'help --bash-completion' print the manual pages and the completion");
    fprintf(f, "\n  --version     print the version\n"
               "\nEvery command takes --config FILE and --set name=value.\n"
               "Exit status: 0 ok, 1 runtime failure, 2 bad usage, config or input.\n");
}

static void print_settings(FILE *f)
{
    struct nf_buf b;
    nf_buf_init(&b, 1024 * 1024);
    struct nf_config d;
    nf_config_defaults(&d);
    nf_buf_puts(&b, "Settings (YAML name, environment variable, default) - precedence:\n"
                    "defaults < --config FILE < environment < --set name=value\n\n");
    for (int id = 0; id < NF_CFG__COUNT; id++) {
        const struct nf_setting *st = &nf_settings[id];
        nf_buf_printf(&b, "  %-36s %s = ", st->name, st->env);
        nf_config_format_value(&d, id, true, &b);
        nf_buf_printf(&b, "\n      %s\n", st->help);
    }
    if (b.status == NF_OK)
        fputs(b.data, f);
    nf_buf_free(&b);
}

/* help --man 1|5, help --bash-completion: the documents a package installs (manpage.h) */
static int generated(int argc, char **argv)
{
    bool man = strcmp(argv[1], "--man") == 0;
    const char *sect = argc > 2 ? argv[2] : "";
    if (argc != (man ? 3 : 2) || (man && strcmp(sect, "1") != 0 && strcmp(sect, "5") != 0)) {
        nf_cli_say("help", "usage: nodefleet help --man 1|5, or help --bash-completion");
        return 2;
    }
    struct nf_buf b;
    nf_buf_init(&b, 4 * 1024 * 1024);
    if (!man)
        nf_bash_completion(&b, commands, NCOMMANDS);
    else if (sect[0] == '1')
        nf_man_page_1(&b, commands, NCOMMANDS, NF_VERSION);
    else
        nf_man_page_5(&b, NF_VERSION);
    int st = b.status == NF_OK && fwrite(b.data, 1, b.len, stdout) == b.len ? 0 : 1;
    nf_buf_free(&b);
    return st;
}

static int help(int argc, char **argv)
{
    if (argc < 2) {
        print_overview(stdout);
        return 0;
    }
    if (strcmp(argv[1], "settings") == 0 || strcmp(argv[1], "config") == 0) {
        print_settings(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--man") == 0 || strcmp(argv[1], "--bash-completion") == 0)
        return generated(argc, argv);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(argv[1], commands[i].name) == 0) {
            fputs(commands[i].usage, stdout);
            return 0;
        }
    }
    nf_cli_say("help", "no command '%s' (see 'nodefleet help')", argv[1]);
    return 2;
}

int main(int argc, char **argv)
{
    /* Lambda's provided runtimes run the package's `bootstrap` with no argument: that is
     * `nodefleet lambda` (make lambda-zip names the binary so) */
    const char *base = argc > 0 ? strrchr(argv[0], '/') : NULL;
    base = base ? base + 1 : (argc > 0 ? argv[0] : "");
    if (argc == 1 && strcmp(base, "bootstrap") == 0) {
        char *lambda_argv[] = {"lambda", NULL};
        return nf_cmd_lambda(1, lambda_argv);
    }
    if (argc < 2) {
        print_overview(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        if (argc > 2) {
            nf_cli_say(cmd, "takes no arguments (got %.80s)", argv[2]);
            return 2;
        }
        printf("nodefleet %s\n", NF_VERSION);
        return 0;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0)
        return help(argc - 1, argv + 1);
    for (size_t i = 0; i < NCOMMANDS; i++) {
        if (strcmp(cmd, commands[i].name) != 0)
            continue;
        for (int a = 2; a < argc; a++) {
            if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
                fputs(commands[i].usage, stdout);
                return 0;
            }
        }
        return commands[i].run(argc - 1, argv + 1);
    }
    nf_cli_say("", "unknown command '%.80s' (see 'nodefleet help')", cmd);
    return 2;
}
