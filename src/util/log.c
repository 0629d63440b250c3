/* log.c - JSON-lines logger. The only process-wide state is the threshold and the sink. */
#define _POSIX_C_SOURCE 200809L
#include "log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"

static enum nf_log_level threshold = NF_LOG_INFO;
static FILE *sink_override;

/* One record never exceeds this; a longer one is cut and marked truncated. */
#define NF_LOG_LINE_MAX 16384

static const char *level_names[] = {"debug", "info", "warn", "error"};

void nf_log_set_level(enum nf_log_level level)
{
    threshold = level;
}

int nf_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void nf_log_set_sink(FILE *sink)
{
    sink_override = sink;
}

void nf_log_fields(enum nf_log_level level, const char *msg, const struct nf_log_field *fields)
{
    if (level < threshold)
        return;
    double now = nf_wall_now();
    time_t secs = (time_t)floor(now);
    struct tm tm;
    gmtime_r(&secs, &tm);
    char when[96];
    snprintf(when, sizeof when, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
             (long)((now - floor(now)) * 1000) % 1000);

    struct nf_buf b;
    nf_buf_init(&b, NF_LOG_LINE_MAX);
    nf_buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", when, level_names[level]);
    nf_buf_json_str(&b, msg ? msg : "");
    for (const struct nf_log_field *f = fields; f && f->type != NF__LF_END; f++) {
        nf_buf_putc(&b, ',');
        nf_buf_json_str(&b, f->key ? f->key : "?");
        nf_buf_putc(&b, ':');
        switch (f->type) {
        case NF__LF_STR:
            if (f->s)
                nf_buf_json_str(&b, f->s);
            else
                nf_buf_puts(&b, "null");
            break;
        case NF__LF_NUM:
            nf_buf_json_num(&b, f->d);
            break;
        case NF__LF_INT:
            nf_buf_printf(&b, "%lld", f->i);
            break;
        case NF__LF_BOOL:
            nf_buf_puts(&b, f->i ? "true" : "false");
            break;
        case NF__LF_END:
            break;
        }
    }
    nf_buf_puts(&b, "}\n");
    FILE *out = sink_override ? sink_override : stderr;
    if (b.status == NF_OK) {
        fwrite(b.data, 1, b.len, out);
    } else {
        /* too long or no memory: still say something, as valid JSON */
        fprintf(out,
                "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"(log record too long)\","
                "\"truncated\":true}\n",
                when, level_names[level]);
    }
    fflush(out);
    nf_buf_free(&b);
}
