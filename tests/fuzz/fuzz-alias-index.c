/* SPDX-License-Identifier: GPL-2.0-or-later */
/* libFuzzer target: modules.alias-initramfs, written by the builtin
 * generator (builtin_alias_index()) from the module set and its modinfo
 * aliases, read by the initramfs's /init (alias_table_parse()). The input is
 * decoded into up to 8 modules, each a name, a path, up to 3 aliases (any
 * bytes: modinfo of a module in the root is outside data) and which earlier
 * modules it needs. Checks the round trip: the table /init reads holds
 * exactly, in order, the aliases whose fields the format can carry (no white
 * space or control characters) of the modules whose paths /init accepts
 * (relative, no ".."), each with its module's path and dependencies in load
 * order; nothing else gets in (no line injected through an alias); lines
 * /init ignores are only those of modules with paths it refuses.
 * Seeds: tests/fuzz/corpus/alias-index/. Build and run: see tests/fuzz/run.sh
 * for the sources, then
 *   /tmp/fuzz-alias-index -dict=tests/fuzz/alias-index.dict -max_total_time=60 \
 *         /tmp/corpus-ai tests/fuzz/corpus/alias-index
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "init/modules.h"
#include "initramfs/builtin.h"
#include "util/log.h"
#include "util/strv.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MODS 8

struct input {
        const uint8_t *p, *end;
};

static uint8_t byte(struct input *in) { return in->p < in->end ? *in->p++ : 0; }

/* A string: a length byte (0-31), then its bytes (NULs become '_'). */
static char *token(struct input *in) {
        size_t n = byte(in) % 32;
        char *s = calloc(n + 1, 1);

        check(s);
        for (size_t i = 0; i < n; i++) {
                s[i] = (char) byte(in);
                if (!s[i])
                        s[i] = '_';
        }
        return s;
}

static bool field_ok(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if ((unsigned char) *s <= ' ' || *s == 0x7f)
                        return false;
        return true;
}

/* Dependencies of module i in load order (the transitive closure of before). */
static void closure(const struct ir_modset *s, size_t i, bool *seen) {
        for (size_t j = 0; j < s->modules[i].n_before; j++) {
                size_t d = s->modules[i].before[j];
                if (!seen[d]) {
                        seen[d] = true;
                        closure(s, d, seen);
                }
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct input in = { data, data + size };
        struct ir_module mods[MODS] = {};
        struct ir_modset s = { .modules = mods };
        struct alias_table t;
        char *text = NULL, *deps[MODS] = {};
        bool writable[MODS] = {}, readable[MODS] = {};
        size_t len = 0, n = 1 + byte(&in) % MODS, want = 0, bad = 0;

        log_set_sink(NULL, NULL);
        for (size_t i = 0; i < n; i++) {
                struct ir_module *m = &mods[s.n];
                uint8_t mask, na;
                bool dup = false;

                m->name = token(&in);
                m->image_path = token(&in);
                na = byte(&in) % 4;
                m->aliases = calloc(na + 1, sizeof(char *));
                check(m->aliases);
                for (size_t a = 0; a < na; a++)
                        m->aliases[a] = token(&in);
                mask = byte(&in);
                m->before = calloc(MODS, sizeof(size_t));
                check(m->before);
                for (size_t j = 0; j < s.n; j++)
                        if (mask & (1u << j))
                                m->before[m->n_before++] = j;
                for (size_t j = 0; j < s.n; j++)
                        dup = dup || strcmp(mods[j].image_path, m->image_path) == 0;
                if (dup) { /* one module per path, as in a real set */
                        free(m->name);
                        free(m->image_path);
                        strv_free(m->aliases);
                        free(m->before);
                        *m = (struct ir_module) {};
                        continue;
                }
                s.n++;
        }

        /* What /init must see. */
        for (size_t i = 0; i < s.n; i++) {
                bool seen[MODS] = {};
                struct strbuf sb = STRBUF_INIT;

                closure(&s, i, seen);
                writable[i] = field_ok(mods[i].name) && field_ok(mods[i].image_path);
                readable[i] = module_path_ok(mods[i].image_path);
                check(strbuf_puts(&sb, "") >= 0);
                for (size_t j = 0; j < s.n; j++)
                        if (seen[j]) {
                                writable[i] = writable[i] && field_ok(mods[j].image_path);
                                readable[i] = readable[i] && module_path_ok(mods[j].image_path);
                                check(strbuf_printf(&sb, "%s%s", sb.len ? "\t" : "", mods[j].image_path) >= 0);
                        }
                deps[i] = strbuf_detach(&sb);
                if (!writable[i])
                        continue;
                bad += !readable[i];
                STRV_FOREACH(a, mods[i].aliases)
                        if (field_ok(*a))
                                readable[i] ? want++ : bad++;
        }

        check(builtin_alias_index(&s, &text, &len) == 0);
        check(strlen(text) == len);
        check(alias_table_parse(text, &t) == 0);
        if (t.n != want || t.n_bad != bad)
                fprintf(stderr, "entries %zu (want %zu), ignored %zu (want %zu)\n", t.n, want, t.n_bad, bad);
        check(t.n == want && t.n_bad == bad);
        for (size_t i = 0, k = 0; i < s.n; i++) {
                if (!writable[i] || !readable[i])
                        continue;
                STRV_FOREACH(a, mods[i].aliases) {
                        if (!field_ok(*a))
                                continue;
                        check(k < t.n);
                        check(strcmp(t.entries[k].pattern, *a) == 0);
                        check(strcmp(t.entries[k].module, mods[i].image_path) == 0);
                        check(strcmp(t.entries[k].deps, deps[i]) == 0);
                        k++;
                }
        }
        alias_table_done(&t);
        for (size_t i = 0; i < s.n; i++) {
                free(mods[i].name);
                free(mods[i].image_path);
                strv_free(mods[i].aliases);
                free(mods[i].before);
                free(deps[i]);
        }
        return 0;
}
