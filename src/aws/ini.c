/* ini.c - a strict, bounded reader for the AWS shared config format. */
#include "ini.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t'))
        (*s)++, (*n)--;
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t' || (*s)[*n - 1] == '\r'))
        (*n)--;
}

int nf_ini_get(const char *text, size_t len, const char *file, const char *section, const char *key,
               char *out, size_t outlen, struct nf_err *err)
{
    if (len > NF_INI_FILE_MAX)
        return nf_err_set(err, NF_E_INPUT, "%s: larger than %d bytes", file, NF_INI_FILE_MAX);
    const char *p = text, *end = text + len;
    size_t line = 0;
    bool in_section = false, any_section = false, found = false;
    while (p < end) {
        line++;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        size_t n = (size_t)(eol - p);
        if (n > NF_INI_LINE_MAX)
            return nf_err_set(err, NF_E_INPUT, "%s:%zu: line longer than %d bytes", file, line,
                              NF_INI_LINE_MAX);
        if (memchr(p, '\0', n) != NULL)
            return nf_err_set(err, NF_E_INPUT, "%s:%zu: contains a NUL byte", file, line);
        bool indented = n > 0 && (p[0] == ' ' || p[0] == '\t');
        const char *s = p;
        trim(&s, &n);
        p = nl ? nl + 1 : end;
        if (n == 0 || s[0] == '#' || s[0] == ';')
            continue;
        if (s[0] == '[') {
            if (s[n - 1] != ']' || n < 3)
                return nf_err_set(err, NF_E_INPUT, "%s:%zu: malformed section header", file, line);
            const char *name = s + 1;
            size_t nn = n - 2;
            trim(&name, &nn);
            any_section = true;
            in_section = strlen(section) == nn && memcmp(section, name, nn) == 0;
            continue;
        }
        if (indented && any_section)
            continue; /* a nested setting's continuation */
        const char *eq = memchr(s, '=', n);
        if (eq == NULL)
            return nf_err_set(err, NF_E_INPUT, "%s:%zu: expected [section] or key = value", file,
                              line);
        if (!any_section)
            return nf_err_set(err, NF_E_INPUT, "%s:%zu: a setting before any [section]", file,
                              line);
        const char *k = s;
        size_t kl = (size_t)(eq - s);
        trim(&k, &kl);
        if (kl == 0)
            return nf_err_set(err, NF_E_INPUT, "%s:%zu: empty key", file, line);
        if (in_section && !found && strlen(key) == kl && memcmp(key, k, kl) == 0) {
            const char *v = eq + 1;
            size_t vl = n - (size_t)(v - s);
            trim(&v, &vl);
            if (vl >= outlen)
                return nf_err_set(err, NF_E_INPUT, "%s:%zu: %s is too long", file, line, key);
            memcpy(out, v, vl);
            out[vl] = '\0';
            found = true; /* keep going: the rest of the file must be well formed too */
        }
    }
    return found ? NF_OK : NF_E_NOT_FOUND;
}
