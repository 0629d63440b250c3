/* drain.c - cordon, evict, wait; or uncordon and say why. */
#define _POSIX_C_SOURCE 200809L
#include "drain.h"

#include <stdio.h>
#include <string.h>

#include "../util/log.h"
#include "drainable.h"

static void path_seg(struct nf_buf *b, const char *s)
{
    nf_http_urlencode(b, s);
}

static int nf_kube_cordon(struct nf_kube *k, const char *node, bool on, struct nf_err *err)
{
    struct nf_buf p;
    nf_buf_init(&p, 1024);
    nf_buf_puts(&p, "/api/v1/nodes/");
    path_seg(&p, node);
    /* kubectl's two-way strategic merge patch of spec.unschedulable (omitempty) */
    int rc = nf_kube_call(k, "PATCH", p.data,
                          on ? "{\"spec\":{\"unschedulable\":true}}"
                             : "{\"spec\":{\"unschedulable\":null}}",
                          "application/strategic-merge-patch+json", NULL, NULL, err);
    nf_buf_free(&p);
    return rc;
}

int nf_kube_delete_node(struct nf_kube *k, const char *node, struct nf_err *err)
{
    struct nf_buf p;
    nf_buf_init(&p, 1024);
    nf_buf_puts(&p, "/api/v1/nodes/");
    path_seg(&p, node);
    struct nf_kube_status st;
    int rc = nf_kube_call(k, "DELETE", p.data, NULL, NULL, NULL, &st, err);
    nf_buf_free(&p);
    if (rc == NF_E_KUBE && st.code == 404)
        return NF_OK;
    return rc;
}

static int on_pod(void *c, const json_t *item, struct nf_err *err)
{
    return nf_kread_pod(c, item, err);
}

/* GET one owner object into the snapshot; 404 leaves it out (the rules then say so) */
static int get_owner(struct nf_kube *k, struct nf_kcluster *c, const char *ns, const char *res,
                     const char *name, struct nf_err *err)
{
    struct nf_buf p;
    nf_buf_init(&p, 2048);
    nf_buf_puts(&p, "/apis/apps/v1/namespaces/");
    path_seg(&p, ns);
    nf_buf_putv(&p, "/", res, "/", (const char *)NULL);
    path_seg(&p, name);
    json_t *j = NULL;
    struct nf_kube_status st;
    int rc = nf_kube_call(k, "GET", p.data, NULL, NULL, &j, &st, err);
    nf_buf_free(&p);
    if (rc == NF_E_KUBE && st.code == 404)
        return NF_OK;
    if (rc != NF_OK)
        return rc;
    rc = strcmp(res, "replicasets") == 0 ? nf_kread_replicaset(c, j, err)
                                         : nf_kread_deployment(c, j, err);
    json_decref(j);
    return rc;
}

static bool have_rs(const struct nf_kcluster *c, const char *ns, const char *name)
{
    for (size_t i = 0; i < c->nrs; i++)
        if (strcmp(c->rs[i].ns, ns) == 0 && strcmp(c->rs[i].name, name) == 0)
            return true;
    return false;
}

static bool have_deploy(const struct nf_kcluster *c, const char *ns, const char *name)
{
    for (size_t i = 0; i < c->ndeploys; i++)
        if (strcmp(c->deploys[i].ns, ns) == 0 && strcmp(c->deploys[i].name, name) == 0)
            return true;
    return false;
}

