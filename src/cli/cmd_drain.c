/* cmd_drain.c - `nodefleet drain NODE`: nodefleet's drain on one node, by hand, to the end. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../kube/drain.h"
#include "../util/log.h"
#include "../util/parse.h"
#include "cli.h"
#include "../util/clock.h"

/* A node name as Kubernetes allows it (a DNS subdomain): checked before anything is opened. */
static bool node_name_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && !((c == '-' || c == '.') && i > 0 && i + 1 < n))
            return false;
    }
    return true;
}

/* What the API server says of the node now: 1 cordoned, 0 not, -1 no answer (err says why),
 * -2 no such node. */
static int probe(struct nf_kube *k, const char *node, struct nf_err *err)
{
    char path[300];
    snprintf(path, sizeof path, "/api/v1/nodes/%s", node);
    json_t *j = NULL;
    struct nf_kube_status st;
    int rc = nf_kube_call(k, "GET", path, NULL, NULL, &j, &st, err);
    if (rc == NF_E_KUBE && st.code == 404)
        return -2;
    if (rc != NF_OK)
        return -1;
    json_t *us = json_object_get(json_object_get(j, "spec"), "unschedulable");
    int cordoned = json_is_true(us) ? 1 : 0;
    json_decref(j);
    return cordoned;
}

/* step the drain to its end: done (the node deleted when asked), aborted, or failed; while
 * the API server is unreachable the drain stands and is retried up to its deadline. before: what
 * probe() said of the node when this began. Returns the exit status. */
static int drain_to_end(struct nf_kube *k, const char *node, bool delete_node, int before,
                        const struct nf_drain_opts *o)
{
    struct nf_err err = {0};
    int st = 0, rc;
    double started = nf_wall_now();
    struct nf_drain_report rep;
    for (;;) {
        rc = nf_kube_drain_step(k, node, started, nf_wall_now(), o, &rep, &err);
        if (rc != NF_OK) {
            /* the API server unreachable: the drain stands; keep trying to the deadline.
             * Anything else (refused credentials or RBAC, a broken answer) ends it now. */
            if (rc != NF_E_UNAVAILABLE || nf_wall_now() - started > o->timeout_s + 60) {
                struct nf_err pe = {0};
                int now_cordoned = probe(k, node, &pe);
                nf_cli_say(
                    "drain", "%s; the drain did not finish: node %s %s", err.msg, node,
                    now_cordoned == 1    ? "is cordoned (kubectl uncordon it, or run this again)"
                    : now_cordoned == 0  ? "is not cordoned"
                    : now_cordoned == -2 ? "is gone"
                    : before == 1 ? "was cordoned before this began and the API server does not "
                                    "answer now"
                                  : "may be cordoned: the API server does not answer (it was not "
                                    "cordoned when this began)");
                st = 1;
                break;
            }
            nf_log(NF_LOG_WARN, "drain step failed; retrying", NF_LF_STR("node", node),
                   NF_LF_STR("error", err.msg), NF_LF_END);
            nf_sleep_s(2);
            continue;
        }
        if (rep.state == NF_DRAIN_DONE) {
            if (delete_node)
                rc = nf_kube_delete_node(k, node, &err);
            if (rc != NF_OK) {
                nf_cli_say("drain", "%s", err.msg);
                st = nf_cli_kube_exit(rc);
            } else {
                printf("drained %s: %s%s\n", node, rep.why, delete_node ? "; node deleted" : "");
            }
            break;
        }
        if (rep.state == NF_DRAIN_ABORTED) {
            nf_cli_say("drain", "aborted, node %s uncordoned: %s", node, rep.why);
            st = 1;
            break;
        }
        nf_log(NF_LOG_INFO, "draining", NF_LF_STR("node", node), NF_LF_STR("status", rep.why),
               NF_LF_END);
        nf_sleep_s(rep.retry_in_s > 0 ? rep.retry_in_s : 1);
    }
    return st;
}

int nf_cmd_drain(int argc, char **argv)
{
    struct nf_cli cli = {.cmd = "drain"};
    const char *node = NULL;
    bool delete_node = false;
    double deadline = 0; /* --deadline: the instance goes this long from now */
    for (int i = 1; i < argc; i++) {
        if (nf_cli_common_opt(&cli, argc, argv, &i))
            continue;
        if (strcmp(argv[i], "--delete-node") == 0) {
            delete_node = true;
        } else if (strcmp(argv[i], "--deadline") == 0) {
            const char *why = NULL;
            if (i + 1 >= argc)
                return nf_cli_usage_error(&cli, "--deadline needs a duration (e.g. 2m)");
            i++;
            if (nf_parse_duration(argv[i], strlen(argv[i]), &deadline, &why) != NF_OK ||
                deadline < 1)
                return nf_cli_usage_error(&cli, "--deadline %.40s: %s", argv[i],
                                          why ? why : "at least 1 s");
        } else if (argv[i][0] == '-') {
            return nf_cli_usage_error(&cli, "unknown option %s", argv[i]);
        } else if (node == NULL)
            node = argv[i];
        else
            return nf_cli_usage_error(&cli, "one node at a time (got %s and %s)", node, argv[i]);
    }
    if (node == NULL)
        return nf_cli_usage_error(&cli, "which node? (nodefleet drain NODE)");
    if (!node_name_ok(node))
        return nf_cli_usage_error(&cli,
                                  "\"%.80s\" is not a node name (lower-case letters, digits, "
                                  "'-' and '.', at most 253)",
                                  node);
    struct nf_config cfg;
    struct nf_kube k;
    int st = nf_cli_kube_open(&cli, &cfg, &k);
    if (st != 0)
        return st;
    struct nf_err err = {0};
    struct nf_drain_opts o = {.timeout_s = cfg.kube_drain_timeout,
                              .eviction_retry_s = cfg.kube_eviction_retry,
                              .market_label = cfg.kube_market_label,
                              .market_spot_value = cfg.kube_market_spot_value};
    if (deadline > 0) /* as for a spot interruption: evict until 30 s before, then delete */
        o.force_at = nf_wall_now() + (deadline > 30 ? deadline - 30 : 0);
    /* first a read: when the API server does not answer it, nothing has been changed and
     * there is nothing to wait for */
    int before = probe(&k, node, &err);
    if (before == -1) {
        nf_cli_say("drain", "%s; nothing was changed (node %s is as it was)", err.msg, node);
        nf_kube_close(&k);
        return 1;
    }
    if (before == -2) {
        nf_cli_say("drain", "no node named %s; nothing was changed", node);
        nf_kube_close(&k);
        return 2;
    }
    st = drain_to_end(&k, node, delete_node, before, &o);
    nf_kube_close(&k);
    return st;
}
