/* synth.c - hearth-synth: writes a synthetic llama GGUF with random weights.
 *
 * For demos, benchmarks and tests of programs: the model runs like a real one
 * but its weights are random, so the text it generates is noise. Types F32,
 * F16, BF16, Q8_0 and Q4_0 are written directly; others are made with
 * hearth-quantize from an F32/F16 file.
 */
#include <stdio.h>  /* fprintf */
#include <stdlib.h> /* strtol */
#include <string.h> /* strcmp */

#include "hearth.h"
#include "synth_model.h" /* synth_model_write */

static void usage(FILE *f) {
    fprintf(f, "usage: hearth-synth OUT.gguf [options]\n"
               "  --dim N --layers N --ff N --heads N --kv-heads N --ctx N\n"
               "  --vocab N            built-in byte-level vocabulary size (>= 300)\n"
               "  --vocab-from FILE    copy the tokenizer of another GGUF instead\n"
               "  --type T             F32, F16, BF16, Q8_0 or Q4_0 for the matrices\n"
               "  --embd-type T        type of token_embd (default: --type)\n"
               "  --tied               no output.weight (logits use token_embd)\n"
               "  --seed N             weights seed (default 1)\n"
               "The weights are random: text generated with such a model is noise.\n");
}

int main(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    synth_model_params p = synth_model_default_params();
    const char *embd_type = NULL;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--tied")) {
            p.tied = true;
            continue;
        }
        if (!v) {
            fprintf(stderr, "%s: missing value\n", a);
            return 2;
        }
        i++;
        int32_t *ip = !strcmp(a, "--dim")        ? &p.n_embd
                      : !strcmp(a, "--layers")   ? &p.n_layer
                      : !strcmp(a, "--ff")       ? &p.n_ff
                      : !strcmp(a, "--heads")    ? &p.n_head
                      : !strcmp(a, "--kv-heads") ? &p.n_head_kv
                      : !strcmp(a, "--ctx")      ? &p.n_ctx_train
                      : !strcmp(a, "--vocab")    ? &p.n_vocab
                                                 : NULL;
        if (ip) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n <= 0 || n > 1 << 24) {
                fprintf(stderr, "%s: expected a positive integer, got '%s'\n", a, v);
                return 2;
            }
            *ip = (int32_t)n;
        } else if (!strcmp(a, "--seed")) {
            p.seed = strtoull(v, NULL, 10);
        } else if (!strcmp(a, "--vocab-from")) {
            p.vocab_path = v;
        } else if (!strcmp(a, "--type") || !strcmp(a, "--embd-type")) {
            uint32_t t;
            if (hearth_type_from_name(v, &t) != HEARTH_OK) {
                fprintf(stderr, "%s: unknown type '%s'\n", a, v);
                return 2;
            }
            if (!strcmp(a, "--type"))
                p.type = t;
            else
                embd_type = v, p.embd_type = t;
        } else {
            fprintf(stderr, "unknown flag %s\n", a);
            usage(stderr);
            return 2;
        }
    }
    if (!embd_type)
        p.embd_type = p.type;
    hearth_status st = synth_model_write(argv[1], &p);
    if (st != HEARTH_OK) {
        fprintf(stderr, "hearth-synth: %s: %s %s\n", argv[1], hearth_status_str(st),
                hearth_last_error());
        return 1;
    }
    fprintf(stderr, "wrote %s (random weights)\n", argv[1]);
    return 0;
}