/* the node, its pods, and their ReplicaSets and Deployments */
static int read_node(struct nf_kube *k, const char *node, struct nf_kcluster *c, bool *gone,
                     struct nf_err *err)
{
    *gone = false;
    struct nf_buf p;
    nf_buf_init(&p, 2048);
    nf_buf_puts(&p, "/api/v1/nodes/");
    path_seg(&p, node);
    json_t *j = NULL;
    struct nf_kube_status st;
    int rc = nf_kube_call(k, "GET", p.data, NULL, NULL, &j, &st, err);
    nf_buf_free(&p);
    if (rc == NF_E_KUBE && st.code == 404) {
        *gone = true;
        return NF_OK;
    }
    if (rc != NF_OK)
        return rc;
    rc = nf_kread_node(c, j, err);
    json_decref(j);
    if (rc != NF_OK)
        return rc;
    nf_buf_init(&p, 2048);
    nf_buf_puts(&p, "fieldSelector=");
    struct nf_buf sel;
    nf_buf_init(&sel, 1024);
    nf_buf_putv(&sel, "spec.nodeName=", node, (const char *)NULL);
    nf_http_urlencode(&p, sel.data);
    nf_buf_free(&sel);
    rc = nf_kube_list(k, "/api/v1/pods", p.data, on_pod, c, err);
    nf_buf_free(&p);
    for (size_t i = 0; rc == NF_OK && i < c->npods; i++) {
        const struct nf_kpod *pod = &c->pods[i];
        if (pod->owner != NF_OWN_REPLICASET || nf_pod_left_alone(pod) ||
            have_rs(c, pod->ns, pod->owner_name))
            continue;
        const char *ns = pod->ns, *owner = pod->owner_name; /* pods may move when rs grows */
        rc = get_owner(k, c, ns, "replicasets", owner, err);
    }
    for (size_t i = 0; rc == NF_OK && i < c->nrs; i++)
        if (c->rs[i].deployment && !have_deploy(c, c->rs[i].ns, c->rs[i].deployment)) {
            const char *ns = c->rs[i].ns, *d = c->rs[i].deployment;
            rc = get_owner(k, c, ns, "deployments", d, err);
        }
    return rc;
}

static int abort_drain(struct nf_kube *k, const char *node, struct nf_drain_report *rep,
                       struct nf_err *err)
{
    rep->state = NF_DRAIN_ABORTED;
    int rc = nf_kube_cordon(k, node, false, err);
    if (rc != NF_OK) /* the node stays cordoned; the caller retries the abort next step */
        return rc;
    nf_log(NF_LOG_WARN, "drain aborted; node uncordoned", NF_LF_STR("node", node),
           NF_LF_STR("why", rep->why), NF_LF_END);
    return NF_OK;
}

/* Evict through the Eviction API - or, `del` (a forced drain past its time), DELETE the pod. */
static int evict(struct nf_kube *k, const struct nf_kpod *p, bool del, struct nf_kube_status *st,
                 struct nf_err *err)
{
    struct nf_buf path, body;
    nf_buf_init(&path, 2048);
    nf_buf_init(&body, 4096);
    nf_buf_puts(&path, "/api/v1/namespaces/");
    path_seg(&path, p->ns);
    nf_buf_puts(&path, "/pods/");
    path_seg(&path, p->name);
    if (del) {
        int rc = nf_kube_call(k, "DELETE", path.data, NULL, NULL, NULL, st, err);
        nf_buf_free(&path);
        nf_buf_free(&body);
        return rc;
    }
    nf_buf_puts(&path, "/eviction");
    nf_buf_puts(&body,
                "{\"apiVersion\":\"policy/v1\",\"kind\":\"Eviction\",\"metadata\":{\"name\":");
    nf_buf_json_str(&body, p->name);
    nf_buf_puts(&body, ",\"namespace\":");
    nf_buf_json_str(&body, p->ns);
    nf_buf_puts(&body, "}}");
    int rc = nf_kube_call(k, "POST", path.data, body.data, "application/json", NULL, st, err);
    nf_buf_free(&path);
    nf_buf_free(&body);
    return rc;
}

/* what this step's evictions met: the shortest wait a refusal (429) asked for, and the last */
struct refusals {
    double wait;
    char last[300];
};

#define NF_DRAIN_ABORT 1 /* evict_all: an eviction was refused for good; rep->why says which */

