/* replay_main.c - run a fuzz target over every file in the given folders (its corpus and the
 * crashes found so far), without libFuzzer: the regression half of fuzzing, in `make test`. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
    size_t files = 0;
    for (int a = 1; a < argc; a++) {
        DIR *d = opendir(argv[a]);
        if (d == NULL) {
            fprintf(stderr, "replay: cannot open corpus folder %s\n", argv[a]);
            return 1;
        }
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] == '.')
                continue;
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[a], e->d_name);
            struct nf_buf b;
            nf_buf_init(&b, 64 * 1024 * 1024);
            struct nf_err err;
            if (nf_buf_read_file(&b, path, path, &err) != NF_OK) {
                fprintf(stderr, "replay: %s\n", err.msg);
                closedir(d);
                return 1;
            }
            LLVMFuzzerTestOneInput((const uint8_t *)b.data, b.len);
            nf_buf_free(&b);
            files++;
        }
        closedir(d);
    }
    if (files == 0) {
        fprintf(stderr, "replay: no corpus files found\n");
        return 1;
    }
    printf("replayed %zu inputs\n", files);
    return 0;
}
