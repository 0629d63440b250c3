/* xml.c - recursive-descent-free (explicit stack) XML reader with an arena. */
#include "xml.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- arena: a list of blocks, freed at once ---- */

struct block {
    struct block *next;
    size_t used, cap;
    char data[];
};

/* One spare block per thread, kept by nf_xml_free for the next document: a cycle's many
 * small answers then cost no allocation of their tree's memory. A thread that ends (the
 * cycle's observation threads) frees its own through a key's destructor; the main thread
 * calls nf_xml_cache_free. */
static _Thread_local struct block *spare;
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void make_key(void)
{
    pthread_key_create(&spare_key, free);
}

static void set_spare(struct block *b)
{
    spare = b;
    pthread_once(&spare_once, make_key);
    pthread_setspecific(spare_key, b);
}

void nf_xml_cache_free(void)
{
    free(spare);
    set_spare(NULL);
}

/* `first` sizes the first block (later ones are 64 KiB): a small answer costs one small
 * allocation, or none when the spare block is large enough. */
static void *arena_alloc_first(void **arena, size_t n, size_t first)
{
    n = (n + 15) & ~(size_t)15;
    struct block *b = *arena;
    if (b == NULL || b->cap - b->used < n) {
        size_t want = b == NULL ? first : 65536;
        size_t cap = n > want ? n : want;
        if (b == NULL && spare != NULL && spare->cap >= cap) {
            spare->next = NULL;
            spare->used = 0;
            *arena = b = spare;
            set_spare(NULL);
            void *p = b->data;
            b->used = n;
            return p;
        }
        struct block *nb = malloc(sizeof *nb + cap);
        if (nb == NULL)
            return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        *arena = nb;
        b = nb;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

static inline void *arena_alloc(void **arena, size_t n)
{
    struct block *b = *arena;
    n = (n + 15) & ~(size_t)15;
    if (b != NULL && b->cap - b->used >= n) { /* the common case */
        void *p = b->data + b->used;
        b->used += n;
        return p;
    }
    return arena_alloc_first(arena, n, 65536);
}

void nf_xml_free(struct nf_xml_doc *doc)
{
    struct block *b = doc->arena;
    while (b) {
        struct block *n = b->next;
        if (n == NULL && b->cap <= 65536 && (spare == NULL || spare->cap < b->cap)) {
            free(spare); /* keep the larger: the first block of this document */
            set_spare(b);
        } else {
            free(b);
        }
        b = n;
    }
    doc->arena = NULL;
    doc->root = NULL;
}

/* ---- parsing ---- */

struct parser {
    const char *s, *end;
    const char *start;
    struct nf_xml_doc *doc;
    struct nf_err *err;
    size_t nodes;
    /* text of the element being filled, grown in the arena by doubling */
    char *text;
    size_t text_len, text_cap;
};

static int fail(struct parser *p, const char *what)
{
    return nf_err_set(p->err, NF_E_INPUT, "XML: %s at byte %zu", what, (size_t)(p->s - p->start));
}

/* Name characters: ASCII letters, digits, _ - . : and any byte of a multi-byte UTF-8
 * character. A table: this is the parser's innermost loop. */
#define NC1(c)                                                                                     \
    (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || ((c) >= '0' && (c) <= '9') ||     \
     (c) == '_' || (c) == '-' || (c) == '.' || (c) == ':' || (c) >= 0x80)
#define NC4(c)  NC1(c), NC1((c) + 1), NC1((c) + 2), NC1((c) + 3)
#define NC16(c) NC4(c), NC4((c) + 4), NC4((c) + 8), NC4((c) + 12)
#define NC64(c) NC16(c), NC16((c) + 16), NC16((c) + 32), NC16((c) + 48)
static const bool name_table[256] = {NC64(0), NC64(64), NC64(128), NC64(192)};
#undef NC64
#undef NC16
#undef NC4
#undef NC1

static inline bool name_char(char c)
{
    return name_table[(unsigned char)c];
}

static bool blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static int text_add(struct parser *p, const char *s, size_t n)
{
    if (p->text_len + n + 1 > p->text_cap) {
        size_t cap = p->text_cap ? p->text_cap * 2 : 16;
        while (cap < p->text_len + n + 1)
            cap *= 2;
        char *t = arena_alloc(&p->doc->arena, cap);
        if (t == NULL)
            return nf_err_set(p->err, NF_E_NOMEM, "out of memory");
        if (p->text_len)
            memcpy(t, p->text, p->text_len);
        p->text = t;
        p->text_cap = cap;
    }
    memcpy(p->text + p->text_len, s, n);
    p->text_len += n;
    p->text[p->text_len] = '\0';
    return NF_OK;
}

static int utf8_add(struct parser *p, unsigned long cp)
{
    char b[4];
    size_t n;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return fail(p, "character reference out of range");
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (char)(0xF0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return text_add(p, b, n);
}

/* at '&': decode one entity */
static int entity(struct parser *p)
{
    const char *semi =
        memchr(p->s, ';', (size_t)(p->end - p->s) < 12 ? (size_t)(p->end - p->s) : 12);
    if (semi == NULL)
        return fail(p, "unterminated entity");
    const char *e = p->s + 1;
    size_t n = (size_t)(semi - e);
    static const struct {
        const char *name;
        char c;
    } named[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''}};
    int rc = NF_OK;
    if (n > 1 && e[0] == '#') {
        unsigned long cp = 0;
        bool hex = e[1] == 'x';
        size_t i = hex ? 2 : 1;
        if (i == n)
            return fail(p, "empty character reference");
        for (; i < n; i++) {
            char c = e[i];
            int d = c >= '0' && c <= '9'          ? c - '0'
                    : hex && c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : hex && c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                  : -1;
            if (d < 0)
                return fail(p, "bad character reference");
            cp = cp * (hex ? 16 : 10) + (unsigned long)d;
            if (cp > 0x10FFFF)
                return fail(p, "character reference out of range");
        }
        rc = utf8_add(p, cp);
    } else {
        size_t k = 0;
        for (; k < sizeof named / sizeof named[0]; k++)
            if (strlen(named[k].name) == n && memcmp(named[k].name, e, n) == 0)
                break;
        if (k == sizeof named / sizeof named[0])
            return fail(p, "unknown entity");
        rc = text_add(p, &named[k].c, 1);
    }
    p->s = semi + 1;
    return rc;
}

static int skip_past(struct parser *p, const char *marker, const char *what)
{
    size_t ml = strlen(marker);
    while (p->s + ml <= p->end) {
        if (memcmp(p->s, marker, ml) == 0) {
            p->s += ml;
            return NF_OK;
        }
        p->s++;
    }
    return fail(p, what);
}

static const char *local_name(struct parser *p, const char *s, size_t n, size_t *len)
{
    const char *colon = memchr(s, ':', n);
    if (colon) {
        n -= (size_t)(colon + 1 - s);
        s = colon + 1;
    }
    char *name = arena_alloc(&p->doc->arena, n + 1);
    if (name == NULL)
        return NULL;
    memcpy(name, s, n);
    name[n] = '\0';
    *len = n;
    return name;
}

static void finish_text(struct parser *p, struct nf_xml_node *n)
{
    n->text = p->text ? p->text : "";
    n->text_len = p->text_len;
    p->text = NULL;
    p->text_len = p->text_cap = 0;
}

/* One pass over the text, a small state machine (prolog, tags, attributes, text, entities,
 * CDATA, comments) with every bound checked where it is met. Long because splitting it would
 * spread one scanner's position and state over several functions; each state is a commented
 * block. */
int nf_xml_parse(const char *data, size_t len, struct nf_xml_doc *doc, struct nf_err *err)
{
    memset(doc, 0, sizeof *doc);
    struct parser p = {.s = data, .end = data + len, .start = data, .doc = doc, .err = err};
    /* the text of each open element is kept while its children are parsed */
    struct saved {
        char *text;
        size_t len, cap;
        const char *raw; /* the parent's name as written (prefix included) */
        size_t raw_len;
    } saved[NF_XML_DEPTH_MAX + 1];
    const char *raw = NULL; /* the open element's name as written */
    size_t raw_len = 0;
    struct nf_xml_node *cur = NULL;
    int depth = 0, rc = NF_OK;
    bool done = false;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        p.s += 3;
    /* about ten bytes of tree per byte of a typical AWS answer; at least 16 KiB, so the
     * spare block fits most answers */
    size_t first = len < 6000 ? len * 10 + 1024 : 65536;
    if (first < 16384)
        first = 16384;
    if (arena_alloc_first(&doc->arena, 16, first) == NULL)
        return nf_err_set(err, NF_E_NOMEM, "out of memory");
    while (p.s < p.end && rc == NF_OK) {
        if (*p.s != '<') {
            if (cur == NULL) {
                if (!blank(*p.s)) {
                    rc = fail(&p, done ? "text after the root element"
                                       : "text before the root element");
                    break;
                }
                p.s++;
                continue;
            }
            /* a run of text ends at the next markup or entity */
            const char *run = p.s;
            while (p.s < p.end && *p.s != '<' && *p.s != '&')
                p.s++;
            rc = text_add(&p, run, (size_t)(p.s - run));
            if (rc == NF_OK && p.s < p.end && *p.s == '&')
                rc = entity(&p);
            continue;
        }
        /* markup */
        if (p.end - p.s >= 4 && memcmp(p.s, "<!--", 4) == 0) {
            rc = skip_past(&p, "-->", "unterminated comment");
            continue;
        }
        if (p.end - p.s >= 9 && memcmp(p.s, "<![CDATA[", 9) == 0) {
            if (cur == NULL) {
                rc = fail(&p, "CDATA outside an element");
                break;
            }
            p.s += 9;
            const char *run = p.s;
            rc = skip_past(&p, "]]>", "unterminated CDATA");
            if (rc == NF_OK)
                rc = text_add(&p, run, (size_t)(p.s - 3 - run));
            continue;
        }
        if (p.end - p.s >= 2 && p.s[1] == '!') {
            rc = fail(&p, "DOCTYPE and declarations are not accepted");
            break;
        }
        if (p.end - p.s >= 2 && p.s[1] == '?') {
            rc = skip_past(&p, "?>", "unterminated processing instruction");
            continue;
        }
        if (p.end - p.s >= 2 && p.s[1] == '/') { /* end tag: the open element's name */
            p.s += 2;
            if (cur == NULL) {
                rc = fail(&p, "end tag without a start tag");
                break;
            }
            if ((size_t)(p.end - p.s) <= raw_len || memcmp(p.s, raw, raw_len) != 0 ||
                name_char(p.s[raw_len])) {
                rc = fail(&p, "end tag does not match its start tag");
                break;
            }
            p.s += raw_len;
            while (p.s < p.end && blank(*p.s))
                p.s++;
            if (p.s >= p.end || *p.s != '>') {
                rc = fail(&p, "malformed end tag");
                break;
            }
            p.s++;
            finish_text(&p, cur);
            cur = cur->parent;
            depth--;
            raw = saved[depth].raw;
            raw_len = saved[depth].raw_len;
            if (cur == NULL) {
                done = true;
            } else {
                p.text = saved[depth].text;
                p.text_len = saved[depth].len;
                p.text_cap = saved[depth].cap;
            }
            continue;
        }
        /* start tag */
        if (done) {
            rc = fail(&p, "a second root element");
            break;
        }
        p.s++;
        const char *n0 = p.s;
        while (p.s < p.end && name_char(*p.s))
            p.s++;
        size_t nl = (size_t)(p.s - n0);
        if (nl == 0) {
            rc = fail(&p, "malformed start tag");
            break;
        }
        /* attributes: name = "value" | 'value', skipped */
        bool self_closing = false;
        for (;;) {
            while (p.s < p.end && blank(*p.s))
                p.s++;
            if (p.s >= p.end) {
                rc = fail(&p, "unterminated start tag");
                break;
            }
            if (*p.s == '>') {
                p.s++;
                break;
            }
            if (*p.s == '/' && p.s + 1 < p.end && p.s[1] == '>') {
                p.s += 2;
                self_closing = true;
                break;
            }
            const char *a0 = p.s;
            while (p.s < p.end && name_char(*p.s))
                p.s++;
            if (p.s == a0) {
                rc = fail(&p, "malformed attribute");
                break;
            }
            while (p.s < p.end && blank(*p.s))
                p.s++;
            if (p.s >= p.end || *p.s != '=') {
                rc = fail(&p, "attribute without a value");
                break;
            }
            p.s++;
            while (p.s < p.end && blank(*p.s))
                p.s++;
            if (p.s >= p.end || (*p.s != '"' && *p.s != '\'')) {
                rc = fail(&p, "attribute value not quoted");
                break;
            }
            char q = *p.s++;
            const char *close = memchr(p.s, q, (size_t)(p.end - p.s));
            if (close == NULL || memchr(p.s, '<', (size_t)(close - p.s)) != NULL) {
                rc = fail(&p, "unterminated attribute value");
                break;
            }
            p.s = close + 1;
        }
        if (rc != NF_OK)
            break;
        if (++p.nodes > NF_XML_NODES_MAX) {
            rc = fail(&p, "too many elements");
            break;
        }
        struct nf_xml_node *n = arena_alloc(&doc->arena, sizeof *n);
        if (n == NULL) {
            rc = nf_err_set(err, NF_E_NOMEM, "out of memory");
            break;
        }
        memset(n, 0, sizeof *n);
        n->name = local_name(&p, n0, nl, &n->name_len);
        if (n->name == NULL) {
            rc = nf_err_set(err, NF_E_NOMEM, "out of memory");
            break;
        }
        n->parent = cur;
        if (cur == NULL) {
            doc->root = n;
        } else {
            if (cur->last)
                cur->last->next = n;
            else
                cur->first = n;
            cur->last = n;
        }
        if (self_closing) {
            n->text = "";
            if (cur == NULL)
                done = true;
            continue;
        }
        if (depth == NF_XML_DEPTH_MAX) {
            rc = fail(&p, "nested too deeply");
            break;
        }
        saved[depth].text = p.text;
        saved[depth].len = p.text_len;
        saved[depth].cap = p.text_cap;
        saved[depth].raw = raw;
        saved[depth].raw_len = raw_len;
        raw = n0;
        raw_len = nl;
        p.text = NULL;
        p.text_len = p.text_cap = 0;
        depth++;
        cur = n;
    }
    if (rc == NF_OK && cur != NULL)
        rc = fail(&p, "unclosed element");
    if (rc == NF_OK && doc->root == NULL)
        rc = fail(&p, "no root element");
    if (rc != NF_OK)
        nf_xml_free(doc);
    return rc;
}

const struct nf_xml_node *nf_xml_child(const struct nf_xml_node *n, const char *name)
{
    for (const struct nf_xml_node *c = n ? n->first : NULL; c; c = c->next)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}

const struct nf_xml_node *nf_xml_path(const struct nf_xml_node *n, const char *path)
{
    char step[128];
    while (n && *path) {
        size_t l = strcspn(path, "/");
        if (l >= sizeof step)
            return NULL;
        memcpy(step, path, l);
        step[l] = '\0';
        n = nf_xml_child(n, step);
        path += l + (path[l] == '/');
    }
    return n;
}

const char *nf_xml_path_text(const struct nf_xml_node *n, const char *path)
{
    const struct nf_xml_node *t = nf_xml_path(n, path);
    return t ? t->text : NULL;
}
