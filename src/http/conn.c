/* conn.c - resolve, connect, proxy, TLS, and bounded reads and writes (see conn.h). */
#define _GNU_SOURCE
#include "conn.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../util/base64.h"
#include "../util/clock.h"

#define NAME_TTL_S   60.0
#define NAME_SLOTS   16
#define NAME_ADDRS   4
#define CANCEL_POLL_S 1.0

/* ---- waiting ---- */

/* Wait until fd is ready for `events`; NF_OK, or an error naming `who` (host and port). */
static int wait_fd(int fd, short events, double deadline, const struct nf_conn_wait *w,
                   const char *who, struct nf_err *err)
{
    const volatile int *cancel = w->cancel;
    for (;;) {
        if (cancel && *cancel)
            return nf_err_set(err, NF_E_UNAVAILABLE, "cancelled");
        double left = deadline - nf_mono_now();
        if (left <= 0)
            return nf_err_set(err, NF_E_UNAVAILABLE, "%s: timed out after %.0f ms", who,
                              (nf_mono_now() - w->start) * 1000);
        if (cancel && left > CANCEL_POLL_S)
            left = CANCEL_POLL_S;
        int ms = left > 3600 ? 3600000 : (int)ceil(left * 1000);
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, ms);
        if (r > 0)
            return NF_OK; /* ready, or an error the next call reports */
        if (r < 0 && errno != EINTR)
            return nf_err_set(err, NF_E_UNAVAILABLE, "%s: poll: %s", who, strerror(errno));
    }
}

/* ---- names ---- */

struct name_slot {
    char host[256];
    int port;
    double expires;
    int n;
    struct sockaddr_storage addr[NAME_ADDRS];
    socklen_t len[NAME_ADDRS];
};

static pthread_mutex_t names_mu = PTHREAD_MUTEX_INITIALIZER;
static struct name_slot names[NAME_SLOTS];

struct lookup {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int refs; /* the asker and the thread; the last one out frees it */
    bool done;
    int rc;
    struct addrinfo *res;
    char host[256], port[8];
};

static void lookup_release(struct lookup *l)
{
    pthread_mutex_lock(&l->mu);
    bool last = --l->refs == 0;
    pthread_mutex_unlock(&l->mu);
    if (last) {
        if (l->res)
            freeaddrinfo(l->res);
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->cv);
        free(l);
    }
}

static void *lookup_main(void *arg)
{
    struct lookup *l = arg;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_ADDRCONFIG};
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(l->host, l->port, &hints, &res);
    pthread_mutex_lock(&l->mu);
    l->rc = rc;
    l->res = res;
    l->done = true;
    pthread_cond_signal(&l->cv);
    pthread_mutex_unlock(&l->mu);
    lookup_release(l);
    return NULL;
}

/* getaddrinfo in a thread, so that a slow resolver cannot hold the request past its deadline */
static int lookup(struct name_slot *out, const struct nf_conn_wait *w, const char *who,
                  struct nf_err *err)
{
    struct lookup *l = calloc(1, sizeof *l);
    if (l == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->refs = 2;
    snprintf(l->host, sizeof l->host, "%s", out->host);
    snprintf(l->port, sizeof l->port, "%d", out->port);
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&a, 256 * 1024);
    pthread_t t;
    if (pthread_create(&t, &a, lookup_main, l) != 0) {
        pthread_attr_destroy(&a);
        l->refs = 1;
        lookup_release(l);
        return nf_err_set(err, NF_E_UNAVAILABLE, "cannot resolve %s: no thread", out->host);
    }
    pthread_attr_destroy(&a);
    int rc = NF_OK;
    pthread_mutex_lock(&l->mu);
    while (!l->done && rc == NF_OK) {
        double left = w->connect_deadline - nf_mono_now();
        if (w->cancel && *w->cancel)
            rc = nf_err_set(err, NF_E_UNAVAILABLE, "cancelled");
        else if (left <= 0)
            rc = nf_err_set(err, NF_E_UNAVAILABLE, "%s: timed out after %.0f ms resolving the name",
                            who, (nf_mono_now() - w->start) * 1000);
        if (rc != NF_OK)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        double step = left > CANCEL_POLL_S ? CANCEL_POLL_S : left;
        double until = (double)ts.tv_sec + ts.tv_nsec / 1e9 + step;
        ts.tv_sec = (time_t)until;
        ts.tv_nsec = (long)((until - (double)ts.tv_sec) * 1e9);
        pthread_cond_timedwait(&l->cv, &l->mu, &ts);
    }
    if (rc == NF_OK && l->rc != 0)
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "cannot resolve %s: %s", out->host,
                        gai_strerror(l->rc));
    if (rc == NF_OK) {
        for (struct addrinfo *ai = l->res; ai && out->n < NAME_ADDRS; ai = ai->ai_next) {
            if (ai->ai_addrlen > sizeof out->addr[0])
                continue;
            memcpy(&out->addr[out->n], ai->ai_addr, ai->ai_addrlen);
            out->len[out->n++] = ai->ai_addrlen;
        }
        if (out->n == 0)
            rc = nf_err_set(err, NF_E_UNAVAILABLE, "cannot resolve %s: no address", out->host);
    }
    pthread_mutex_unlock(&l->mu);
    lookup_release(l);
    return rc;
}

