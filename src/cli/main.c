/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "cli/cli.h"
#include "util/log.h"

static void help(void) {
        printf("Usage: distkernel [--root DIR] [-j N] [--json] [-v|-q] [--no-wait] COMMAND ...\n"
               "\n"
               "Keeps kernels, out-of-tree modules and their boot files in sync.\n"
               "\n"
               "Commands:\n"
               "  status                       kernels x packages: installed, failed, excluded, stale, missing\n"
               "  sync [--kernel KVER] [--rebuild] [--force] [--dry-run]\n"
               "                               bring everything up to date\n"
               "  plan [--kernel KVER] [--rebuild]\n"
               "                               what sync would do, and why (sync --dry-run)\n"
               "  kernel list                  installed kernels\n"
               "  kernel add KVER              register a kernel (sync builds for it)\n"
               "  kernel remove KVER           remove what distkernel installed for a kernel\n"
               "  kernel pin|unpin KVER        keep a kernel from gc, or no longer\n"
               "  initramfs KVER               regenerate one kernel's initramfs (and its boot entry)\n"
               "  uki KVER                     rebuild one kernel's UKI\n"
               "  gc [--dry-run]               remove old kernels' artifacts (keep = N)\n"
               "  verify [--full]              check installed files, signatures and boot entries\n"
               "                               against the state (exit 1 when something differs)\n"
               "  module list                  registered module packages\n"
               "  module add PATH              register a dkms.conf package directory\n"
               "  module remove NAME[/VERSION] uninstall a package from every kernel\n"
               "  module log NAME KVER         show the build log of a package for a kernel\n"
               "  module scan                  add new /usr/src/*/dkms.conf packages, remove vanished ones\n"
               "  graph [KVER] [--svg FILE]    the dependency graph as Graphviz DOT (or rendered to SVG)\n"
               "  doctor                       check the environment: what is missing or wrong, and the fix\n"
               "\n"
               "Options:\n"
               "  --root DIR    operate on the system below DIR (default /)\n"
               "  -j, --jobs N  parallel jobs (default: number of CPUs, + 1 for sync)\n"
               "  --json        print one JSON document on stdout (also after the command)\n"
               "  --no-wait     fail (exit 3) instead of waiting for another distkernel\n"
               "  -v, -q        more, less output\n"
               "\n"
               "See distkernel(8).\n");
}

/* --json is accepted after the command too ("distkernel status --json"); drops
 * it from argv, stopping at "--". Returns the new argc. */
static int take_json(struct cli *c, int argc, char **argv) {
        int n = 1;
        for (int i = 1; i < argc; i++) {
                if (streq(argv[i], "--"))
                        while (i < argc)
                                argv[n++] = argv[i++];
                else if (streq(argv[i], "--json"))
                        c->json = true;
                else
                        argv[n++] = argv[i];
        }
        argv[n] = NULL;
        return n;
}

static int parse_jobs(const char *s, unsigned *ret) {
        char *end;
        long v = strtol(s, &end, 10);
        if (*s == 0 || *end || v < 1 || v > 1024)
                return -EINVAL;
        *ret = (unsigned) v;
        return 0;
}

static pid_t main_pid;

/* DISTKERNEL_FAULT=0 counts the checked operations of a run: tests learn how
 * many fault points a command has */
