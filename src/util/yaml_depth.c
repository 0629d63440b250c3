/* yaml_depth.c - the nesting limit for YAML input (see yaml_depth.h). */
#include "yaml_depth.h"

#include <stdio.h>
#include <yaml.h>

#include "err.h"

int nf_yaml_check_depth(const char *data, size_t len, int max_depth, unsigned long *line, char *why,
                        size_t whylen)
{
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        snprintf(why, whylen, "cannot initialise the YAML parser");
        *line = 0;
        return NF_E_NOMEM;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    int depth = 0, rc = NF_OK;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev))
            break; /* the real parse reports it */
        yaml_event_type_t t = ev.type;
        unsigned long at = (unsigned long)ev.start_mark.line + 1;
        yaml_event_delete(&ev);
        if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (++depth > max_depth) {
                *line = at;
                snprintf(why, whylen, "nested more than %d levels deep", max_depth);
                rc = NF_E_CONFIG;
                break;
            }
        } else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
            depth--;
        } else if (t == YAML_STREAM_END_EVENT) {
            break;
        }
    }
    yaml_parser_delete(&p);
    return rc;
}
