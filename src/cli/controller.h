/* controller.h - the running system: every adapter the configuration names, wired to the
 * cycle, for `run`, `once`, `lambda` and `explain`.
 *
 * Contract
 *   nf_controller_open builds, from the configuration: the metrics (Prometheus, with basic
 *   auth from Secrets Manager when aws.prometheus_secret is set), the cluster (kube or
 *   prometheus), the cloud (ec2 or none), the store (sqlite, dynamodb or mem), the notifiers
 *   (the log always; Slack from notify.slack_webhook_url or aws.slack_webhook_secret; SNS
 *   from aws.sns_topic_arn) and the publisher of the CloudWatch metrics
 *   (aws.cloudwatch_namespace; Embedded Metric Format lines on stdout when `cw.emf`), each
 *   found by name. Anything missing or malformed fails here, before a first cycle, with the
 *   setting named. nf_controller_cycle runs one cycle (the cycle publishes the metrics after
 *   it releases the lease; that may fail without failing the cycle). The lease owner is
 *   "HOST:PID".
 */
#ifndef NF_CLI_CONTROLLER_H
#define NF_CLI_CONTROLLER_H

#include "../adapters/clock.h"
#include "../adapters/prometheus.h"
#include "../adapters/cloudwatch.h"
#include "../adapters/ec2.h"
#include "../adapters/kube_cluster.h"
#include "../adapters/notify.h"
#include "../adapters/sqs_events.h"
#include "../adapters/stores.h"
#include "../cycle/cycle.h"
#include "../prom/prom_source.h"

#define NF_CONTROLLER_HISTORY_MAX 8192

struct nf_controller {
    struct nf_config cfg;
    struct nf_policy pol;
    struct nf_prom_source *prom;
    struct nf_kube kube;
    bool have_kube;
    struct nf_kube_cluster kc;
    struct nf_prom_view pview;
    struct nf_aws_client aws;
    bool have_aws;
    struct nf_ec2 ec2;
    struct nf_store_handle store;
    bool have_store;
    struct nf_notifier notifier;
    struct nf_cycle *cycle;
    struct nf_sample *history;
    struct nf_history_item *mhist; /* the seed's metrics history, when its policy reads one */
    struct nf_cloudwatch cw;       /* cw.emf: metrics as EMF lines (lambda) */
    struct nf_sqs_events sqsev;    /* aws.interruption_queue_url */
};

struct nf_cli;
/* nf_controller_open for a command: 0, or the exit status to return (message printed). */
int nf_controller_open_cli(const struct nf_cli *cli, struct nf_controller *c,
                           const struct nf_config *cfg);
int nf_controller_open(struct nf_controller *c, const struct nf_config *cfg, char *const *envp,
                       struct nf_err *err);
void nf_controller_close(struct nf_controller *c);

int nf_controller_cycle(struct nf_controller *c, struct nf_plan *plan, struct nf_err *err);

#endif
