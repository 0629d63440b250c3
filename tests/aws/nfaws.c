/* nfaws.c - a test driver: nodefleet's AWS adapters as one command per operation, so the
 * Python tests can run them against moto and dynalite and check the result with the AWS CLI.
 * Configuration comes from the environment exactly as nodefleet reads it (CLUSTER_ID,
 * DYNAMODB_TABLE, NODEFLEET_*, AWS_*). Exit status: 0 ok, 3 lease conflict, 1 other failure. */
#define _POSIX_C_SOURCE 200809L
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapters/dynamodb.h"
#include "adapters/ec2.h"
#include "adapters/stores.h"
#include "aws/ec2_events.h"
#include "aws/support.h"
#include "config/config.h"
#include "util/parse.h"
#include "util/clock.h"

extern char **environ;

static int fail(int rc, const struct nf_err *err)
{
    fprintf(stderr, "nfaws: %s\n", err->msg);
    return rc == NF_E_CONFLICT ? 3 : 1;
}

static void print_lease(const struct nf_lease *l)
{
    printf("{\"owner\": \"%s\", \"token\": %lld, \"acquired_at\": %.3f, \"expiry\": %.3f}\n",
           l->owner, l->token, l->acquired_at, l->expiry);
    fflush(stdout);
}

static double arg_num(const char *s)
{
    double v = 0;
    nf_parse_double(s, strlen(s), &v, NULL);
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: nfaws COMMAND ...\n");
        return 2;
    }
    struct nf_config cfg;
    struct nf_err err = {0};
    if (nf_config_load_env(&cfg, environ) != NF_OK)
        return 2;
    struct nf_aws_client aws;
    if (nf_aws_client_init(&aws, cfg.aws_region, environ, &err) != NF_OK)
        return fail(1, &err);
    struct nf_dynamodb_store ddb = {.aws = &aws};
    snprintf(ddb.table, sizeof ddb.table, "%s", cfg.dynamodb_table);
    snprintf(ddb.cluster_id, sizeof ddb.cluster_id, "%s", cfg.cluster_id);
    snprintf(ddb.history_table, sizeof ddb.history_table, "%s", cfg.metrics_history_table);
    /* the store commands use the configured store (NODEFLEET_STORE): DynamoDB for the AWS
     * tests, SQLite for the embedded store's */
    struct nf_store_handle sh;
    const struct nf_store_port *store = &nf_dynamodb_store_port;
    void *stx = &ddb;
    bool opened = false;
    if (strncmp(cfg.store, "sqlite:", 7) == 0 || strncmp(cfg.store, "dynamodb:", 9) == 0) {
        if (nf_store_open(&sh, &cfg, NF_STORE_READ_WRITE, environ, &err) != NF_OK) {
            nf_aws_client_free(&aws);
            return fail(1, &err);
        }
        store = sh.port;
        stx = sh.ctx;
        opened = true;
    }
    const char *cmd = argv[1];
    int rc = NF_OK, status = 0;

    if (strcmp(cmd, "create-table") == 0) {
        rc = nf_dynamodb_create_table(&ddb, &err);
    } else if (strcmp(cmd, "acquire") == 0 && argc == 4) {
        struct nf_lease l;
        rc = store->acquire(stx, argv[2], nf_wall_now(), arg_num(argv[3]), &l, &err);
        if (rc == NF_OK || rc == NF_E_CONFLICT)
            print_lease(&l);
    } else if ((strcmp(cmd, "release") == 0 || strcmp(cmd, "renew") == 0 ||
                strcmp(cmd, "save") == 0 || strcmp(cmd, "save-release") == 0) &&
               argc >= 4) {
        struct nf_lease l = {.token = (long long)arg_num(argv[3])};
        snprintf(l.owner, sizeof l.owner, "%s", argv[2]);
        if (strcmp(cmd, "release") == 0) {
            rc = store->release(stx, &l, &err);
        } else if (strcmp(cmd, "renew") == 0) {
            rc = store->renew(stx, &l, nf_wall_now(), argc > 4 ? arg_num(argv[4]) : 60, &err);
        } else {
            struct nf_state s;
            rc = store->load(stx, &s, &err);
            if (rc == NF_OK) {
                s.node_count = argc > 4 ? (int)arg_num(argv[4]) : s.node_count + 1;
                snprintf(s.last_action, sizeof s.last_action, "scale_up");
                snprintf(s.last_reason, sizeof s.last_reason, "cpu > 70 for 180s");
                s.last_scale_up = floor(nf_wall_now());
                s.ndrains = 1;
                snprintf(s.drains[0].instance, sizeof s.drains[0].instance, "i-0abc");
                snprintf(s.drains[0].node, sizeof s.drains[0].node, "ip-10-0-1-5");
                s.drains[0].started_at = 1700000000;
                s.nlaunches = 1;
                snprintf(s.launches[0].intent, sizeof s.launches[0].intent, "up-1");
                snprintf(s.launches[0].az, sizeof s.launches[0].az, "us-east-1a");
                snprintf(s.launches[0].market, sizeof s.launches[0].market, "spot");
                s.launches[0].ninstances = 1;
                snprintf(s.launches[0].instances[0], sizeof s.launches[0].instances[0], "i-0def");
                s.nhistory = 1;
                s.history[0].t = 1700000000;
                s.history[0].cpu = 74.5;
                s.history[0].memory = 40;
                s.history[0].pending_pods = NAN;
                if (strcmp(cmd, "save") == 0)
                    rc = store->save(stx, &l, nf_wall_now(), &s, &err);
                else if (store->save_release == NULL)
                    rc = nf_err_set(&err, NF_E_USAGE, "this store has no save_release");
                else
                    rc = store->save_release(stx, &l, nf_wall_now(), &s, &err);
            }
        }
    } else if (strcmp(cmd, "creds-at") == 0 && argc >= 3) {
        /* get credentials at each of the given times (Unix s); print when each expires and
         * where it came from (never the keys) */
        for (int i = 2; i < argc && rc == NF_OK; i++) {
            struct nf_aws_credentials cr;
            rc = nf_aws_creds_get(&aws.creds, arg_num(argv[i]), &cr, &err);
            if (rc == NF_OK)
                printf("{\"at\": %s, \"source\": \"%s\", \"expiration\": %.0f}\n", argv[i],
                       cr.source, cr.expiration);
            memset(&cr, 0, sizeof cr);
        }
    } else if (strcmp(cmd, "create-history-table") == 0) {
        rc = nf_dynamodb_create_history_table(&ddb, &err);
    } else if (strcmp(cmd, "history-put") == 0 && argc == 7) {
        /* T CPU MEMORY PENDING NODES ("-" for unknown) */
        double v[4];
        for (int i = 0; i < 4; i++)
            v[i] = strcmp(argv[3 + i], "-") == 0 ? NAN : arg_num(argv[3 + i]);
        struct nf_history_item it =
            nf_history_item_at(arg_num(argv[2]), v[0], v[1], v[2], (int)v[3]);
        rc = store->history_put(stx, &it, &err);
    } else if (strcmp(cmd, "history-load") == 0 && argc == 4) {
        /* AFTER CAP: one JSON line per item */
        size_t cap = (size_t)arg_num(argv[3]), got = 0;
        struct nf_history_item *out = calloc(cap ? cap : 1, sizeof *out);
        rc = out ? store->history_load(stx, arg_num(argv[2]), out, cap, &got, &err) : NF_E_NOMEM;
        for (size_t i = 0; rc == NF_OK && i < got; i++) {
            char cpu[32] = "null";
            if (isfinite(out[i].cpu))
                snprintf(cpu, sizeof cpu, "%.2f", out[i].cpu);
            printf("{\"t\": %.0f, \"hour\": %d, \"weekday\": %d, \"cpu\": %s, "
                   "\"memory\": %.2f, \"nodes\": %d}\n",
                   out[i].t, out[i].hour, out[i].weekday, cpu, out[i].memory, out[i].nodes);
        }
        free(out);
    } else if (strcmp(cmd, "load") == 0) {
        struct nf_state s;
        rc = store->load(stx, &s, &err);
        if (rc == NF_OK)
            printf("{\"node_count\": %d, \"last_action\": \"%s\", \"ndrains\": %d, "
                   "\"nlaunches\": %d, \"nhistory\": %d}\n",
                   s.node_count, s.last_action, s.ndrains, s.nlaunches, s.nhistory);
    } else if (strcmp(cmd, "unlock") == 0) {
        struct nf_lease was;
        rc = store->unlock(stx, nf_wall_now(), &was, &err);
        if (rc == NF_OK)
            print_lease(&was);
    } else if (strcmp(cmd, "lease-loop") == 0 && argc == 6) {
        /* ROUNDS times: take the lease (retrying while it is held), hold it a little, give it
         * back; log "owner token acquired released" per round */
        const char *owner = argv[2];
        int rounds = (int)arg_num(argv[3]);
        double ttl = arg_num(argv[4]);
        FILE *log = fopen(argv[5], "a");
        if (log == NULL)
            return 1;
        unsigned seed = (unsigned)getpid();
        for (int r = 0; r < rounds && rc == NF_OK; r++) {
            struct nf_lease l;
            for (;;) {
                rc = store->acquire(stx, owner, nf_wall_now(), ttl, &l, &err);
                if (rc != NF_E_CONFLICT)
                    break;
                nf_sleep_s(0.002 + (rand_r(&seed) % 1000) / 100000.0);
            }
            if (rc != NF_OK)
                break;
            double t0 = nf_wall_now();
            nf_sleep_s(0.001);
            double t1 = nf_wall_now();
            rc = store->release(stx, &l, &err);
            fprintf(log, "%s %lld %.6f %.6f\n", owner, l.token, t0, t1);
            fflush(log);
        }
        fclose(log);
    } else if (strcmp(cmd, "hold-then-write") == 0 && argc == 5) {
        /* take the lease, say so, wait (the test stops us past the expiry), then try to
         * write state with the old lease */
        struct nf_lease l;
        rc = store->acquire(stx, argv[2], nf_wall_now(), arg_num(argv[3]), &l, &err);
        if (rc == NF_OK) {
            print_lease(&l);
            nf_sleep_s(arg_num(argv[4]));
            struct nf_state s;
            rc = store->load(stx, &s, &err);
            s.node_count = 999;
            if (rc == NF_OK)
                rc = store->save(stx, &l, nf_wall_now(), &s, &err);
            printf(rc == NF_OK ? "WRITE ok\n" : "WRITE refused\n");
        }
    } else if (strcmp(cmd, "launch") == 0 && (argc == 5 || argc == 6)) {
        /* launch COUNT SPOT INTENT [TYPE,TYPE,...]: the first SPOT on spot, each its type */
        struct nf_ec2 e;
        rc = nf_ec2_init(&e, &aws, &cfg, &err);
        int count = (int)arg_num(argv[2]), spot = (int)arg_num(argv[3]);
        enum nf_market m[64];
        static char tn[64][32];
        const char *types[64];
        const char *tl = argc == 6 ? argv[5] : "";
        for (int i = 0; i < count && i < 64; i++) {
            m[i] = i < spot ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND;
            size_t l = strcspn(tl, ",");
            snprintf(tn[i], sizeof tn[i], "%.*s", (int)l, tl);
            tl += l + (tl[l] == ',');
            types[i] = tn[i];
        }
        struct nf_launch_outcome out;
        /* NFAWS_REST=S,S,...: every pool of zone i rests S seconds more (as a cycle restores
         * the back-offs it kept in the state) */
        const char *rest = getenv("NFAWS_REST");
        for (int z = 0; rc == NF_OK && rest && *rest && z < e.nzones; z++) {
            double secs = 0;
            const char *why = NULL;
            if (nf_parse_double(rest, strcspn(rest, ","), &secs, &why) != NF_OK)
                rc = nf_err_set(&err, NF_E_USAGE, "NFAWS_REST: %s", why ? why : "not a number");
            if (rc != NF_OK)
                break;
            double until = nf_wall_now() + secs;
            for (int mk = 0; mk < 2; mk++)
                nf_ec2_cloud_port.backoff(&e, e.zones[z].az, "",
                                          mk ? NF_MARKET_SPOT : NF_MARKET_ON_DEMAND, 0, until);
            rest += strcspn(rest, ",");
            rest += *rest == ',';
        }
        if (rc == NF_OK)
            rc = nf_ec2_launch(&e, argv[4], count, m, types, nf_wall_now(), &out, &err);
        if (rc == NF_OK) {
            printf("{\"already\": %d, \"launched\": %d, \"fell_back\": %d, \"instances\": [",
                   out.already, out.launched, out.fell_back);
            for (int i = 0; i < out.ninstances; i++)
                printf("%s{\"id\": \"%s\", \"az\": \"%s\", \"market\": \"%s\", \"type\": \"%s\"}",
                       i ? ", " : "", out.instances[i].id, out.instances[i].az,
                       nf_market_name(out.instances[i].market), out.instances[i].type);
            printf("]}\n");
        }
    } else if (strcmp(cmd, "catalog") == 0) {
        struct nf_ec2 e;
        struct nf_itype t[NF_ITYPES_MAX];
        size_t n = 0;
        rc = nf_ec2_init(&e, &aws, &cfg, &err);
        if (rc == NF_OK)
            rc = nf_ec2_catalog(&e, nf_wall_now(), t, NF_ITYPES_MAX, &n, &err);
        if (rc == NF_OK) {
            printf("[");
            for (size_t i = 0; i < n; i++)
                printf("%s{\"type\": \"%s\", \"cpu_m\": %lld, \"mem\": %lld, \"od\": %.6g, "
                       "\"spot\": %.6g}",
                       i ? ", " : "", t[i].name, (long long)t[i].cpu_m, (long long)t[i].mem,
                       isfinite(t[i].od_price) ? t[i].od_price : -1,
                       isfinite(t[i].spot_price) ? t[i].spot_price : -1);
            printf("]\n");
        }
    } else if (strcmp(cmd, "list") == 0) {
        struct nf_ec2 e;
        static struct nf_instance ins[NF_EC2_INSTANCES_MAX];
        size_t n = 0;
        rc = nf_ec2_init(&e, &aws, &cfg, &err);
        if (rc == NF_OK)
            rc = nf_ec2_list(&e, ins, NF_EC2_INSTANCES_MAX, &n, &err);
        if (rc == NF_OK) {
            fprintf(stderr, "pages: %d\n", e.pages_read);
            printf("[");
            for (size_t i = 0; i < n; i++)
                printf("%s{\"id\": \"%s\", \"az\": \"%s\", \"state\": \"%s\", \"intent\": \"%s\", "
                       "\"market\": \"%s\"}",
                       i ? ", " : "", ins[i].id, ins[i].az, ins[i].state, ins[i].intent,
                       nf_market_name(ins[i].market));
            printf("]\n");
        }
    } else if (strcmp(cmd, "terminate") == 0 && argc >= 3) {
        struct nf_ec2 e;
        rc = nf_ec2_init(&e, &aws, &cfg, &err);
        if (rc == NF_OK)
            rc = nf_ec2_terminate(&e, (const char *const *)argv + 2, (size_t)(argc - 2), &err);
    } else if (strcmp(cmd, "lifecycle") == 0 && argc == 3) {
        /* ROUNDS x (launch 1 on-demand, list the pool, terminate it), each call timed in
         * process: one JSON line per round with the milliseconds of each */
        struct nf_ec2 e;
        rc = nf_ec2_init(&e, &aws, &cfg, &err);
        static struct nf_instance ins[NF_EC2_INSTANCES_MAX];
        int rounds = (int)arg_num(argv[2]);
        for (int r = 0; r < rounds && rc == NF_OK; r++) {
            char intent[64];
            snprintf(intent, sizeof intent, "bench-%d-%d", (int)getpid(), r);
            enum nf_market m = NF_MARKET_ON_DEMAND;
            struct nf_launch_outcome out;
            size_t n = 0;
            double t0 = nf_wall_now();
            rc = nf_ec2_launch(&e, intent, 1, &m, NULL, t0, &out, &err);
            double t1 = nf_wall_now();
            if (rc == NF_OK)
                rc = nf_ec2_list(&e, ins, NF_EC2_INSTANCES_MAX, &n, &err);
            double t2 = nf_wall_now();
            const char *id = out.instances[0].id;
            if (rc == NF_OK)
                rc = nf_ec2_terminate(&e, &id, 1, &err);
            double t3 = nf_wall_now();
            if (rc == NF_OK)
                printf("{\"launch_ms\": %.2f, \"list_ms\": %.2f, \"listed\": %zu, "
                       "\"terminate_ms\": %.2f}\n",
                       (t1 - t0) * 1e3, (t2 - t1) * 1e3, n, (t3 - t2) * 1e3);
        }
    } else if (strcmp(cmd, "find-server") == 0) {
        struct nf_ec2 e;
        char ip[64];
        rc = nf_ec2_init(&e, &aws, &cfg, &err);
        if (rc == NF_OK)
            rc = nf_ec2_find_server(&e, ip, sizeof ip, &err);
        if (rc == NF_OK)
            printf("%s\n", ip);
    } else if (strcmp(cmd, "secret") == 0 && argc == 3) {
        char v[8192];
        rc = nf_secret_get(&aws, argv[2], v, sizeof v, &err);
        if (rc == NF_OK)
            printf("%zu\n", strlen(v)); /* the length only: secrets are not printed */
    } else if (strcmp(cmd, "publish") == 0 && argc == 5) {
        char id[128];
        rc = nf_sns_publish(&aws, argv[2], argv[3], argv[4], id, sizeof id, &err);
        if (rc == NF_OK)
            printf("%s\n", id);
    } else if (strcmp(cmd, "put-metrics") == 0 && argc == 4) {
        int n = (int)arg_num(argv[3]);
        struct nf_metric_datum *d = calloc((size_t)n, sizeof *d);
        for (int i = 0; i < n; i++)
            d[i] = (struct nf_metric_datum){.name = "NodeCount",
                                            .value = i,
                                            .unit = "Count",
                                            .dim_name = "ClusterId",
                                            .dim_value = cfg.cluster_id};
        rc = nf_cw_put_metrics(&aws, argv[2], d, (size_t)n, &err);
        free(d);
    } else if (strcmp(cmd, "sqs-drain") == 0 && argc == 3) {
        static struct nf_sqs_message m[NF_SQS_MESSAGES_MAX];
        int n = 0;
        rc = nf_sqs_receive(&aws, argv[2], 10, 0, m, &n, &err);
        for (int i = 0; rc == NF_OK && i < n; i++) {
            /* one message a line: SNS envelopes are pretty-printed JSON, whose newlines
             * are all between tokens */
            for (char *q = m[i].body; *q; q++)
                if (*q == '\n')
                    *q = ' ';
            printf("%s\n", m[i].body);
            rc = nf_sqs_delete(&aws, argv[2], m[i].receipt, &err);
        }
    } else if (strcmp(cmd, "sqs-events") == 0 && argc == 3) {
        /* what the queue holds, read as EC2 events: each event a line; a message that does
         * not read is reported and left on the queue (its redrive policy decides) */
        static struct nf_sqs_message m[NF_SQS_MESSAGES_MAX];
        int n = 0;
        rc = nf_sqs_receive(&aws, argv[2], 10, 0, m, &n, &err);
        for (int i = 0; rc == NF_OK && i < n; i++) {
            struct nf_ec2_event ev[8];
            size_t k = 0;
            struct nf_err e = {0};
            int prc = m[i].too_big
                          ? nf_err_set(&e, NF_E_TOO_BIG, "over the body buffer")
                          : nf_ec2_events_parse(m[i].body, strlen(m[i].body), ev, 8, &k, &e);
            if (prc != NF_OK) {
                json_t *j = json_pack("{s:s, s:s}", "message", m[i].id, "error", e.msg);
                char *t = json_dumps(j, JSON_COMPACT);
                printf("%s\n", t);
                free(t);
                json_decref(j);
                continue;
            }
            for (size_t x = 0; x < k; x++) {
                json_t *j = json_pack("{s:s, s:s, s:s, s:s, s:f, s:f}", "kind",
                                      nf_ec2_event_kind_name(ev[x].kind), "id", ev[x].id,
                                      "instance", ev[x].instance, "detail", ev[x].detail, "time",
                                      ev[x].time, "deadline", ev[x].deadline);
                char *t = json_dumps(j, JSON_COMPACT);
                printf("%s\n", t);
                free(t);
                json_decref(j);
            }
            rc = nf_sqs_delete(&aws, argv[2], m[i].receipt, &err);
        }
    } else if (strcmp(cmd, "ssm-run") == 0 && argc == 4) {
        char id[128];
        rc = nf_ssm_send_command(&aws, argv[2], argv[3], id, sizeof id, &err);
        struct nf_ssm_invocation inv;
        if (rc == NF_OK)
            rc = nf_ssm_get_invocation(&aws, id, argv[2], &inv, &err);
        if (rc == NF_OK)
            printf("{\"command_id\": \"%s\", \"status\": \"%s\"}\n", id, inv.status);
    } else {
        fprintf(stderr, "nfaws: unknown command or wrong arguments: %s\n", cmd);
        status = 2;
    }
    if (rc != NF_OK)
        status = fail(rc, &err);
    if (opened)
        nf_store_close(&sh);
    nf_dynamodb_store_close(&ddb);
    nf_aws_client_free(&aws);
    nf_aws_models_free();
    return status;
}
