/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/boot.h"
#include "cli/cli.h"
#include "core/state.h"
#include "core/sync.h"
#include "kernel/kernel.h"
#include "kernel/kver.h"
#include "util/json.h"
#include "util/log.h"
#include "util/strv.h"

static int kernel_list(struct cli *c) {
        _cleanup_state_ struct state *st = NULL;
        _cleanup_strv_free_ char **registered = NULL, **ignored = NULL;
        struct kernel **l = NULL;
        size_t n = 0;
        int r;

        if (cli_state_open(c, true, &st) < 0)
                return EXIT_FAIL;
        if (st && state_kernel_list(st, &registered, &ignored) < 0)
                return EXIT_FAIL;
        r = kernel_discover(&c->root, &l, &n);
        if (r < 0)
                return cli_error(EXIT_FAIL, "kernel list: %s", strerror(-r));
        if (c->json) {
                struct json j;
                json_init(&j, stdout);
                json_array_begin(&j);
                for (size_t i = 0; i < n; i++) {
                        json_object_begin(&j);
                        json_kv_string(&j, "version", l[i]->kver);
                        json_kv_string(&j, "image", l[i]->image);
                        json_kv_string(&j, "headers", l[i]->build_dir);
                        json_kv_bool(&j, "registered", strv_contains(registered, l[i]->kver));
                        json_kv_bool(&j, "ignored", strv_contains(ignored, l[i]->kver));
                        json_object_end(&j);
                }
                json_array_end(&j);
        } else
                for (size_t i = 0; i < n; i++)
                        printf("%s  %s%s%s\n", l[i]->kver, l[i]->image, l[i]->build_dir ? "" : "  (no headers)",
                               strv_contains(ignored, l[i]->kver) ? "  (removed from distkernel)" : "");
        kernel_list_free(l, n);
        return EXIT_OK;
}

static int kernel_add(struct cli *c, const char *kver) {
        _cleanup_state_ struct state *st = NULL;
        _cleanup_kernel_ struct kernel *k = NULL;
        _cleanup_close_ int lock = -EBADF;
        int r;

        if (!kver_is_valid(kver))
                return cli_error(EXIT_FAIL, "kernel add: '%s' is not a valid kernel version", kver);
        r = kernel_load(&c->root, kver, &k);
        if (r == -ENOENT)
                return cli_error(EXIT_FAIL, "kernel add: kernel '%s' is not installed (no '%s/usr/lib/modules/%s' "
                                 "with an image beside it or in /boot)", kver, c->root.path, kver);
        if (r < 0)
                return cli_error(EXIT_FAIL, "kernel add: '%s': %s", kver, strerror(-r));
        lock = cli_lock(c);
        if (lock < 0)
                return -lock;
        if (cli_state_open(c, false, &st) < 0)
                return EXIT_FAIL;
        r = state_kernel_add(st, kver, k->image);
        if (r >= 0)
                r = state_kernel_set_ignored(st, kver, false);
        if (r < 0)
                return EXIT_FAIL;
        if (c->verbosity >= 0)
                printf("Registered kernel %s%s. Run 'distkernel sync' to build its modules.\n", kver,
                       k->build_dir ? "" : " (it has no headers: modules cannot be built for it)");
        return EXIT_OK;
}

static int kernel_remove(struct cli *c, const char *kver) {
        _cleanup_state_ struct state *st = NULL;
        _cleanup_kernel_ struct kernel *k = NULL;
        _cleanup_close_ int lock = -EBADF;
        int r;

        if (!kver_is_valid(kver))
                return cli_error(EXIT_FAIL, "kernel remove: '%s' is not a valid kernel version", kver);
        lock = cli_lock(c);
        if (lock < 0)
                return -lock;
        if (cli_state_open(c, false, &st) < 0)
                return EXIT_FAIL;
        r = kernel_load(&c->root, kver, &k);
        uint64_t freed = 0;
        r = boot_remove_kernel_files(&c->root, st, kver, &freed);
        if (r >= 0)
                r = sync_forget_kernel(&c->root, st, kver, k != NULL);
        if (r < 0)
                return cli_error(EXIT_FAIL, "kernel remove: '%s': %s", kver,
                                 *log_last_error() ? log_last_error() : strerror(-r));
        if (c->verbosity >= 0)
                printf("Removed what distkernel installed for kernel %s%s.\n", kver,
                       k ? "; 'distkernel kernel add' brings it back" : "");
        return EXIT_OK;
}

static int kernel_pin(struct cli *c, const char *kver, bool pin) {
        _cleanup_state_ struct state *st = NULL;
        _cleanup_strv_free_ char **registered = NULL;
        _cleanup_close_ int lock = -EBADF;

        lock = cli_lock(c);
        if (lock < 0)
                return -lock;
        if (cli_state_open(c, false, &st) < 0 || state_kernel_list(st, &registered, NULL) < 0)
                return EXIT_FAIL;
        if (!strv_contains(registered, kver))
                return cli_error(EXIT_FAIL, "kernel %s: '%s' is not a kernel distkernel manages (see 'kernel list')",
                                 pin ? "pin" : "unpin", kver);
        if (boot_pin(st, kver, pin) < 0)
                return EXIT_FAIL;
        if (c->verbosity >= 0)
                printf(pin ? "Pinned kernel %s: gc keeps it.\n" : "Unpinned kernel %s.\n", kver);
        return EXIT_OK;
}

int cmd_kernel(struct cli *c, int argc, char **argv) {
        if (argc < 2)
                return cli_usage("kernel: missing subcommand (list, add, remove)");
        if (streq(argv[1], "list") && argc == 2)
                return kernel_list(c);
        if (streq(argv[1], "add") && argc == 3)
                return kernel_add(c, argv[2]);
        if (streq(argv[1], "remove") && argc == 3)
                return kernel_remove(c, argv[2]);
        if ((streq(argv[1], "pin") || streq(argv[1], "unpin")) && argc == 3)
                return kernel_pin(c, argv[2], streq(argv[1], "pin"));
        return cli_usage("kernel: usage: kernel list | kernel add KVER | kernel remove KVER | "
                         "kernel pin KVER | kernel unpin KVER");
}
