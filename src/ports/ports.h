/* ports.h - the boundaries between the cycle and the world: const vtables + opaque context.
 *
 * Contract
 *   A port is a `const struct` of function pointers; an adapter supplies one together with
 *   its context pointer. Every call returns NF_OK or an error code with detail in the
 *   caller's `struct nf_err`. The cycle talks to the world only through these, so the same
 *   cycle runs against real services (Prometheus, EC2, the API server) or the simulator's
 *   models. Adapters live in src/adapters (and src/sim for the simulator's); events in
 *   events.h; the state the store keeps in state.h.
 */
#ifndef NF_PORTS_H
#define NF_PORTS_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/fleet.h"
#include "../core/itypes.h"
#include "../core/placement.h"
#include "../core/predictive.h"
#include "../core/types.h"
#include "../util/err.h"
#include "events.h"
#include "state.h"

struct nf_clock_port {
    const char *name;
    double (*now)(void *ctx);
};

struct nf_metrics_port {
    const char *name;
    /* Samples with start <= t <= end, oldest first, at most `cap`; `*n` gets the count.
     * A signal the source could not read is NAN in every sample, never 0. */
    int (*history)(void *ctx, double start, double end, struct nf_sample *out, size_t cap,
                   size_t *n, struct nf_err *err);
};

/* A worker node as the cluster reports it. */
struct nf_node_info {
    char name[128];
    char instance[32];    /* from spec.providerID; "" when unknown */
    char internal_ip[48]; /* to match an instance without a providerID */
    char zone[32];
    enum nf_market market;
    bool ready, cordoned, control_plane;
    double created;    /* Unix s; 0 when unknown */
    char why_not[240]; /* why it may not be removed now; "" when it may */
};

struct nf_cluster_view {
    const struct nf_node_info *nodes; /* owned by the adapter; valid until its next observe */
    size_t nnodes;
    int pending_pods; /* pods the scheduler could not place, and what they request */
    long long pending_cpu_m, pending_mem;
    /* the pool as the core models it (core/fleet.h): every node and pod with what the
     * predicates and the safety rules need; owned by the adapter, valid until its next
     * observe; NULL when the adapter cannot see pods (cluster: prometheus) */
    struct nf_fleet *fleet;
};

enum nf_drain_state { NF_DRAIN_IN_PROGRESS, NF_DRAIN_DONE, NF_DRAIN_ABORTED };

struct nf_drain_report {
    enum nf_drain_state state;
    int remaining;     /* pods still to go */
    int evicted;       /* evictions accepted by this step */
    int refused;       /* evictions refused for now (429) by this step */
    double retry_in_s; /* when the next step is worth making */
    char why[512];     /* aborted: why; in progress: what it waits for; done: how */
};

/* The cluster. observe: the nodes and the pending demand. choose: of the nodes named (from
 * the last observe), up to `count` that may be drained now, best first (`prefer`: that
 * market's first, -1 either); `chosen` gets their indexes into `names`; when fewer than
 * asked, `why` says what stopped the next one. drain_step: one resumable step of a drain
 * (kube/drain.h); `force_at` > 0: the instance goes whatever happens - the rules give way,
 * nothing aborts, pods are deleted from then on (drain.h's force_at). remove_node: delete the Node
 * object (gone already is fine). */
struct nf_cluster_port {
    const char *name;
    int (*observe)(void *ctx, struct nf_cluster_view *out, struct nf_err *err);
    int (*choose)(void *ctx, const char *const *names, size_t nnames, int count, int prefer,
                  size_t *chosen, size_t *nchosen, char *why, size_t whylen, struct nf_err *err);
    int (*drain_step)(void *ctx, const char *node, double started_at, double now, double force_at,
                      struct nf_drain_report *rep, struct nf_err *err);
    int (*remove_node)(void *ctx, const char *node, struct nf_err *err);
    /* Optional: the cycle is over (or never observed: another process holds the lease), so
     * what backs the last observation's fleet may go; its nodes[] stay readable. A watched
     * cache frees the objects only that snapshot still held. */
    void (*settle)(void *ctx);
};

/* A pool instance as the cloud reports it. */
struct nf_instance {
    char id[24];
    char type[32]; /* the instance type ("" when the cloud did not say) */
    char az[32];
    char subnet[32];
    char state[24];
    char intent[64];
    char private_ip[48];
    char private_dns[160];
    enum nf_market market;
    double launch_time;
};

#define NF_LAUNCH_OUTCOME_MAX 64

struct nf_launch_outcome {
    int already; /* found running under this intent already (a retry): not launched again */
    int launched;
    int fell_back; /* launched on-demand because spot had no capacity */
    struct nf_instance instances[NF_LAUNCH_OUTCOME_MAX];
    int ninstances;
};

