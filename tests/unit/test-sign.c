/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Signing keys and Authenticode signatures: keys made here with the OpenSSL API
 * (a self-signed pair A, another B, a CA and a leaf it issued), images from
 * Debian's systemd-stub (when installed), UKIs from uki_build() and synthetic
 * PE images. Signed images are checked by our verifier, by sbverify (Debian's
 * sbsigntool; that check is skipped when it is not installed) and by objdump. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>
#include "test.h"
#include "logcapture.h"
#include "uki-fixture.h"
#include "sign/authenticode.h"
#include "sign/key.h"
#include "uki/pe.h"
#include "uki/uki.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/spawn.h"
#include "util/strv.h"

#define REAL_STUB "/usr/lib/systemd/boot/efi/linuxx64.efi.stub"



/* ------------------------------------------------------------------- keys */

struct pair {
        EVP_PKEY *pkey;
        X509 *cert;
};
static struct pair key_a, key_b, key_ca, key_leaf;

/* ca: with basicConstraints CA:TRUE and keyUsage keyCertSign, which chain
 * verification wants of an issuer. */
static bool add_ext(X509 *c, int nid, const char *value) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, NULL, nid, value);
        bool ok = e && X509_add_ext(c, e, -1) == 1;
        X509_EXTENSION_free(e);
        return ok;
}

static X509 *make_cert(EVP_PKEY *pkey, const char *cn, long serial, const struct pair *issuer, bool ca) {
        X509 *c = X509_new();
        X509_NAME *n = X509_NAME_new();
        bool ok = c && n;

        if (ok && ca)
                ok = add_ext(c, NID_basic_constraints, "critical,CA:TRUE") &&
                     add_ext(c, NID_key_usage, "critical,keyCertSign,digitalSignature");

        ok = ok && X509_set_version(c, 2) && ASN1_INTEGER_set(X509_get_serialNumber(c), serial) &&
             X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *) cn, -1, -1, 0) &&
             X509_set_subject_name(c, n) &&
             X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer->cert) : n) &&
             X509_gmtime_adj(X509_getm_notBefore(c), 0) && X509_gmtime_adj(X509_getm_notAfter(c), 3600L * 24 * 365) &&
             X509_set_pubkey(c, pkey) && X509_sign(c, issuer ? issuer->pkey : pkey, EVP_sha256()) > 0;
        X509_NAME_free(n);
        if (!ok) {
                X509_free(c);
                return NULL;
        }
        return c;
}

static bool make_pair(struct pair *p, const char *cn, long serial, const struct pair *issuer, bool ca) {
        if (p->pkey)
                return true;
        p->pkey = EVP_RSA_gen(2048);
        p->cert = p->pkey ? make_cert(p->pkey, cn, serial, issuer, ca) : NULL;
        return p->cert != NULL;
}

__attribute__((destructor)) static void free_keys(void) {
        struct pair *all[] = { &key_a, &key_b, &key_ca, &key_leaf };
        for (size_t i = 0; i < ELEMENTSOF(all); i++) {
                EVP_PKEY_free(all[i]->pkey);
                X509_free(all[i]->cert);
        }
}

static int write_pem(struct fixture *f, const char *name, mode_t mode, const struct pair *p, bool key,
                     const char *passphrase) {
        _cleanup_free_ char *path = fx_path(f, name);
        FILE *o = fopen(path, "we");
        bool ok;

        if (!o)
                return -errno;
        if (key)
                ok = PEM_write_PrivateKey(o, p->pkey, passphrase ? EVP_aes_256_cbc() : NULL,
                                          (const unsigned char *) passphrase, passphrase ? (int) strlen(passphrase) : 0,
                                          NULL, NULL) == 1;
        else
                ok = PEM_write_X509(o, p->cert) == 1;
        ok = fclose(o) == 0 && ok;
        return ok && chmod(path, mode) == 0 ? 0 : -EIO;
}

/* The fixture's root holds a.key/a.crt, b.key/b.crt, ca.crt, leaf.key/leaf.crt
 * (keys mode 0600) and enc.key (a encrypted); DIR has the certificates too. */
