/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <arpa/inet.h>
#include <assert.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include "kernel/kernel.h"
#include "sign/modsign.h"
#include "util/fs.h"
#include "util/log.h"

/* As include/linux/module_signature.h has it. */
#define PKEY_ID_PKCS7 2
struct module_signature {
        uint8_t algo;       /* public-key crypto algorithm [0] */
        uint8_t hash;       /* digest algorithm [0] */
        uint8_t id_type;    /* key identifier type [PKEY_ID_PKCS7] */
        uint8_t signer_len; /* length of signer's name [0] */
        uint8_t key_id_len; /* length of key identifier [0] */
        uint8_t pad[3];
        uint32_t sig_len;   /* length of the CMS message, big endian */
};
static_assert(sizeof(struct module_signature) == 12, "struct module_signature has no padding");

#define MAGIC_LEN (sizeof(MODSIGN_MAGIC) - 1)
/* Larger than any module, even one with its debug info. */
#define MODULE_MAX (1024u * 1024 * 1024)

/* The values Kconfig gives CONFIG_MODULE_SIG_HASH (kernel/module/Kconfig). */
static const char *const known_hashes[] = {
        "sha1", "sha224", "sha256", "sha384", "sha512", "sha3-256", "sha3-384", "sha3-512",
};
#define KNOWN_HASHES "sha1, sha224, sha256, sha384, sha512, sha3-256, sha3-384, sha3-512"

bool modsign_hash_known(const char *hash_algo) {
        for (size_t i = 0; hash_algo && i < ELEMENTSOF(known_hashes); i++)
                if (streq(hash_algo, known_hashes[i]))
                        return true;
        return false;
}

int modsign_kernel_hash(const struct kconfig *c, char **ret) {
        const char *v = kconfig_get(c, "CONFIG_MODULE_SIG_HASH");
        size_t n = v ? strlen(v) : 0;
        char *s;

        if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
                v++;
                n -= 2;
        }
        if (n == 0) {
                *ret = NULL;
                return 0;
        }
        s = strndup(v, n);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 1;
}

int modsign_unsigned_len(const void *data, size_t len, size_t *ret_len) {
        const uint8_t *p = data;
        struct module_signature ms;
        size_t sig_len;

        if (len < MAGIC_LEN || memcmp(p + len - MAGIC_LEN, MODSIGN_MAGIC, MAGIC_LEN) != 0) {
                *ret_len = len;
                return 0;
        }
        len -= MAGIC_LEN;
        if (len < sizeof ms)
                return -EBADMSG;
        memcpy(&ms, p + len - sizeof ms, sizeof ms);
        len -= sizeof ms;
        sig_len = ntohl(ms.sig_len);
        /* the checks of the kernel's mod_check_sig() */
        if (ms.id_type != PKEY_ID_PKCS7 || ms.algo != 0 || ms.hash != 0 || ms.signer_len != 0 ||
            ms.key_id_len != 0 || ms.pad[0] != 0 || ms.pad[1] != 0 || ms.pad[2] != 0 ||
            sig_len == 0 || sig_len >= len)
                return -EBADMSG;
        *ret_len = len - sig_len;
        return 0;
}

static void bio_freep(BIO **b) { BIO_free(*b); }
static void cms_freep(CMS_ContentInfo **c) { CMS_ContentInfo_free(*c); }
static void openssl_freep(unsigned char **p) { OPENSSL_free(*p); }

static int openssl_error(const char *path, const struct sign_key *k, const char *what) {
        char buf[256] = "no detail from OpenSSL";
        unsigned long e = ERR_peek_last_error();

        if (e)
                ERR_error_string_n(e, buf, sizeof buf);
        ERR_clear_error();
        return log_error_errno(-EIO, "'%s': cannot sign with the key '%s': %s: %s", path, k->key_path, what, buf);
}

/* The DER CMS message over data, made with the calls and flags of sign-file,
 * so that the bytes are the same as its. */
static int sign_der(const char *path, const void *data, size_t len, const struct sign_key *k,
                    const EVP_MD *md, unsigned char **ret, size_t *ret_len) {
        _cleanup_(bio_freep) BIO *bm = NULL;
        _cleanup_(cms_freep) CMS_ContentInfo *cms = NULL;
        unsigned char *der = NULL;
        int n;

        assert(len <= MODULE_MAX);
        bm = BIO_new_mem_buf(data, (int) len);
        if (!bm)
                return -ENOMEM;
        cms = CMS_sign(NULL, NULL, NULL, NULL,
                       CMS_NOCERTS | CMS_PARTIAL | CMS_BINARY | CMS_DETACHED | CMS_STREAM);
        if (!cms)
                return openssl_error(path, k, "CMS_sign");
        if (!CMS_add1_signer(cms, k->cert, k->pkey, md, CMS_NOCERTS | CMS_BINARY | CMS_NOSMIMECAP | CMS_NOATTR))
                return openssl_error(path, k, "CMS_add1_signer");
        if (CMS_final(cms, bm, NULL, CMS_NOCERTS | CMS_BINARY) != 1)
                return openssl_error(path, k, "CMS_final");
        n = i2d_CMS_ContentInfo(cms, &der);
        if (n <= 0)
                return openssl_error(path, k, "i2d_CMS_ContentInfo");
        *ret = der;
        *ret_len = (size_t) n;
        return 0;
}

