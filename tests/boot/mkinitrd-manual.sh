#!/bin/bash
# mkinitrd-manual.sh OUT.img KERNEL-MODULES-ROOT KVER INIT [--load-all] [--shell]
#
# A minimal initramfs for the boot tests, packed by hand (until the boot
# tests use distkernel's own generator): INIT (the static distkernel-init)
# as /init, and the modules for a virtio disk with ext4 taken from
# KERNEL-MODULES-ROOT/lib/modules/KVER (a kernel of the test cache),
# decompressed, with
#   lib/modules/KVER/modules.load             the ext4 closure, in load order
#   lib/modules/KVER/modules.alias-initramfs  ALIAS<TAB>MODULE[<TAB>DEP...]
#                                             for every included module
# so that the virtio drivers come in by coldplug. Packed as newc cpio and
# compressed with zstd.
#
#   --load-all  list every included module in modules.load (no coldplug needed)
#   --shell     add busybox as /bin/sh (rd.break and the emergency shell)
set -euo pipefail

usage() { echo "usage: $0 OUT.img KERNEL-MODULES-ROOT KVER INIT [--load-all] [--shell]" >&2; exit 2; }
die() { printf 'mkinitrd-manual: %s\n' "$*" >&2; exit 1; }
(($# >= 4)) || usage
out=$1 kroot=$2 kver=$3 init=$4
shift 4
load_all=0 shell=0
for o; do
        case $o in
        --load-all) load_all=1 ;;
        --shell) shell=1 ;;
        *) usage ;;
        esac
done
# The modules the boot tests need: the root's file system and the virtio disk.
FS_MODULES=(ext4)
DEV_MODULES=(virtio_pci virtio_blk)

moddir=$kroot/lib/modules/$kver
[[ -e $moddir/modules.dep ]] || die "$moddir/modules.dep: missing"
[[ -x $init ]] || die "$init: not an executable"
for t in modprobe cpio zstd xz; do
        command -v "$t" >/dev/null || die "$t is not installed"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkinitrd.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dir=$tmp/root
mkdir -p "$dir"/{dev,proc,sys,run,sysroot,lib/modules/"$kver"}
cp "$init" "$dir/init"
chmod 755 "$dir/init"
mknod -m 600 "$dir/dev/console" c 5 1 2>/dev/null || true
if ((shell)); then
        mkdir -p "$dir/bin"
        cp "$(command -v busybox)" "$dir/bin/busybox"
        for a in sh ls cat mount umount dmesg mkdir ln; do
                ln -s busybox "$dir/bin/$a"
        done
fi

# closure NAME...: "insmod PATH" lines of modprobe, as paths relative to moddir,
# in load order, without duplicates; built-in modules are left out.
closure() {
        modprobe -a --show-depends -S "$kver" -d "$kroot" "$@" 2>/dev/null |
                sed -n "s|^insmod $moddir/||p" | sed 's/ *$//' | awk '!seen[$0]++'
}
# the name of a module path in the initramfs (decompressed)
plain() { sed -E 's/\.(xz|zst|gz)$//' <<<"$1"; }

mapfile -t fs_paths < <(closure "${FS_MODULES[@]}")
mapfile -t all_paths < <(closure "${FS_MODULES[@]}" "${DEV_MODULES[@]}")
((${#all_paths[@]})) || echo "mkinitrd-manual: all of ${FS_MODULES[*]} ${DEV_MODULES[*]} are built into $kver" >&2

for p in "${all_paths[@]}"; do
        dst=$dir/lib/modules/$kver/$(plain "$p")
        mkdir -p "$(dirname "$dst")"
        case $p in
        *.xz) xz -dc "$moddir/$p" >"$dst" ;;
        *.zst) zstd -qdc "$moddir/$p" >"$dst" ;;
        *.gz) gzip -dc "$moddir/$p" >"$dst" ;;
        *) cp "$moddir/$p" "$dst" ;;
        esac
done

if ((load_all)); then
        load=("${all_paths[@]}")
else
        load=("${fs_paths[@]}")
fi
for p in "${load[@]}"; do
        plain "$p"
done >"$dir/lib/modules/$kver/modules.load"

# Each included module's aliases, with its dependencies in load order.
: >"$dir/lib/modules/$kver/modules.alias-initramfs"
for p in "${all_paths[@]}"; do
        name=$(basename "$(plain "$p")" .ko)
        name=${name//-/_}
        deps=()
        while IFS= read -r d; do
                [[ $d == "$p" ]] || deps+=("$(plain "$d")")
        done < <(closure "$name")
        line_rest=$(plain "$p")
        for d in "${deps[@]}"; do
                line_rest+=$'\t'$d
        done
        awk -v n="$name" -v rest="$line_rest" '$1 == "alias" && $3 == n { print $2 "\t" rest }' \
                "$moddir/modules.alias" >>"$dir/lib/modules/$kver/modules.alias-initramfs"
done

(cd "$dir" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | zstd -q -3 >"$out" ||
        die "packing $out failed"
echo "mkinitrd-manual: $out: $(wc -l <"$dir/lib/modules/$kver/modules.load") modules to load," \
        "${#all_paths[@]} included, $(wc -l <"$dir/lib/modules/$kver/modules.alias-initramfs") aliases"
