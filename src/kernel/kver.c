/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include "kernel/kver.h"

/* dpkg's ordering of the non-digit parts: '~' before everything, even the end
 * of the string; letters before other characters. "-rc" is read as "~rc", so a
 * release candidate sorts before its release whatever suffix follows. */
static int order(const char *s, const char *start) {
        unsigned char c = (unsigned char) *s;
        if (c == 0 || isdigit(c))
                return 0;
        if (c == '~' || (c == '-' && s[1] == 'r' && s[2] == 'c' && isdigit((unsigned char) s[3]) && s > start))
                return -1;
        if (isalpha(c))
                return c;
        return c + 256;
}

static int cmp_digits(const char **pa, const char **pb) {
        const char *a = *pa, *b = *pb;
        size_t la, lb;
        int r;

        while (*a == '0')
                a++;
        while (*b == '0')
                b++;
        for (la = 0; isdigit((unsigned char) a[la]); la++)
                ;
        for (lb = 0; isdigit((unsigned char) b[lb]); lb++)
                ;
        *pa = a + la;
        *pb = b + lb;
        if (la != lb)
                return la < lb ? -1 : 1;
        r = memcmp(a, b, la);
        return r < 0 ? -1 : r > 0;
}

int kver_compare(const char *a, const char *b) {
        const char *sa = a, *sb = b, *x = a, *y = b;

        while (*x || *y) {
                while ((*x && !isdigit((unsigned char) *x)) || (*y && !isdigit((unsigned char) *y))) {
                        int oa = order(x, sa), ob = order(y, sb);
                        if (oa != ob)
                                return oa < ob ? -1 : 1;
                        if (*x)
                                x++;
                        if (*y)
                                y++;
                }
                int r = cmp_digits(&x, &y);
                if (r != 0)
                        return r;
        }
        /* equal under the ordering ("01" vs "1"): fall back to bytes, for a total order */
        int r = strcmp(a, b);
        return r < 0 ? -1 : r > 0;
}

bool kver_is_valid(const char *kver) {
        size_t n = 0;

        if (!kver || !*kver || kver[0] == '.' || kver[0] == '-' || strstr(kver, ".."))
                return false;
        for (const char *p = kver; *p; p++, n++)
                if (!isalnum((unsigned char) *p) && !strchr("._+~-", *p))
                        return false;
        return n <= 128;
}
