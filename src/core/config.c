/* SPDX-License-Identifier: GPL-2.0-or-later */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include "core/config.h"
#include "util/log.h"
#include "util/strv.h"

static const char *const generator_table[_INITRAMFS_GENERATOR_MAX] = {
        [INITRAMFS_BUILTIN] = "builtin",
        [INITRAMFS_DRACUT] = "dracut",
        [INITRAMFS_INITRAMFS_TOOLS] = "initramfs-tools",
        [INITRAMFS_NONE] = "none",
};

const char *initramfs_generator_to_string(enum initramfs_generator g) { return generator_table[g]; }

static const char *const layout_table[_LAYOUT_MAX] = {
        [LAYOUT_AUTO] = "auto",
        [LAYOUT_UKI] = "uki",
        [LAYOUT_BLS] = "bls",
        [LAYOUT_LEGACY] = "legacy",
};

const char *boot_layout_to_string(enum boot_layout l) { return layout_table[l]; }

static const char *const legacy_names_table[_LEGACY_NAMES_MAX] = {
        [LEGACY_NAMES_DEBIAN] = "debian",
        [LEGACY_NAMES_FEDORA] = "fedora",
};

/* Keys whose value is kept as a string; "auto" or empty leaves NULL where
 * auto says so. */
static const struct {
        const char *key;
        size_t offset;
        bool auto_is_null;
} string_keys[] = {
        { "build-cc", offsetof(struct config, build_cc), false },
        { "build-user", offsetof(struct config, build_user), false },
        { "initramfs-compress", offsetof(struct config, initramfs_compress), false },
        { "boot", offsetof(struct config, boot), true },
        { "esp", offsetof(struct config, esp), true },
        { "cmdline", offsetof(struct config, cmdline), false },
        { "uki-stub", offsetof(struct config, uki_stub), true },
        { "uki-splash", offsetof(struct config, uki_splash), false },
        { "uki-dtb", offsetof(struct config, uki_dtb), false },
        { "bootloader-hook", offsetof(struct config, bootloader_hook), false },
        { "secureboot-key", offsetof(struct config, secureboot_key), false },
        { "secureboot-cert", offsetof(struct config, secureboot_cert), false },
        { "module-sign-key", offsetof(struct config, module_sign_key), false },
        { "module-sign-cert", offsetof(struct config, module_sign_cert), false },
        { "kernel-config", offsetof(struct config, kernel_config), true },
        { "kernel-localversion", offsetof(struct config, kernel_localversion), false },
};

static const struct {
        const char *key;
        size_t offset;
} list_keys[] = {
        { "initramfs-packages", offsetof(struct config, initramfs_packages) },
        { "initramfs-modules", offsetof(struct config, initramfs_modules) },
        { "optional-packages", offsetof(struct config, optional_packages) },
};

static const struct {
        const char *key;
        size_t offset;
} bool_keys[] = {
        { "initramfs-hostonly", offsetof(struct config, initramfs_hostonly) },
        { "kernel-install", offsetof(struct config, kernel_install) },
        { "esp-auto-gc", offsetof(struct config, esp_auto_gc) },
};

void config_done(struct config *c) {
        for (size_t i = 0; i < ELEMENTSOF(string_keys); i++) {
                char **v = (char **) ((char *) c + string_keys[i].offset);
                *v = mfree(*v);
        }
        for (size_t i = 0; i < ELEMENTSOF(list_keys); i++) {
                char ***v = (char ***) ((char *) c + list_keys[i].offset);
                *v = strv_free(*v);
        }
}

static int parse_bool(const char *path, unsigned line, const char *key, const char *v, bool *ret) {
        if (streq(v, "yes") || streq(v, "true") || streq(v, "1"))
                *ret = true;
        else if (streq(v, "no") || streq(v, "false") || streq(v, "0"))
                *ret = false;
        else
                return log_error_errno(-EINVAL, "'%s':%u: %s '%s' is not yes or no", path, line, key, v);
        return 0;
}

static int parse_enum(const char *path, unsigned line, const char *key, const char *value,
                      const char *const *table, int n, const char *choices, int *ret) {
        for (int i = 0; i < n; i++)
                if (streq(value, table[i])) {
                        *ret = i;
                        return 0;
                }
        return log_error_errno(-EINVAL, "'%s':%u: %s '%s' is not one of %s", path, line, key, value, choices);
}

