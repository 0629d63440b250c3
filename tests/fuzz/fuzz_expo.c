/* fuzz_expo.c - libFuzzer target: the exposition writer on arbitrary names, help, label
 * names and values and numbers. The property checked: whatever the input, one family with
 * one sample is exactly three lines (no raw newline escapes from a field). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/expo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Split the input at 0xff bytes into up to 5 NUL-terminated fields. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 8 || size > 4096)
        return 0;
    double v;
    memcpy(&v, data, sizeof v);
    char buf[4096 + 8];
    memcpy(buf, data + 8, size - 8);
    buf[size - 8] = '\0';
    char *field[5] = {"m", "", "l", "", ""};
    int nf = 0;
    char *p = buf;
    while (nf < 5) {
        field[nf++] = p;
        char *sep = strchr(p, '\xff');
        if (sep == NULL)
            break;
        *sep = '\0';
        p = sep + 1;
    }
    if (field[0][0] == '\0')
        field[0] = "m";
    struct nf_label labels[2] = {{field[2][0] ? field[2] : "l", field[3]}, {"le", field[4]}};
    struct nf_buf b;
    nf_buf_init(&b, 1 << 20);
    nf_expo_family(&b, field[0], field[1], "gauge");
    nf_expo_sample(&b, field[0], NULL, labels, 2, v, false, 0);
    if (b.status == NF_OK) {
        size_t lines = 0;
        for (size_t i = 0; i < b.len; i++)
            lines += b.data[i] == '\n';
        if (lines != 3)
            abort();
    }
    char num[32];
    nf_expo_float(v, num);
    if (strlen(num) >= sizeof num)
        abort();
    nf_buf_free(&b);
    return 0;
}
