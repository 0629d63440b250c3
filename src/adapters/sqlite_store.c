/* sqlite_store.c - pool state and the fenced lease in one SQLite row. */
#define _POSIX_C_SOURCE 200809L
#include "sqlite_store.h"

#include <sqlite3.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "../util/dynlib.h"
#include "../util/files.h"
#include "../util/timefmt.h"

#define SQLITE_FNS(X)                                                                              \
    X(open_v2, "sqlite3_open_v2", int, (const char *, sqlite3 **, int, const char *))              \
    X(close, "sqlite3_close", int, (sqlite3 *))                                                    \
    X(exec, "sqlite3_exec", int, (sqlite3 *, const char *, void *, void *, char **))               \
    X(prepare, "sqlite3_prepare_v2", int,                                                          \
      (sqlite3 *, const char *, int, sqlite3_stmt **, const char **))                              \
    X(bind_text, "sqlite3_bind_text", int,                                                         \
      (sqlite3_stmt *, int, const char *, int, void (*)(void *)))                                  \
    X(bind_double, "sqlite3_bind_double", int, (sqlite3_stmt *, int, double))                      \
    X(bind_int64, "sqlite3_bind_int64", int, (sqlite3_stmt *, int, sqlite3_int64))                 \
    X(step, "sqlite3_step", int, (sqlite3_stmt *))                                                 \
    X(col_text, "sqlite3_column_text", const unsigned char *, (sqlite3_stmt *, int))               \
    X(col_double, "sqlite3_column_double", double, (sqlite3_stmt *, int))                          \
    X(col_int64, "sqlite3_column_int64", sqlite3_int64, (sqlite3_stmt *, int))                     \
    X(col_type, "sqlite3_column_type", int, (sqlite3_stmt *, int))                                 \
    X(finalize, "sqlite3_finalize", int, (sqlite3_stmt *))                                         \
    X(changes, "sqlite3_changes", int, (sqlite3 *))                                                \
    X(errmsg, "sqlite3_errmsg", const char *, (sqlite3 *))                                         \
    X(busy_timeout, "sqlite3_busy_timeout", int, (sqlite3 *, int))                                 \
    X(col_bytes, "sqlite3_column_bytes", int, (sqlite3_stmt *, int))

static const char *const names[] = {SQLITE_FNS(NF_DYNLIB_NAME) NULL};
static void *fns[sizeof names / sizeof names[0]];
static struct nf_dynlib lib = NF_DYNLIB_INIT("libsqlite3.so.0", "libsqlite3-0", names, fns);
static struct {
    SQLITE_FNS(NF_DYNLIB_FIELD)
} Q;

static int load(struct nf_err *err)
{
    return nf_dynlib_bind(&lib, &Q, sizeof Q, err);
}

static int fail(struct nf_sqlite_store *s, const char *what, struct nf_err *err)
{
    char shown[NF_PATH_SHOWN_MAX + 1];
    return nf_err_set(err, NF_E_IO, "state store %s: %s: %s", nf_path_shown(s->path, shown), what,
                      s->db ? Q.errmsg(s->db) : "not open");
}

