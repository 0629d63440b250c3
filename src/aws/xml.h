/* xml.h - a small, bounded XML reader for AWS responses (EC2 and Query protocols).
 *
 * Contract
 *   Parses a whole document into a tree of elements: local name (any namespace prefix
 *   dropped), concatenated text (entities and CDATA decoded; whitespace kept as is), and
 *   children in order. Attributes are read and ignored (AWS bodies carry only xmlns).
 *   Refused with NF_E_INPUT and the byte offset: malformed markup, mismatched or unclosed
 *   tags, unknown entities, any DOCTYPE (so no entity expansion, no external entities),
 *   more than NF_XML_DEPTH_MAX levels or NF_XML_NODES_MAX elements, text after the root.
 *   The caller bounds the input size. One allocation arena per document.
 */
#ifndef NF_AWS_XML_H
#define NF_AWS_XML_H

#include <stddef.h>

#include "../util/err.h"

#define NF_XML_DEPTH_MAX 64
#define NF_XML_NODES_MAX 200000

struct nf_xml_node {
    const char *name;
    size_t name_len;
    const char *text; /* "" when none */
    size_t text_len;
    struct nf_xml_node *parent, *first, *last, *next;
};

struct nf_xml_doc {
    struct nf_xml_node *root;
    void *arena;
};

int nf_xml_parse(const char *data, size_t len, struct nf_xml_doc *doc, struct nf_err *err);
void nf_xml_free(struct nf_xml_doc *doc);
/* Free the calling thread's spare block (kept between documents), for a clean exit. */
void nf_xml_cache_free(void);

/* The first child named `name`, or NULL. */
const struct nf_xml_node *nf_xml_child(const struct nf_xml_node *n, const char *name);
/* Follow a path of child names ("Errors/Error/Code"); NULL when any step is missing. */
const struct nf_xml_node *nf_xml_path(const struct nf_xml_node *n, const char *path);
/* The text of that path, or NULL. */
const char *nf_xml_path_text(const struct nf_xml_node *n, const char *path);

#endif
