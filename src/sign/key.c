/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include "sign/key.h"
#include "util/fs.h"
#include "util/log.h"

struct sign_key *sign_key_free(struct sign_key *k) {
        if (!k)
                return NULL;
        EVP_PKEY_free(k->pkey);
        X509_free(k->cert);
        free(k->key_path);
        free(k->cert_path);
        free(k);
        return NULL;
}

static void bio_freep(BIO **b) { BIO_free(*b); }

/* Reads a whole file (at most 1 MiB). */
static int read_key_file(int rootfd, const char *path, const char *what, bool private, char **ret, size_t *ret_len) {
        _cleanup_close_ int fd = -EBADF;
        struct stat st;
        int r;

        fd = fs_open(rootfd, path, O_RDONLY | O_CLOEXEC, 0);
        if (fd < 0)
                return log_error_errno(fd, "'%s': cannot open %s: %s", path, what, strerror(-fd));
        if (fstat(fd, &st) < 0)
                return log_error_errno(-errno, "'%s': cannot stat: %m", path);
        if (!S_ISREG(st.st_mode))
                return log_error_errno(-EBADMSG, "'%s': %s is not a regular file", path, what);
        if (private && (st.st_mode & S_IROTH))
                return log_error_errno(-EPERM, "'%s': private key is readable by everyone (mode %04o); "
                                       "run chmod 600 on it", path, (unsigned) (st.st_mode & 07777));
        r = fd_read_all(fd, 1u << 20, ret, ret_len);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot read %s: %s", path, what, strerror(-r));
        return 0;
}

/* A PEM certificate, else a DER one; NULL (errors cleared) if neither. */
static X509 *parse_cert(BIO *b, const char *data, size_t len) {
        const unsigned char *p = (const unsigned char *) data;
        X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);

        if (!x) {
                ERR_clear_error();
                x = d2i_X509(NULL, &p, (long) len);
        }
        if (!x)
                ERR_clear_error();
        return x;
}

static int refuse_passphrase(char *buf, int size, int rwflag, void *u) {
        *(bool *) u = true;
        return -1;
}

int sign_key_load(int rootfd, const char *key_path, const char *cert_path, struct sign_key **ret) {
        _cleanup_(bio_freep) BIO *kb = NULL, *cb = NULL;
        _cleanup_free_ char *kdata = NULL, *cdata = NULL;
        size_t klen, clen;
        struct sign_key *k;
        bool encrypted = false;
        int r;

        r = read_key_file(rootfd, key_path, "private key", true, &kdata, &klen);
        if (r < 0)
                return r;
        r = read_key_file(rootfd, cert_path, "certificate", false, &cdata, &clen);
        if (r < 0)
                return r;
        kb = BIO_new_mem_buf(kdata, (int) klen);
        cb = BIO_new_mem_buf(cdata, (int) clen);
        if (!kb || !cb)
                return -ENOMEM;
        k = calloc(1, sizeof(*k));
        if (!k)
                return -ENOMEM;
        k->key_path = strdup(key_path);
        k->cert_path = strdup(cert_path);
        if (!k->key_path || !k->cert_path) {
                sign_key_free(k);
                return -ENOMEM;
        }
        k->pkey = PEM_read_bio_PrivateKey(kb, NULL, refuse_passphrase, &encrypted);
        if (!k->pkey) {
                ERR_clear_error();
                sign_key_free(k);
                if (encrypted)
                        return log_error_errno(-ENOKEY, "'%s': private key is encrypted; decrypt it "
                                               "(openssl pkey -in KEY -out KEY.dec) and keep it mode 0600",
                                               key_path);
                return log_error_errno(-EBADMSG, "'%s': not a PEM private key", key_path);
        }
        k->cert = parse_cert(cb, cdata, clen);
        if (!k->cert) {
                sign_key_free(k);
                return log_error_errno(-EBADMSG, "'%s': not a PEM or DER X.509 certificate", cert_path);
        }
        if (X509_check_private_key(k->cert, k->pkey) != 1) {
                ERR_clear_error();
                sign_key_free(k);
                return log_error_errno(-EKEYREJECTED, "'%s': private key does not belong to the certificate '%s'",
                                       key_path, cert_path);
        }
        *ret = k;
        return 0;
}

static int cert_fingerprint(X509 *cert, char ret[static 65]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;

        if (X509_digest(cert, EVP_sha256(), md, &len) != 1 || len != 32)
                return -EIO;
        for (unsigned i = 0; i < len; i++)
                snprintf(ret + 2 * i, 3, "%02x", md[i]);
        return 0;
}

int sign_key_fingerprint(const struct sign_key *k, char ret[static 65]) {
        return cert_fingerprint(k->cert, ret);
}

int sign_cert_load(int rootfd, const char *cert_path, X509 **ret) {
        _cleanup_(bio_freep) BIO *cb = NULL;
        _cleanup_free_ char *cdata = NULL;
        X509 *cert;
        size_t clen;
        int r;

        r = read_key_file(rootfd, cert_path, "certificate", false, &cdata, &clen);
        if (r < 0)
                return r;
        cb = BIO_new_mem_buf(cdata, (int) clen);
        if (!cb)
                return -ENOMEM;
        cert = parse_cert(cb, cdata, clen);
        if (!cert)
                return log_error_errno(-EBADMSG, "'%s': not a PEM or DER X.509 certificate", cert_path);
        *ret = cert;
        return 0;
}

int sign_cert_fingerprint(int rootfd, const char *cert_path, char ret[static 65]) {
        X509 *cert = NULL;
        int r;

        r = sign_cert_load(rootfd, cert_path, &cert);
        if (r < 0)
                return r;
        r = cert_fingerprint(cert, ret);
        X509_free(cert);
        return r;
}