static int set_special_key(const char *path, unsigned line, const char *key, const char *value,
                           struct config *c) {
        int v = 0, r;

        if (streq(key, "initramfs")) {
                r = parse_enum(path, line, key, value, generator_table, _INITRAMFS_GENERATOR_MAX,
                               "builtin, dracut, initramfs-tools, none", &v);
                if (r >= 0)
                        c->initramfs = (enum initramfs_generator) v;
                return r;
        }
        if (streq(key, "layout")) {
                r = parse_enum(path, line, key, value, layout_table, _LAYOUT_MAX, "auto, uki, bls, legacy", &v);
                if (r >= 0)
                        c->layout = (enum boot_layout) v;
                return r;
        }
        if (streq(key, "legacy-names")) {
                r = parse_enum(path, line, key, value, legacy_names_table, _LEGACY_NAMES_MAX, "debian, fedora", &v);
                if (r >= 0)
                        c->legacy_names = (enum legacy_names) v;
                return r;
        }
        if (streq(key, "jobs") || streq(key, "keep")) {
                char *end;
                long n = strtol(value, &end, 10);
                long min = streq(key, "keep") ? 1 : 0;
                if (*value == 0 || *end || n < min || n > 1024)
                        return log_error_errno(-EINVAL, "'%s':%u: %s '%s' is not a number between %ld and 1024",
                                               path, line, key, value, min);
                *(streq(key, "keep") ? &c->keep : &c->jobs) = (unsigned) n;
                return 0;
        }
        log_warning("'%s':%u: unknown key '%s', ignoring", path, line, key);
        return 0;
}

static char *trim(char *s) {
        char *e;
        while (isspace((unsigned char) *s))
                s++;
        e = s + strlen(s);
        while (e > s && isspace((unsigned char) e[-1]))
                *--e = 0;
        return s;
}

static int set_key(const char *path, unsigned line, const char *key, const char *value, struct config *c) {
        for (size_t i = 0; i < ELEMENTSOF(string_keys); i++)
                if (streq(key, string_keys[i].key)) {
                        char **v = (char **) ((char *) c + string_keys[i].offset);
                        *v = mfree(*v);
                        if (*value == 0 || (string_keys[i].auto_is_null && streq(value, "auto")))
                                return 0;
                        *v = strdup(value);
                        return *v ? 0 : -ENOMEM;
                }
        for (size_t i = 0; i < ELEMENTSOF(list_keys); i++)
                if (streq(key, list_keys[i].key)) {
                        char ***v = (char ***) ((char *) c + list_keys[i].offset);
                        *v = strv_free(*v);
                        return strv_split(value, " \t\n\r\v\f,", v); /* any white space, as trim() */
                }
        for (size_t i = 0; i < ELEMENTSOF(bool_keys); i++)
                if (streq(key, bool_keys[i].key))
                        return parse_bool(path, line, key, value, (bool *) ((char *) c + bool_keys[i].offset));
        return set_special_key(path, line, key, value, c);
}

int config_parse(const char *path, const char *text, struct config *ret) {
        _cleanup_free_ char *copy = strdup(text);
        struct config c = {};
        char *l;
        unsigned line = 0;
        int r;

        if (!copy)
                return -ENOMEM;
        for (char *p = copy; (l = strsep(&p, "\n")); ) {
                char *eq, *s = trim(l);
                line++;
                if (*s == 0 || *s == '#')
                        continue;
                eq = strchr(s, '=');
                if (!eq) {
                        config_done(&c);
                        return log_error_errno(-EINVAL, "'%s':%u: expected 'key = value'", path, line);
                }
                *eq = 0;
                r = set_key(path, line, trim(s), trim(eq + 1), &c);
                if (r < 0) {
                        config_done(&c);
                        return r;
                }
        }
        *ret = c;
        return 0;
}

int config_load(const struct root *root, struct config *ret) {
        _cleanup_free_ char *text = NULL;
        size_t len = 0;
        int r = fs_read_all(root->fd, CONFIG_PATH, 1u << 20, &text, &len);
        if (r == -ENOENT) {
                *ret = (struct config) {};
                return 0;
        }
        if (r < 0)
                return log_error_errno(r, "'%s': cannot read: %s", CONFIG_PATH, strerror(-r));
        if (strlen(text) != len) /* the rest would be silently ignored */
                return log_error_errno(-EINVAL, "'%s': contains a NUL byte", CONFIG_PATH);
        return config_parse(CONFIG_PATH, text, ret);
}

char *config_initrd_path(const struct config *c, const char *kver) {
        if (c->layout == LAYOUT_UKI || c->layout == LAYOUT_BLS)
                return strdup_printf(CONFIG_INITRD_DIR "/initrd.img-%s", kver);
        if (c->legacy_names == LEGACY_NAMES_FEDORA)
                return strdup_printf("/boot/initramfs-%s.img", kver);
        return strdup_printf("/boot/initrd.img-%s", kver);
}
