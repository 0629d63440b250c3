/* yaml_depth.h - refuse deeply nested YAML before libyaml builds a document of it.
 *
 * Contract
 *   libyaml's cost grows with the square of the nesting depth (a 1 MiB file of "[[[[..." takes
 *   minutes), and nothing nodefleet reads nests deeper than a few levels. nf_yaml_check_depth()
 *   reads the text's events and stops at the first collection deeper than `max_depth`: NF_OK,
 *   or NF_E_CONFIG with the line in `*line` (1-based) and a phrase in `why`. It stops at the
 *   first syntax error too and returns NF_OK then, leaving the message to the real parse.
 *   The work done is bounded by max_depth, not by the input's nesting.
 */
#ifndef NF_YAML_DEPTH_H
#define NF_YAML_DEPTH_H

#include <stddef.h>

/* The nesting limit of every YAML document nodefleet reads (config, kubeconfig). */
#define NF_YAML_DEPTH_MAX 32

int nf_yaml_check_depth(const char *data, size_t len, int max_depth, unsigned long *line, char *why,
                        size_t whylen);

#endif
