/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include "util/fs.h"
#include "util/hash.h"

struct hasher {
        EVP_MD_CTX *ctx;
};

/* SHA-256, fetched once: EVP_sha256() makes OpenSSL 3 look the algorithm up
 * again in every EVP_DigestInit_ex(), which cost more than hashing the short
 * keys of a no-op sync. Kept for the life of the process. */
static const EVP_MD *sha256(void) {
        static EVP_MD *md;
        if (!md)
                md = EVP_MD_fetch(NULL, "SHA256", NULL);
        return md ? md : EVP_sha256();
}

static void to_hex(const unsigned char *md, unsigned n, char ret_hex[HASH_HEX_LEN]) {
        static const char digits[] = "0123456789abcdef";
        for (unsigned i = 0; i < n && i < 32; i++) {
                ret_hex[2 * i] = digits[md[i] >> 4];
                ret_hex[2 * i + 1] = digits[md[i] & 15];
        }
        ret_hex[64] = 0;
}

struct hasher *hasher_new(void) {
        struct hasher *h = calloc(1, sizeof *h);
        if (!h)
                return NULL;
        h->ctx = EVP_MD_CTX_new();
        if (!h->ctx || EVP_DigestInit_ex(h->ctx, sha256(), NULL) != 1) {
                hasher_free(h);
                return NULL;
        }
        return h;
}

void hasher_free(struct hasher *h) {
        if (!h)
                return;
        EVP_MD_CTX_free(h->ctx);
        free(h);
}

void hasher_add(struct hasher *h, const void *data, size_t len) {
        EVP_DigestUpdate(h->ctx, data, len);
}

void hasher_add_str(struct hasher *h, const char *s) {
        hasher_add(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

void hasher_final(struct hasher *h, char ret_hex[HASH_HEX_LEN]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        EVP_DigestFinal_ex(h->ctx, md, &n);
        to_hex(md, n, ret_hex);
}

void hash_buf(const void *data, size_t len, char ret_hex[HASH_HEX_LEN]) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned int n = 0;

        EVP_Digest(data, len, md, &n, sha256(), NULL);
        to_hex(md, n, ret_hex);
}

int hash_fd(int fd, char ret_hex[HASH_HEX_LEN]) {
        _cleanup_hasher_ struct hasher *h = hasher_new();
        char buf[1 << 16];
        off_t off = 0;

        if (!h)
                return -ENOMEM;
        for (;;) {
                ssize_t n = pread(fd, buf, sizeof buf, off);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                hasher_add(h, buf, (size_t) n);
                off += n;
        }
        hasher_final(h, ret_hex);
        return 0;
}

int hash_file_at(int rootfd, const char *path, char ret_hex[HASH_HEX_LEN]) {
        _cleanup_close_ int fd = fs_open(rootfd, path, O_RDONLY, 0);
        if (fd < 0)
                return fd;
        return hash_fd(fd, ret_hex);
}
