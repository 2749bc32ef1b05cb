#!/bin/bash
# Builds the module, then replaces it with a link to ROOT/secret (mode 0600,
# root's, made by the test).
root=${source_tree%/usr/src}
make -C "$kernel_source_dir" M="$PWD" || exit 2
rm -f dkpriv.ko
ln -s "$root/secret" dkpriv.ko
