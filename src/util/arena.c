/* arena.c - a list of blocks, bump-allocated. */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

struct ablock {
    struct ablock *next;
    size_t used, cap;
    _Alignas(16) char data[];
};

/* `align`: 16, or 1 for text (a string needs none; packing them saves a third of a pod's) */
static void *alloc(struct nf_arena *a, size_t n, size_t align)
{
    struct ablock *b = a->blocks;
    size_t pad = b ? (align - (b->used & (align - 1))) & (align - 1) : 0;
    if (b == NULL || b->cap - b->used < pad + n) {
        size_t min = a->block_min ? a->block_min : 65536;
        size_t cap = n > min ? n : min;
        struct ablock *nb = malloc(sizeof *nb + cap);
        if (nb == NULL)
            return NULL;
        nb->next = b;
        nb->used = 0;
        nb->cap = cap;
        a->blocks = b = nb;
        a->bytes += cap;
        pad = 0; /* a block's data is aligned */
    }
    b->used += pad;
    a->used += pad;
    void *p = b->data + b->used;
    b->used += n;
    a->used += n;
    return p;
}

void *nf_arena_alloc(struct nf_arena *a, size_t n)
{
    return alloc(a, (n + 15) & ~(size_t)15, 16);
}

char *nf_arena_strndup(struct nf_arena *a, const char *s, size_t n)
{
    char *p = alloc(a, n + 1, 1);
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
    a->used = 0;
}

void nf_arena_adopt(struct nf_arena *a, struct nf_arena *from)
{
    struct ablock *f = from->blocks;
    if (f == NULL)
        return;
    if (a->blocks == NULL) {
        a->blocks = f;
    } else { /* behind a's current block, which stays the one allocated from */
        struct ablock *tail = f;
        while (tail->next)
            tail = tail->next;
        struct ablock *head = a->blocks;
        tail->next = head->next;
        head->next = f;
    }
    a->bytes += from->bytes;
    a->used += from->used;
    from->blocks = NULL;
    from->bytes = from->used = 0;
}