/* the addresses of host:port: an address as it is, a name from the cache or the resolver */
static int resolve(const char *host, int port, struct name_slot *out,
                   const struct nf_conn_wait *w, const char *who, struct nf_err *err)
{
    memset(out, 0, sizeof *out);
    snprintf(out->host, sizeof out->host, "%s", host);
    out->port = port;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&out->addr[0];
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&out->addr[0];
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        out->len[0] = sizeof *v4;
        out->n = 1;
        return NF_OK;
    }
    if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)port);
        out->len[0] = sizeof *v6;
        out->n = 1;
        return NF_OK;
    }
    double now = nf_mono_now();
    pthread_mutex_lock(&names_mu);
    for (int i = 0; i < NAME_SLOTS; i++)
        if (names[i].n > 0 && names[i].port == port && names[i].expires > now &&
            strcmp(names[i].host, host) == 0) {
            *out = names[i];
            pthread_mutex_unlock(&names_mu);
            return NF_OK;
        }
    pthread_mutex_unlock(&names_mu);
    int rc = lookup(out, w, who, err);
    if (rc != NF_OK)
        return rc;
    out->expires = nf_mono_now() + NAME_TTL_S;
    pthread_mutex_lock(&names_mu);
    int slot = 0; /* the empty or the oldest */
    for (int i = 1; i < NAME_SLOTS; i++)
        if (names[i].expires < names[slot].expires)
            slot = i;
    names[slot] = *out;
    pthread_mutex_unlock(&names_mu);
    return NF_OK;
}

/* ---- proxies ---- */

