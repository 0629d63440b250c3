/* arena.h - many small allocations freed at once (strings and records of one snapshot).
 *
 * Contract
 *   Blocks of at least 64 KiB (or `block_min` bytes when the owner sets it: a small object's
 *   own arena), 16-byte aligned allocations (strings packed
 *   unaligned), all released by nf_arena_free. NULL on
 *   out-of-memory. Not thread-safe.
 */
#ifndef NF_ARENA_H
#define NF_ARENA_H

#include <stddef.h>

struct nf_arena {
    void *blocks;
    size_t bytes;     /* all block capacity, for memory accounting */
    size_t used;      /* all allocations, rounded to 16 */
    size_t block_min; /* 0: 64 KiB */
};

void *nf_arena_alloc(struct nf_arena *a, size_t n);
/* A NUL-terminated copy of s[0..n) in the arena. */
char *nf_arena_strndup(struct nf_arena *a, const char *s, size_t n);
char *nf_arena_strdup(struct nf_arena *a, const char *s);
void nf_arena_free(struct nf_arena *a);
/* Move every block of `from` into `a` (allocations go on in `a`'s current block); `from` is
 * left empty. */
void nf_arena_adopt(struct nf_arena *a, struct nf_arena *from);

#endif
