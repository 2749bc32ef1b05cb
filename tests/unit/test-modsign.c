/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Module signing: a real kernel module (one of a test kernel's own, Debian-
 * signed, or the host's) signed with a key made here by openssl, compared byte
 * for byte with the kernel's scripts/sign-file, read back by modinfo and
 * verified with OpenSSL. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <sys/stat.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include "test.h"
#include "logcapture.h"
#include "tmproot.h"
#include "kernel/kernel.h"
#include "sign/modsign.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

/* ------------------------------------------------------------ helpers */


static struct {
        bool ready, skip;
        char *dir;            /* scratch dir, also the root for sign_key_load() */
        struct root root;
        struct sign_key *key;
        char *module;         /* a module's bytes as the kernel ships it (maybe signed) */
        size_t module_len;
        char *source;         /* where it came from, for messages */
} fx = { .root = { .fd = -EBADF } };

static void fixture_done(void) {
        sign_key_free(fx.key);
        free(fx.module);
        free(fx.source);
        root_done(&fx.root);
        if (fx.dir)
                rmroot(fx.dir);
}

static bool have_program(const char *name) {
        _cleanup_free_ char *p = NULL;
        return spawn_find_program(name, &p) >= 0;
}

/* Runs argv in the scratch dir, output dropped; returns the exit status. */
static int run(const char *const *argv) {
        struct spawn s = SPAWN_INIT;
        s.argv = argv;
        s.cwd = fx.dir;
        return spawn_run(&s);
}

static char *capture_output(const char *const *argv) {
        char *out = NULL;
        if (spawn_capture(argv, NULL, fx.dir, 1 << 20, &out) != 0) {
                free(out);
                return NULL;
        }
        out[strcspn(out, "\n")] = 0;
        return out;
}

/* The kernels of the test cache (tests/fixtures/prepare.sh), then the host's. */
static char **module_candidates(void) {
        static const char *const rel = "kernel/fs/nls/nls_utf8.ko";
        static const char *const sfx[] = { "", ".xz", ".zst", ".gz" };
        _cleanup_free_ char *env = NULL;
        _cleanup_strv_free_ char **lines = NULL;
        char **l = NULL;
        glob_t g = {};
        int fd = open("/var/cache/distkernel-tests/env", O_RDONLY | O_CLOEXEC);

        if (fd >= 0 && fd_read_all(fd, 1 << 16, &env, NULL) >= 0 && strv_split(env, "\n", &lines) >= 0)
                STRV_FOREACH(line, lines) {
                        const char *kv = startswith(*line, "KVER_");
                        if (kv && (kv = strchr(kv, '=')) && kv[1])
                                for (size_t i = 0; i < ELEMENTSOF(sfx); i++)
                                        (void) strv_pushf(&l, "/var/cache/distkernel-tests/kernels/%s/lib/modules/%s/%s%s",
                                                          kv + 1, kv + 1, rel, sfx[i]);
                }
        if (fd >= 0)
                close(fd);
        if (glob("/usr/lib/modules/*/kernel/fs/nls/nls_utf8.ko*", 0, NULL, &g) == 0)
                for (size_t i = 0; i < g.gl_pathc; i++)
                        (void) strv_push(&l, g.gl_pathv[i]);
        globfree(&g);
        return l;
}

/* Reads a module, decompressing it with the matching tool. */
static int read_module(const char *path, char **ret, size_t *ret_len) {
        const char *tool = endswith(path, ".xz") ? "xz" : endswith(path, ".zst") ? "zstd" :
                           endswith(path, ".gz") ? "gzip" : NULL;
        _cleanup_close_ int fd = -EBADF;
        struct spawn s = SPAWN_INIT;
        int pipefd[2];
        int r;

        if (!tool) {
                fd = open(path, O_RDONLY | O_CLOEXEC);
                return fd < 0 ? -errno : fd_read_all(fd, 64u << 20, ret, ret_len);
        }
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return -errno;
        s.argv = (const char *const[]) { tool, "-dc", path, NULL };
        s.fd_out = pipefd[1];
        pid_t pid;
        r = spawn_start(&s, &pid);
        close(pipefd[1]);
        if (r >= 0)
                r = fd_read_all(pipefd[0], 64u << 20, ret, ret_len);
        close(pipefd[0]);
        if (r >= 0 && spawn_wait(pid) != 0) {
                free(*ret);
                r = -EPROTO;
        }
        return r;
}

static int write_file(const char *name, const void *data, size_t len) {
        return fs_write_atomic(fx.root.fd, name, data, len, 0644);
}

static char *read_file(const char *name, size_t *ret_len) {
        char *s = NULL;
        return fs_read_all(fx.root.fd, name, 64u << 20, &s, ret_len) < 0 ? NULL : s;
}

static char *host(const char *name) { return path_join(fx.dir, name); }

/* Sets up the scratch dir, a fresh RSA key and certificate, and the module.
 * Returns false when the tests cannot run here (and says why once). */
static bool fixture(void) {
        _cleanup_strv_free_ char **cands = NULL;

        if (fx.ready)
                return !fx.skip;
        fx.ready = true;
        fx.skip = true;
        atexit(fixture_done);
        if (!have_program("openssl")) {
                printf("# openssl is not installed, skipping\n");
                return false;
        }
        cands = module_candidates();
        STRV_FOREACH(c, cands)
                if (access(*c, R_OK) == 0 && read_module(*c, &fx.module, &fx.module_len) >= 0) {
                        fx.source = strdup(*c);
                        break;
                }
        if (!fx.module) {
                printf("# no kernel module found (run tests/fixtures/prepare.sh), skipping\n");
                return false;
        }
        fx.dir = mkroot();
        if (!fx.dir || root_open(fx.dir, &fx.root) < 0)
                return false;
        if (run((const char *const[]) { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                          "-subj", "/CN=distkernel-test", "-days", "36500",
                                          "-keyout", "key.pem", "-out", "cert.pem", NULL }) != 0) {
                printf("# openssl req failed\n");
                return false;
        }
        _cleanup_free_ char *kp = host("key.pem");
        if (!kp || chmod(kp, 0600) < 0 || sign_key_load(fx.root.fd, "key.pem", "cert.pem", &fx.key) < 0) {
                printf("# cannot load the generated key: %s\n", log_last_error());
                return false;
        }
        printf("# module: %s (%zu bytes)\n", fx.source, fx.module_len);
        fx.skip = false;
        return true;
}

/* The kernel's own sign-file, from a kbuild package or headers; NULL if none. */
static char *find_sign_file(void) {
        static const char *const patterns[] = {
                "/usr/lib/linux-kbuild-*/scripts/sign-file",
                "/usr/src/linux-headers-*/scripts/sign-file",
        };
        char *found = NULL;

        for (size_t i = 0; !found && i < ELEMENTSOF(patterns); i++) {
                glob_t g = {};
                if (glob(patterns[i], 0, NULL, &g) == 0)
                        for (size_t j = 0; !found && j < g.gl_pathc; j++)
                                if (access(g.gl_pathv[j], X_OK) == 0)
                                        found = strdup(g.gl_pathv[j]);
                globfree(&g);
        }
        return found;
}

/* The module without any signature, as the tests' reference. */
static size_t plain_len(void) {
        size_t n = 0;
        return modsign_unsigned_len(fx.module, fx.module_len, &n) < 0 ? 0 : n;
}

/* Splits a signed module: the module bytes and the DER CMS message. */
static bool split_signed(const char *data, size_t len, size_t *ret_mod_len, const unsigned char **ret_der,
                         size_t *ret_der_len) {
        const size_t magic = strlen(MODSIGN_MAGIC);
        const unsigned char *trailer;
        uint32_t be;

        if (len < magic + 12 || memcmp(data + len - magic, MODSIGN_MAGIC, magic) != 0)
                return false;
        trailer = (const unsigned char *) data + len - magic - 12;
        /* algo, hash, id_type, signer_len, key_id_len, pad[3] */
        if (trailer[0] || trailer[1] || trailer[2] != 2 || trailer[3] || trailer[4] || trailer[5] ||
            trailer[6] || trailer[7])
                return false;
        memcpy(&be, trailer + 8, 4);
        if (ntohl(be) >= len - magic - 12)
                return false;
        *ret_der_len = ntohl(be);
        *ret_mod_len = len - magic - 12 - *ret_der_len;
        *ret_der = (const unsigned char *) data + *ret_mod_len;
        return true;
}

/* ------------------------------------------------------------ pure parts */

TEST(unsigned_len) {
        const size_t magic = strlen(MODSIGN_MAGIC);
        char buf[256] = "module bytes";
        size_t n = 0, len;

        ASSERT_OK(modsign_unsigned_len(buf, 12, &n));
        ASSERT_EQ(n, 12);
        ASSERT_OK(modsign_unsigned_len(buf, 0, &n));
        ASSERT_EQ(n, 0);
        /* module ‖ 5-byte "signature" ‖ trailer ‖ magic */
        memcpy(buf + 12, "SIGNA", 5);
        memcpy(buf + 17, (const char[]) { 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 5 }, 12);
        memcpy(buf + 29, MODSIGN_MAGIC, magic);
        len = 29 + magic;
        ASSERT_OK(modsign_unsigned_len(buf, len, &n));
        ASSERT_EQ(n, 12);
        /* id_type other than PKCS#7, a non-zero field, a length beyond the file, a short trailer */
        buf[17 + 2] = 1;
        ASSERT_ERR(modsign_unsigned_len(buf, len, &n), -EBADMSG);
        buf[17 + 2] = 2;
        buf[17 + 6] = 1;
        ASSERT_ERR(modsign_unsigned_len(buf, len, &n), -EBADMSG);
        buf[17 + 6] = 0;
        buf[17 + 11] = 17;
        ASSERT_ERR(modsign_unsigned_len(buf, len, &n), -EBADMSG);
        buf[17 + 11] = 0;
        ASSERT_ERR(modsign_unsigned_len(buf, len, &n), -EBADMSG);
        ASSERT_ERR(modsign_unsigned_len(MODSIGN_MAGIC, magic, &n), -EBADMSG);
}

TEST(hash_names) {
        ASSERT_TRUE(modsign_hash_known("sha256"));
        ASSERT_TRUE(modsign_hash_known("sha512"));
        ASSERT_TRUE(modsign_hash_known("sha3-256"));
        ASSERT_FALSE(modsign_hash_known("SHA256"));
        ASSERT_FALSE(modsign_hash_known("md5"));
        ASSERT_FALSE(modsign_hash_known(""));
        ASSERT_FALSE(modsign_hash_known(NULL));
}

TEST(kernel_hash) {
        static const char text[] = "CONFIG_MODULE_SIG=y\nCONFIG_MODULE_SIG_HASH=\"sha512\"\n";
        _cleanup_kconfig_ struct kconfig *c = NULL, *none = NULL;
        char *h = NULL;

        ASSERT_OK(kconfig_parse(text, strlen(text), &c));
        ASSERT_EQ(modsign_kernel_hash(c, &h), 1);
        ASSERT_STREQ(h, "sha512");
        free(h);
        ASSERT_OK(kconfig_parse("CONFIG_MODULE_SIG=y\n", 20, &none));
        ASSERT_EQ(modsign_kernel_hash(none, &h), 0);
        ASSERT_NULL(h);
        ASSERT_EQ(modsign_kernel_hash(NULL, &h), 0);
        ASSERT_NULL(h);
}

/* ------------------------------------------------------------ signing */

/* Signing a copy of the kernel's (signed) module replaces its signature and
 * gives the bytes sign-file gives for the unsigned module. */
TEST(same_bytes_as_sign_file) {
        _cleanup_free_ char *a = NULL, *ref = NULL, *sign_file = NULL, *ha = NULL, *hp = NULL;
        size_t alen = 0, rlen = 0, plen;

        if (!fixture())
                return;
        plen = plain_len();
        ASSERT_TRUE(plen > 0);
        if (plen == fx.module_len)
                printf("# %s carries no signature of its own\n", fx.source);
        ASSERT_OK(write_file("a.ko", fx.module, fx.module_len));
        ha = host("a.ko");
        logs_reset();
        ASSERT_OK(modsign_file(ha, fx.key, "sha256"));
        ASSERT_TRUE(!logs.buf);
        a = read_file("a.ko", &alen);
        ASSERT_TRUE(a && alen > plen + strlen(MODSIGN_MAGIC) + 12);
        ASSERT_TRUE(memcmp(a, fx.module, plen) == 0);
        ASSERT_TRUE(memcmp(a + alen - strlen(MODSIGN_MAGIC), MODSIGN_MAGIC, strlen(MODSIGN_MAGIC)) == 0);

        sign_file = find_sign_file();
        if (!sign_file) {
                printf("# no scripts/sign-file installed, skipping the comparison\n");
                return;
        }
        printf("# comparing with %s\n", sign_file);
        ASSERT_OK(write_file("plain.ko", fx.module, plen));
        hp = host("plain.ko");
        ASSERT_EQ(run((const char *const[]) { sign_file, "sha256", "key.pem", "cert.pem", "plain.ko", NULL }), 0);
        ref = read_file("plain.ko", &rlen);
        ASSERT_TRUE(ref != NULL);
        ASSERT_EQ(alen, rlen);
        ASSERT_TRUE(memcmp(a, ref, alen) == 0);

        /* and with sha512 */
        free(a);
        free(ref);
        ASSERT_OK(write_file("plain.ko", fx.module, plen));
        ASSERT_EQ(run((const char *const[]) { sign_file, "sha512", "key.pem", "cert.pem", "plain.ko", NULL }), 0);
        ASSERT_OK(modsign_file(ha, fx.key, "sha512"));
        a = read_file("a.ko", &alen);
        ref = read_file("plain.ko", &rlen);
        ASSERT_TRUE(a && ref);
        ASSERT_EQ(alen, rlen);
        ASSERT_TRUE(memcmp(a, ref, alen) == 0);
}

/* modinfo reads the signer (the certificate's CN) and the hash back. */
TEST(modinfo_reads_it) {
        static const char *const hashes[] = { "sha256", "sha512" };
        _cleanup_free_ char *hb = NULL;

        if (!fixture())
                return;
        if (!have_program("modinfo")) {
                printf("# modinfo is not installed, skipping\n");
                return;
        }
        ASSERT_OK(write_file("b.ko", fx.module, fx.module_len));
        hb = host("b.ko");
        for (size_t i = 0; i < ELEMENTSOF(hashes); i++) {
                _cleanup_free_ char *signer = NULL, *algo = NULL, *id = NULL;
                ASSERT_OK(modsign_file(hb, fx.key, hashes[i]));
                signer = capture_output((const char *const[]) { "modinfo", "-F", "signer", hb, NULL });
                algo = capture_output((const char *const[]) { "modinfo", "-F", "sig_hashalgo", hb, NULL });
                id = capture_output((const char *const[]) { "modinfo", "-F", "sig_id", hb, NULL });
                ASSERT_STREQ(signer, "distkernel-test");
                ASSERT_STREQ(algo, hashes[i]);
                ASSERT_STREQ(id, "PKCS#7");
        }
}

/* The CMS message verifies against the certificate over the module bytes, has
 * no certificates, no signed attributes, and names the signer by issuer and
 * serial number; a changed module byte fails verification. */
TEST(cms_verifies) {
        _cleanup_free_ char *c = NULL, *hc = NULL;
        const unsigned char *der, *p;
        size_t clen = 0, mlen = 0, dlen = 0;
        CMS_ContentInfo *cms;
        STACK_OF(X509) *certs;
        STACK_OF(CMS_SignerInfo) *sis;
        CMS_SignerInfo *si;
        ASN1_OCTET_STRING *keyid = NULL;
        X509_NAME *issuer = NULL;
        ASN1_INTEGER *serial = NULL;
        BIO *content;

        if (!fixture())
                return;
        ASSERT_OK(write_file("c.ko", fx.module, fx.module_len));
        hc = host("c.ko");
        ASSERT_OK(modsign_file(hc, fx.key, "sha256"));
        c = read_file("c.ko", &clen);
        ASSERT_TRUE(c != NULL);
        ASSERT_TRUE(split_signed(c, clen, &mlen, &der, &dlen));
        ASSERT_EQ(mlen, plain_len());
        p = der;
        cms = d2i_CMS_ContentInfo(NULL, &p, (long) dlen);
        ASSERT_TRUE(cms != NULL);
        ASSERT_EQ(p - der, dlen);
        ASSERT_TRUE(CMS_get0_content(cms) == NULL || *CMS_get0_content(cms) == NULL); /* detached */
        certs = CMS_get1_certs(cms);
        ASSERT_TRUE(certs == NULL);
        sis = CMS_get0_SignerInfos(cms);
        ASSERT_EQ(sk_CMS_SignerInfo_num(sis), 1);
        si = sk_CMS_SignerInfo_value(sis, 0);
        ASSERT_EQ(CMS_signed_get_attr_count(si), -1);
        ASSERT_EQ(CMS_SignerInfo_get0_signer_id(si, &keyid, &issuer, &serial), 1);
        ASSERT_TRUE(keyid == NULL && issuer != NULL && serial != NULL);
        ASSERT_EQ(CMS_SignerInfo_cert_cmp(si, fx.key->cert), 0);

        certs = sk_X509_new_null();
        ASSERT_TRUE(certs && sk_X509_push(certs, fx.key->cert) > 0);
        content = BIO_new_mem_buf(c, (int) mlen);
        ASSERT_EQ(CMS_verify(cms, certs, NULL, content, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY), 1);
        BIO_free(content);
        c[mlen / 2] ^= 1;
        content = BIO_new_mem_buf(c, (int) mlen);
        ASSERT_TRUE(CMS_verify(cms, certs, NULL, content, NULL, CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) != 1);
        ERR_clear_error();
        BIO_free(content);
        sk_X509_free(certs);
        CMS_ContentInfo_free(cms);
}

/* Signing a signed module again gives the bytes of signing it once, keeps the
 * file's mode and leaves no temp file. */
TEST(resign_replaces) {
        _cleanup_free_ char *once = NULL, *twice = NULL, *hd = NULL;
        _cleanup_strv_free_ char **left = NULL;
        size_t n1 = 0, n2 = 0;
        struct stat st;
        glob_t g = {};

        if (!fixture())
                return;
        ASSERT_OK(fs_mkdir_p(fx.root.fd, "d", 0755));
        ASSERT_OK(write_file("d/m.ko", fx.module, fx.module_len));
        hd = host("d/m.ko");
        ASSERT_EQ(chmod(hd, 0640), 0);
        ASSERT_OK(modsign_file(hd, fx.key, "sha256"));
        once = read_file("d/m.ko", &n1);
        ASSERT_OK(modsign_file(hd, fx.key, "sha256"));
        twice = read_file("d/m.ko", &n2);
        ASSERT_TRUE(once && twice);
        ASSERT_EQ(n1, n2);
        ASSERT_TRUE(memcmp(once, twice, n1) == 0);
        ASSERT_EQ(stat(hd, &st), 0);
        ASSERT_EQ(st.st_mode & 07777, 0640);
        _cleanup_free_ char *pat = host("d/*");
        ASSERT_EQ(glob(pat, GLOB_PERIOD, NULL, &g), 0);
        size_t files = 0;
        for (size_t i = 0; i < g.gl_pathc; i++)
                if (!endswith(g.gl_pathv[i], "/.") && !endswith(g.gl_pathv[i], "/.."))
                        files++;
        globfree(&g);
        ASSERT_EQ(files, 1);
}

/* An unknown hash and a malformed trailer are refused, naming the file, and
 * leave it as it was. */
TEST(refusals) {
        static const char *const bad[] = { "md5", "sha257", "SHA256", "" };
        _cleanup_free_ char *he = NULL, *junk = NULL, *after = NULL;
        size_t n = 0, jlen;

        if (!fixture())
                return;
        ASSERT_OK(write_file("e.ko", fx.module, fx.module_len));
        he = host("e.ko");
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                _cleanup_free_ char *want = strdup_printf("hash algorithm '%s'", bad[i]);
                _cleanup_free_ char *data = NULL;
                logs_reset();
                ASSERT_ERR(modsign_file(he, fx.key, bad[i]), -EINVAL);
                ASSERT_TRUE(logged(he));
                ASSERT_TRUE(logged(want));
                ASSERT_TRUE(logged("sha256"));
                data = read_file("e.ko", &n);
                ASSERT_TRUE(data && n == fx.module_len && memcmp(data, fx.module, n) == 0);
        }
        logs_reset();
        ASSERT_ERR(modsign_file(he, fx.key, NULL), -EINVAL);

        /* the magic string after a trailer the kernel would refuse */
        jlen = plain_len() + 12 + strlen(MODSIGN_MAGIC);
        junk = calloc(1, jlen);
        ASSERT_TRUE(junk != NULL);
        memcpy(junk, fx.module, plain_len());
        junk[plain_len() + 2] = 2;
        junk[plain_len() + 8] = 0x7f; /* sig_len far beyond the file */
        memcpy(junk + plain_len() + 12, MODSIGN_MAGIC, strlen(MODSIGN_MAGIC));
        ASSERT_OK(write_file("e.ko", junk, jlen));
        logs_reset();
        ASSERT_ERR(modsign_file(he, fx.key, "sha256"), -EBADMSG);
        ASSERT_TRUE(logged(he));
        after = read_file("e.ko", &n);
        ASSERT_TRUE(after && n == jlen && memcmp(after, junk, n) == 0);

        /* not a regular file, or missing */
        _cleanup_free_ char *hdir = host("d"), *hmissing = host("missing.ko");
        ASSERT_OK(fs_mkdir_p(fx.root.fd, "d", 0755));
        ASSERT_ERR(modsign_file(hdir, fx.key, "sha256"), -EBADMSG);
        ASSERT_ERR(modsign_file(hmissing, fx.key, "sha256"), -ENOENT);
}

