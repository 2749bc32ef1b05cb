/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small driver of authenticode_sign_fd() and authenticode_verify_fd() for the
 * Secure Boot boot test (until the CLI has a command for it):
 *
 *   sbsign-test --key KEY --cert CERT --output OUT IMAGE
 *   sbsign-test --verify --cert CERT IMAGE
 *
 * KEY and CERT are host paths (loaded with sign_key_load() in the root "/").
 * Exit status 0 on success, 1 on failure (the reason on stderr), 2 on bad usage.
 * Built by tests/uki/boot-sb.sh against the core library:
 *   cc -std=gnu11 -D_GNU_SOURCE -Isrc tests/uki/sbsign-test.c build/libdistkernel-core.a -lcrypto */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <openssl/pem.h>
#include "sign/authenticode.h"
#include "sign/key.h"
#include "util/fs.h"
#include "util/log.h"

static void print_msg(void *userdata, enum log_level level, const char *msg) {
        fprintf(stderr, "sbsign-test: %s\n", msg);
}

static int verify(const char *cert_path, const char *image) {
        _cleanup_close_ int fd = open(image, O_RDONLY | O_CLOEXEC);
        X509 *cert = NULL;
        FILE *f;
        int r;

        if (fd < 0)
                return log_error_errno(-errno, "'%s': cannot open: %m", image);
        f = fopen(cert_path, "re");
        if (!f)
                return log_error_errno(-errno, "'%s': cannot open: %m", cert_path);
        cert = PEM_read_X509(f, NULL, NULL, NULL);
        fclose(f);
        if (!cert)
                return log_error_errno(-EBADMSG, "'%s': not a PEM certificate", cert_path);
        r = authenticode_verify_fd(fd, cert, image);
        X509_free(cert);
        if (r >= 0)
                printf("%s: signature verification OK\n", image);
        return r;
}

static int sign(const char *key_path, const char *cert_path, const char *image, const char *output) {
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_close_ int in = -EBADF, out = -EBADF;
        _cleanup_free_ char *key_abs = realpath(key_path, NULL), *cert_abs = realpath(cert_path, NULL);
        struct root rt;
        int r;

        if (!key_abs || !cert_abs)
                return log_error_errno(-errno, "'%s': %m", key_abs ? cert_path : key_path);
        r = root_open("/", &rt);
        if (r < 0)
                return log_error_errno(r, "'/': cannot open: %s", strerror(-r));
        r = sign_key_load(rt.fd, key_abs, cert_abs, &k);
        root_done(&rt);
        if (r < 0)
                return r;
        in = open(image, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return log_error_errno(-errno, "'%s': cannot open: %m", image);
        out = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (out < 0)
                return log_error_errno(-errno, "'%s': cannot create: %m", output);
        r = authenticode_sign_fd(in, out, k, image);
        if (r < 0)
                return r;
        if (fsync(out) < 0)
                return log_error_errno(-errno, "'%s': cannot sync: %m", output);
        return 0;
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
                { "key", required_argument, NULL, 'k' },    { "cert", required_argument, NULL, 'c' },
                { "output", required_argument, NULL, 'o' }, { "verify", no_argument, NULL, 'v' },
                {},
        };
        const char *key = NULL, *cert = NULL, *output = NULL;
        bool do_verify = false;
        int c, r;

        log_set_sink(print_msg, NULL);
        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (c) {
                case 'k': key = optarg; break;
                case 'c': cert = optarg; break;
                case 'o': output = optarg; break;
                case 'v': do_verify = true; break;
                default: return 2;
                }
        }
        if (optind + 1 != argc || !cert || (!do_verify && (!key || !output))) {
                fprintf(stderr, "usage: sbsign-test --key KEY --cert CERT --output OUT IMAGE\n"
                                "       sbsign-test --verify --cert CERT IMAGE\n");
                return 2;
        }
        r = do_verify ? verify(cert, argv[optind]) : sign(key, cert, argv[optind], output);
        return r < 0 ? 1 : 0;
}
