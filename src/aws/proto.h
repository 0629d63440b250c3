/* proto.h - the AWS wire protocols nodefleet speaks, driven by shape models.
 *
 * Contract
 *   Shapes are botocore-format JSON objects ({"Name": {"type": "structure", "members": {...}},
 *   ...}): the official protocol test suites ship in that format, and nodefleet writes its
 *   own small models for the operations it uses (services.c), so one codec is tested by AWS's
 *   cases and used in production.
 *   - EC2 and Query protocols: parameters (a JSON object) to a form body
 *     "Action=...&Version=...&...", and XML responses to a JSON result; errors from the
 *     <Response><Errors><Error> (EC2) and <ErrorResponse><Error> (Query) envelopes.
 *   - JSON 1.0/1.1: parameters to a JSON body, JSON responses to a result; the error code
 *     from X-Amzn-Errortype, "__type" or "code", with any "namespace#" prefix and ":uri"
 *     suffix removed.
 *   Code: proto_query.c, proto_xml.c, proto_json.c over the shared shape helpers in
 *   proto_shapes.c.
 *   Values: timestamps are Unix seconds (numbers) on the C side; blobs are strings (base64 on
 *   the wire); floats NaN/Infinity/-Infinity travel as those strings. Unknown members in a
 *   response are ignored; a value that does not match its shape is NF_E_INPUT.
 */
#ifndef NF_AWS_PROTO_H
#define NF_AWS_PROTO_H

#include <jansson.h>

#include "../util/buf.h"
#include "../util/err.h"
#include "xml.h"

enum nf_aws_protocol { NF_AWS_EC2, NF_AWS_QUERY, NF_AWS_JSON };

/* `input_shape` may be NULL (no parameters). */
int nf_awsq_serialize(enum nf_aws_protocol proto, const json_t *shapes, const char *input_shape,
                      const json_t *params, const char *action, const char *version,
                      struct nf_buf *out, struct nf_err *err);

/* `result_wrapper` (Query: "<Op>Result") may be NULL. `*out` is a new reference. */
int nf_awsxml_parse(enum nf_aws_protocol proto, const json_t *shapes, const char *output_shape,
                    const char *result_wrapper, const struct nf_xml_node *root, json_t **out,
                    struct nf_err *err);

/* The code and message of an XML error envelope; `fields` (may be NULL) gets the error's other
 * members parsed with the shape named after the code, when `shapes` has one. NF_E_INPUT when
 * the document is not an error envelope. */
int nf_awsxml_error(enum nf_aws_protocol proto, const json_t *shapes,
                    const struct nf_xml_node *root, char *code, size_t codelen, char *msg,
                    size_t msglen, json_t **fields);

/* `input_shape` NULL: no model, the parameters as they are. The body is written with the
 * Python SDK's separators and ASCII escapes. */
int nf_awsjson_serialize(const json_t *shapes, const char *input_shape, const json_t *params,
                         struct nf_buf *out, struct nf_err *err);
/* `output_shape` NULL: the operation has no output ({}); "*": no model, the body as is. */
int nf_awsjson_parse(const json_t *shapes, const char *output_shape, const json_t *body,
                     json_t **out, struct nf_err *err);
/* `errortype_header` and `body` may be NULL. */
void nf_awsjson_error(const char *errortype_header, const json_t *body, char *code, size_t codelen,
                      char *msg, size_t msglen);

/* The shape that models error `code`: one whose "error": {"code"} says so, else the shape
 * named `code`; NULL when none. */
const char *nf_aws_error_shape(const json_t *shapes, const char *code);

/* Form-encode a query value the way the SDKs do (space as '+', unreserved kept). */
void nf_aws_form_encode(struct nf_buf *out, const char *s);

#endif