/* ask to evict every pod that must move. NF_OK when each was evicted, gone, or refused for
 * now (429: counted in rep->refused and in f); NF_DRAIN_ABORT for a final refusal; another
 * code (err set) when the API server did not answer, to be tried again next step. */
static int evict_all(struct nf_kube *k, const struct nf_kcluster *c, const char *node,
                     const struct nf_drain_opts *o, double now, struct nf_drain_report *rep,
                     struct refusals *f, struct nf_err *err)
{
    bool forced = o->force_at > 0, del = forced && now >= o->force_at;
    for (size_t i = 0; i < c->npods; i++) {
        const struct nf_kpod *p = &c->pods[i];
        if (strcmp(p->node, node) != 0 || nf_pod_left_alone(p))
            continue;
        struct nf_kube_status st;
        struct nf_err e;
        int rc = evict(k, p, del, &st, &e);
        if (rc == NF_OK) {
            rep->evicted++;
            nf_log(NF_LOG_INFO, del ? "pod deleted: the node is about to go" : "pod evicted",
                   NF_LF_STR("node", node), NF_LF_STR("namespace", p->ns),
                   NF_LF_STR("pod", p->name), NF_LF_END);
        } else if (rc == NF_E_KUBE && st.code == 404) { /* gone already */
        } else if (rc == NF_E_KUBE && (st.code == 429 || (forced && st.code != 403))) {
            /* refused for now - or, the node going whatever happens, refused until its
             * pods are deleted; not a 403, which no retry changes (the RBAC lacks a verb) */
            rep->refused++;
            double ra = st.retry_after_s > 0 ? st.retry_after_s : o->eviction_retry_s;
            if (f->wait == 0 || ra < f->wait)
                f->wait = ra;
            snprintf(f->last, sizeof f->last, "%s/%s: %.240s", p->ns, p->name, st.message);
        } else if (rc == NF_E_KUBE) {
            snprintf(rep->why, sizeof rep->why, "eviction of pod %s/%s refused: %.400s", p->ns,
                     p->name, e.msg);
            return NF_DRAIN_ABORT;
        } else {
            if (err)
                *err = e;
            return rc; /* unreachable API: try again next step */
        }
    }
    return NF_OK;
}

/* past the deadline with nothing accepted this step, the drain gives up (after the evictions,
 * so the reason names the last refusal); pods already terminating get two more minutes to
 * finish, refusals none. True (rep->why set) when it is time to give up. */
static bool timed_out(const struct nf_kcluster *c, const char *node, double started_at, double now,
                      const struct nf_drain_opts *o, const struct refusals *f,
                      struct nf_drain_report *rep)
{
    int terminating = rep->remaining - rep->evicted - rep->refused;
    bool late = now - started_at > o->timeout_s;
    if (!(late && rep->evicted == 0 &&
          (rep->refused > 0 || terminating == 0 || now - started_at > o->timeout_s + 120)))
        return false;
    char first[300] = "";
    for (size_t i = 0; i < c->npods && !first[0]; i++)
        if (!nf_pod_left_alone(&c->pods[i]) || c->pods[i].deleting)
            snprintf(first, sizeof first, "%s/%s", c->pods[i].ns, c->pods[i].name);
    struct nf_buf m;
    nf_buf_init(&m, 4096);
    nf_buf_printf(&m, "drain of node %s timed out after %.0f s with %d pod%s left (%s first)", node,
                  now - started_at, rep->remaining, rep->remaining == 1 ? "" : "s", first);
    if (f->last[0])
        nf_buf_putv(&m, "; last refusal: ", f->last, (const char *)NULL);
    nf_strjoin(rep->why, sizeof rep->why, m.data ? m.data : "", (const char *)NULL);
    nf_buf_free(&m);
    return true;
}

