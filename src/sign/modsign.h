/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "sign/key.h"
#include "util/macro.h"

/* Kernel module signatures, appended the way the kernel's scripts/sign-file
 * appends them:
 *
 *   module ‖ DER CMS SignedData ‖ struct module_signature ‖ "~Module signature appended~\n"
 *
 * The CMS message is detached (it signs the module bytes before it), carries
 * no certificates and no signed attributes, and names the signer by the
 * certificate's issuer and serial number. The 12-byte struct has id_type 2
 * (PKCS#7) and the CMS message's length as a big-endian u32, every other field
 * 0. The kernel verifies the uncompressed module as loaded: sign after strip
 * and before compression. */

#define MODSIGN_MAGIC "~Module signature appended~\n"

struct kconfig;

/* Whether the kernel can be asked to verify signatures made with hash_algo: a
 * value of CONFIG_MODULE_SIG_HASH (sha1, sha224, sha256, sha384, sha512,
 * sha3-256, sha3-384, sha3-512). */
bool modsign_hash_known(const char *hash_algo);

/* The kernel's CONFIG_MODULE_SIG_HASH without its quotes: 1 and *ret (caller
 * frees) when the config sets it, 0 and *ret = NULL when it does not (or c is
 * NULL), -ENOMEM. */
int modsign_kernel_hash(const struct kconfig *c, char **ret);

/* The length of the module in data without its appended signature (len when
 * it has none). -EBADMSG when data ends in the magic string but the trailer is
 * not one the kernel would accept (another id_type, non-zero fields, a length
 * beyond the file). Pure; does not log. */
int modsign_unsigned_len(const void *data, size_t len, size_t *ret_len);

/* Checks the appended signature of a module's (decompressed) bytes: 0 when
 * it carries one by cert (the signer's issuer and serial number are cert's)
 * over the module before it. -ENODATA when it carries none, -EBADMSG for a
 * malformed trailer or CMS message, -EKEYREJECTED when the signer is not cert
 * or the signature does not match the module; each reported once with name. */
int modsign_verify(const void *data, size_t len, X509 *cert, const char *name);

/* Signs the module file at host_path in place with k's key and certificate,
 * hashing with hash_algo. A signature the module already carries is removed
 * first, so re-signing replaces it. The file is replaced atomically (a temp
 * file in its directory, fsync, rename, fsync of the directory) and keeps its
 * mode. Errors, reported once with the file: -EINVAL for a hash the kernel does
 * not know, -EBADMSG for a malformed existing signature or a file that is not
 * a regular one, -EIO when OpenSSL cannot sign, else the -errno of reading or
 * writing the file (the file is then unchanged). */
int modsign_file(const char *host_path, const struct sign_key *k, const char *hash_algo);