/* The certificate's fingerprint from the file alone is the loaded key's. */
TEST(cert_fingerprint) {
        char a[65], b[65];

        if (!fixture())
                return;
        ASSERT_OK(sign_key_fingerprint(fx.key, a));
        ASSERT_OK(sign_cert_fingerprint(fx.root.fd, "cert.pem", b));
        ASSERT_STREQ(a, b);
        ASSERT_EQ(strlen(a), 64);
        logs_reset();
        ASSERT_ERR(sign_cert_fingerprint(fx.root.fd, "key.pem", b), -EBADMSG);
        ASSERT_TRUE(logged("'key.pem': not a PEM or DER X.509 certificate"));
}

/* modsign_verify() accepts what modsign_file() signed with the certificate
 * loaded alone, and tells an unsigned module, a changed one and another
 * signer apart. */
TEST(verify_signature) {
        _cleanup_free_ char *c = NULL, *hc = NULL;
        X509 *cert = NULL, *other = NULL;
        size_t clen = 0, mlen = 0;

        if (!fixture())
                return;
        ASSERT_OK(write_file("v.ko", fx.module, fx.module_len));
        hc = host("v.ko");
        ASSERT_OK(modsign_file(hc, fx.key, "sha256"));
        c = read_file("v.ko", &clen);
        ASSERT_TRUE(c != NULL);
        ASSERT_OK(sign_cert_load(fx.root.fd, "cert.pem", &cert));
        logs_reset();
        ASSERT_OK(modsign_verify(c, clen, cert, "v.ko"));
        ASSERT_OK(modsign_unsigned_len(c, clen, &mlen));
        ASSERT_ERR(modsign_verify(c, mlen, cert, "v.ko"), -ENODATA);
        ASSERT_MSG("'v.ko': carries no module signature");
        c[mlen / 2] ^= 1;
        ASSERT_ERR(modsign_verify(c, clen, cert, "v.ko"), -EKEYREJECTED);
        ASSERT_MSG("does not match the module");
        c[mlen / 2] ^= 1;
        ASSERT_EQ(run((const char *const[]) { "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                               "-subj", "/CN=other", "-days", "1", "-keyout", "other.key",
                                               "-out", "other.pem", NULL }), 0);
        ASSERT_OK(sign_cert_load(fx.root.fd, "other.pem", &other));
        ASSERT_ERR(modsign_verify(c, clen, other, "v.ko"), -EKEYREJECTED);
        ASSERT_MSG("not by the configured certificate");
        c[clen - 28 - 12 + 2] ^= 1; /* the trailer's id_type */
        ASSERT_ERR(modsign_verify(c, clen, cert, "v.ko"), -EBADMSG);
        X509_free(cert);
        X509_free(other);
}
