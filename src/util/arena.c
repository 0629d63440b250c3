/* arena.c - a list of blocks, bump-allocated. */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

struct ablock {
    struct ablock *next;
    size_t used, cap;
    _Alignas(16) char data[];
};

void *nf_arena_alloc(struct nf_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    struct ablock *b = a->blocks;
    if (b == NULL || b->cap - b->used < n) {
        size_t cap = n > 65536 ? n : 65536;
        struct ablock *nb = malloc(sizeof *nb + cap);
        if (nb == NULL)
            return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        a->blocks = b = nb;
        a->bytes += cap;
    }
    void *p = b->data + b->used;
    b->used += n;
    return p;
}

char *nf_arena_strndup(struct nf_arena *a, const char *s, size_t n)
{
    char *p = nf_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *nf_arena_strdup(struct nf_arena *a, const char *s)
{
    return nf_arena_strndup(a, s, strlen(s));
}

void nf_arena_free(struct nf_arena *a)
{
    struct ablock *b = a->blocks;
    while (b) {
        struct ablock *n = b->next;
        free(b);
        b = n;
    }
    a->blocks = NULL;
    a->bytes = 0;
}
