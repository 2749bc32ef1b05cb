/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <openssl/x509.h>
#include "sign/key.h"

/* Secure Boot signatures of PE images (Authenticode, as sbsign and osslsigncode
 * write them and UEFI firmware checks them).
 *
 * The digest (SHA-256) covers the image as the firmware hashes it (EDK2
 * DxeImageVerificationLib HashPeImage, Microsoft's "Windows Authenticode PE
 * Signature Format"): the headers up to SizeOfHeaders without the CheckSum
 * field and the certificate-table data directory entry, then the raw data of
 * each section sorted by PointerToRawData, then whatever follows, from the
 * offset "SizeOfHeaders + all SizeOfRawData" up to the certificate table.
 *
 * The certificate table sits at the end of the file at an 8-byte aligned offset
 * (the image is zero-padded to it; the padding is hashed), its data directory
 * entry holds that file offset and the table's size. It holds one
 * WIN_CERTIFICATE { u32 dwLength (header + DER), u16 wRevision 0x0200, u16
 * wCertificateType 0x0002 PKCS_SIGNED_DATA, DER } padded to 8 bytes: a PKCS#7
 * SignedData whose content is an SpcIndirectDataContent (SPC_PE_IMAGE_DATAOBJ
 * and the image digest), with the signer's certificate and the authenticated
 * attributes contentType (SPC_INDIRECT_DATA), SpcSpOpusInfo (empty) and
 * messageDigest. There is no signing time, so the output is reproducible: the
 * same image and key give the same bytes (for RSA keys, whose PKCS#1 v1.5
 * signatures are deterministic; UEFI firmware verifies RSA only). */

/* Signs the PE image read from in_fd (pread; a regular file, not out_fd) and
 * writes the signed image to out_fd from offset 0, truncating it there: the
 * image without its certificate table if it had one (the old signatures are
 * replaced, not added to), zero-padded to 8 bytes, the new certificate table,
 * and in the headers the certificate-table entry and a recomputed CheckSum. The
 * image is streamed, never held in memory. name is the image's name in messages.
 * Errors, each reported once: -EBADMSG for a malformed image (not PE, sections
 * past the end or overlapping the certificate table, no certificate-table
 * entry, a certificate table that is not at the end of the file), -EINVAL if
 * in_fd and out_fd are the same file, -EFBIG if the signed image would pass
 * 4 GiB (the table's offset is 32 bits), I/O errors, -EIO when OpenSSL fails. */
int authenticode_sign_fd(int in_fd, int out_fd, const struct sign_key *k, const char *name);

/* Checks the image in fd: 0 if one of its signatures is by cert (the signer's
 * certificate is cert, or chains up to it through certificates carried in the
 * signature; validity dates and key usages are not checked, as UEFI does not)
 * and its digest matches the image. Otherwise -EKEYREJECTED, reported with the
 * reason: no signature, a signature that is not Authenticode, not signed by
 * cert, a corrupt signature, or a digest mismatch (the image was changed after
 * signing). -EBADMSG for a malformed image, I/O errors. */
int authenticode_verify_fd(int fd, X509 *cert, const char *name);