static int write_keys(struct fixture *f) {
        static const struct {
                const char *name;
                struct pair *p;
                bool key;
        } files[] = {
                { "root/a.key", &key_a, true },       { "root/a.crt", &key_a, false },
                { "root/b.key", &key_b, true },       { "root/b.crt", &key_b, false },
                { "root/ca.crt", &key_ca, false },    { "root/leaf.key", &key_leaf, true },
                { "root/leaf.crt", &key_leaf, false },
        };
        int r;

        if (!make_pair(&key_a, "distkernel test A", 1, NULL, false) ||
            !make_pair(&key_b, "distkernel test B", 2, NULL, false) ||
            !make_pair(&key_ca, "distkernel test CA", 3, NULL, true) ||
            !make_pair(&key_leaf, "distkernel test leaf", 4, &key_ca, false))
                return -EIO;
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                r = write_pem(f, files[i].name, files[i].key ? 0600 : 0644, files[i].p, files[i].key, NULL);
                if (r < 0)
                        return r;
        }
        return write_pem(f, "root/enc.key", 0600, &key_a, true, "secret");
}

/* A fixture with keys and the key pair A loaded. */
static int setup(struct fixture *f, struct sign_key **ret) {
        int r = fx_init(f);
        if (r >= 0)
                r = write_keys(f);
        if (r >= 0 && ret)
                r = sign_key_load(f->root.fd, "a.key", "a.crt", ret);
        return r;
}

TEST(key_good_pair) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;
        char fp[65];

        ASSERT_OK(setup(&f, &k));
        ASSERT_TRUE(k->pkey && k->cert);
        ASSERT_EQ(X509_cmp(k->cert, key_a.cert), 0);
        ASSERT_STREQ(k->key_path, "a.key");
        ASSERT_OK(sign_key_fingerprint(k, fp));
        ASSERT_EQ(strlen(fp), 64);
        ASSERT_EQ(strspn(fp, "0123456789abcdef"), 64);
}

TEST(key_world_readable_refused) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_free_ char *path = NULL;

        ASSERT_OK(setup(&f, NULL));
        path = fx_path(&f, "root/a.key");
        ASSERT_OK(chmod(path, 0644));
        ASSERT_ERR(sign_key_load(f.root.fd, "a.key", "a.crt", &k), -EPERM);
        ASSERT_NULL(k);
        ASSERT_MSG("'a.key'");
        ASSERT_MSG("chmod 600");
}

TEST(key_encrypted_refused) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;

        ASSERT_OK(setup(&f, NULL));
        ASSERT_ERR(sign_key_load(f.root.fd, "enc.key", "a.crt", &k), -ENOKEY);
        ASSERT_NULL(k);
        ASSERT_MSG("'enc.key'");
        ASSERT_MSG("encrypted");
}

TEST(key_mismatched_pair_refused) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;

        ASSERT_OK(setup(&f, NULL));
        ASSERT_ERR(sign_key_load(f.root.fd, "a.key", "b.crt", &k), -EKEYREJECTED);
        ASSERT_NULL(k);
        ASSERT_MSG("does not belong");
}

/* --------------------------------------------------------------- helpers */

static int sign_file(const char *in, const char *out, const struct sign_key *k) {
        _cleanup_close_ int ifd = open(in, O_RDONLY | O_CLOEXEC);
        _cleanup_close_ int ofd = open(out, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

        if (ifd < 0 || ofd < 0)
                return -errno;
        return authenticode_sign_fd(ifd, ofd, k, in);
}

static int verify_file(const char *path, X509 *cert) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        return fd < 0 ? -errno : authenticode_verify_fd(fd, cert, path);
}

/* Runs argv, its stdout and stderr into *ret_out; the exit status, or
 * -ENOENT when the program is not installed. */
static int run(const char *const *argv, char **ret_out) {
        struct spawn s = SPAWN_INIT;
        _cleanup_free_ char *prog = NULL;
        int pfd[2], r, q;
        pid_t pid;

        if (spawn_find_program(argv[0], &prog) < 0)
                return -ENOENT;
        if (pipe2(pfd, O_CLOEXEC) < 0)
                return -errno;
        s.argv = argv;
        s.fd_out = pfd[1];
        s.fd_err = -2;
        r = spawn_start(&s, &pid);
        close(pfd[1]);
        if (r < 0) {
                close(pfd[0]);
                return r;
        }
        q = fd_read_all(pfd[0], 1 << 20, ret_out, NULL);
        close(pfd[0]);
        r = spawn_wait(pid);
        return q < 0 ? q : r;
}

