/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: dkms_conf_parse() on an arbitrary dump (the NAME\0INDEX\0VALUE\0
 * triples dkms_conf_eval() produces, as cached in the state database), then
 * dkms_conf_excluded() on what parses, which must satisfy dkmsconf-check.h
 * (safe names, normalized locations). Seeds: tests/fuzz/corpus/dkmsconf-parse/.
 *
 *   clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz-dkmsconf-parse.c src/modpkg/dkmsconf.c src/kernel/kernel.c \
 *         src/kernel/kver.c src/util/{log,strv,fs,spawn,hash}.c -lkmod -lcrypto -o fuzz-dkmsconf-parse
 *   mkdir -p /tmp/corpus && ./fuzz-dkmsconf-parse -max_total_time=60 -timeout=2 \
 *         -dict=tests/fuzz/dkmsconf-parse.dict /tmp/corpus tests/fuzz/corpus/dkmsconf-parse */
#include <stdint.h>
#include <stdlib.h>
#include "dkmsconf-check.h"
#include "util/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const struct dkms_env env = {
                .kernelver = "6.1.0-50-amd64",
                .arch = "x86_64",
                .kernel_source_dir = "/usr/lib/modules/6.1.0-50-amd64/build",
                .dkms_tree = "/var/lib/distkernel/build/6.1.0-50-amd64",
                .source_tree = "/usr/src",
                .installed_modules_dir = "/usr/lib/modules/6.1.0-50-amd64/updates/dkms",
        };
        struct dkms_conf *c = NULL;
        char *why = NULL;

        log_set_sink(NULL, NULL); /* no sink: messages are dropped */
        if (size > 1024 * 1024)
                return 0;
        if (dkms_conf_parse("/usr/src/fuzz-1.0/dkms.conf", (const char *) data, size, &env, &c) < 0)
                return 0;
        check_conf(c);
        if (dkms_conf_excluded(c, env.kernelver, env.arch, NULL, &why) > 0)
                free(why);
        dkms_conf_free(c);
        return 0;
}
