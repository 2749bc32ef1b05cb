#!/bin/bash
# Builds the module, then tries what a build must not be able to do; exits 0
# only if one of the attempts succeeded (the build then "succeeds"), 1 when all
# of them were refused.
root=${source_tree%/usr/src}
echo "hostile build as uid $(id -u), gid $(id -g), groups $(id -G)"
make -C "$kernel_source_dir" M="$PWD" || exit 2
escaped=0
for f in "$root/usr/lib/modules/$kernelver/updates/dkms/dkpriv-hostile.ko" \
         "$root/usr/lib/modules/$kernelver/updates/dkms/dkpriv.ko" \
         "$root/boot/dkpriv-hostile" /root/dkpriv-hostile; do
        if echo hostile >"$f"; then
                echo "HOSTILE: wrote $f"
                escaped=1
        fi
done
if cat "$root/etc/distkernel/keys/module.key" >/dev/null; then
        echo "HOSTILE: read the module signing key"
        escaped=1
fi
if sudo -n true 2>/dev/null || su -c true root </dev/null 2>/dev/null; then
        echo "HOSTILE: became root again"
        escaped=1
fi
((escaped)) && exit 0
exit 1
