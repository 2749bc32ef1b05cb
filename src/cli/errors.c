/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <string.h>
#include "cli/cli.h"
#include "util/json.h"
#include "util/strv.h"

/* With --json, the errors a command reports on stderr are also kept, so that a
 * failing command that printed no document still prints one:
 * {"ok":false,"exit_status":N,"errors":[{"object","message","hint"}]}. */
static bool recording;
static char **messages, **hints;  /* parallel; a hint is "" when there is none */

void cli_errors_record(bool on) {
        recording = on;
}

void cli_errors_add(const char *msg, const char *hint) {
        if (!recording || strv_length(messages) >= 64)
                return;
        if (strv_push(&messages, msg) < 0 || strv_push(&hints, strempty(hint)) < 0) {
                messages = strv_free(messages);
                hints = strv_free(hints);
        }
}

/* The first 'quoted' part of msg that satisfies want (starts with "distkernel "
 * for a hint, does not for an object), copied, or NULL. */
static char *quoted(const char *msg, bool want_command) {
        for (const char *p = strchr(msg, '\''); p; p = strchr(p, '\'')) {
                const char *end = strchr(p + 1, '\'');
                if (!end)
                        return NULL;
                if (end > p + 1 && (startswith(p + 1, "distkernel ") != NULL) == want_command)
                        return strndup(p + 1, (size_t) (end - p - 1));
                p = end + 1;
        }
        return NULL;
}

int cli_errors_finish(const struct cli *c, int status) {
        struct json j;

        if (c->json && status != EXIT_OK && json_documents() == 0) {
                json_init(&j, stdout);
                json_object_begin(&j);
                json_kv_bool(&j, "ok", false);
                json_kv_int(&j, "exit_status", status);
                json_key(&j, "errors");
                json_array_begin(&j);
                for (size_t i = 0; messages && messages[i]; i++) {
                        _cleanup_free_ char *object = quoted(messages[i], false);
                        _cleanup_free_ char *hint = *hints[i] ? strdup(hints[i]) : quoted(messages[i], true);
                        json_object_begin(&j);
                        json_kv_string(&j, "object", object);
                        json_kv_string(&j, "message", messages[i]);
                        json_kv_string(&j, "hint", hint);
                        json_object_end(&j);
                }
                json_array_end(&j);
                json_object_end(&j);
        }
        messages = strv_free(messages);
        hints = strv_free(hints);
        return status;
}
