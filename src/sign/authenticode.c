/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pkcs7.h>
#include <openssl/x509_vfy.h>
#include "sign/authenticode.h"
#include "uki/pe.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/strv.h"

#define WIN_CERT_HEADER_SIZE 8
#define WIN_CERT_REVISION_2_0 0x0200
#define WIN_CERT_TYPE_PKCS_SIGNED_DATA 0x0002
#define CERT_TABLE_ALIGN 8
#define CERT_TABLE_MAX (16u << 20) /* largest certificate table we read in */
#define IO_BUFFER_SIZE (1u << 20)

#define OID_SPC_INDIRECT_DATA "1.3.6.1.4.1.311.2.1.4"
#define OID_SPC_SP_OPUS_INFO "1.3.6.1.4.1.311.2.1.12"
#define OID_SPC_PE_IMAGE_DATA "1.3.6.1.4.1.311.2.1.15"
#define OID_CONTENT_TYPE "1.2.840.113549.1.9.3"
#define OID_MESSAGE_DIGEST "1.2.840.113549.1.9.4"

DEFINE_TRIVIAL_CLEANUP_FUNC(PKCS7 *, PKCS7_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(ASN1_OBJECT *, ASN1_OBJECT_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(EVP_MD_CTX *, EVP_MD_CTX_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_SIG *, X509_SIG_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE *, X509_STORE_free)
DEFINE_TRIVIAL_CLEANUP_FUNC(X509_STORE_CTX *, X509_STORE_CTX_free)
static void sk_attr_freep(STACK_OF(X509_ATTRIBUTE) **sk) {
        sk_X509_ATTRIBUTE_pop_free(*sk, X509_ATTRIBUTE_free);
}
static void openssl_freep(void *p) {
        OPENSSL_free(*(void **) p);
}

/* SpcIndirectDataContent with a SHA-256 digest, up to the digest (which follows,
 * 32 bytes), as Windows' signtool and sbsign encode it:
 *   SEQUENCE {
 *     SpcAttributeTypeAndOptionalValue { SPC_PE_IMAGE_DATAOBJ,
 *       SpcPeImageData { flags BIT STRING {}, file [0] SpcLink: file [2] SpcString:
 *                        unicode [0] "<<<Obsolete>>>" } },
 *     DigestInfo { AlgorithmIdentifier { sha256, NULL }, OCTET STRING digest } } */
static const uint8_t idc_prefix[] = {
        0x30, 0x68,                                                             /* SpcIndirectDataContent */
        0x30, 0x33,                                                             /*  data */
        0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x01, 0x0f, /*   SPC_PE_IMAGE_DATAOBJ */
        0x30, 0x25,                                                             /*   SpcPeImageData */
        0x03, 0x01, 0x00,                                                       /*    flags */
        0xa0, 0x20, 0xa2, 0x1e, 0x80, 0x1c,                                     /*    file */
        0x00, '<', 0x00, '<', 0x00, '<', 0x00, 'O', 0x00, 'b', 0x00, 's', 0x00, 'o',
        0x00, 'l', 0x00, 'e', 0x00, 't', 0x00, 'e', 0x00, '>', 0x00, '>', 0x00, '>',
        0x30, 0x31,                                                             /*  messageDigest */
        0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00,
        0x04, 0x20,
};
#define SHA256_LEN 32
_Static_assert(sizeof idc_prefix + SHA256_LEN == 2 + 0x68, "SpcIndirectDataContent length");


/* Reports the OpenSSL error that made what fail, returns -EIO. */
static int openssl_failed(const char *name, const char *what) {
        unsigned long e = ERR_get_error();
        char buf[256] = "unknown error";

        if (e)
                ERR_error_string_n(e, buf, sizeof buf);
        ERR_clear_error();
        return log_error_errno(-EIO, "'%s': %s: %s", name, what, buf);
}

/* ------------------------------------------------------------------ layout */

/* What the digest covers, from the headers. */
struct layout {
        const char *name;
        struct pe_image pe;
        uint64_t checksum_off; /* the CheckSum field, 4 bytes */
        uint64_t certdir_off;  /* the certificate-table directory entry, 8 bytes */
        uint64_t data_end;     /* the image data: before the certificate table, or the file */
        uint64_t image_end;    /* the hashed image: data_end, or padded to 8 for signing */
        uint32_t table_off, table_size; /* the certificate table; size 0 when there is none */
        uint64_t hashed;       /* SizeOfHeaders + every SizeOfRawData */
        unsigned order[PE_MAX_SECTIONS]; /* sections with raw data, by PointerToRawData */
        unsigned n_order;
};

static void layout_done(struct layout *l) {
        pe_image_done(&l->pe);
}

/* Sections with raw data in file order, stably (an insertion sort, as EDK2 does). */
static void sort_sections(struct layout *l) {
        l->n_order = 0;
        for (unsigned i = 0; i < l->pe.n_sections; i++) {
                unsigned j;

                if (l->pe.sections[i].size_of_raw_data == 0)
                        continue;
                for (j = l->n_order; j > 0 && l->pe.sections[l->order[j - 1]].pointer_to_raw_data >
                                                      l->pe.sections[i].pointer_to_raw_data; j--)
                        l->order[j] = l->order[j - 1];
                l->order[j] = i;
                l->n_order++;
        }
}

static int check_sections(struct layout *l) {
        l->hashed = l->pe.size_of_headers;
        for (unsigned k = 0; k < l->n_order; k++) {
                const struct pe_section *s = &l->pe.sections[l->order[k]];
                char pn[PE_SECTION_NAME_MAX + 1];

                snprintf(pn, sizeof pn, "%s", s->name);
                for (char *c = pn; *c; c++)
                        if (*c <= ' ' || *c >= 0x7f)
                                *c = '?';
                if ((uint64_t) s->pointer_to_raw_data + s->size_of_raw_data > l->data_end)
                        return pe_malformed(l->name, "section '%s' data overlaps the certificate table", pn);
                if (s->pointer_to_raw_data < l->pe.size_of_headers)
                        return pe_malformed(l->name, "section '%s' data overlaps the headers", pn);
                l->hashed += s->size_of_raw_data;
        }
        if (l->hashed > l->image_end)
                return pe_malformed(l->name, "sections overlap: %llu bytes of headers and section data in a %llu-byte image",
                           (unsigned long long) l->hashed, (unsigned long long) l->image_end);
        return 0;
}

/* Reads the headers and finds the parts to hash; pad: the image is to be
 * padded to 8 bytes for a new certificate table. */
static int layout_load(int fd, const char *name, bool pad, struct layout *l) {
        const struct pe_data_dir *dir;
        int r;

        *l = (struct layout) { .name = name };
        r = pe_load_fd(fd, name, &l->pe);
        if (r < 0)
                return r;
        if (l->pe.n_data_dirs <= PE_DIR_SECURITY)
                return pe_malformed(name, "no certificate table entry in the data directory (%u entries)", l->pe.n_data_dirs);
        l->checksum_off = (uint64_t) l->pe.opt_offset + PE_OPT_CHECKSUM;
        l->certdir_off = pe_data_dir_offset(&l->pe, PE_DIR_SECURITY);
        if (l->pe.size_of_headers < l->certdir_off + 8 || l->pe.size_of_headers > l->pe.file_size)
                return pe_malformed(name, "SizeOfHeaders 0x%x does not cover the optional header or is past the end of the file",
                           l->pe.size_of_headers);
        dir = &l->pe.data_dirs[PE_DIR_SECURITY];
        l->data_end = l->pe.file_size;
        if (dir->size > 0) {
                if (dir->virtual_address < l->pe.size_of_headers ||
                    (uint64_t) dir->virtual_address + dir->size != l->pe.file_size)
                        return pe_malformed(name, "the certificate table (0x%x bytes at 0x%x) is not at the end of the file",
                                   dir->size, dir->virtual_address);
                l->table_off = dir->virtual_address;
                l->table_size = dir->size;
                l->data_end = dir->virtual_address;
        }
        l->image_end = pad ? pe_round_up(l->data_end, CERT_TABLE_ALIGN) : l->data_end;
        sort_sections(l);
        return check_sections(l);
}

/* ------------------------------------------------------------------ digest */

/* Reads exactly len bytes at off. */
static int read_at(int fd, const char *name, void *buf, size_t len, uint64_t off) {
        size_t done = 0;

        while (done < len) {
                ssize_t n = pread(fd, (uint8_t *) buf + done, len - done, (off_t) (off + done));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return log_error_errno(-errno, "'%s': cannot read: %m", name);
                if (n == 0)
                        return log_error_errno(-EIO, "'%s': file shrank while being read", name);
                done += (size_t) n;
        }
        return 0;
}

/* Feeds [off, off+len) of the image: file bytes below data_end, zeros beyond
 * (the padding before a new certificate table). */
static int hash_range(int fd, const struct layout *l, EVP_MD_CTX *ctx, uint8_t *buf, uint64_t off, uint64_t len) {
        while (len > 0) {
                size_t n = len < IO_BUFFER_SIZE ? (size_t) len : IO_BUFFER_SIZE;
                int r;

                if (off >= l->data_end)
                        memset(buf, 0, n);
                else {
                        if (n > l->data_end - off)
                                n = (size_t) (l->data_end - off);
                        r = read_at(fd, l->name, buf, n, off);
                        if (r < 0)
                                return r;
                }
                if (EVP_DigestUpdate(ctx, buf, n) != 1)
                        return openssl_failed(l->name, "cannot hash");
                off += n;
                len -= n;
        }
        return 0;
}

/* The Authenticode digest of the image (see authenticode.h). */
static int image_digest(int fd, const struct layout *l, const EVP_MD *md, uint8_t *ret, unsigned *ret_len) {
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        _cleanup_free_ uint8_t *buf = malloc(IO_BUFFER_SIZE);
        const struct pe_image *pe = &l->pe;
        int r;

        if (!ctx || !buf)
                return -ENOMEM;
        if (EVP_DigestInit_ex(ctx, md, NULL) != 1)
                return openssl_failed(l->name, "cannot hash");
        r = hash_range(fd, l, ctx, buf, 0, l->checksum_off);
        if (r >= 0)
                r = hash_range(fd, l, ctx, buf, l->checksum_off + 4, l->certdir_off - l->checksum_off - 4);
        if (r >= 0)
                r = hash_range(fd, l, ctx, buf, l->certdir_off + 8, pe->size_of_headers - l->certdir_off - 8);
        for (unsigned k = 0; r >= 0 && k < l->n_order; k++) {
                const struct pe_section *s = &pe->sections[l->order[k]];
                r = hash_range(fd, l, ctx, buf, s->pointer_to_raw_data, s->size_of_raw_data);
        }
        if (r >= 0 && l->image_end > l->hashed)
                r = hash_range(fd, l, ctx, buf, l->hashed, l->image_end - l->hashed);
        if (r < 0)
                return r;
        if (EVP_DigestFinal_ex(ctx, ret, ret_len) != 1)
                return openssl_failed(l->name, "cannot hash");
        return 0;
}

/* --------------------------------------------------------------- signature */

static int add_attribute(STACK_OF(X509_ATTRIBUTE) **sk, const char *oid, int type, const void *data, int len) {
        _cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
        X509_ATTRIBUTE *a = obj ? X509_ATTRIBUTE_create_by_OBJ(NULL, obj, type, data, len) : NULL;
        bool ok = a && X509at_add1_attr(sk, a);

        X509_ATTRIBUTE_free(a);
        return ok ? 0 : -ENOMEM;
}

/* contentType, SpcSpOpusInfo (empty) and messageDigest: what the signature
 * covers. No signing time, so that signing is reproducible. */
static int set_attributes(PKCS7_SIGNER_INFO *si, const uint8_t *content, size_t len) {
        _cleanup_(sk_attr_freep) STACK_OF(X509_ATTRIBUTE) *sk = NULL;
        _cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *spc = OBJ_txt2obj(OID_SPC_INDIRECT_DATA, 1);
        static const uint8_t empty_sequence[] = { 0x30, 0x00 };
        uint8_t md[SHA256_LEN];
        int r;

        if (!spc)
                return -ENOMEM;
        if (EVP_Digest(content, len, md, NULL, EVP_sha256(), NULL) != 1)
                return -EIO;
        r = add_attribute(&sk, OID_CONTENT_TYPE, V_ASN1_OBJECT, spc, -1);
        if (r >= 0)
                r = add_attribute(&sk, OID_SPC_SP_OPUS_INFO, V_ASN1_SEQUENCE, empty_sequence, sizeof empty_sequence);
        if (r >= 0)
                r = add_attribute(&sk, OID_MESSAGE_DIGEST, V_ASN1_OCTET_STRING, md, sizeof md);
        if (r < 0)
                return r;
        return PKCS7_set_signed_attributes(si, sk) == 1 ? 0 : -ENOMEM;
}

/* Makes der the content of the SignedData, as content type SPC_INDIRECT_DATA. */
static int set_content(PKCS7 *p7, const uint8_t *der, size_t len) {
        PKCS7 *inner = PKCS7_new();
        ASN1_STRING *seq = ASN1_STRING_type_new(V_ASN1_SEQUENCE);

        if (!inner || !seq || ASN1_STRING_set(seq, der, (int) len) != 1 ||
            !(inner->type = OBJ_txt2obj(OID_SPC_INDIRECT_DATA, 1)) || !(inner->d.other = ASN1_TYPE_new())) {
                ASN1_STRING_free(seq);
                PKCS7_free(inner);
                return -ENOMEM;
        }
        ASN1_TYPE_set(inner->d.other, V_ASN1_SEQUENCE, seq);
        if (PKCS7_set_content(p7, inner) != 1) {
                PKCS7_free(inner);
                return -ENOMEM;
        }
        return 0;
}

/* The DER PKCS#7 SignedData over an image digest. */
static int make_signature(const struct sign_key *k, const uint8_t digest[static SHA256_LEN], const char *name,
                          uint8_t **ret, size_t *ret_len) {
        _cleanup_(PKCS7_freep) PKCS7 *p7 = PKCS7_new();
        uint8_t idc[sizeof idc_prefix + SHA256_LEN], *der, *p;
        PKCS7_SIGNER_INFO *si;
        int r, len;

        memcpy(idc, idc_prefix, sizeof idc_prefix);
        memcpy(idc + sizeof idc_prefix, digest, SHA256_LEN);
        if (!p7 || PKCS7_set_type(p7, NID_pkcs7_signed) != 1)
                return openssl_failed(name, "cannot create a PKCS#7 signature");
        si = PKCS7_add_signature(p7, k->cert, k->pkey, EVP_sha256());
        if (!si || PKCS7_add_certificate(p7, k->cert) != 1)
                return openssl_failed(name, "cannot add the signer to the signature");
        r = set_content(p7, idc, sizeof idc);
        /* messageDigest is over the content's value, without its tag and length */
        if (r >= 0)
                r = set_attributes(si, idc + 2, sizeof idc - 2);
        if (r == -ENOMEM)
                return r;
        if (r < 0 || PKCS7_SIGNER_INFO_sign(si) != 1)
                return openssl_failed(name, "cannot sign");
        len = i2d_PKCS7(p7, NULL);
        if (len <= 0)
                return openssl_failed(name, "cannot encode the signature");
        der = p = malloc((size_t) len);
        if (!der)
                return -ENOMEM;
        if (i2d_PKCS7(p7, &p) != len) {
                free(der);
                return openssl_failed(name, "cannot encode the signature");
        }
        *ret = der;
        *ret_len = (size_t) len;
        return 0;
}

/* ------------------------------------------------------------------ output */

/* The output stream: every byte goes through the checksum. */
struct out {
        int fd;
        const char *name;
        uint64_t off;
        struct pe_csum csum;
};

static int out_write(struct out *o, const void *data, size_t len) {
        int r = fd_write_all(o->fd, data, len);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot write the signed image: %s", o->name, strerror(-r));
        pe_csum_add(&o->csum, data, len);
        o->off += len;
        return 0;
}

/* Overwrites the bytes of [at, at+len) that fall in buf = [off, off+n). */
static void patch(uint8_t *buf, uint64_t off, size_t n, uint64_t at, const uint8_t *val, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (at + i >= off && at + i < off + n)
                        buf[at + i - off] = val[i];
}

/* The image data with a zero CheckSum and the new certificate-table entry, then
 * the padding. */
static int copy_image(int in_fd, struct out *o, const struct layout *l, const uint8_t certdir[static 8]) {
        _cleanup_free_ uint8_t *buf = malloc(IO_BUFFER_SIZE);
        static const uint8_t zeros[CERT_TABLE_ALIGN];
        int r;

        if (!buf)
                return -ENOMEM;
        for (uint64_t off = 0; off < l->data_end;) {
                size_t n = l->data_end - off < IO_BUFFER_SIZE ? (size_t) (l->data_end - off) : IO_BUFFER_SIZE;

                r = read_at(in_fd, l->name, buf, n, off);
                if (r < 0)
                        return r;
                patch(buf, off, n, l->checksum_off, zeros, 4);
                patch(buf, off, n, l->certdir_off, certdir, 8);
                r = out_write(o, buf, n);
                if (r < 0)
                        return r;
                off += n;
        }
        return out_write(o, zeros, (size_t) (l->image_end - l->data_end));
}

/* The certificate table: one WIN_CERTIFICATE, padded to 8 bytes. */
static int write_table(struct out *o, const uint8_t *der, size_t len) {
        static const uint8_t zeros[CERT_TABLE_ALIGN];
        uint8_t hdr[WIN_CERT_HEADER_SIZE];
        size_t total = WIN_CERT_HEADER_SIZE + len;
        int r;

        pe_put32(hdr, (uint32_t) total);
        pe_put16(hdr + 4, WIN_CERT_REVISION_2_0);
        pe_put16(hdr + 6, WIN_CERT_TYPE_PKCS_SIGNED_DATA);
        r = out_write(o, hdr, sizeof hdr);
        if (r >= 0)
                r = out_write(o, der, len);
        if (r >= 0)
                r = out_write(o, zeros, (size_t) (pe_round_up(total, CERT_TABLE_ALIGN) - total));
        return r;
}

static int finish_output(struct out *o, const struct layout *l) {
        uint8_t field[4];
        int r;

        pe_put32(field, pe_csum_finish(&o->csum));
        if (lseek(o->fd, (off_t) l->checksum_off, SEEK_SET) < 0)
                return log_error_errno(-errno, "'%s': cannot seek in the signed image: %m", o->name);
        r = fd_write_all(o->fd, field, sizeof field);
        if (r < 0)
                return log_error_errno(r, "'%s': cannot write the signed image: %s", o->name, strerror(-r));
        if (ftruncate(o->fd, (off_t) o->off) < 0)
                return log_error_errno(-errno, "'%s': cannot truncate the signed image: %m", o->name);
        return 0;
}

static int check_fds(int in_fd, int out_fd, const char *name) {
        struct stat a, b;

        if (fstat(in_fd, &a) < 0 || fstat(out_fd, &b) < 0)
                return log_error_errno(-errno, "'%s': cannot stat: %m", name);
        if (a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                return log_error_errno(-EINVAL, "'%s': cannot sign in place, the output must be another file", name);
        if (lseek(out_fd, 0, SEEK_SET) < 0)
                return log_error_errno(-errno, "'%s': cannot seek in the output: %m", name);
        return 0;
}

int authenticode_sign_fd(int in_fd, int out_fd, const struct sign_key *k, const char *name) {
        _cleanup_(layout_done) struct layout l = {};
        _cleanup_free_ uint8_t *der = NULL;
        struct out o = { .fd = out_fd, .name = name, .csum = PE_CSUM_INIT };
        uint8_t digest[EVP_MAX_MD_SIZE], certdir[8];
        unsigned digest_len;
        size_t der_len = 0;
        uint64_t table_size;
        int r;

        r = check_fds(in_fd, out_fd, name);
        if (r >= 0)
                r = layout_load(in_fd, name, true, &l);
        if (r >= 0)
                r = image_digest(in_fd, &l, EVP_sha256(), digest, &digest_len);
        if (r >= 0)
                r = make_signature(k, digest, name, &der, &der_len);
        if (r < 0)
                return r;
        table_size = pe_round_up(WIN_CERT_HEADER_SIZE + der_len, CERT_TABLE_ALIGN);
        if (l.image_end + table_size > UINT32_MAX)
                return log_error_errno(-EFBIG, "'%s': the signed image would exceed 4 GiB", name);
        pe_put32(certdir, (uint32_t) l.image_end);
        pe_put32(certdir + 4, (uint32_t) table_size);
        r = copy_image(in_fd, &o, &l, certdir);
        if (r >= 0)
                r = write_table(&o, der, der_len);
        if (r >= 0)
                r = finish_output(&o, &l);
        return r;
}

/* ------------------------------------------------------------ verification */

struct verifier {
        int fd;
        const struct layout *l;
        X509 *cert;
        /* the image digest, computed once per algorithm */
        int digest_nid;
        uint8_t digest[EVP_MAX_MD_SIZE];
        unsigned digest_len;
};

/* What a signature says: the SpcIndirectDataContent's value and digest. */
struct indirect {
        const uint8_t *content; /* the value of the SEQUENCE, what messageDigest covers */
        size_t content_len;
        const EVP_MD *md;
        int md_nid;
        uint8_t digest[EVP_MAX_MD_SIZE];
        int digest_len;
};

/* Returns NULL or why der is no SpcIndirectDataContent for a PE image. */
static const char *parse_indirect(const uint8_t *der, long len, struct indirect *ret) {
        _cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *type = NULL, *pe_image = OBJ_txt2obj(OID_SPC_PE_IMAGE_DATA, 1);
        _cleanup_(X509_SIG_freep) X509_SIG *dinfo = NULL;
        const uint8_t *p = der, *end, *q;
        const X509_ALGOR *alg;
        const ASN1_OCTET_STRING *digest;
        int tag, cls;
        long n;

        if (ASN1_get_object(&p, &n, &tag, &cls, len) != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE)
                return "its content is not a SpcIndirectDataContent";
        ret->content = p;
        ret->content_len = (size_t) n;
        end = p + n;
        q = p;
        if (ASN1_get_object(&q, &n, &tag, &cls, end - p) != V_ASN1_CONSTRUCTED || tag != V_ASN1_SEQUENCE)
                return "its content is not a SpcIndirectDataContent";
        p = q + n;
        type = d2i_ASN1_OBJECT(NULL, &q, n);
        if (!type || !pe_image || OBJ_cmp(type, pe_image) != 0)
                return "it does not sign a PE image (no SPC_PE_IMAGE_DATAOBJ)";
        dinfo = d2i_X509_SIG(NULL, &p, end - p);
        if (!dinfo)
                return "its content has no image digest";
        X509_SIG_get0(dinfo, &alg, &digest);
        ret->md_nid = OBJ_obj2nid(alg->algorithm);
        ret->md = EVP_get_digestbynid(ret->md_nid);
        if (!ret->md || digest->length != EVP_MD_get_size(ret->md))
                return "its image digest uses an unknown algorithm";
        memcpy(ret->digest, digest->data, (size_t) digest->length);
        ret->digest_len = digest->length;
        return NULL;
}

static const char *subject(X509 *c, char *buf, size_t size) {
        return X509_NAME_oneline(X509_get_subject_name(c), buf, (int) size) ?: "?";
}

/* The certificate that made the signature, if it is cert or chains up to it
 * through the certificates the signature carries. NULL, with why, otherwise. */
static X509 *find_signer(PKCS7 *p7, PKCS7_SIGNER_INFO *si, X509 *cert, char *why, size_t whylen) {
        PKCS7_ISSUER_AND_SERIAL *ias = si->issuer_and_serial;
        _cleanup_(X509_STORE_freep) X509_STORE *store = NULL;
        _cleanup_(X509_STORE_CTX_freep) X509_STORE_CTX *ctx = NULL;
        char a[256], b[256];
        X509 *signer;

        if (X509_NAME_cmp(ias->issuer, X509_get_issuer_name(cert)) == 0 &&
            ASN1_INTEGER_cmp(ias->serial, X509_get0_serialNumber(cert)) == 0)
                return cert;
        signer = X509_find_by_issuer_and_serial(p7->d.sign->cert, ias->issuer, ias->serial);
        if (!signer) {
                snprintf(why, whylen, "not signed by '%s': the signer's certificate (issuer '%s') is someone else's",
                         subject(cert, a, sizeof a), X509_NAME_oneline(ias->issuer, b, sizeof b) ?: "?");
                return NULL;
        }
        store = X509_STORE_new();
        ctx = X509_STORE_CTX_new();
        if (store && ctx && X509_STORE_add_cert(store, cert) == 1 &&
            X509_STORE_CTX_init(ctx, store, signer, p7->d.sign->cert) == 1) {
                X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN | X509_V_FLAG_NO_CHECK_TIME);
                if (X509_verify_cert(ctx) == 1)
                        return signer;
        }
        ERR_clear_error();
        snprintf(why, whylen, "not signed by '%s': the signer is '%s'", subject(cert, a, sizeof a),
                 subject(signer, b, sizeof b));
        return NULL;
}

/* Whether the authenticated attributes name the content and carry its digest,
 * and the signature over them verifies with the signer's key. */
static bool attributes_verify(PKCS7_SIGNER_INFO *si, X509 *signer, const struct indirect *idc) {
        _cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *spc = OBJ_txt2obj(OID_SPC_INDIRECT_DATA, 1);
        _cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        _cleanup_(openssl_freep) uint8_t *abuf = NULL;
        const EVP_MD *md = EVP_get_digestbyobj(si->digest_alg->algorithm);
        ASN1_TYPE *type = PKCS7_get_signed_attribute(si, NID_pkcs9_contentType);
        ASN1_TYPE *digest = PKCS7_get_signed_attribute(si, NID_pkcs9_messageDigest);
        uint8_t md_buf[EVP_MAX_MD_SIZE];
        unsigned md_len;
        int alen;
        bool ok;

        if (!spc || !ctx || !md || !type || type->type != V_ASN1_OBJECT || OBJ_cmp(type->value.object, spc) != 0)
                return false;
        if (!digest || digest->type != V_ASN1_OCTET_STRING ||
            EVP_Digest(idc->content, idc->content_len, md_buf, &md_len, md, NULL) != 1 ||
            digest->value.octet_string->length != (int) md_len ||
            memcmp(digest->value.octet_string->data, md_buf, md_len) != 0)
                return false;
        alen = ASN1_item_i2d((ASN1_VALUE *) si->auth_attr, &abuf, ASN1_ITEM_rptr(PKCS7_ATTR_VERIFY));
        ok = alen > 0 && EVP_DigestVerifyInit(ctx, NULL, md, NULL, X509_get0_pubkey(signer)) == 1 &&
             EVP_DigestVerify(ctx, si->enc_digest->data, (size_t) si->enc_digest->length, abuf, (size_t) alen) == 1;
        ERR_clear_error();
        return ok;
}

/* Checks one PKCS#7 signature: 0, -EKEYREJECTED with why, or another error
 * (reported). */
static int check_pkcs7(struct verifier *v, const uint8_t *der, size_t len, char *why, size_t whylen) {
        _cleanup_(PKCS7_freep) PKCS7 *p7 = NULL;
        _cleanup_(ASN1_OBJECT_freep) ASN1_OBJECT *spc = OBJ_txt2obj(OID_SPC_INDIRECT_DATA, 1);
        const uint8_t *p = der;
        struct indirect idc = {};
        PKCS7_SIGNER_INFO *si;
        PKCS7 *inner;
        const char *e;
        X509 *signer;
        int r;

        p7 = d2i_PKCS7(NULL, &p, (long) len);
        ERR_clear_error();
        if (!p7 || !spc || !PKCS7_type_is_signed(p7) || !(inner = p7->d.sign->contents) || !inner->type ||
            OBJ_cmp(inner->type, spc) != 0 || !inner->d.other || inner->d.other->type != V_ASN1_SEQUENCE) {
                snprintf(why, whylen, "not an Authenticode signature (PKCS#7 SignedData of SpcIndirectDataContent)");
                return -EKEYREJECTED;
        }
        e = parse_indirect(inner->d.other->value.sequence->data, inner->d.other->value.sequence->length, &idc);
        if (e) {
                snprintf(why, whylen, "not an Authenticode signature: %s", e);
                return -EKEYREJECTED;
        }
        if (sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(p7)) != 1) {
                snprintf(why, whylen, "not an Authenticode signature: %d signers instead of one",
                         sk_PKCS7_SIGNER_INFO_num(PKCS7_get_signer_info(p7)));
                return -EKEYREJECTED;
        }
        si = sk_PKCS7_SIGNER_INFO_value(PKCS7_get_signer_info(p7), 0);
        signer = find_signer(p7, si, v->cert, why, whylen);
        if (!signer)
                return -EKEYREJECTED;
        if (!attributes_verify(si, signer, &idc)) {
                snprintf(why, whylen, "corrupt signature: its signed attributes do not verify with the signer's key");
                return -EKEYREJECTED;
        }
        if (v->digest_nid != idc.md_nid) {
                r = image_digest(v->fd, v->l, idc.md, v->digest, &v->digest_len);
                if (r < 0)
                        return r;
                v->digest_nid = idc.md_nid;
        }
        if ((int) v->digest_len != idc.digest_len || memcmp(v->digest, idc.digest, v->digest_len) != 0) {
                snprintf(why, whylen, "digest mismatch: the image was changed after it was signed");
                return -EKEYREJECTED;
        }
        return 0;
}

/* Checks the WIN_CERTIFICATE at t (size bytes left in the table); *ret_next is
 * where the next one starts. */
static int check_entry(struct verifier *v, const uint8_t *t, size_t size, size_t *ret_next, char *why, size_t whylen) {
        uint32_t len = pe_get32(t);
        uint16_t rev = pe_get16(t + 4), type = pe_get16(t + 6);

        *ret_next = size; /* nothing to trust after a malformed entry */
        if (len < WIN_CERT_HEADER_SIZE || len > size) {
                snprintf(why, whylen, "malformed certificate table entry (length %u)", len);
                return -EKEYREJECTED;
        }
        if (pe_round_up(len, CERT_TABLE_ALIGN) < size)
                *ret_next = (size_t) pe_round_up(len, CERT_TABLE_ALIGN);
        if (rev != WIN_CERT_REVISION_2_0 || type != WIN_CERT_TYPE_PKCS_SIGNED_DATA) {
                snprintf(why, whylen, "certificate table entry of revision 0x%04x, type 0x%04x, not a PKCS#7 signature",
                         rev, type);
                return -EKEYREJECTED;
        }
        return check_pkcs7(v, t + WIN_CERT_HEADER_SIZE, len - WIN_CERT_HEADER_SIZE, why, whylen);
}

/* Checks each WIN_CERTIFICATE of the table until one is acceptable; the
 * reasons for refusing the others go to whys. */
static int check_table(struct verifier *v, const uint8_t *t, size_t size, struct strbuf *whys) {
        char why[512];
        size_t next;
        int r;

        for (size_t off = 0; off + WIN_CERT_HEADER_SIZE <= size; off += next) {
                r = check_entry(v, t + off, size - off, &next, why, sizeof why);
                if (r != -EKEYREJECTED)
                        return r;
                if (strbuf_printf(whys, "%s%s", whys->len ? "; " : "", why) < 0)
                        return -ENOMEM;
        }
        if (whys->len == 0 && strbuf_puts(whys, "no signature: the certificate table holds no entry") < 0)
                return -ENOMEM;
        return -EKEYREJECTED;
}

int authenticode_verify_fd(int fd, X509 *cert, const char *name) {
        _cleanup_(layout_done) struct layout l = {};
        _cleanup_strbuf_ struct strbuf whys = STRBUF_INIT;
        _cleanup_free_ uint8_t *table = NULL;
        struct verifier v = { .fd = fd, .l = &l, .cert = cert, .digest_nid = NID_undef };
        int r;

        r = layout_load(fd, name, false, &l);
        if (r < 0)
                return r;
        if (l.table_size == 0)
                return log_error_errno(-EKEYREJECTED, "'%s': no signature: the image has no certificate table", name);
        if (l.table_size > CERT_TABLE_MAX)
                return log_error_errno(-EKEYREJECTED, "'%s': the certificate table is %u bytes, more than we read",
                                       name, l.table_size);
        table = malloc(l.table_size);
        if (!table)
                return -ENOMEM;
        r = read_at(fd, name, table, l.table_size, l.table_off);
        if (r < 0)
                return r;
        r = check_table(&v, table, l.table_size, &whys);
        if (r == -EKEYREJECTED)
                return log_error_errno(r, "'%s': %s", name, whys.buf);
        return r;
}
