/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: Authenticode verification and signing on arbitrary bytes.
 * authenticode_verify_fd() on the input returns 0, -EKEYREJECTED or -EBADMSG
 * and never reads out of bounds; when authenticode_sign_fd() accepts the input,
 * the result verifies with the signing certificate, and signing that again
 * gives the same bytes (a signature replaced, not added to).
 *
 * The key is Debian's OVMF snakeoil key when installed (its passphrase is
 * "snakeoil"), so that the signed seeds in tests/fuzz/corpus/authenticode (the
 * synthetic images of tests/fuzz/corpus/pe signed with it) verify all the way
 * to the digest; otherwise a key made at start.
 *
 *   clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Isrc -fsanitize=fuzzer,address,undefined \
 *         tests/fuzz/fuzz-authenticode.c src/sign/authenticode.c src/uki/pe.c \
 *         src/util/{fs,log,strv}.c -lcrypto -o fuzz-authenticode
 *   mkdir -p /tmp/corpus-ac && ./fuzz-authenticode -max_total_time=300 -timeout=5 /tmp/corpus-ac \
 *         tests/fuzz/corpus/authenticode tests/fuzz/corpus/pe */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <openssl/pem.h>
#include "sign/authenticode.h"
#include "util/log.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SNAKEOIL_KEY "/usr/share/ovmf/PkKek-1-snakeoil.key"
#define SNAKEOIL_CERT "/usr/share/ovmf/PkKek-1-snakeoil.pem"

static struct sign_key key;

static int snakeoil_passphrase(char *buf, int size, int rwflag, void *u) {
        return snprintf(buf, (size_t) size, "snakeoil");
}

static bool load_snakeoil(void) {
        FILE *k = fopen(SNAKEOIL_KEY, "re"), *c = fopen(SNAKEOIL_CERT, "re");

        if (k)
                key.pkey = PEM_read_PrivateKey(k, NULL, snakeoil_passphrase, NULL);
        if (c)
                key.cert = PEM_read_X509(c, NULL, NULL, NULL);
        if (k)
                fclose(k);
        if (c)
                fclose(c);
        return key.pkey && key.cert;
}

static void make_key(void) {
        X509_NAME *n;

        key.pkey = EVP_RSA_gen(2048);
        key.cert = X509_new();
        check(key.pkey && key.cert);
        n = X509_get_subject_name(key.cert);
        check(X509_set_version(key.cert, 2) && ASN1_INTEGER_set(X509_get_serialNumber(key.cert), 1) &&
              X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *) "fuzz", -1, -1, 0) &&
              X509_set_issuer_name(key.cert, n) && X509_gmtime_adj(X509_getm_notBefore(key.cert), 0) &&
              X509_gmtime_adj(X509_getm_notAfter(key.cert), 3600) && X509_set_pubkey(key.cert, key.pkey) &&
              X509_sign(key.cert, key.pkey, EVP_sha256()) > 0);
}

static int memfd_with(const void *data, size_t size) {
        int fd = memfd_create("fuzz-authenticode", MFD_CLOEXEC);

        check(fd >= 0);
        check(write(fd, data, size) == (ssize_t) size);
        return fd;
}

static void *read_fd(int fd, size_t *ret_len) {
        off_t len = lseek(fd, 0, SEEK_END);
        void *d;

        check(len >= 0);
        d = malloc((size_t) len + 1);
        check(d && pread(fd, d, (size_t) len, 0) == len);
        *ret_len = (size_t) len;
        return d;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        int in, out, again, r;
        size_t len1, len2;
        void *d1, *d2;

        if (size > 1u << 20)
                return 0;
        if (!key.pkey && !load_snakeoil())
                make_key();
        in = memfd_with(data, size);
        r = authenticode_verify_fd(in, key.cert, "fuzz");
        check(r == 0 || r == -EKEYREJECTED || r == -EBADMSG);

        out = memfd_create("fuzz-authenticode-signed", MFD_CLOEXEC);
        check(out >= 0);
        r = authenticode_sign_fd(in, out, &key, "fuzz");
        check(r == 0 || r == -EBADMSG || r == -EFBIG);
        if (r == 0) {
                check(authenticode_verify_fd(out, key.cert, "fuzz-signed") == 0);
                again = memfd_create("fuzz-authenticode-again", MFD_CLOEXEC);
                check(again >= 0);
                check(authenticode_sign_fd(out, again, &key, "fuzz-signed") == 0);
                d1 = read_fd(out, &len1);
                d2 = read_fd(again, &len2);
                check(len1 == len2 && memcmp(d1, d2, len1) == 0);
                free(d1);
                free(d2);
                close(again);
        }
        close(out);
        close(in);
        return 0;
}