static const char *env_get(char *const *envp, const char *name)
{
    if (envp == NULL)
        return getenv(name);
    size_t n = strlen(name);
    for (char *const *e = envp; *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

/* does NO_PROXY's list name host (exactly, or as a domain it is in)? */
static bool no_proxy_match(const char *list, const char *host)
{
    size_t hl = strlen(host);
    while (*list) {
        while (*list == ',' || *list == ' ')
            list++;
        const char *e = list + strcspn(list, ", ");
        size_t l = (size_t)(e - list);
        if (l == 1 && *list == '*')
            return true;
        const char *d = list;
        if (l > 0 && *d == '.') {
            d++;
            l--;
        }
        if (l > 0 && l <= hl && strncasecmp(host + hl - l, d, l) == 0 &&
            (l == hl || host[hl - l - 1] == '.'))
            return true;
        list = e;
    }
    return false;
}

void nf_conn_proxy_for(const struct nf_url *u, char *const *envp, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *p = u->tls ? env_get(envp, "https_proxy") : env_get(envp, "http_proxy");
    if ((p == NULL || !*p) && u->tls)
        p = env_get(envp, "HTTPS_PROXY");
    if (p == NULL || !*p)
        p = env_get(envp, "all_proxy");
    if (p == NULL || !*p)
        p = env_get(envp, "ALL_PROXY");
    if (p == NULL || !*p)
        return;
    const char *np = env_get(envp, "no_proxy");
    if (np == NULL || !*np)
        np = env_get(envp, "NO_PROXY");
    if (np && no_proxy_match(np, u->host))
        return;
    /* "host:port" alone means an http:// proxy, as curl takes it */
    snprintf(out, outlen, "%s%s", strstr(p, "://") ? "" : "http://", p);
}

/* ---- TCP ---- */

static int connect_one(const struct sockaddr_storage *a, socklen_t len, bool keepalive,
                       const struct nf_conn_wait *w, const char *who, int *fd_out,
                       struct nf_err *err)
{
    int fd = socket(a->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return nf_err_set(err, NF_E_UNAVAILABLE, "%s: socket: %s", who, strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (keepalive) {
        int idle = 30, intvl = 10;
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof intvl);
    }
    int rc = NF_OK;
    if (connect(fd, (const struct sockaddr *)a, len) != 0) {
        if (errno != EINPROGRESS) {
            rc = nf_err_set(err, NF_E_UNAVAILABLE, "connect to %s: %s", who, strerror(errno));
        } else if ((rc = wait_fd(fd, POLLOUT, w->connect_deadline, w, who, err)) ==
                   NF_OK) {
            int e = 0;
            socklen_t el = sizeof e;
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &el);
            if (e != 0)
                rc = nf_err_set(err, NF_E_UNAVAILABLE, "connect to %s: %s", who, strerror(e));
        } else if (err && strncmp(err->msg, who, strlen(who)) == 0) {
            char m[NF_ERR_MSG_MAX];
            snprintf(m, sizeof m, "%s", err->msg);
            nf_err_set(err, rc, "connect to %s", m);
        }
    }
    if (rc != NF_OK) {
        close(fd);
        return rc;
    }
    *fd_out = fd;
    return NF_OK;
}

static int tcp_connect(const char *host, int port, bool keepalive, const struct nf_conn_wait *w,
                       int *fd, struct nf_err *err)
{
    char who[300];
    snprintf(who, sizeof who, "%s port %d", host, port);
    struct name_slot s;
    int rc = resolve(host, port, &s, w, who, err);
    for (int i = 0; rc == NF_OK && i < s.n; i++) {
        rc = connect_one(&s.addr[i], s.len[i], keepalive, w, who, fd, err);
        if (rc == NF_OK || (w->cancel && *w->cancel) || nf_mono_now() >= w->connect_deadline)
            break;
        if (i + 1 < s.n)
            rc = NF_OK; /* the next address */
    }
    return rc;
}

/* ---- raw I/O (before and under TLS) ---- */

static int plain_write(int fd, const char *p, size_t n, const struct nf_conn_wait *w,
                       const char *who, struct nf_err *err)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k > 0) {
            p += k;
            n -= (size_t)k;
        } else if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
            int rc = wait_fd(fd, POLLOUT, w->deadline, w, who, err);
            if (rc != NF_OK)
                return rc;
        } else {
            return nf_err_set(err, NF_E_UNAVAILABLE, "%s: send: %s", who,
                              k < 0 ? strerror(errno) : "nothing sent");
        }
    }
    return NF_OK;
}

static int plain_read(int fd, char *buf, size_t cap, size_t *got, const struct nf_conn_wait *w,
                      const char *who, struct nf_err *err)
{
    for (;;) {
        ssize_t k = recv(fd, buf, cap, 0);
        if (k >= 0) {
            *got = (size_t)k;
            return NF_OK;
        }
        if (errno != EAGAIN && errno != EINTR)
            return nf_err_set(err, NF_E_UNAVAILABLE, "%s: recv: %s", who, strerror(errno));
        int rc = wait_fd(fd, POLLIN, w->deadline, w, who, err);
        if (rc != NF_OK)
            return rc;
    }
}

/* SIGPIPE held back around OpenSSL's writes (it writes with write(2), not MSG_NOSIGNAL): one
 * this thread caused is taken back before the mask is restored */
struct pipe_hold {
    sigset_t set, old;
    bool had; /* pending before: not ours to take */
};

