/* fuzz_xml.c - libFuzzer target: the XML reader, and the EC2/Query error and result
 * parsers on whatever it accepts. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/proto.h"
#include "aws/xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nf_xml_doc d;
    struct nf_err err;
    if (nf_xml_parse((const char *)data, size, &d, &err) != NF_OK)
        return 0;
    static json_t *shapes;
    if (shapes == NULL)
        shapes = json_loads(
            "{\"Out\":{\"type\":\"structure\",\"members\":{\"a\":{\"shape\":\"L\"},"
            "\"b\":{\"shape\":\"I\"},\"c\":{\"shape\":\"T\"},\"d\":{\"shape\":\"M\"},"
            "\"e\":{\"shape\":\"Out\"},\"f\":{\"shape\":\"B\"}}},"
            "\"L\":{\"type\":\"list\",\"member\":{\"shape\":\"S\",\"locationName\":\"item\"}},"
            "\"M\":{\"type\":\"map\",\"key\":{\"shape\":\"S\"},\"value\":{\"shape\":\"S\"}},"
            "\"S\":{\"type\":\"string\"},\"I\":{\"type\":\"integer\"},"
            "\"T\":{\"type\":\"timestamp\"},\"B\":{\"type\":\"blob\"}}",
            0, NULL);
    char code[64], msg[256];
    json_t *fields = NULL, *out = NULL;
    nf_awsxml_error(NF_AWS_EC2, shapes, d.root, code, sizeof code, msg, sizeof msg, &fields);
    json_decref(fields);
    if (nf_awsxml_parse(NF_AWS_QUERY, shapes, "Out", NULL, d.root, &out, &err) == NF_OK)
        json_decref(out);
    nf_xml_free(&d);
    return 0;
}