/* sbverify's exit status for the image and the certificate (host paths), or
 * -ENOENT when sbverify is not installed. */
static int sbverify(const char *cert, const char *image, char **ret_out) {
        const char *argv[] = { "sbverify", "--cert", cert, image, NULL };
        return run(argv, ret_out);
}

static bool have_sbverify(void) {
        _cleanup_free_ char *p = NULL;
        static bool said;

        if (spawn_find_program("sbverify", &p) >= 0)
                return true;
        if (!said)
                printf("# sbverify not installed (apt-get install sbsigntool), skipping its checks\n");
        said = true;
        return false;
}

static void flip_byte(const char *path, uint64_t off) {
        _cleanup_close_ int fd = open(path, O_RDWR | O_CLOEXEC);
        uint8_t b;

        if (fd < 0 || pread(fd, &b, 1, (off_t) off) != 1)
                abort();
        b ^= 0x01;
        if (pwrite(fd, &b, 1, (off_t) off) != 1)
                abort();
}

static bool same_file(const char *a, const char *b) {
        size_t la = 0, lb = 0;
        _cleanup_free_ char *da = read_host(a, &la), *db = read_host(b, &lb);
        return da && db && la == lb && memcmp(da, db, la) == 0;
}

static uint64_t host_size(const char *path) {
        struct stat st;
        return stat(path, &st) < 0 ? 0 : (uint64_t) st.st_size;
}

/* objdump -p reads the image and lists the certificate table where it is. */
static void check_objdump(const char *path, const struct pe_data_dir *want) {
        const char *argv[] = { "objdump", "-p", path, NULL };
        _cleanup_free_ char *out = NULL;
        const char *line;
        unsigned long long va = 0, size = 0;
        int rc = run(argv, &out);

        if (rc == -ENOENT) {
                printf("# objdump not installed, skipping its check\n");
                return;
        }
        ASSERT_EQ(rc, 0);
        line = strstr(out, "Entry 4 ");
        ASSERT_TRUE(line && sscanf(line, "Entry 4 %llx %llx Security Directory", &va, &size) == 2);
        ASSERT_EQ(va, want->virtual_address);
        ASSERT_EQ(size, want->size);
}

/* What every signed image must be: the image data of orig_len bytes padded to
 * 8, one WIN_CERTIFICATE after it, the directory entry pointing at it, the
 * checksum right, and accepted by us, sbverify and objdump. */
static void check_signed(const char *path, uint64_t orig_len, const char *cert_path, X509 *cert) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        _cleanup_pe_image_ struct pe_image pe = {};
        _cleanup_free_ char *out = NULL;
        const struct pe_data_dir *dir;
        uint8_t hdr[8];
        uint32_t sum;
        int rc;

        ASSERT_TRUE(fd >= 0);
        ASSERT_OK(pe_load_fd(fd, path, &pe));
        dir = &pe.data_dirs[PE_DIR_SECURITY];
        ASSERT_EQ(dir->virtual_address, pe_round_up(orig_len, 8));
        ASSERT_EQ((uint64_t) dir->virtual_address + dir->size, pe.file_size);
        ASSERT_EQ(pread(fd, hdr, sizeof hdr, dir->virtual_address), 8);
        ASSERT_EQ(pe_round_up(pe_get32(hdr), 8), dir->size); /* exactly one entry */
        ASSERT_EQ(pe_get16(hdr + 4), 0x0200);
        ASSERT_EQ(pe_get16(hdr + 6), 0x0002);
        ASSERT_OK(pe_checksum_fd(fd, pe.opt_offset + PE_OPT_CHECKSUM, &sum));
        ASSERT_EQ(pe.checksum, sum);
        ASSERT_OK(authenticode_verify_fd(fd, cert, path));
        check_objdump(path, dir);
        if (!have_sbverify())
                return;
        rc = sbverify(cert_path, path, &out);
        if (rc != 0)
                FAIL_AT("sbverify of %s: exit %d: %s", path, rc, strempty(out));
        ASSERT_TRUE(strstr(out, "Signature verification OK"));
}

