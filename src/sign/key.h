/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

/* A signing key and its certificate, for Secure Boot (Authenticode) and for
 * kernel modules. */
struct sign_key {
        EVP_PKEY *pkey;
        X509 *cert;
        char *key_path;   /* as configured, for messages */
        char *cert_path;
};

/* Loads a PEM private key and a PEM (or DER) certificate, both root-relative
 * paths under rootfd. Refuses, naming the file: a key file readable by others
 * (-EPERM: "chmod 600" it), an encrypted key (-ENOKEY), a key that does not
 * belong to the certificate (-EKEYREJECTED), unreadable or malformed files
 * (-EBADMSG). */
int sign_key_load(int rootfd, const char *key_path, const char *cert_path, struct sign_key **ret);
struct sign_key *sign_key_free(struct sign_key *k);
static inline void sign_key_freep(struct sign_key **k) { sign_key_free(*k); }
#define _cleanup_sign_key_ __attribute__((cleanup(sign_key_freep)))

/* The SHA-256 of the certificate's DER encoding, as hex (a node key input:
 * a new certificate re-signs everything). ret must hold 65 bytes. */
int sign_key_fingerprint(const struct sign_key *k, char ret[static 65]);
/* The same fingerprint from the certificate file alone (no private key needed,
 * so `status` can compute a node key without reading the key). Errors as
 * sign_key_load() reports them for the certificate. */
int sign_cert_fingerprint(int rootfd, const char *cert_path, char ret[static 65]);
/* Loads the certificate alone, a root-relative PEM or DER file (to check
 * signatures without the private key, which may not be readable). The caller
 * frees *ret with X509_free(). Errors as sign_key_load() reports them for the
 * certificate. */
int sign_cert_load(int rootfd, const char *cert_path, X509 **ret);
