/* controller.c - the configured adapters around one cycle. */
#define _POSIX_C_SOURCE 200809L
#include "controller.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../aws/support.h"
#include "../util/log.h"
#include "../util/clock.h"
#include "cli.h"

extern char **environ;

/* basic auth for Prometheus from a Secrets Manager secret {"username", "password"} */
static int prometheus_secret(struct nf_controller *c, struct nf_err *err)
{
    char v[4096];
    int rc = nf_secret_get(&c->aws, c->cfg.aws_prometheus_secret, v, sizeof v, err);
    if (rc != NF_OK)
        return nf_err_prefix(err, "aws.prometheus_secret");
    json_t *j = json_loads(v, 0, NULL);
    memset(v, 0, sizeof v);
    const char *u = json_string_value(json_object_get(j, "username"));
    const char *p = json_string_value(json_object_get(j, "password"));
    if (u == NULL || p == NULL || strlen(u) >= sizeof c->cfg.prometheus_basic_auth_user ||
        strlen(p) >= sizeof c->cfg.prometheus_basic_auth_password) {
        json_decref(j);
        return nf_err_set(err, NF_E_CONFIG,
                          "aws.prometheus_secret %s: expected JSON {\"username\", \"password\"}",
                          c->cfg.aws_prometheus_secret);
    }
    snprintf(c->cfg.prometheus_basic_auth_user, sizeof c->cfg.prometheus_basic_auth_user, "%s", u);
    snprintf(c->cfg.prometheus_basic_auth_password, sizeof c->cfg.prometheus_basic_auth_password,
             "%s", p);
    /* wipe the secret's copy inside the JSON before freeing it */
    char *pw = (char *)json_string_value(json_object_get(j, "password"));
    memset(pw, 0, strlen(pw));
    json_decref(j);
    return NF_OK;
}

static int slack_secret(struct nf_controller *c, struct nf_err *err)
{
    char v[2048];
    int rc = nf_secret_get(&c->aws, c->cfg.aws_slack_webhook_secret, v, sizeof v, err);
    if (rc != NF_OK)
        return nf_err_prefix(err, "aws.slack_webhook_secret");
    /* the secret is the URL itself, or JSON {"url": ...} */
    json_t *j = json_loads(v, 0, NULL);
    const char *url = j ? json_string_value(json_object_get(j, "url")) : v;
    if (url == NULL || strncmp(url, "https://", 8) != 0 ||
        strlen(url) >= sizeof c->notifier.slack_url) {
        json_decref(j);
        memset(v, 0, sizeof v);
        return nf_err_set(err, NF_E_CONFIG,
                          "aws.slack_webhook_secret %s: not an https:// webhook URL",
                          c->cfg.aws_slack_webhook_secret);
    }
    memcpy(c->notifier.slack_url, url, strlen(url) + 1); /* the length is checked above */
    json_decref(j);
    memset(v, 0, sizeof v);
    return NF_OK;
}

void nf_controller_close(struct nf_controller *c)
{
    free(c->cycle);
    c->cycle = NULL;
    free(c->history);
    c->history = NULL;
    free(c->mhist);
    c->mhist = NULL;
    nf_notifier_free(&c->notifier);
    if (c->have_store)
        nf_store_close(&c->store);
    c->have_store = false;
    if (c->have_kube) {
        nf_kube_cluster_free(&c->kc);
        nf_kube_close(&c->kube);
    }
    c->have_kube = false;
    if (c->have_aws)
        nf_aws_client_free(&c->aws);
    c->have_aws = false;
    nf_prom_source_free(c->prom);
    c->prom = NULL;
    memset(c->cfg.prometheus_basic_auth_password, 0, sizeof c->cfg.prometheus_basic_auth_password);
}

/* ---- the cluster and the cloud, by name (the `cluster` and `cloud` settings) ------------ */

/* aws.kubeconfig_secret: the kubeconfig itself, from Secrets Manager (a Lambda has no file);
 * the caller frees and wipes it */
