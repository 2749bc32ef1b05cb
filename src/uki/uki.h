/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include "uki/pe.h"

/* Unified Kernel Images: systemd-stub with the kernel, initrd, command line,
 * os-release and friends appended as PE sections (UAPI "Unified Kernel Image"
 * specification; layout as systemd's ukify, see pe-builder.h).
 *
 * Sections are added in the order .osrel .cmdline .dtb .uname .splash .initrd
 * .sbat .linux: .linux last, which systemd v252's in-place EFI handover needs
 * (room for decompression after it). Absent or empty inputs add no section.
 * .linux gets CNT_CODE|MEM_READ, the others CNT_INITIALIZED_DATA|MEM_READ.
 *
 * .sbat merges, as ukify does, the SBAT header line, then the entries of the
 * stub's .sbat, of the kernel's .sbat and the request's (default: the "uki"
 * line ukify writes), ending in "\n\0". If the stub has a .sbat the merged data
 * goes in its place when it fits (its SizeOfRawData and the addresses up to the
 * next section); otherwise it is appended as a new section and the stub's own
 * is renamed ".oldsbat", since shim refuses an image with two .sbat sections.
 * Without a .sbat in the stub it is appended.
 *
 * The CheckSum field gets the real PE checksum. The output is reproducible: the
 * same inputs give the same bytes. */

struct uki_request {
        int rootfd;             /* the root the output is written into */
        const char *output;     /* root-relative path of the UKI */
        mode_t mode;            /* of the output; 0 means 0644 */
        const char *stub;       /* host path of the EFI stub; NULL: uki_find_stub(NULL, arch) */
        const char *arch;       /* EFI architecture "x64", "aa64", "ia32"; NULL: the host's */
        const char *linux_path; /* host path of the kernel image (an EFI-stub PE); required */
        const char *initrd;     /* host path of the initrd, or NULL */
        const char *cmdline;    /* kernel command line, or NULL */
        const char *os_release; /* contents of os-release, or NULL */
        const char *uname;      /* the kernel release (KVER), or NULL */
        const char *splash;     /* host path of a BMP, or NULL */
        const char *dtb;        /* host path of a flattened devicetree, or NULL */
        const char *sbat;       /* SBAT CSV entries to add, or NULL for the "uki" line */
        int output_fd;          /* > 0: write here (from offset 0) instead of output, which then
                                 * only names it in messages; the caller makes it durable */
        char *ret_sha256;       /* non-NULL: receives the output's SHA-256 in hex (65 bytes),
                                 * computed on a second thread while the output is fsynced
                                 * (then with output_fd too) */
};

/* Assembles the UKI and writes it atomically to req->output: a temp file in the
 * target directory, renamed over the target after fsync; on failure the target
 * is untouched and no temp file is left (or, with output_fd, into that file).
 * The big inputs are streamed.
 * Errors: -EBADMSG for a malformed stub or kernel, -EINVAL for a signed stub
 * or a bad request, -ENOSPC when the stub has no room for the section headers,
 * -EFBIG past 4 GiB, -ENOENT for a missing input, I/O errors; each reported
 * once with the file and the problem. */
int uki_build(const struct uki_request *req);

/* The EFI architecture name of the machine we run on ("x64", "aa64", "ia32"),
 * NULL on others. */
const char *uki_native_arch(void);
/* The PE machine type for an EFI architecture name, 0 if unknown. */
uint16_t uki_arch_machine(const char *arch);
/* The host path of systemd's stub for arch (NULL: native) under prefix (a host
 * directory, NULL for "/"): PREFIX/usr/lib/systemd/boot/efi/linuxARCH.efi.stub.
 * -ENOENT with a message when it is not there. */
int uki_find_stub(const char *prefix, const char *arch, char **ret);

/* What a UKI (or any PE image) holds: its headers and section table, and the
 * checksum computed over the file, to compare with pe.checksum. */
struct uki_info {
        struct pe_image pe;
        uint32_t computed_checksum;
};
void uki_info_done(struct uki_info *info);
#define _cleanup_uki_info_ _cleanup_(uki_info_done)
/* Reads the headers of the root-relative path and checksums the file. */
int uki_inspect(int rootfd, const char *path, struct uki_info *ret);
/* Reads one section's data (VirtualSize bytes, NUL-terminated) from a
 * root-relative image; -ENXIO if it has no such section, -EFBIG beyond max. */
int uki_read_section(int rootfd, const char *path, const char *section, size_t max, char **ret, size_t *ret_len);