int modsign_verify(const void *data, size_t len, X509 *cert, const char *name) {
        _cleanup_(bio_freep) BIO *content = NULL;
        _cleanup_(cms_freep) CMS_ContentInfo *cms = NULL;
        STACK_OF(CMS_SignerInfo) *sis;
        STACK_OF(X509) *certs = NULL;
        const unsigned char *p;
        size_t mod_len, der_len;
        bool by_cert = false;
        int ok;

        if (len < MAGIC_LEN || memcmp((const uint8_t *) data + len - MAGIC_LEN, MODSIGN_MAGIC, MAGIC_LEN) != 0)
                return log_error_errno(-ENODATA, "'%s': carries no module signature", name);
        if (modsign_unsigned_len(data, len, &mod_len) < 0 || mod_len > MODULE_MAX)
                return log_error_errno(-EBADMSG, "'%s': its module signature trailer is malformed", name);
        der_len = len - MAGIC_LEN - sizeof(struct module_signature) - mod_len;
        p = (const unsigned char *) data + mod_len;
        cms = d2i_CMS_ContentInfo(NULL, &p, (long) der_len);
        if (!cms || p != (const unsigned char *) data + mod_len + der_len) {
                ERR_clear_error();
                return log_error_errno(-EBADMSG, "'%s': its module signature is not a DER CMS message", name);
        }
        sis = CMS_get0_SignerInfos(cms);
        for (int i = 0; i < sk_CMS_SignerInfo_num(sis); i++)
                by_cert |= CMS_SignerInfo_cert_cmp(sk_CMS_SignerInfo_value(sis, i), cert) == 0;
        if (!by_cert)
                return log_error_errno(-EKEYREJECTED, "'%s': its module signature is not by the configured "
                                       "certificate", name);
        content = BIO_new_mem_buf(data, (int) mod_len);
        certs = sk_X509_new_null();
        if (!content || !certs || sk_X509_push(certs, cert) <= 0) {
                sk_X509_free(certs);
                return -ENOMEM;
        }
        ok = CMS_verify(cms, certs, NULL, content, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY);
        sk_X509_free(certs);
        ERR_clear_error();
        if (ok != 1)
                return log_error_errno(-EKEYREJECTED, "'%s': its module signature does not match the module "
                                       "(changed after signing)", name);
        return 0;
}

static int write_signed(int dirfd, const char *base, const char *path, mode_t mode, const void *mod,
                        size_t mod_len, const void *der, size_t der_len) {
        _cleanup_fs_tmp_ struct fs_tmp t = FS_TMP_INIT;
        struct module_signature ms = { .id_type = PKEY_ID_PKCS7, .sig_len = htonl((uint32_t) der_len) };
        int r;

        r = fs_tmp_open(dirfd, base, mode, &t);
        if (r >= 0)
                r = fd_write_all(t.fd, mod, mod_len);
        if (r >= 0)
                r = fd_write_all(t.fd, der, der_len);
        if (r >= 0)
                r = fd_write_all(t.fd, &ms, sizeof ms);
        if (r >= 0)
                r = fd_write_all(t.fd, MODSIGN_MAGIC, MAGIC_LEN);
        if (r >= 0)
                r = fs_tmp_commit(&t);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot write the signed module: %s", path, strerror(-r));
        return 0;
}

/* Opens the directory of path; *ret_base points into path. */
static int open_dir_of(const char *path, const char **ret_base) {
        const char *slash = strrchr(path, '/');
        _cleanup_free_ char *dir = NULL;
        int fd;

        if (!slash)
                dir = strdup(".");
        else
                dir = slash == path ? strdup("/") : strndup(path, (size_t) (slash - path));
        if (!dir)
                return -ENOMEM;
        fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0)
                return log_error_errno(-errno, "'%s': cannot open its directory: %m", path);
        *ret_base = slash ? slash + 1 : path;
        return fd;
}

int modsign_file(const char *host_path, const struct sign_key *k, const char *hash_algo) {
        _cleanup_close_ int dirfd = -EBADF, fd = -EBADF;
        _cleanup_free_ char *data = NULL;
        _cleanup_(openssl_freep) unsigned char *der = NULL;
        const char *base = NULL;
        const EVP_MD *md;
        struct stat st;
        size_t len, mod_len, der_len;
        int r;

        if (!modsign_hash_known(hash_algo))
                return log_error_errno(-EINVAL, "'%s': cannot sign with the hash algorithm '%s': "
                                       "the kernel knows " KNOWN_HASHES, host_path, strempty(hash_algo));
        md = EVP_get_digestbyname(hash_algo);
        if (!md) {
                ERR_clear_error();
                return log_error_errno(-EINVAL, "'%s': cannot sign with the hash algorithm '%s': "
                                       "OpenSSL does not provide it", host_path, hash_algo);
        }
        dirfd = open_dir_of(host_path, &base);
        if (dirfd < 0)
                return dirfd;
        fd = fs_open(dirfd, base, O_RDONLY | O_NOFOLLOW, 0);
        if (fd < 0)
                return log_error_errno(fd, "'%s': cannot open: %s", host_path, strerror(-fd));
        if (fstat(fd, &st) < 0)
                return log_error_errno(-errno, "'%s': cannot stat: %m", host_path);
        if (!S_ISREG(st.st_mode))
                return log_error_errno(-EBADMSG, "'%s': not a regular file", host_path);
        r = fd_read_all(fd, MODULE_MAX, &data, &len);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot read: %s", host_path, strerror(-r));
        r = modsign_unsigned_len(data, len, &mod_len);
        if (r < 0)
                return log_error_errno(r, "'%s': ends in \"~Module signature appended~\" but its signature "
                                       "trailer is malformed", host_path);
        r = sign_der(host_path, data, mod_len, k, md, &der, &der_len);
        if (r < 0)
                return r;
        return write_signed(dirfd, base, host_path, st.st_mode & 07777, data, mod_len, der, der_len);
}