static void pipe_hold(struct pipe_hold *h)
{
    sigemptyset(&h->set);
    sigaddset(&h->set, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    h->had = sigismember(&pending, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &h->set, &h->old);
}

static void pipe_release(struct pipe_hold *h)
{
    sigset_t pending;
    sigpending(&pending);
    if (!h->had && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0, 0};
        sigtimedwait(&h->set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &h->old, NULL);
}

/* run a TLS operation to its end, waiting on the socket as it asks; SIGPIPE held back */
static int tls_run(struct nf_conn *c, enum nf_tls_op op, void *buf, size_t n, size_t *done,
                   double deadline, const struct nf_conn_wait *w, const char *who,
                   struct nf_err *err)
{
    struct pipe_hold hold;
    pipe_hold(&hold);
    int rc = NF_OK;
    for (;;) {
        char why[320] = "";
        int r = nf_tls_step(c->ssl, op, buf, n, done, why, sizeof why);
        if (r == NF_TLS_OK || r == NF_TLS_EOF) {
            if (r == NF_TLS_EOF && done)
                *done = 0;
            break;
        }
        if (r == NF_TLS_FAILED) {
            rc = nf_err_set(err, NF_E_UNAVAILABLE, "%s: %s", who, why);
            break;
        }
        rc = wait_fd(c->fd, r == NF_TLS_WANT_READ ? POLLIN : POLLOUT, deadline, w, who, err);
        if (rc != NF_OK)
            break;
    }
    pipe_release(&hold);
    return rc;
}

/* ---- the proxy's CONNECT ---- */

static int proxy_tunnel(struct nf_conn *c, const struct nf_url *u, const struct nf_conn_wait *w,
                        const char *who, struct nf_err *err)
{
    char req[1024];
    int n = snprintf(req, sizeof req,
                     "CONNECT %s%s%s:%d HTTP/1.1\r\nHost: %s%s%s:%d\r\n%s%s%s"
                     "User-Agent: nodefleet\r\n\r\n",
                     u->ipv6 ? "[" : "", u->host, u->ipv6 ? "]" : "", u->port,
                     u->ipv6 ? "[" : "", u->host, u->ipv6 ? "]" : "", u->port,
                     c->proxy_auth[0] ? "Proxy-Authorization: " : "", c->proxy_auth,
                     c->proxy_auth[0] ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof req)
        return nf_err_set(err, NF_E_CONFIG, "%s: proxy request too long", who);
    int rc = plain_write(c->fd, req, (size_t)n, w, who, err);
    memset(req, 0, sizeof req);
    if (rc != NF_OK)
        return rc;
    struct nf_wire_resp *r = calloc(1, sizeof *r);
    if (r == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    nf_wire_resp_init(r);
    r->connect = true;
    int st = NF_WIRE_MORE;
    while (st == NF_WIRE_MORE && rc == NF_OK) {
        char b; /* a byte at a time: what follows the answer's head is the tunnel's */
        size_t got = 0;
        struct nf_conn_wait cw = *w;
        cw.deadline = w->connect_deadline;
        rc = plain_read(c->fd, &b, 1, &got, &cw, who, err);
        if (rc == NF_OK)
            st = got ? nf_wire_resp_feed(r, &b, 1, NULL) : nf_wire_resp_eof(r);
    }
    if (rc == NF_OK && st != NF_WIRE_DONE)
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "%s: the proxy's answer: %s", who, r->error);
    else if (rc == NF_OK && (r->status < 200 || r->status > 299))
        rc = nf_err_set(err, NF_E_UNAVAILABLE, "%s: the proxy refused the tunnel (HTTP %ld)",
                        who, r->status);
    free(r);
    return rc;
}

static int proxy_setup(struct nf_conn *c, const char *proxy, struct nf_url *pu,
                       struct nf_err *err)
{
    char why[160];
    if (nf_url_parse(proxy, pu, why, sizeof why) != 0 || pu->tls)
        return nf_err_set(err, NF_E_CONFIG, "the proxy in the environment: %s",
                          pu->tls ? "an https:// proxy is not supported" : why);
    if (pu->has_userinfo) {
        char cred[520];
        snprintf(cred, sizeof cred, "%s:%s", pu->user, pu->password);
        struct nf_buf b64;
        nf_buf_init(&b64, sizeof c->proxy_auth - 8);
        nf_base64_encode(&b64, cred, strlen(cred));
        if (b64.status == NF_OK)
            snprintf(c->proxy_auth, sizeof c->proxy_auth, "Basic %s", b64.data);
        memset(cred, 0, sizeof cred);
        if (b64.data)
            memset(b64.data, 0, b64.len);
        int st = b64.status;
        nf_buf_free(&b64);
        if (st != NF_OK)
            return nf_err_set(err, NF_E_CONFIG, "the proxy's credentials are too long");
    }
    memset(pu->password, 0, sizeof pu->password);
    return NF_OK;
}

int nf_conn_open(struct nf_conn *c, const struct nf_url *u, const char *proxy,
                 struct nf_tls_ctx *tls, void *session, bool keepalive,
                 const struct nf_conn_wait *w, struct nf_err *err)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    char who[300];
    snprintf(who, sizeof who, "%s port %d", u->host, u->port);
    struct nf_url pu;
    int rc = NF_OK;
    if (proxy && proxy[0]) {
        if ((rc = proxy_setup(c, proxy, &pu, err)) != NF_OK)
            return rc;
        rc = tcp_connect(pu.host, pu.port, keepalive, w, &c->fd, err);
        if (rc == NF_OK && u->tls)
            rc = proxy_tunnel(c, u, w, who, err);
        c->via_proxy = !u->tls;
    } else {
        rc = tcp_connect(u->host, u->port, keepalive, w, &c->fd, err);
    }
    if (rc == NF_OK && u->tls) {
        if ((rc = nf_tls_new(tls, c->fd, u->host, u->ipv6 || strspn(u->host, "0123456789.") ==
                                                                    strlen(u->host),
                             session, &c->ssl, err)) == NF_OK)
            rc = tls_run(c, NF_TLS_HANDSHAKE, NULL, 0, NULL, w->connect_deadline, w, who, err);
    }
    if (rc != NF_OK) {
        nf_conn_close(c);
        return rc;
    }
    return NF_OK;
}

