/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "kernel/kver.h"

#define KVER_MAX 128

/* ASCII only: the order must not depend on the locale. */
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

/* "-rcN" starts a release candidate. It weighs like '~', so it sorts before the
 * end of the string and before any other suffix, whatever follows it:
 * 6.12.0-rc7 < 6.12.0, 6.12.0-rc7-amd64 < 6.12.0-amd64 < 6.12.0-1-amd64. */
static bool is_rc(const char *s) {
        return s[0] == '-' && s[1] == 'r' && s[2] == 'c' && is_digit(s[3]);
}

/* dpkg's weight of a character in a non-digit run: '~' (and "-rc") lowest,
 * then the end of the run (a digit or the end of the string), then letters,
 * then everything else. Only the end of a run weighs 0. */
static int weight(const char *s) {
        unsigned char c = (unsigned char) *s;

        if (c == 0 || is_digit((char) c))
                return 0;
        if (c == '~' || is_rc(s))
                return -1;
        if (is_alpha((char) c))
                return c;
        return c + 256;
}

/* Compares the non-digit runs at *pa and *pb and moves past them. */
static int cmp_text(const char **pa, const char **pb) {
        const char *a = *pa, *b = *pb;

        for (;;) {
                int wa = weight(a), wb = weight(b);
                if (wa != wb)
                        return wa < wb ? -1 : 1;
                if (wa == 0)
                        break;
                a++;
                b++;
        }
        *pa = a;
        *pb = b;
        return 0;
}

/* Compares the digit runs at *pa and *pb as numbers of any length (an empty run
 * is 0) and moves past them. */
static int cmp_number(const char **pa, const char **pb) {
        const char *a = *pa, *b = *pb;
        size_t la = 0, lb = 0;
        int r;

        while (*a == '0')
                a++;
        while (*b == '0')
                b++;
        while (is_digit(a[la]))
                la++;
        while (is_digit(b[lb]))
                lb++;
        *pa = a + la;
        *pb = b + lb;
        if (la != lb)
                return la < lb ? -1 : 1;
        r = memcmp(a, b, la);
        return (r > 0) - (r < 0);
}

int kver_compare(const char *a, const char *b) {
        const char *x = a, *y = b;
        int r;

        /* Each round moves past at least one digit, or ends both strings. */
        while (*x || *y) {
                r = cmp_text(&x, &y);
                if (r == 0)
                        r = cmp_number(&x, &y);
                if (r != 0)
                        return r;
        }
        /* Equal by the rules ("01" and "1", "~rc1" and "-rc1"): the bytes decide,
         * so that the order is total and only equal strings compare equal. */
        r = strcmp(a, b);
        return (r > 0) - (r < 0);
}

bool kver_is_valid(const char *kver) {
        size_t n = 0;

        if (!kver || !*kver || kver[0] == '.' || kver[0] == '-' || strstr(kver, ".."))
                return false;
        for (const char *p = kver; *p; p++, n++)
                if (n >= KVER_MAX || (!is_digit(*p) && !is_alpha(*p) && !strchr("._+~-", *p)))
                        return false;
        return true;
}
