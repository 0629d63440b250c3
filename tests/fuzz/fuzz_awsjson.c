/* fuzz_awsjson.c - libFuzzer target: the JSON answers nodefleet reads from AWS. The first
 * byte picks the reader; the rest is the body:
 *   0  a DynamoDB GetItem answer, HTTP 200, then the state item decoder on its Item
 *   1  a DynamoDB error answer (HTTP 400), error type from the body
 *   2  the same with an x-amzn-ErrorType header naming the type
 *   3  the container / IMDS credentials document
 *   4  a DynamoDB Query answer, HTTP 200, then the metrics history decoder on each of its
 *      Items (what decodes has its hour and weekday in range) */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "adapters/dynamodb.h"
#include "aws/client.h"
#include "aws/creds.h"
#include "aws/services.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *body = (const char *)data + 1;
    size_t len = size - 1;
    struct nf_err err;
    static const struct nf_aws_op get = {"GetItem", NULL, "*"};
    json_t *res = NULL;
    struct nf_aws_error ae = {0};
    switch (data[0] % 5) {
    case 0:
        if (nf_aws_parse(&nf_aws_dynamodb, &get, 200, NULL, body, len, &res, &ae, &err) == NF_OK) {
            const json_t *item = json_object_get(res, "Item");
            static struct nf_state st;
            if (item)
                nf_dynamodb_state_decode(item, &st, &err);
        }
        break;
    case 1:
        nf_aws_parse(&nf_aws_dynamodb, &get, 400, NULL, body, len, &res, &ae, &err);
        break;
    case 2:
        nf_aws_parse(&nf_aws_dynamodb, &get, 400,
                     "ConditionalCheckFailedException:http://internal.amazon.com/", body, len, &res,
                     &ae, &err);
        break;
    case 4: {
        static const struct nf_aws_op query = {"Query", NULL, "*"};
        if (nf_aws_parse(&nf_aws_dynamodb, &query, 200, NULL, body, len, &res, &ae, &err) != NF_OK)
            break;
        const json_t *items = json_object_get(res, "Items");
        for (size_t i = 0; i < json_array_size(items); i++) {
            struct nf_history_item it;
            if (nf_dynamodb_history_decode(json_array_get(items, i), &it, &err) == NF_OK &&
                (it.hour < 0 || it.hour > 23 || it.weekday < 0 || it.weekday > 6 || it.nodes < 0))
                abort();
        }
        break;
    }
    default: {
        struct nf_aws_credentials cr;
        nf_aws_creds_parse(body, len, "fuzz", &cr, &err);
        break;
    }
    }
    json_decref(res);
    return 0;
}