/* After one byte changed at off both we and sbverify refuse the image. */
static void check_tampered(const char *path, uint64_t off, const char *cert_path, X509 *cert) {
        _cleanup_free_ char *out = NULL;

        flip_byte(path, off);
        last_msg[0] = 0;
        ASSERT_ERR(verify_file(path, cert), -EKEYREJECTED);
        ASSERT_MSG("digest mismatch");
        ASSERT_MSG(path);
        if (have_sbverify())
                ASSERT_TRUE(sbverify(cert_path, path, &out) > 0);
}

/* ------------------------------------------------------ the real stub */

TEST(sign_real_stub) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_free_ char *out = NULL, *cert = NULL, *cert_b = NULL;
        _cleanup_pe_image_ struct pe_image pe = {};
        _cleanup_close_ int fd = -EBADF;
        const struct pe_section *text;

        if (access(REAL_STUB, R_OK) < 0) {
                printf("# %s not installed, skipping\n", REAL_STUB);
                return;
        }
        ASSERT_OK(setup(&f, &k));
        out = fx_path(&f, "stub.signed");
        cert = fx_path(&f, "root/a.crt");
        cert_b = fx_path(&f, "root/b.crt");
        ASSERT_OK(sign_file(REAL_STUB, out, k));
        check_signed(out, host_size(REAL_STUB), cert, key_a.cert);

        /* someone else's certificate */
        last_msg[0] = 0;
        ASSERT_ERR(verify_file(out, key_b.cert), -EKEYREJECTED);
        ASSERT_MSG("not signed by '/CN=distkernel test B'");
        if (have_sbverify()) {
                _cleanup_free_ char *o = NULL;
                ASSERT_TRUE(sbverify(cert_b, out, &o) > 0);
        }
        /* the unsigned stub */
        last_msg[0] = 0;
        ASSERT_ERR(verify_file(REAL_STUB, key_a.cert), -EKEYREJECTED);
        ASSERT_MSG("no signature");

        /* one byte in the middle of .text */
        fd = open(out, O_RDONLY | O_CLOEXEC);
        ASSERT_OK(pe_load_fd(fd, out, &pe));
        text = pe_find_section(&pe, ".text");
        ASSERT_TRUE(text != NULL);
        check_tampered(out, text->pointer_to_raw_data + text->size_of_raw_data / 2, cert, key_a.cert);
}

/* ------------------------------------------------------------- a UKI */

TEST(sign_uki) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_(req_paths_done) struct req_paths p = {};
        _cleanup_free_ char *uki = NULL, *out = NULL, *cert = NULL;
        _cleanup_pe_image_ struct pe_image pe = {};
        _cleanup_close_ int fd = -EBADF;
        struct syn stub = stub_v254();
        struct uki_request req;
        const struct pe_section *linux_sec;

        ASSERT_OK(setup(&f, &k));
        ASSERT_OK(fx_inputs(&f, &stub, true));
        req = fx_request(&f, &p, "uki.efi");
        if (access(REAL_STUB, R_OK) == 0)
                req.stub = REAL_STUB;
        ASSERT_OK(uki_build(&req));
        uki = fx_path(&f, "root/uki.efi");
        out = fx_path(&f, "uki.signed");
        cert = fx_path(&f, "root/a.crt");
        ASSERT_OK(sign_file(uki, out, k));
        check_signed(out, host_size(uki), cert, key_a.cert);

        fd = open(out, O_RDONLY | O_CLOEXEC);
        ASSERT_OK(pe_load_fd(fd, out, &pe));
        linux_sec = pe_find_section(&pe, ".linux");
        ASSERT_TRUE(linux_sec != NULL);
        check_tampered(out, linux_sec->pointer_to_raw_data + 100, cert, key_a.cert);
}

/* A leaf certificate issued by a CA: the signature carries the leaf, so it
 * verifies against the leaf and against the CA, not against another key. */
TEST(sign_with_issued_certificate) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_free_ char *in = NULL, *out = NULL, *ca = NULL, *o = NULL;
        struct syn img = stub_v254();

        ASSERT_OK(setup(&f, NULL));
        ASSERT_OK(sign_key_load(f.root.fd, "leaf.key", "leaf.crt", &k));
        ASSERT_OK(fx_syn(&f, "img.efi", &img));
        in = fx_path(&f, "img.efi");
        out = fx_path(&f, "img.signed");
        ca = fx_path(&f, "root/ca.crt");
        ASSERT_OK(sign_file(in, out, k));
        ASSERT_OK(verify_file(out, key_leaf.cert));
        check_signed(out, host_size(in), ca, key_ca.cert);
        last_msg[0] = 0;
        ASSERT_ERR(verify_file(out, key_a.cert), -EKEYREJECTED);
        ASSERT_MSG("not signed by");
}