static int kubeconfig_secret(struct nf_controller *c, char **text, struct nf_err *err)
{
    const size_t cap = 64 * 1024; /* a CA and a token: a few KB */
    *text = calloc(1, cap);
    if (*text == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    int rc = nf_secret_get(&c->aws, c->cfg.aws_kubeconfig_secret, *text, cap, err);
    if (rc != NF_OK)
        return nf_err_prefix(err, "aws.kubeconfig_secret");
    if (strcmp(*text, "{}") == 0) /* the stack's placeholder: the server has not written it */
        return nf_err_set(err, NF_E_UNAVAILABLE,
                          "aws.kubeconfig_secret %s holds no kubeconfig yet: the K3s server "
                          "puts one there once its API server is up",
                          c->cfg.aws_kubeconfig_secret);
    return NF_OK;
}

static int open_kube(struct nf_controller *c, struct nf_ports *ports, char *const *envp,
                     struct nf_err *err)
{
    struct nf_kube_opts ko;
    nf_cli_kube_opts(&c->cfg, &ko);
    char *text = NULL;
    int rc = NF_OK;
    if (c->cfg.aws_kubeconfig_secret[0])
        rc = kubeconfig_secret(c, &text, err);
    ko.kubeconfig_text = text;
    if (rc == NF_OK)
        rc = nf_kube_open(&c->kube, &ko, envp, err);
    if (text) {
        memset(text, 0, strlen(text));
        free(text);
    }
    if (rc != NF_OK)
        return rc;
    c->have_kube = true;
    nf_kube_cluster_init(&c->kc, &c->kube, &c->cfg);
    if (c->cfg.kube_watch && (rc = nf_kube_cluster_watch(&c->kc, err)) != NF_OK)
        return rc;
    ports->cluster = &nf_kube_cluster_port;
    ports->cluster_ctx = &c->kc;
    return NF_OK;
}

static int open_prom_view(struct nf_controller *c, struct nf_ports *ports, char *const *envp,
                          struct nf_err *err)
{
    (void)envp, (void)err;
    c->pview.prom = c->prom;
    ports->cluster = &nf_prom_view_cluster_port;
    ports->cluster_ctx = &c->pview;
    return NF_OK;
}

static int open_ec2(struct nf_controller *c, struct nf_ports *ports, char *const *envp,
                    struct nf_err *err)
{
    (void)envp;
    int rc = nf_ec2_init(&c->ec2, &c->aws, &c->cfg, err);
    if (rc != NF_OK)
        return rc;
    ports->cloud = &nf_ec2_cloud_port;
    ports->cloud_ctx = &c->ec2;
    return NF_OK;
}

/* cloud: none - no cloud port: nothing is launched, and the cluster counts the workers */
static int open_no_cloud(struct nf_controller *c, struct nf_ports *ports, char *const *envp,
                         struct nf_err *err)
{
    (void)c, (void)ports, (void)envp, (void)err;
    return NF_OK;
}

struct adapter_kind {
    const char *name;
    int (*open)(struct nf_controller *c, struct nf_ports *ports, char *const *envp,
                struct nf_err *err);
};

static const struct adapter_kind clusters[] = {
    {"kube", open_kube}, {"prometheus", open_prom_view}, {NULL, NULL}};
static const struct adapter_kind clouds[] = {
    {"ec2", open_ec2}, {"none", open_no_cloud}, {NULL, NULL}};

static int open_by_name(const struct adapter_kind *kinds, const char *setting, const char *name,
                        struct nf_controller *c, struct nf_ports *ports, char *const *envp,
                        struct nf_err *err)
{
    for (const struct adapter_kind *k = kinds; k->name; k++)
        if (strcmp(k->name, name) == 0)
            return k->open(c, ports, envp, err);
    return nf_err_set(err, NF_E_CONFIG, "%s: no adapter named \"%s\"", setting, name);
}

static int open_cluster(struct nf_controller *c, struct nf_ports *ports, char *const *envp,
                        struct nf_err *err)
{
    return open_by_name(clusters, "cluster", c->cfg.cluster, c, ports, envp, err);
}

static int open_cloud(struct nf_controller *c, struct nf_ports *ports, char *const *envp,
                      struct nf_err *err)
{
    return open_by_name(clouds, "cloud", c->cfg.cloud, c, ports, envp, err);
}

/* the store named by cfg->store; a dry run with no state file yet starts from an empty state
 * kept in memory, and creates nothing */
static int open_store(struct nf_controller *c, const struct nf_config *cfg, struct nf_ports *ports,
                      char *const *envp, struct nf_err *err)
{
    if (cfg->dry_run && nf_store_check_exists(cfg, NULL) != NF_OK) {
        /* a dry run creates nothing: with no state file yet, it starts from an empty state,
         * kept in memory */
        nf_mem_store_init(&c->store.mem);
        ports->store = &nf_mem_store_port;
        ports->store_ctx = &c->store.mem;
        snprintf(c->store.desc, sizeof c->store.desc, "%.*s (dry run: no file yet)", 900,
                 cfg->store);
    } else {
        int rc = nf_store_open(&c->store, &c->cfg,
                               cfg->dry_run ? NF_STORE_READ_ONLY : NF_STORE_READ_WRITE, envp, err);
        if (rc != NF_OK)
            return rc;
        c->have_store = true;
        ports->store = c->store.port;
        ports->store_ctx = c->store.ctx;
    }
    return NF_OK;
}

/* Slack (a URL, or one kept in Secrets Manager), SNS, and CloudWatch publishing */
static int open_notify(struct nf_controller *c, const struct nf_config *cfg, struct nf_ports *ports,
                       struct nf_err *err)
{
    int rc = NF_OK;
    if (cfg->notify_slack_webhook_url[0])
        snprintf(c->notifier.slack_url, sizeof c->notifier.slack_url, "%s",
                 cfg->notify_slack_webhook_url);
    else if (cfg->aws_slack_webhook_secret[0] && (rc = slack_secret(c, err)) != NF_OK)
        return rc;
    if (cfg->aws_sns_topic_arn[0]) {
        snprintf(c->notifier.sns_topic, sizeof c->notifier.sns_topic, "%s", cfg->aws_sns_topic_arn);
        c->notifier.aws = &c->aws;
    }
    ports->notify = &nf_notify_port;
    ports->notify_ctx = &c->notifier;
    c->cw.aws = c->have_aws ? &c->aws : NULL;
    snprintf(c->cw.ns, sizeof c->cw.ns, "%s", cfg->aws_cloudwatch_namespace);
    snprintf(c->cw.cluster_id, sizeof c->cw.cluster_id, "%s", cfg->cluster_id);
    c->cw.max_nodes = (int)cfg->max_nodes;
    ports->publish = &nf_cloudwatch_port;
    ports->publish_ctx = &c->cw;
    if (cfg->aws_interruption_queue_url[0] && c->have_aws) { /* issue 15 */
        c->sqsev.aws = &c->aws;
        snprintf(c->sqsev.queue_url, sizeof c->sqsev.queue_url, "%s",
                 cfg->aws_interruption_queue_url);
        ports->events = &nf_sqs_events_port;
        ports->events_ctx = &c->sqsev;
    }
    return NF_OK;
}

/* the cycle's options: its owner name for the lease is host:pid */
static void cycle_opts(const struct nf_config *cfg, char *const *envp, struct nf_cycle_opts *o)
{
    *o = (struct nf_cycle_opts){
        .spot_pct = cfg->spot_percentage,
        .provision_timeout_s = cfg->provision_timeout,
        .lease_ttl_s = cfg->lease_ttl,
        .dry_run = cfg->dry_run,
        /* the cloud, the cluster and the metrics read at once: each
         * adapter owns its connections, except `cluster: prometheus`,
         * which reads through the metrics' own client */
        .concurrent = true,
        .metrics_with_cluster = strcmp(cfg->cluster, "prometheus") == 0,
        .rebalance_replace = strcmp(cfg->aws_rebalance, "replace") == 0,
        .price_on_demand = cfg->sim_price_on_demand,
        .price_spot = cfg->sim_price_spot,
        .max_nodes = (int)cfg->max_nodes,
        /* each step's estimate under a deadline: its timeouts */
        .cloud_timeout_s = strcmp(cfg->cloud, "ec2") == 0 ? cfg->aws_timeout : 0,
        .cluster_timeout_s =
            strcmp(cfg->cluster, "kube") == 0 ? cfg->kube_timeout : cfg->prometheus_timeout,
        .metrics_timeout_s = cfg->prometheus_timeout};
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    snprintf(o->owner, sizeof o->owner, "%.60s:%ld", host[0] ? host : "nodefleet", (long)getpid());
    snprintf(o->cluster_id, sizeof o->cluster_id, "%s", cfg->cluster_id);
    nf_config_template(cfg, &o->tmpl);
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, "NODEFLEET_TEST_CRASH_AT=", 24) == 0)
            snprintf(o->crash_at, sizeof o->crash_at, "%.31s", *e + 24);
}