/* The cloud. list: the pool's live instances. launch: `count` workers, markets[i] and
 * types[i] each (types NULL, or an entry "": the pool's first type), under `intent` -
 * idempotent: instances already made under the intent count toward `count`. terminate:
 * these instances (gone already is fine). */
struct nf_cloud_port {
    const char *name;
    int (*list)(void *ctx, struct nf_instance *out, size_t cap, size_t *n, struct nf_err *err);
    int (*launch)(void *ctx, const char *intent, int count, const enum nf_market *markets,
                  const char *const *types, double now, struct nf_launch_outcome *out,
                  struct nf_err *err);
    int (*terminate)(void *ctx, const char *const *ids, size_t n, struct nf_err *err);
    /* Optional (both may be NULL). backoff: skip the pool (type - "" or NULL: every type -,
     * zone `az`, market `m`) until `until` (Unix s), or, when `until` is 0, for the
     * adapter's own back-off from `now` - a worker launched there never joined. backoffs:
     * the back-offs in force at `now` (capacity errors included), for the state to keep. */
    void (*backoff)(void *ctx, const char *az, const char *type, enum nf_market m, double now,
                    double until);
    size_t (*backoffs)(void *ctx, struct nf_backoff_rec *out, size_t cap, double now);
    /* Optional: the instance types to choose from, with what a new worker of each hosts and
     * costs (core/itypes.h); NF_E_UNAVAILABLE when there is no choice (one unnamed type).
     * hourly: what a worker of that type and market costs an hour, NAN unknown. */
    int (*catalog)(void *ctx, double now, struct nf_itype *out, size_t cap, size_t *n,
                   struct nf_err *err);
    double (*hourly)(void *ctx, const char *type, const char *az, enum nf_market m);
};

struct nf_notify_port {
    const char *name;
    void (*notify)(void *ctx, const struct nf_event *ev);
};

/* Pool state and the lease (DynamoDB in production, SQLite embedded, memory in tests).
 * acquire: take the lease if it is free or expired; NF_E_CONFLICT when a live owner holds
 *   it (`out` then names the holder). renew/release/save: conditional on owner and token;
 *   NF_E_CONFLICT when the lease was lost. unlock: clear whatever lease there is, raising the
 *   token so its old holder can write no more; `was` gets the previous holder. */
/* How a store is opened: read-write (the cycle), read-only (status, explain, dry runs: the
 * file is never created or changed) or for the lease alone (unlock). */
enum nf_store_mode { NF_STORE_READ_WRITE, NF_STORE_READ_ONLY, NF_STORE_LEASE_ONLY };

struct nf_store_port {
    const char *name;
    int (*acquire)(void *ctx, const char *owner, double now, double ttl, struct nf_lease *out,
                   struct nf_err *err);
    int (*renew)(void *ctx, struct nf_lease *lease, double now, double ttl, struct nf_err *err);
    int (*release)(void *ctx, const struct nf_lease *lease, struct nf_err *err);
    int (*load)(void *ctx, struct nf_state *out, struct nf_err *err);
    int (*save)(void *ctx, const struct nf_lease *lease, double now, const struct nf_state *st,
                struct nf_err *err);
    /* save, and release the lease in the same write: the cycle's last save (one round trip
     * less on its critical path). NULL: the cycle saves, then releases. */
    int (*save_release)(void *ctx, const struct nf_lease *lease, double now,
                        const struct nf_state *st, struct nf_err *err);
    int (*unlock)(void *ctx, double now, struct nf_lease *was, struct nf_err *err);
    /* read the lease as it is (no owner: free), changing nothing */
    int (*peek)(void *ctx, struct nf_lease *out, struct nf_err *err);
    /* The seed's metrics history (predictive.h), beside the state, never inside it:
     * history_put keeps one reading (its time is its key: a second one at the same second
     * replaces it; it expires 30 days later); history_load gives those after `after`
     * (exclusive), oldest first, at most `cap` (the oldest of them when there are more).
     * NULL when the store keeps none. */
    int (*history_put)(void *ctx, const struct nf_history_item *it, struct nf_err *err);
    int (*history_load)(void *ctx, double after, struct nf_history_item *out, size_t cap, size_t *n,
                        struct nf_err *err);
};

/* What the last run saw and did: the cycle's output, for metrics, status, explain and the
 * status page (they read this, never the cycle's working fields). Valid until the next run. */