int nf_kube_drain_step(struct nf_kube *k, const char *node, double started_at, double now,
                       const struct nf_drain_opts *o, struct nf_drain_report *rep,
                       struct nf_err *err)
{
    memset(rep, 0, sizeof *rep);
    rep->state = NF_DRAIN_IN_PROGRESS;
    struct nf_kcluster c;
    nf_kcluster_init(&c, o->market_label, o->market_spot_value);
    struct nf_kindex *ix = NULL;
    bool gone;
    int rc = read_node(k, node, &c, &gone, err);
    if (rc != NF_OK)
        goto done;
    if (gone) {
        rep->state = NF_DRAIN_DONE;
        snprintf(rep->why, sizeof rep->why, "node %s is gone", node);
        goto done;
    }
    const struct nf_knode *n = &c.nodes[0];
    bool forced = o->force_at > 0; /* the instance goes whatever happens: the rules give way */
    if (n->control_plane || (n->scale_down_disabled && !forced)) {
        snprintf(rep->why, sizeof rep->why, "node %s is %s", node,
                 n->control_plane ? "a control-plane node"
                                  : "annotated " NF_ANN_SCALE_DOWN_DISABLED "=true");
        rc = abort_drain(k, node, rep, err);
        goto done;
    }
    if (!n->unschedulable) {
        rc = nf_kube_cordon(k, node, true, err);
        if (rc != NF_OK)
            goto done;
        nf_log(NF_LOG_INFO, "node cordoned", NF_LF_STR("node", node), NF_LF_END);
    }
    rc = nf_kindex_build(&c, &ix, err);
    if (rc != NF_OK)
        goto done;
    /* every pod must still be safe to move: one that arrived before the cordon may not be */
    for (size_t i = 0; i < c.npods; i++) {
        const struct nf_kpod *p = &c.pods[i];
        if (strcmp(p->node, node) != 0)
            continue;
        enum nf_block b =
            forced ? NF_BLOCK_NONE : nf_pod_blocks(&c, ix, p, rep->why, sizeof rep->why);
        if (b != NF_BLOCK_NONE) {
            rc = abort_drain(k, node, rep, err);
            goto done;
        }
        bool moving = !(p->phase == NF_PHASE_SUCCEEDED || p->phase == NF_PHASE_FAILED ||
                        p->mirror || p->owner == NF_OWN_DAEMONSET);
        rep->remaining += moving;
    }
    if (rep->remaining == 0) {
        rep->state = NF_DRAIN_DONE;
        snprintf(rep->why, sizeof rep->why, "node %s has no pod left to move", node);
        goto done;
    }
    struct refusals f = {0};
    rc = evict_all(k, &c, node, o, now, rep, &f, err);
    if (rc != NF_OK) {
        if (rc == NF_DRAIN_ABORT)
            rc = abort_drain(k, node, rep, err);
        goto done;
    }
    if (!forced && timed_out(&c, node, started_at, now, o, &f, rep)) {
        rc = abort_drain(k, node, rep, err);
        goto done;
    }
    /* poll each second while pods terminate; a refused eviction waits its turn */
    int terminating = rep->remaining - rep->evicted - rep->refused;
    rep->retry_in_s = rep->evicted > 0 || terminating > 0 ? 1.0 : f.wait;
    if (f.wait > 0 && f.wait < rep->retry_in_s)
        rep->retry_in_s = f.wait;
    if (forced && now < o->force_at && o->force_at - now < rep->retry_in_s)
        rep->retry_in_s = o->force_at - now; /* no later than the time to delete */
    if (f.last[0])
        snprintf(rep->why, sizeof rep->why, "%d pod%s left; eviction refused for now: %s",
                 rep->remaining, rep->remaining == 1 ? "" : "s", f.last);
    else
        snprintf(rep->why, sizeof rep->why, "%d pod%s left, terminating", rep->remaining,
                 rep->remaining == 1 ? "" : "s");
done:
    nf_kindex_free(ix);
    nf_kcluster_free(&c);
    return rc;
}
