/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "core/explain.h"
#include "util/strv.h"

#define META_PREFIX "inputs:"

void inputs_done(struct inputs *l) {
        for (size_t i = 0; i < l->n; i++) {
                free(l->v[i].name);
                free(l->v[i].value);
                free(l->v[i].text);
        }
        free(l->v);
        *l = (struct inputs) {};
}

static int inputs_push(struct inputs *l, char *name, char *value, char *text) {
        struct input *n = reallocarray(l->v, l->n + 1, sizeof *n);
        if (!n || !name || !value) {
                free(name);
                free(value);
                free(text);
                if (n)
                        l->v = n;
                return -ENOMEM;
        }
        l->v = n;
        n[l->n++] = (struct input) { name, value, text };
        return 0;
}

int inputs_add(struct inputs *l, const char *name, const char *value, const char *fmt, ...) {
        char hex[HASH_HEX_LEN];
        char *text = NULL;
        va_list ap;

        hash_buf(strempty(value), strlen(strempty(value)), hex);
        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                text = NULL;
        va_end(ap);
        if (!text)
                return -ENOMEM;
        return inputs_push(l, strdup(name), strdup(hex), text);
}

static const struct input *inputs_find(const struct inputs *l, const char *name) {
        for (size_t i = 0; l && i < l->n; i++)
                if (streq(l->v[i].name, name))
                        return &l->v[i];
        return NULL;
}

int inputs_record(struct state *st, const char *node, const struct inputs *l) {
        _cleanup_free_ char *key = strdup_printf(META_PREFIX "%s", node);
        _cleanup_free_ char *value = NULL;
        size_t len = 0;
        FILE *f;

        if (!key)
                return -ENOMEM;
        if (!l)
                return state_meta_set(st, key, NULL);
        f = open_memstream(&value, &len);
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < l->n; i++)
                fprintf(f, "%s=%s\n", l->v[i].name, l->v[i].value);
        if (fclose(f) != 0)
                return -ENOMEM;
        return state_meta_set(st, key, value);
}

int inputs_recorded(struct state *st, const char *node, struct inputs *ret) {
        _cleanup_free_ char *key = strdup_printf(META_PREFIX "%s", node);
        _cleanup_free_ char *value = NULL;
        struct inputs l = {};
        char *save = NULL;
        int r;

        if (!key)
                return -ENOMEM;
        r = state_meta_get(st, key, &value);
        if (r < 0)
                return r;
        if (!value)
                return -ENOENT;
        for (char *line = strtok_r(value, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *eq = strchr(line, '=');
                if (!eq)
                        continue; /* not ours: ignore rather than fail an explanation */
                *eq = 0;
                r = inputs_push(&l, strdup(line), strdup(eq + 1), NULL);
                if (r < 0) {
                        inputs_done(&l);
                        return r;
                }
        }
        *ret = l;
        return 0;
}

void reasons_done(struct reasons *r) {
        for (size_t i = 0; i < r->n; i++) {
                free(r->v[i].input);
                free(r->v[i].text);
        }
        free(r->v);
        *r = (struct reasons) {};
}

static int reasons_push(struct reasons *r, const char *input, char *text) {
        struct reason *n = reallocarray(r->v, r->n + 1, sizeof *n);
        char *in = strdup(input);
        if (!n || !in || !text) {
                free(in);
                free(text);
                if (n)
                        r->v = n;
                return -ENOMEM;
        }
        r->v = n;
        n[r->n++] = (struct reason) { in, text };
        return 0;
}

int reasons_add(struct reasons *r, const char *input, const char *fmt, ...) {
        char *text = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&text, fmt, ap) < 0)
                text = NULL;
        va_end(ap);
        return reasons_push(r, input, text);
}

int reasons_diff(struct reasons *r, const struct inputs *old, const struct inputs *cur) {
        int n = 0, q;

        for (size_t i = 0; i < cur->n; i++) {
                const struct input *o = inputs_find(old, cur->v[i].name);
                if (o && streq(o->value, cur->v[i].value))
                        continue;
                q = reasons_push(r, cur->v[i].name, strdup(cur->v[i].text));
                if (q < 0)
                        return q;
                n++;
        }
        for (size_t i = 0; old && i < old->n; i++) {
                if (inputs_find(cur, old->v[i].name))
                        continue;
                q = reasons_add(r, old->v[i].name, "%s no longer applies", old->v[i].name);
                if (q < 0)
                        return q;
                n++;
        }
        return n;
}

char *reasons_join(const struct reasons *r) {
        _cleanup_strv_free_ char **l = NULL;
        for (size_t i = 0; i < r->n; i++)
                if (strv_push(&l, r->v[i].text) < 0)
                        return NULL;
        return l ? strv_join(l, "; ") : NULL;
}
