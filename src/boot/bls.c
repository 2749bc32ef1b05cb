/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "boot/bls.h"
#include "util/strv.h"

int bls_entry_files(const char *text, char ***ret) {
        _cleanup_strv_free_ char **lines = NULL, **files = NULL;
        int r;

        r = strv_split(text, "\n", &lines);
        if (r < 0)
                return r;
        STRV_FOREACH(l, lines) {
                const char *p = *l + strspn(*l, " \t\r");
                size_t klen = strcspn(p, " \t\r");
                _cleanup_free_ char *key = strndup(p, klen);
                _cleanup_free_ char *value = NULL;
                const char *v = p + klen;
                size_t vlen;

                if (!key)
                        return -ENOMEM;
                if (*p == '#' || !(streq(key, "linux") || streq(key, "initrd") || streq(key, "efi") ||
                                   streq(key, "devicetree")))
                        continue;
                v += strspn(v, " \t\r");
                vlen = strlen(v);
                while (vlen > 0 && strchr(" \t\r", v[vlen - 1]))
                        vlen--;
                if (vlen == 0)
                        return -EBADMSG;
                value = strndup(v, vlen);
                if (!value)
                        return -ENOMEM;
                if (streq(key, "initrd")) {
                        _cleanup_strv_free_ char **words = NULL;
                        r = strv_split(value, " \t\r", &words);
                        if (r < 0)
                                return r;
                        STRV_FOREACH(w, words)
                                if (strv_push(&files, *w) < 0)
                                        return -ENOMEM;
                } else if (strv_consume(&files, TAKE_PTR(value)) < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(files);
        return 0;
}

char *bls_entry_boot_dir(const char *entry_path) {
        const char *e = strstr(entry_path, "/loader/entries/");

        if (!e || strchr(e + strlen("/loader/entries/"), '/'))
                return NULL;
        return e == entry_path ? strdup("/") : strndup(entry_path, (size_t) (e - entry_path));
}

bool bls_path_valid(const char *p) {
        if (isempty(p))
                return false;
        for (const char *c = p; *c; ) {
                size_t n = strcspn(c, "/");
                if (n == 2 && c[0] == '.' && c[1] == '.')
                        return false;
                c += n;
                c += strspn(c, "/");
        }
        return true;
}
