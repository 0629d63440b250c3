/* manpage.h - the documents generated from the code's own tables: nodefleet(1) from the
 * command table and its help texts, nodefleet.yaml(5) from the settings table, and the bash
 * completion from both (`nodefleet help --man 1|5`, `nodefleet help --bash-completion`).
 *
 * Contract
 *   A usage text is: "usage: nodefleet CMD ..." lines (continuations indented), a blank
 *   line, then paragraphs; a line "  --opt ARG   what it does" (two to four spaces, then a
 *   dash) is an option, continued by lines indented five or more; other indented lines are
 *   kept as they are (examples). `code` in backticks is set in bold. Output goes to `b`.
 */
#ifndef NF_CLI_MANPAGE_H
#define NF_CLI_MANPAGE_H

#include <stddef.h>

#include "../util/buf.h"

struct nf_cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *usage;
};

void nf_man_page_1(struct nf_buf *b, const struct nf_cli_command *cmds, size_t n,
                   const char *version);
void nf_man_page_5(struct nf_buf *b, const char *version);
void nf_bash_completion(struct nf_buf *b, const struct nf_cli_command *cmds, size_t n);

#endif