/* ----------------------------------------------- replace, reproduce */

TEST(resign_replaces_signature) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *ka = NULL, *kb = NULL;
        _cleanup_free_ char *in = NULL, *once = NULL, *twice = NULL, *direct = NULL, *cert_b = NULL;
        struct syn img = stub_v252(); /* with a symbol table: trailing data, length not a multiple of 8 */

        ASSERT_OK(setup(&f, &ka));
        ASSERT_OK(sign_key_load(f.root.fd, "b.key", "b.crt", &kb));
        ASSERT_OK(fx_syn(&f, "img.efi", &img));
        in = fx_path(&f, "img.efi");
        once = fx_path(&f, "once.efi");
        twice = fx_path(&f, "twice.efi");
        direct = fx_path(&f, "direct.efi");
        cert_b = fx_path(&f, "root/b.crt");
        ASSERT_TRUE(host_size(in) % 8 != 0);
        ASSERT_OK(sign_file(in, once, ka));
        ASSERT_OK(sign_file(once, twice, kb));
        check_signed(twice, host_size(in), cert_b, key_b.cert);
        last_msg[0] = 0;
        ASSERT_ERR(verify_file(twice, key_a.cert), -EKEYREJECTED);
        ASSERT_MSG("not signed by");
        /* the same bytes as signing the unsigned image with B */
        ASSERT_OK(sign_file(in, direct, kb));
        ASSERT_TRUE(same_file(twice, direct));
}

TEST(reproducible) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_free_ char *in = NULL, *one = NULL, *two = NULL;
        struct syn img = stub_v254();

        ASSERT_OK(setup(&f, &k));
        ASSERT_OK(fx_syn(&f, "img.efi", &img));
        in = fx_path(&f, "img.efi");
        one = fx_path(&f, "one.efi");
        two = fx_path(&f, "two.efi");
        ASSERT_OK(sign_file(in, one, k));
        /* an output file longer than the result is cut to it */
        ASSERT_OK(write_file(two, "x", 1));
        ASSERT_OK(truncate(two, 1 << 20));
        ASSERT_OK(sign_file(in, two, k));
        ASSERT_TRUE(same_file(one, two));
        ASSERT_TRUE(host_size(two) < 1 << 20);
}

/* A PE32 image (ia32): the certificate-table entry sits 16 bytes earlier. */
TEST(sign_pe32) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_free_ char *in = NULL, *out = NULL, *cert = NULL;
        struct syn img = stub_v254();

        img.machine = PE_MACHINE_I386;
        img.magic = PE_MAGIC_PE32;
        img.image_base = 0x400000;
        ASSERT_OK(setup(&f, &k));
        ASSERT_OK(fx_syn(&f, "img.efi", &img));
        in = fx_path(&f, "img.efi");
        out = fx_path(&f, "img.signed");
        cert = fx_path(&f, "root/a.crt");
        ASSERT_OK(sign_file(in, out, k));
        check_signed(out, host_size(in), cert, key_a.cert);
        check_tampered(out, 0x500, cert, key_a.cert); /* in .text */
}

/* ----------------------------------------------------------- refusals */

TEST(truncated_image_refused) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_free_ char *in = NULL, *cut = NULL, *out = NULL;
        _cleanup_free_ uint8_t *d = NULL;
        struct syn img = stub_v254();
        size_t len, last_end;

        ASSERT_OK(setup(&f, &k));
        d = syn_build(&img, &len);
        last_end = img.s[img.n - 1].ptr + img.s[img.n - 1].size;
        ASSERT_EQ(last_end, len);
        in = fx_path(&f, "img.efi");
        cut = fx_path(&f, "cut.efi");
        out = fx_path(&f, "out.efi");
        ASSERT_OK(write_file(in, d, len));
        /* no DOS header, inside the headers, inside the last section */
        size_t cuts[] = { 0x20, SYN_OPT + 50, syn_table(&img) + 20, 0x1000, len - 1 };
        for (size_t i = 0; i < ELEMENTSOF(cuts); i++) {
                ASSERT_OK(write_file(cut, d, cuts[i]));
                last_msg[0] = 0;
                ASSERT_ERR(sign_file(cut, out, k), -EBADMSG);
                ASSERT_MSG(cut);
                ASSERT_ERR(verify_file(cut, key_a.cert), -EBADMSG);
        }
        if (access(REAL_STUB, R_OK) == 0) {
                _cleanup_free_ char *stub = read_host(REAL_STUB, &len);
                ASSERT_TRUE(stub != NULL);
                ASSERT_OK(write_file(cut, stub, 0x11000)); /* before .sbat's data */
                ASSERT_ERR(sign_file(cut, out, k), -EBADMSG);
                ASSERT_MSG("extends past the end of the file");
        }
}