int nf_controller_open(struct nf_controller *c, const struct nf_config *cfg, char *const *envp,
                       struct nf_err *err)
{
    memset(c, 0, sizeof *c);
    c->cfg = *cfg;
    int rc = nf_config_policy(&c->pol, cfg->policy, cfg, err);
    if (rc != NF_OK)
        return rc;
    bool need_aws = strcmp(cfg->cloud, "ec2") == 0 || cfg->aws_prometheus_secret[0] ||
                    cfg->aws_kubeconfig_secret[0] || cfg->aws_slack_webhook_secret[0] ||
                    cfg->aws_sns_topic_arn[0] || cfg->aws_interruption_queue_url[0] ||
                    strncmp(cfg->store, "dynamodb", 8) == 0;
    if (need_aws) {
        rc = nf_aws_client_init(&c->aws, cfg->aws_region, envp, err);
        if (rc != NF_OK)
            goto fail;
        c->aws.timeout_s = cfg->aws_timeout;
        c->have_aws = true;
    }
    if (cfg->aws_prometheus_secret[0] && (rc = prometheus_secret(c, err)) != NF_OK)
        goto fail;
    struct nf_prom_opts po;
    nf_cli_prom_opts(&c->cfg, &po);
    rc = nf_prom_source_new(&po, &c->prom, err);
    if (rc != NF_OK)
        goto fail;
    struct nf_ports ports = {
        .clock = &nf_real_clock_port, .metrics = &nf_prom_metrics_port, .metrics_ctx = c->prom};
    rc = open_cluster(c, &ports, envp, err);
    if (rc == NF_OK)
        rc = open_cloud(c, &ports, envp, err);
    if (rc != NF_OK)
        goto fail;
    if ((rc = open_store(c, cfg, &ports, envp, err)) != NF_OK ||
        (rc = open_notify(c, cfg, &ports, err)) != NF_OK)
        goto fail;
    struct nf_cycle_opts o;
    cycle_opts(cfg, envp, &o);
    c->cycle = malloc(sizeof *c->cycle);
    c->history = calloc(NF_CONTROLLER_HISTORY_MAX, sizeof *c->history);
    if (c->cycle == NULL || c->history == NULL) {
        rc = nf_err_set(err, NF_E_NOMEM, "out of memory");
        goto fail;
    }
    nf_cycle_init(c->cycle, &ports, &c->pol, &o, c->history, NF_CONTROLLER_HISTORY_MAX);
    c->cycle->history_margin_s = 2 * cfg->prometheus_step;
    if (nf_policy_reads_history(&c->pol)) { /* the seed's predictive layer */
        c->mhist = calloc(NF_CYCLE_MHIST_MAX, sizeof *c->mhist);
        if (c->mhist == NULL) {
            rc = nf_err_set(err, NF_E_NOMEM, "out of memory");
            goto fail;
        }
        nf_cycle_keep_history(c->cycle, c->mhist, NF_CYCLE_MHIST_MAX);
    }
    c->cycle->log_steps = true;
    return NF_OK;
fail:
    nf_controller_close(c);
    return rc;
}

int nf_controller_open_cli(const struct nf_cli *cli, struct nf_controller *c,
                           const struct nf_config *cfg)
{
    struct nf_err err = {0};
    int rc = nf_controller_open(c, cfg, environ, &err);
    if (rc == NF_OK)
        return 0;
    nf_cli_say(cli->cmd, "%s", err.msg);
    nf_aws_models_free();
    return nf_cli_kube_exit(rc);
}

int nf_controller_cycle(struct nf_controller *c, struct nf_plan *plan, struct nf_err *err)
{
    return nf_cycle_run(c->cycle, plan, err);
}