static int exec(struct nf_sqlite_store *s, const char *sql, struct nf_err *err)
{
    if (Q.exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(s, sql, err);
    return NF_OK;
}

/* Is this a nodefleet state database? Exit status 2 when it is something else. */
static int check_schema(struct nf_sqlite_store *s, struct nf_err *err)
{
    sqlite3_stmt *st = NULL;
    if (Q.prepare(s->db,
                  "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = "
                  "'nodefleet_pool'",
                  -1, &st, NULL) != SQLITE_OK)
        return nf_err_set(err, NF_E_CONFIG, "state store %s: not a nodefleet state database (%s)",
                          s->path, Q.errmsg(s->db));
    int r = Q.step(st);
    long long n = r == SQLITE_ROW ? Q.col_int64(st, 0) : -1;
    Q.finalize(st);
    if (r != SQLITE_ROW)
        return nf_err_set(err, NF_E_CONFIG, "state store %s: not a nodefleet state database (%s)",
                          s->path, Q.errmsg(s->db));
    if (n != 1)
        return nf_err_set(err, NF_E_CONFIG,
                          "state store %s: an SQLite database, but not nodefleet's (no "
                          "nodefleet_pool table); nothing was changed",
                          s->path);
    return NF_OK;
}

int nf_sqlite_store_open(struct nf_sqlite_store *s, const char *path, const char *cluster_id,
                         enum nf_store_mode mode, struct nf_err *err)
{
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", path);
    snprintf(s->cluster_id, sizeof s->cluster_id, "%s", cluster_id);
    s->mode = mode;
    int rc = load(err);
    if (rc != NF_OK)
        return rc;
    sqlite3 *db = NULL;
    int flags = SQLITE_OPEN_NOMUTEX;
    if (mode == NF_STORE_READ_ONLY)
        flags |= SQLITE_OPEN_READONLY;
    else if (mode == NF_STORE_LEASE_ONLY)
        flags |= SQLITE_OPEN_READWRITE;
    else
        flags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (Q.open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        s->db = db;
        rc = fail(s, "cannot open", err);
        Q.close(db);
        s->db = NULL;
        return rc;
    }
    s->db = db;
    Q.busy_timeout(db, 5000);
    if (mode != NF_STORE_READ_WRITE) {
        /* an existing file, left as it is: no schema, no journal mode change */
        rc = check_schema(s, err);
        if (rc != NF_OK)
            nf_sqlite_store_close(s);
        return rc;
    }
    rc = exec(s, "PRAGMA journal_mode=WAL", err);
    if (rc == NF_OK)
        rc = exec(s, "PRAGMA synchronous=NORMAL", err);
    if (rc == NF_OK)
        rc = exec(s,
                  "CREATE TABLE IF NOT EXISTS nodefleet_pool ("
                  " cluster_id TEXT PRIMARY KEY,"
                  " lease_owner TEXT,"
                  " fencing_token INTEGER NOT NULL DEFAULT 0,"
                  " lock_acquired_at REAL,"
                  " lock_expiry REAL,"
                  " state TEXT,"
                  " updated_at REAL)",
                  err);
    /* the seed's metrics history: a table of its own, one row per reading */
    if (rc == NF_OK)
        rc = exec(s,
                  "CREATE TABLE IF NOT EXISTS nodefleet_metrics_history ("
                  " cluster_id TEXT NOT NULL,"
                  " timestamp TEXT NOT NULL,"
                  " t REAL NOT NULL,"
                  " hour INTEGER, day_of_week INTEGER,"
                  " cpu REAL, memory REAL, pending_pods REAL, node_count INTEGER,"
                  " ttl INTEGER NOT NULL,"
                  " PRIMARY KEY (cluster_id, timestamp))",
                  err);
    if (rc != NF_OK)
        nf_sqlite_store_close(s);
    return rc;
}

void nf_sqlite_store_close(struct nf_sqlite_store *s)
{
    if (s->db)
        Q.close(s->db);
    s->db = NULL;
}

/* ---- statements --------------------------------------------------------------------- */

/* Bind arguments by a little format: s = text, d = double, i = int64. */
static sqlite3_stmt *prep(struct nf_sqlite_store *s, const char *sql, const char *fmt, ...)
{
    sqlite3_stmt *st = NULL;
    if (Q.prepare(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    for (int i = 0; fmt[i]; i++) {
        if (fmt[i] == 's')
            Q.bind_text(st, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
        else if (fmt[i] == 'd')
            Q.bind_double(st, i + 1, va_arg(ap, double));
        else
            Q.bind_int64(st, i + 1, va_arg(ap, long long));
    }
    va_end(ap);
    return st;
}

/* Run an UPDATE; *changed gets the rows it changed. */
static int update(struct nf_sqlite_store *s, sqlite3_stmt *st, int *changed, struct nf_err *err)
{
    if (st == NULL)
        return fail(s, "prepare", err);
    int r = Q.step(st);
    Q.finalize(st);
    if (r != SQLITE_DONE)
        return fail(s, "update", err);
    *changed = Q.changes(s->db);
    return NF_OK;
}

static int read_lease(struct nf_sqlite_store *s, struct nf_lease *l, struct nf_err *err)
{
    memset(l, 0, sizeof *l);
    sqlite3_stmt *st = prep(s,
                            "SELECT lease_owner, fencing_token, lock_acquired_at, lock_expiry "
                            "FROM nodefleet_pool WHERE cluster_id = ?",
                            "s", s->cluster_id);
    if (st == NULL)
        return fail(s, "prepare", err);
    int r = Q.step(st);
    if (r == SQLITE_ROW) {
        const unsigned char *o = Q.col_text(st, 0);
        snprintf(l->owner, sizeof l->owner, "%s", o ? (const char *)o : "");
        l->token = Q.col_int64(st, 1);
        l->acquired_at = Q.col_double(st, 2);
        l->expiry = Q.col_double(st, 3);
    }
    Q.finalize(st);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        return fail(s, "read the lease", err);
    return NF_OK;
}

static int read_only(const struct nf_sqlite_store *s, struct nf_err *err)
{
    return nf_err_set(err, NF_E_INTERNAL, "state store %s: opened read-only", s->path);
}

static int sq_acquire(void *ctx, const char *owner, double now, double ttl, struct nf_lease *out,
                      struct nf_err *err)
{
    struct nf_sqlite_store *s = ctx;
    if (s->mode != NF_STORE_READ_WRITE)
        return read_only(s, err);
    int rc = exec(s, "BEGIN IMMEDIATE", err);
    if (rc != NF_OK)
        return rc;
    int changed = 0;
    rc = update(
        s,
        prep(s, "INSERT OR IGNORE INTO nodefleet_pool (cluster_id) VALUES (?)", "s", s->cluster_id),
        &changed, err);
    if (rc == NF_OK)
        rc = update(s,
                    prep(s,
                         "UPDATE nodefleet_pool SET lease_owner = ?, fencing_token = "
                         "fencing_token + 1, lock_acquired_at = ?, lock_expiry = ? "
                         "WHERE cluster_id = ? AND (lease_owner IS NULL OR lock_expiry < ?)",
                         "sddsd", owner, now, now + ttl, s->cluster_id, now),
                    &changed, err);
    if (rc == NF_OK)
        rc = read_lease(s, out, err);
    if (rc != NF_OK) {
        Q.exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    rc = exec(s, "COMMIT", err);
    if (rc != NF_OK)
        return rc;
    if (changed != 1)
        return nf_err_set(err, NF_E_CONFLICT, "lease held by %s until %.0f (token %lld)",
                          out->owner, out->expiry, out->token);
    return NF_OK;
}

static int lost(int changed, const struct nf_lease *l, const char *what, struct nf_err *err)
{
    if (changed == 1)
        return NF_OK;
    return nf_err_set(err, NF_E_CONFLICT,
                      "%s refused: the lease (token %lld) has expired or was taken over", what,
                      l->token);
}

static int sq_renew(void *ctx, struct nf_lease *l, double now, double ttl, struct nf_err *err)
{
    struct nf_sqlite_store *s = ctx;
    if (s->mode != NF_STORE_READ_WRITE)
        return read_only(s, err);
    int changed = 0;
    int rc = update(s,
                    prep(s,
                         "UPDATE nodefleet_pool SET lock_expiry = ? WHERE cluster_id = ? AND "
                         "lease_owner = ? AND fencing_token = ? AND lock_expiry >= ?",
                         "dssid", now + ttl, s->cluster_id, l->owner, l->token, now),
                    &changed, err);
    if (rc != NF_OK)
        return rc;
    rc = lost(changed, l, "renew", err);
    if (rc == NF_OK)
        l->expiry = now + ttl;
    return rc;
}

static int sq_release(void *ctx, const struct nf_lease *l, struct nf_err *err)
{
    struct nf_sqlite_store *s = ctx;
    if (s->mode != NF_STORE_READ_WRITE)
        return read_only(s, err);
    int changed = 0;
    int rc = update(s,
                    prep(s,
                         "UPDATE nodefleet_pool SET lease_owner = NULL, lock_acquired_at = NULL, "
                         "lock_expiry = NULL WHERE cluster_id = ? AND lease_owner = ? AND "
                         "fencing_token = ?",
                         "ssi", s->cluster_id, l->owner, l->token),
                    &changed, err);
    return rc != NF_OK ? rc : lost(changed, l, "release", err);
}

static int sq_load(void *ctx, struct nf_state *st, struct nf_err *err)
{
    struct nf_sqlite_store *s = ctx;
    memset(st, 0, sizeof *st);
    sqlite3_stmt *q =
        prep(s, "SELECT state FROM nodefleet_pool WHERE cluster_id = ?", "s", s->cluster_id);
    if (q == NULL)
        return fail(s, "prepare", err);
    int rc = NF_OK;
    int r = Q.step(q);
    if (r == SQLITE_ROW && Q.col_type(q, 0) == SQLITE_TEXT) {
        const char *text = (const char *)Q.col_text(q, 0);
        rc = nf_state_from_json(text, (size_t)Q.col_bytes(q, 0), st, err);
        if (rc != NF_OK)
            nf_err_prefix(err, "state store %s, cluster_id %s", s->path, s->cluster_id);
    } else if (r != SQLITE_ROW && r != SQLITE_DONE) {
        rc = fail(s, "read the state", err);
    }
    Q.finalize(q);
    return rc;
}

static int sq_save(void *ctx, const struct nf_lease *l, double now, const struct nf_state *st,
                   struct nf_err *err)
{
    struct nf_sqlite_store *s = ctx;
    if (s->mode != NF_STORE_READ_WRITE)
        return read_only(s, err);
    struct nf_buf b;
    nf_buf_init(&b, 4u << 20);
    if (nf_state_to_json(st, &b) != NF_OK || b.status != NF_OK) {
        nf_buf_free(&b);
        return nf_err_set(err, NF_E_NOMEM, "state store %s: cannot encode the state", s->path);
    }
    int changed = 0;
    int rc = update(s,
                    prep(s,
                         "UPDATE nodefleet_pool SET state = ?, updated_at = ? WHERE cluster_id "
                         "= ? AND lease_owner = ? AND fencing_token = ? AND lock_expiry >= ?",
                         "sdssid", b.data, now, s->cluster_id, l->owner, l->token, now),
                    &changed, err);
    nf_buf_free(&b);
    return rc != NF_OK ? rc : lost(changed, l, "state write", err);
}

static int sq_unlock(void *ctx, double now, struct nf_lease *was, struct nf_err *err)
{
    struct nf_sqlite_store *s = ctx;
    (void)now;
    if (s->mode == NF_STORE_READ_ONLY)
        return read_only(s, err);
    int rc = exec(s, "BEGIN IMMEDIATE", err);
    if (rc != NF_OK)
        return rc;
    int changed = 0;
    rc = read_lease(s, was, err);
    if (rc == NF_OK)
        rc = update(s,
                    prep(s, "INSERT OR IGNORE INTO nodefleet_pool (cluster_id) VALUES (?)", "s",
                         s->cluster_id),
                    &changed, err);
    if (rc == NF_OK)
        rc = update(s,
                    prep(s,
                         "UPDATE nodefleet_pool SET lease_owner = NULL, lock_acquired_at = NULL, "
                         "lock_expiry = NULL, fencing_token = fencing_token + 1 WHERE "
                         "cluster_id = ?",
                         "s", s->cluster_id),
                    &changed, err);
    if (rc != NF_OK) {
        Q.exec(s->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return exec(s, "COMMIT", err);
}

static int sq_peek(void *ctx, struct nf_lease *out, struct nf_err *err)
{
    return read_lease(ctx, out, err);
}

/* NAN (unknown) is stored as NULL */
static void bind_real(sqlite3_stmt *st, int i, double v)
{
    if (isfinite(v))
        Q.bind_double(st, i, v);
}

static double col_real(sqlite3_stmt *st, int i)
{
    return Q.col_type(st, i) == SQLITE_NULL ? NAN : Q.col_double(st, i);
}

static int sq_history_put(void *ctx, const struct nf_history_item *it, struct nf_err *err)
{
    struct nf_sqlite_store *s = ctx;
    if (s->mode != NF_STORE_READ_WRITE)
        return read_only(s, err);
    char ts[32];
    nf_format_time(it->t, ts);
    sqlite3_stmt *st =
        prep(s,
             "INSERT OR REPLACE INTO nodefleet_metrics_history (cluster_id, "
             "timestamp, t, hour, day_of_week, node_count, ttl, cpu, memory, "
             "pending_pods) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             "ssdiiii", s->cluster_id, ts, it->t, (long long)it->hour, (long long)it->weekday,
             (long long)it->nodes, (long long)(it->t + NF_PRED_TTL_S));
    if (st == NULL)
        return fail(s, "prepare", err);
    bind_real(st, 8, it->cpu);
    bind_real(st, 9, it->memory);
    bind_real(st, 10, it->pending);
    int changed = 0;
    int rc = update(s, st, &changed, err);
    if (rc == NF_OK) /* what expired goes (DynamoDB's ttl does the same there) */
        rc =
            update(s,
                   prep(s, "DELETE FROM nodefleet_metrics_history WHERE cluster_id = ? AND ttl < ?",
                        "si", s->cluster_id, (long long)it->t),
                   &changed, err);
    return rc;
}

static int sq_history_load(void *ctx, double after, struct nf_history_item *out, size_t cap,
                           size_t *n, struct nf_err *err)
{
    struct nf_sqlite_store *s = ctx;
    *n = 0;
    sqlite3_stmt *st = prep(s,
                            "SELECT t, cpu, memory, pending_pods, node_count FROM "
                            "nodefleet_metrics_history WHERE cluster_id = ? AND t > ? ORDER BY t "
                            "LIMIT ?",
                            "sdi", s->cluster_id, after, (long long)cap);
    if (st == NULL)
        return fail(s, "prepare", err);
    int r;
    while ((r = Q.step(st)) == SQLITE_ROW && *n < cap) {
        double t = Q.col_double(st, 0);
        long long nodes = Q.col_int64(st, 4);
        out[(*n)++] = nf_history_item_at(t, col_real(st, 1), col_real(st, 2), col_real(st, 3),
                                         nodes < 0 || nodes > 1000000 ? 0 : (int)nodes);
    }
    Q.finalize(st);
    if (r != SQLITE_ROW && r != SQLITE_DONE)
        return fail(s, "read the metrics history", err);
    return NF_OK;
}

const struct nf_store_port nf_sqlite_store_port = {.name = "sqlite",
                                                   .peek = sq_peek,
                                                   .acquire = sq_acquire,
                                                   .renew = sq_renew,
                                                   .release = sq_release,
                                                   .load = sq_load,
                                                   .save = sq_save,
                                                   .unlock = sq_unlock,
                                                   .history_put = sq_history_put,
                                                   .history_load = sq_history_load};