TEST(malformed_certificate_table_refused) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_free_ char *in = NULL, *out = NULL;
        _cleanup_free_ uint8_t *d = NULL;
        struct syn img = stub_v254();
        size_t len;

        ASSERT_OK(setup(&f, &k));
        in = fx_path(&f, "img.efi");
        out = fx_path(&f, "out.efi");
        /* a certificate table in the middle of the file */
        img.security_va = 0x1000;
        d = syn_build(&img, &len);
        ASSERT_OK(write_file(in, d, len));
        last_msg[0] = 0;
        ASSERT_ERR(sign_file(in, out, k), -EBADMSG);
        ASSERT_MSG("is not at the end of the file");
        ASSERT_ERR(verify_file(in, key_a.cert), -EBADMSG);
        /* only four data directories: no certificate-table entry */
        img.security_va = 0;
        free(d);
        d = syn_build(&img, &len);
        pe_put32(d + SYN_OPT + 108, 4);
        ASSERT_OK(write_file(in, d, len));
        last_msg[0] = 0;
        ASSERT_ERR(sign_file(in, out, k), -EBADMSG);
        ASSERT_MSG("no certificate table entry");
}

/* A certificate table of garbage is a rejected signature, not a crash. */
TEST(garbage_signature_rejected) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_free_ char *in = NULL, *out = NULL;
        _cleanup_close_ int fd = -EBADF;
        _cleanup_pe_image_ struct pe_image pe = {};
        struct syn img = stub_v254();
        uint8_t junk[64];

        ASSERT_OK(setup(&f, &k));
        ASSERT_OK(fx_syn(&f, "img.efi", &img));
        in = fx_path(&f, "img.efi");
        out = fx_path(&f, "out.efi");
        ASSERT_OK(sign_file(in, out, k));
        fd = open(out, O_RDWR | O_CLOEXEC);
        ASSERT_OK(pe_load_fd(fd, out, &pe));
        /* the DER inside the WIN_CERTIFICATE */
        memset(junk, 0x5a, sizeof junk);
        ASSERT_EQ(pwrite(fd, junk, sizeof junk, pe.data_dirs[PE_DIR_SECURITY].virtual_address + 8), sizeof junk);
        last_msg[0] = 0;
        ASSERT_ERR(authenticode_verify_fd(fd, key_a.cert, out), -EKEYREJECTED);
        ASSERT_MSG("not an Authenticode signature");
        /* a WIN_CERTIFICATE length past the table */
        pe_put32(junk, 0x7fffffff);
        ASSERT_EQ(pwrite(fd, junk, 4, pe.data_dirs[PE_DIR_SECURITY].virtual_address), 4);
        last_msg[0] = 0;
        ASSERT_ERR(authenticode_verify_fd(fd, key_a.cert, out), -EKEYREJECTED);
        ASSERT_MSG("malformed certificate table entry");
}

TEST(sign_in_place_refused) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_free_ char *in = NULL;
        _cleanup_close_ int fd = -EBADF;
        struct syn img = stub_v254();

        ASSERT_OK(setup(&f, &k));
        ASSERT_OK(fx_syn(&f, "img.efi", &img));
        in = fx_path(&f, "img.efi");
        fd = open(in, O_RDWR | O_CLOEXEC);
        ASSERT_ERR(authenticode_sign_fd(fd, fd, k, in), -EINVAL);
        ASSERT_MSG("in place");
}

/* An image sbsign signed (when installed) verifies with us too: both compute
 * the same digest and read each other's SignedData. */