int nf_conn_write(struct nf_conn *c, const void *p, size_t n, const struct nf_conn_wait *w,
                  struct nf_err *err)
{
    if (c->ssl == NULL)
        return plain_write(c->fd, p, n, w, "the connection", err);
    while (n > 0) {
        size_t done = 0;
        int rc = tls_run(c, NF_TLS_WRITE, (void *)p, n, &done, w->deadline, w, "the connection",
                         err);
        if (rc != NF_OK)
            return rc;
        if (done == 0)
            return nf_err_set(err, NF_E_UNAVAILABLE, "the connection closed while sending");
        p = (const char *)p + done;
        n -= done;
    }
    return NF_OK;
}

int nf_conn_read(struct nf_conn *c, void *buf, size_t cap, size_t *got,
                 const struct nf_conn_wait *w, struct nf_err *err)
{
    if (c->ssl == NULL)
        return plain_read(c->fd, buf, cap, got, w, "the connection", err);
    return tls_run(c, NF_TLS_READ, buf, cap, got, w->deadline, w, "the connection", err);
}

bool nf_conn_alive(struct nf_conn *c)
{
    if (c->fd < 0)
        return false;
    if (c->ssl && nf_tls_pending(c->ssl))
        return false; /* something arrived that no request asked for */
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    if (poll(&p, 1, 0) != 0)
        return false; /* readable while idle: closed, or bytes nobody asked for */
    return true;
}

void nf_conn_close(struct nf_conn *c)
{
    if (c->ssl) {
        struct pipe_hold hold;
        pipe_hold(&hold);
        nf_tls_step(c->ssl, NF_TLS_SHUTDOWN, NULL, 0, NULL, NULL, 0);
        pipe_release(&hold);
        nf_tls_free(c->ssl);
        c->ssl = NULL;
    }
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    memset(c->proxy_auth, 0, sizeof c->proxy_auth);
}
