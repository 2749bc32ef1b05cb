#!/bin/bash
# mkrootfs.sh OUT.img [--partitioned | --mbr]: a small root file system image
# for boot tests: ext4 made with "mkfs.ext4 -d", holding busybox-static and an
# /sbin/init that mounts /proc and /sys (if not there yet), prints the marker
# DISTKERNEL-BOOT-OK, /proc/modules and /proc/mounts between markers, the
# kernel's printk_devkmsg setting and how many of the init's own device nodes
# are left in /dev, and powers off.
#
#   --partitioned  OUT.img is a GPT disk with one partition holding the file
#                  system (partition name "distkernel-root")
#   --mbr          the same with a DOS partition table
#
# Prints what identifies the root, one KEY=VALUE a line: UUID, LABEL and,
# for a partitioned disk, PARTUUID (and PARTLABEL for GPT).
# Needs: busybox (busybox-static), mkfs.ext4 (e2fsprogs), sfdisk (fdisk).
set -euo pipefail

usage() { echo "usage: $0 OUT.img [--partitioned|--mbr]" >&2; exit 2; }
die() { printf 'mkrootfs: %s\n' "$*" >&2; exit 1; }
(($# >= 1 && $# <= 2)) || usage
out=$1
table=none
case ${2:-} in
"") ;;
--partitioned) table=gpt ;;
--mbr) table=dos ;;
*) usage ;;
esac

busybox=$(command -v busybox) || die "busybox is not installed (apt-get install busybox-static)"
file -L "$busybox" | grep -q 'statically linked' || die "$busybox is not statically linked (apt-get install busybox-static)"
command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 is not installed (apt-get install e2fsprogs)"
[[ $table == none ]] || command -v sfdisk >/dev/null || die "sfdisk is not installed (apt-get install fdisk)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkrootfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dir=$tmp/root
mkdir -p "$dir"/{bin,sbin,etc,proc,sys,dev,run,tmp,root,usr/bin,usr/sbin}
chmod 1777 "$dir/tmp"
cp "$busybox" "$dir/bin/busybox"
for applet in $("$busybox" --list); do
        [[ -e $dir/bin/$applet ]] || ln -s busybox "$dir/bin/$applet"
done

cat >"$dir/sbin/init" <<'EOF'
#!/bin/sh
# The boot test's init: report and power off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
grep -q ' /proc ' /proc/mounts 2>/dev/null || mount -t proc proc /proc
grep -q ' /sys ' /proc/mounts || mount -t sysfs sysfs /sys
echo "DISTKERNEL-BOOT-OK pid=$$ kernel=$(uname -r)"
echo "DISTKERNEL-CMDLINE: $(cat /proc/cmdline)"
echo "DISTKERNEL-MODULES-BEGIN"
cat /proc/modules
echo "DISTKERNEL-MODULES-END"
echo "DISTKERNEL-MOUNTS-BEGIN"
cat /proc/mounts
echo "DISTKERNEL-MOUNTS-END"
echo "DISTKERNEL-ROOTDIR: $(ls -a / | tr '\n' ' ')"
echo "DISTKERNEL-DEVKMSG: $(cat /proc/sys/kernel/printk_devkmsg)"
echo "DISTKERNEL-DEVNODES: $(ls -a /dev | grep -c '^\.distkernel')"
sync
poweroff -f
EOF
chmod 755 "$dir/sbin/init"
printf 'distkernel-boot-test\n' >"$dir/etc/hostname"
# systemd-based initramfs images (dracut's) switch only into an OS tree
printf 'ID=distkernel-test\nNAME="distkernel boot test"\n' >"$dir/etc/os-release"

uuid=$(cat /proc/sys/kernel/random/uuid)
label=dk-root-$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')
fs=$tmp/fs.img
mkfs.ext4 -q -F -L "$label" -U "$uuid" -d "$dir" "$fs" 24M >&2 || die "mkfs.ext4 failed"

if [[ $table == none ]]; then
        mv "$fs" "$out"
else
        # 1 MiB before the partition, 1 MiB after it (room for the backup GPT).
        part_sectors=$(($(stat -c %s "$fs") / 512))
        truncate -s 0 "$out"
        truncate -s $(((part_sectors + 4096) * 512)) "$out"
        if [[ $table == gpt ]]; then
                partuuid=$(cat /proc/sys/kernel/random/uuid)
                printf 'label: gpt\nstart=2048, size=%d, type=linux, name="distkernel-root", uuid=%s\n' \
                        "$part_sectors" "$partuuid" | sfdisk -q "$out" >/dev/null || die "sfdisk failed"
        else
                sig=$(head -c4 /dev/urandom | od -An -tx1 | tr -d ' \n')
                sig=${sig/#0/1} # never 0: sfdisk would pick its own
                printf 'label: dos\nlabel-id: 0x%s\nstart=2048, size=%d, type=83\n' \
                        "$sig" "$part_sectors" | sfdisk -q "$out" >/dev/null || die "sfdisk failed"
                partuuid=$sig-01
        fi
        dd if="$fs" of="$out" bs=1M seek=1 conv=notrunc,fsync status=none || die "dd failed"
fi

echo "UUID=$uuid"
echo "LABEL=$label"
if [[ $table != none ]]; then
        echo "PARTUUID=$partuuid"
        [[ $table != gpt ]] || echo "PARTLABEL=distkernel-root"
fi
