/* server.c - /metrics, /healthz and /readyz over libmicrohttpd. */
#define _POSIX_C_SOURCE 200809L
#include "server.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../metrics/expo.h"
#include "../util/dynlib.h"
#include "../util/clock.h"

/* libmicrohttpd, opened on first use (see util/dynlib.h for why). */
#define MHD_FNS(X)                                                                                 \
    X(start_daemon, "MHD_start_daemon", struct MHD_Daemon *,                                       \
      (unsigned int, uint16_t, MHD_AcceptPolicyCallback, void *, MHD_AccessHandlerCallback,        \
       void *, ...))                                                                               \
    X(stop_daemon, "MHD_stop_daemon", void, (struct MHD_Daemon *))                                 \
    X(create_response_from_buffer, "MHD_create_response_from_buffer", struct MHD_Response *,       \
      (size_t, void *, enum MHD_ResponseMemoryMode))                                               \
    X(add_response_header, "MHD_add_response_header", enum MHD_Result,                             \
      (struct MHD_Response *, const char *, const char *))                                         \
    X(queue_response, "MHD_queue_response", enum MHD_Result,                                       \
      (struct MHD_Connection *, unsigned int, struct MHD_Response *))                              \
    X(destroy_response, "MHD_destroy_response", void, (struct MHD_Response *))                     \
    X(get_daemon_info, "MHD_get_daemon_info", const union MHD_DaemonInfo *,                        \
      (struct MHD_Daemon *, enum MHD_DaemonInfoType, ...))

static const char *const mhd_names[] = {MHD_FNS(NF_DYNLIB_NAME) NULL};
static void *mhd_fns[sizeof mhd_names / sizeof mhd_names[0]];
static struct nf_dynlib mhd_lib =
    NF_DYNLIB_INIT("libmicrohttpd.so.12", "libmicrohttpd12", mhd_names, mhd_fns);
static struct {
    MHD_FNS(NF_DYNLIB_FIELD)
} M;

static int load_mhd(struct nf_err *err)
{
    return nf_dynlib_bind(&mhd_lib, &M, sizeof M, err);
}

/* A /metrics page larger than this is a bug, not a reason to run out of memory. */
#define NF_METRICS_PAGE_MAX (4 * 1024 * 1024)

struct nf_server {
    struct MHD_Daemon *d;
    struct nf_registry *reg;
    double interval_s;
    int port;
    void (*page)(void *ctx, struct nf_buf *out);
    void *page_ctx;
};

void nf_server_set_page(struct nf_server *s, void (*render)(void *ctx, struct nf_buf *out),
                        void *ctx)
{
    s->page_ctx = ctx;
    s->page = render; /* set before the first request can be served: start, then set */
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type,
                             const char *body, size_t len)
{
    struct MHD_Response *r =
        M.create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (r == NULL)
        return MHD_NO;
    M.add_response_header(r, "Content-Type", type);
    M.add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = M.queue_response(c, status, r);
    M.destroy_response(r);
    return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_size, void **state)
{
    (void)version;
    (void)upload;
    struct nf_server *s = cls;
    if (*state == NULL) { /* first call for this request: headers only */
        static int marker;
        *state = &marker;
        return MHD_YES;
    }
    *upload_size = 0; /* ignore any body */
    static const char text[] = "text/plain; charset=utf-8";
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, "method not allowed\n", 19);
    if (strcmp(url, "/metrics") == 0) {
        struct nf_buf b;
        nf_buf_init(&b, NF_METRICS_PAGE_MAX);
        nf_registry_render(s->reg, &b);
        enum MHD_Result ret =
            b.status == NF_OK
                ? reply(c, MHD_HTTP_OK, NF_EXPO_CONTENT_TYPE, b.data, b.len)
                : reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, text, "metrics too large\n", 18);
        nf_buf_free(&b);
        return ret;
    }
    if (strcmp(url, "/healthz") == 0)
        return reply(c, MHD_HTTP_OK, text, "ok\n", 3);
    if (strcmp(url, "/") == 0 && s->page != NULL) {
        struct nf_buf b;
        nf_buf_init(&b, NF_METRICS_PAGE_MAX);
        s->page(s->page_ctx, &b);
        enum MHD_Result ret =
            b.status == NF_OK
                ? reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", b.data, b.len)
                : reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, text, "page too large\n", 15);
        nf_buf_free(&b);
        return ret;
    }
    if (strcmp(url, "/readyz") == 0) {
        char why[160], body[200];
        if (nf_registry_ready(s->reg, nf_mono_now(), s->interval_s, why, sizeof why))
            return reply(c, MHD_HTTP_OK, text, "ok\n", 3);
        int n = snprintf(body, sizeof body, "not ready: %s\n", why);
        return reply(c, MHD_HTTP_SERVICE_UNAVAILABLE, text, body, (size_t)n);
    }
    return reply(c, MHD_HTTP_NOT_FOUND, text, "not found\n", 10);
}

struct nf_server *nf_server_start(const struct nf_addr *addr, struct nf_registry *reg,
                                  double interval_s, struct nf_err *err)
{
    if (load_mhd(err) != NF_OK)
        return NULL;
    struct nf_server *s = calloc(1, sizeof *s);
    if (s == NULL) {
        nf_err_set(err, NF_E_NOMEM, "out of memory");
        return NULL;
    }
    s->reg = reg;
    s->interval_s = interval_s;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY;
    if (addr->ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    s->d =
        M.start_daemon(flags, (uint16_t)addr->port, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR,
                       (const struct sockaddr *)&addr->ss, MHD_OPTION_CONNECTION_LIMIT,
                       (unsigned)256, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (s->d == NULL) {
        free(s);
        nf_err_set(err, NF_E_UNAVAILABLE, "cannot listen on port %d (in use, or not allowed)",
                   addr->port);
        return NULL;
    }
    const union MHD_DaemonInfo *info = M.get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : addr->port;
    return s;
}

int nf_server_port(const struct nf_server *s)
{
    return s->port;
}

void nf_server_stop(struct nf_server *s)
{
    if (s == NULL)
        return;
    M.stop_daemon(s->d);
    free(s);
}