TEST(verify_sbsign_output) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_free_ char *in = NULL, *out = NULL, *key = NULL, *cert = NULL, *o = NULL;
        struct syn img = stub_v252();
        int rc;

        ASSERT_OK(setup(&f, NULL));
        ASSERT_OK(fx_syn(&f, "img.efi", &img));
        in = fx_path(&f, "img.efi");
        out = fx_path(&f, "img.signed");
        key = fx_path(&f, "root/a.key");
        cert = fx_path(&f, "root/a.crt");
        const char *argv[] = { "sbsign", "--key", key, "--cert", cert, "--output", out, in, NULL };
        rc = run(argv, &o);
        if (rc == -ENOENT) {
                printf("# sbsign not installed, skipping\n");
                return;
        }
        if (rc != 0)
                FAIL_AT("sbsign: exit %d: %s", rc, strempty(o));
        ASSERT_OK(verify_file(out, key_a.cert));
        ASSERT_ERR(verify_file(out, key_b.cert), -EKEYREJECTED);
}

/* sbsign adds a signature to a signed image: with two WIN_CERTIFICATEs either
 * signer is accepted, a third is told why neither fits, and signing replaces
 * both with one. */
TEST(two_signatures) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_free_ char *in = NULL, *one = NULL, *two = NULL, *again = NULL, *direct = NULL, *key_b_path = NULL,
                            *cert_b = NULL, *cert_a = NULL, *o = NULL;
        struct syn img = stub_v254();
        int rc;

        ASSERT_OK(setup(&f, &k));
        ASSERT_OK(fx_syn(&f, "img.efi", &img));
        in = fx_path(&f, "img.efi");
        one = fx_path(&f, "one.efi");
        two = fx_path(&f, "two.efi");
        again = fx_path(&f, "again.efi");
        direct = fx_path(&f, "direct.efi");
        key_b_path = fx_path(&f, "root/b.key");
        cert_a = fx_path(&f, "root/a.crt");
        cert_b = fx_path(&f, "root/b.crt");
        ASSERT_OK(sign_file(in, one, k));
        const char *argv[] = { "sbsign", "--key", key_b_path, "--cert", cert_b, "--output", two, one, NULL };
        rc = run(argv, &o);
        if (rc == -ENOENT) {
                printf("# sbsign not installed, skipping\n");
                return;
        }
        if (rc != 0)
                FAIL_AT("sbsign: exit %d: %s", rc, strempty(o));
        ASSERT_OK(verify_file(two, key_a.cert));
        ASSERT_OK(verify_file(two, key_b.cert));
        last_msg[0] = 0;
        ASSERT_ERR(verify_file(two, key_ca.cert), -EKEYREJECTED);
        ASSERT_MSG("not signed by '/CN=distkernel test CA': the signer is '/CN=distkernel test A'; "
                   "not signed by '/CN=distkernel test CA': the signer is '/CN=distkernel test B'");
        ASSERT_OK(sign_file(two, again, k));
        ASSERT_OK(sign_file(in, direct, k));
        ASSERT_TRUE(same_file(again, direct));
        check_signed(again, host_size(in), cert_a, key_a.cert);
}

/* A failed write is reported with the file and the cause. */
TEST(write_error_reported) {
        _cleanup_fixture_ struct fixture f = {};
        _cleanup_sign_key_ struct sign_key *k = NULL;
        _cleanup_free_ char *in = NULL, *out = NULL;
        _cleanup_close_ int ifd = -EBADF, ofd = -EBADF;
        struct syn img = stub_v254();

        ASSERT_OK(setup(&f, &k));
        ASSERT_OK(fx_syn(&f, "img.efi", &img));
        in = fx_path(&f, "img.efi");
        out = fx_path(&f, "out.efi");
        ASSERT_OK(write_file(out, "", 0));
        ifd = open(in, O_RDONLY | O_CLOEXEC);
        ofd = open(out, O_RDONLY | O_CLOEXEC); /* not writable */
        ASSERT_TRUE(ifd >= 0 && ofd >= 0);
        last_msg[0] = 0;
        ASSERT_ERR(authenticode_sign_fd(ifd, ofd, k, "img.efi"), -EBADF);
        ASSERT_MSG("'img.efi': cannot write the signed image");
}
