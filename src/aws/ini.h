/* ini.h - the AWS shared credentials and config files (~/.aws/credentials, ~/.aws/config).
 *
 * Contract
 *   Lines are "[section]", "key = value", comments starting with # or ;, blank lines, or
 *   indented continuation lines (nested settings such as "s3 =" blocks, skipped). Anything
 *   else is NF_E_INPUT with "FILE:LINE: what". Lookup is by section and key, exact; values
 *   are trimmed. Pure: the caller reads the file (bounded by NF_INI_FILE_MAX).
 */
#ifndef NF_AWS_INI_H
#define NF_AWS_INI_H

#include <stddef.h>

#include "../util/err.h"

#define NF_INI_FILE_MAX (1024 * 1024)
#define NF_INI_LINE_MAX 8192

/* NF_OK (found, copied to out), NF_E_NOT_FOUND, or NF_E_INPUT (malformed file). */
int nf_ini_get(const char *text, size_t len, const char *file, const char *section, const char *key,
               char *out, size_t outlen, struct nf_err *err);

#endif