struct nf_cycle_report {
    double t;                            /* when it ran (Unix s) */
    struct nf_workers workers;           /* as counted (all 0 when !count_known) */
    double newest[NF_SAMPLE_VALUES];     /* the newest sample's values; NAN = unknown */
    struct nf_cluster_view view;         /* the nodes as the cluster reported them */
    const struct nf_instance *instances; /* the pool's instances as the cloud listed them */
    size_t ninstances;
    bool have_cloud; /* a cloud is configured (cloud: ec2) */
    bool cloud_ok, cluster_ok;
    bool count_known; /* the source that counts the workers answered (else: nothing decided) */
    char incomplete_why[256]; /* "" when the observation was complete */
    char lease_note[256];     /* who held the lease when this cycle could not take it */
    int unhostable_pods;      /* pending pods no new worker could host: never bought for */
    char unhostable_why[240]; /* the first of them and why */
    struct nf_plan plan;
    int launched, drained, terminated;
    int events[5]; /* the cloud's events acted on this cycle, by nf_cloud_event_kind */
    /* what the listed instances cost an hour, by enum nf_market (their types' prices, else
     * the configured ones); NAN without a cloud */
    double cost_per_hour[2];
    double cost_if_on_demand; /* the same instances all on-demand, $ an hour (the savings' base) */
    bool deadline_cut;        /* the run's budget ran out: the cycle ended early (util/budget.h) */
    bool failed;              /* the cycle returned an error (published too, CycleErrors) */
    bool lease_held, lease_lost; /* held to the end; taken over by another mid-cycle */
    /* this cycle's part of the state's counters (0 unless it held the lease) */
    int launch_failures, drains_done, drains_aborted;
    int join_timeouts; /* workers not Ready within provision_timeout, terminated */
    int njoined;       /* workers that became Ready this cycle, and how long each took */
    double joined_s[32];
    const struct nf_state *state; /* the pool's state as loaded (and saved) */
};

/* What nobody waits for: the cycle's metrics, published after the lease is released
 * (CloudWatch PutMetricData, or EMF lines in a Lambda). `took_s`: the run's duration. A
 * failure here is the adapter's to count and log; it never fails the cycle. */
struct nf_publish_port {
    const char *name;
    void (*publish)(void *ctx, const struct nf_cycle_report *rep, double took_s);
};

/* An event about one instance from the cloud's event queue (issue 15). */
enum nf_cloud_event_kind {
    NF_CEV_SPOT_INTERRUPTION = 1, /* the instance goes at `deadline` */
    NF_CEV_REBALANCE,             /* its pool is at elevated risk */
    NF_CEV_STATE_CHANGE,          /* `detail`: stopping, stopped, shutting-down, terminated... */
    NF_CEV_SCHEDULED              /* a scheduled retirement, stop or reboot at `deadline` */
};

const char *nf_cloud_event_kind_name(enum nf_cloud_event_kind k);

struct nf_cloud_event {
    enum nf_cloud_event_kind kind;
    char id[80]; /* the event's id: (instance, id) is what makes it unique */
    char instance[24];
    char detail[96];
    double time, deadline; /* Unix s; deadline 0 when the event gives none */
    int message;           /* the message it came in, for ack */
};

/* The cloud's event queue (optional). receive: the events of the messages waiting, after
 * `wait_s` at most for the first; `*nmessages` messages were handed out, numbered from 0 -
 * those whose events are of no interest too, so they can be acked; a message that does not
 * read is logged by the adapter (with its id) and left on the queue for its redrive policy.
 * ack: delete message `m` of the last receive - only once what it asked for is in the store.
 * poll (optional): wait up to `wait_s` for messages between cycles, keeping what comes for the
 * next receive (which then hands it out without asking the queue); true when something came. */
struct nf_events_port {
    const char *name;
    int (*receive)(void *ctx, double wait_s, struct nf_cloud_event *out, size_t cap, size_t *n,
                   int *nmessages, struct nf_err *err);
    int (*ack)(void *ctx, int m, struct nf_err *err);
    bool (*poll)(void *ctx, double wait_s);
};

struct nf_ports {
    const struct nf_clock_port *clock;
    void *clock_ctx;
    const struct nf_metrics_port *metrics;
    void *metrics_ctx;
    const struct nf_cluster_port *cluster;
    void *cluster_ctx;
    const struct nf_cloud_port *cloud;
    void *cloud_ctx;
    const struct nf_store_port *store; /* the simulator and tests use the memory store */
    void *store_ctx;
    const struct nf_notify_port *notify; /* may be NULL */
    void *notify_ctx;
    const struct nf_publish_port *publish; /* may be NULL */
    void *publish_ctx;
    const struct nf_events_port *events; /* may be NULL: no interruption queue */
    void *events_ctx;
};

#endif
