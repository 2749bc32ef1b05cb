#!/bin/sh
# meson install: creates distkernel's build user on the machine installed to
# (not when staging into DESTDIR for a package, whose own scripts do it).
# Idempotent: an existing user is kept as it is.
set -e
[ -z "$DESTDIR" ] || exit 0
conf="$1"
if command -v systemd-sysusers >/dev/null 2>&1; then
        exec systemd-sysusers "$conf"
fi
user=distkernel-build
getent passwd "$user" >/dev/null 2>&1 && exit 0
exec useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
        --user-group --comment "distkernel module builds" "$user"