static void report_fault_count(void) {
        if (getpid() == main_pid && fs_fault_count() >= 0)
                fprintf(stderr, "distkernel: fault injection: %ld checked operations\n", fs_fault_count());
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "root", required_argument, NULL, 'R' },
                { "jobs", required_argument, NULL, 'j' },
                { "json", no_argument, NULL, 'J' },
                { "verbose", no_argument, NULL, 'v' },
                { "quiet", no_argument, NULL, 'q' },
                { "no-wait", no_argument, NULL, 'W' },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, 'V' },
                {}
        };
        struct cli c = { .root = { .fd = -EBADF } };
        const char *root = "/", *self = strrchr(argv[0], '/');
        int o, r, status;

        /* tests: make the Nth file-system operation fail (see fs_fault_setup()) */
        if (fs_fault_setup(getenv("DISTKERNEL_FAULT")) < 0)
                return cli_usage("DISTKERNEL_FAULT='%s': expected N[:EIO|ENOSPC|EROFS|EDQUOT|EACCES|ERRNO|kill]",
                                 getenv("DISTKERNEL_FAULT"));
        main_pid = getpid();
        atexit(report_fault_count);
        /* make install runs "installkernel VERSION IMAGE [SYSTEM.MAP [DIR]]" */
        if (streq(self ? self + 1 : argv[0], "installkernel")) {
                log_set_sink((log_fn_t) cli_log_sink, NULL);
                root = getenv("DISTKERNEL_ROOT") ? getenv("DISTKERNEL_ROOT") : "/";
                r = root_open(root, &c.root);
                if (r < 0)
                        return cli_error(EXIT_FAIL, "'%s': cannot open the root: %s", root, strerror(-r));
                status = cmd_installkernel(&c, argc, argv);
                root_done(&c.root);
                return cli_close_stdout(status);
        }

        while ((o = getopt_long(argc, argv, "+j:vqh", opts, NULL)) >= 0) {
                switch (o) {
                case 'R': root = optarg; break;
                case 'j':
                        if (parse_jobs(optarg, &c.jobs) < 0)
                                return cli_usage("-j '%s': not a number of jobs between 1 and 1024", optarg);
                        break;
                case 'J': c.json = true; break;
                case 'v': c.verbosity = 1; break;
                case 'q': c.verbosity = -1; break;
                case 'W': c.no_wait = true; break;
                case 'h': help(); return cli_close_stdout(EXIT_OK);
                case 'V': printf("distkernel %s\n", DISTKERNEL_VERSION); return cli_close_stdout(EXIT_OK);
                default: return cli_usage("invalid option");
                }
        }
        if (optind >= argc)
                return cli_usage("no command given");
        log_set_sink((log_fn_t) cli_log_sink, NULL);
        log_set_max_level(c.verbosity > 0 ? LOG_DEBUG : c.verbosity < 0 ? LOG_WARN : LOG_INFO);
        argv += optind;
        argc -= optind;
        optind = 0;
        argc = take_json(&c, argc, argv);
        cli_errors_record(c.json);
        r = root_open(root, &c.root);
        if (r < 0)
                return cli_close_stdout(cli_errors_finish(&c, cli_error(EXIT_FAIL, "'%s': cannot open the root: %s",
                                                                         root, strerror(-r))));
        if (streq(argv[0], "status"))
                status = cmd_status(&c, argc, argv);
        else if (streq(argv[0], "sync") || streq(argv[0], "plan"))
                status = cmd_sync(&c, argc, argv);
        else if (streq(argv[0], "kernel"))
                status = cmd_kernel(&c, argc, argv);
        else if (streq(argv[0], "initramfs"))
                status = cmd_initramfs(&c, argc, argv);
        else if (streq(argv[0], "uki"))
                status = cmd_uki(&c, argc, argv);
        else if (streq(argv[0], "gc"))
                status = cmd_gc(&c, argc, argv);
        else if (streq(argv[0], "verify"))
                status = cmd_verify(&c, argc, argv);
        else if (streq(argv[0], "module"))
                status = cmd_module(&c, argc, argv);
        else if (streq(argv[0], "graph"))
                status = cmd_graph(&c, argc, argv);
        else if (streq(argv[0], "doctor"))
                status = cmd_doctor(&c, argc, argv);
        else if (streq(argv[0], "complete"))
                status = cmd_complete(&c, argc, argv);
        else
                status = cli_usage("'%s': unknown command", argv[0]);
        root_done(&c.root);
        return cli_close_stdout(cli_errors_finish(&c, status));
}
