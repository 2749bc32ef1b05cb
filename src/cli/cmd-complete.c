/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "cli/cli.h"
#include "core/state.h"
#include "kernel/kernel.h"
#include "util/log.h"
#include "util/strv.h"

/* `distkernel [--root DIR] complete kernels|packages`: one word per line for the
 * shell completions (data/completions/). Never an error for a root without
 * kernels or state: there is nothing to offer then. */

static int complete_kernels(struct cli *c) {
        struct kernel **l = NULL;
        size_t n = 0;

        if (kernel_discover(&c->root, &l, &n) < 0)
                return EXIT_OK;
        for (size_t i = 0; i < n; i++)
                printf("%s\n", l[i]->kver);
        kernel_list_free(l, n);
        return EXIT_OK;
}

/* Names, then NAME/VERSION for every registered version. */
static int complete_packages(struct cli *c) {
        _cleanup_state_ struct state *st = NULL;
        _cleanup_strv_free_ char **words = NULL;
        struct state_package *l = NULL;
        size_t n = 0;

        if (cli_state_open(c, true, &st) < 0 || !st || state_package_list(st, &l, &n) < 0)
                return EXIT_OK;
        for (size_t i = 0; i < n; i++) {
                if (!strv_contains(words, l[i].name))
                        (void) strv_push(&words, l[i].name);
                (void) strv_pushf(&words, "%s/%s", l[i].name, l[i].version);
        }
        state_package_list_free(l, n);
        STRV_FOREACH(w, words)
                printf("%s\n", *w);
        return EXIT_OK;
}

int cmd_complete(struct cli *c, int argc, char **argv) {
        bool was_muted;
        int r;

        if (argc != 2)
                return cli_usage("complete: usage: complete kernels|packages");
        was_muted = log_set_muted(true);
        if (streq(argv[1], "kernels"))
                r = complete_kernels(c);
        else if (streq(argv[1], "packages"))
                r = complete_packages(c);
        else
                r = cli_usage("complete: '%s': unknown word list (kernels, packages)", argv[1]);
        log_set_muted(was_muted);
        return r;
}
