#!/bin/sh
# mkdisk.sh OUT SHOAL_BIN AGENT_ARGS: builds, in OUT, what the qemu OS test
# boots, from Debian packages only (no root, no loop devices, no mounts):
#   os-v1.tar os-v2.tar os-bad.tar  OS images (boot/vmlinuz = Debian's
#       kernel, boot/initrd.img = busybox, libc, a few modules, init.sh); the
#       bad one's init exits at once (the kernel panics and reboots)
#   disk.img  MBR + GRUB (boot.img, core.img at sector 1), one ext4
#       partition holding boot/grub (shoal os grub-cfg, grubenv), slots/a
#       (os-v1 unpacked, the factory image), slots/b (empty) and state/
#       (shoal, agent.sh running `shoal os agent AGENT_ARGS`).
set -eu
OUT=$1 SHOAL=$2 ARGS=$3
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
mkdir -p "$OUT" && cd "$OUT"
KPKG=linux-image-6.1.0-56-amd64
if [ ! -d kernel ]; then
	rm -rf kernel.tmp && mkdir kernel.tmp
	(cd kernel.tmp && apt-get download "$KPKG" >/dev/null 2>&1 && dpkg-deb -x ./*.deb x && rm ./*.deb)
	KVER=$(ls kernel.tmp/x/lib/modules)
	depmod -b kernel.tmp/x "$KVER"
	mv kernel.tmp kernel
fi
KVER=$(ls kernel/x/lib/modules)
MODS=kernel/x/lib/modules/$KVER

initrd() { # initrd VERSION FAIL-LINE → initrd-VERSION.img
	d=initrd-$1.d
	rm -rf "$d" && mkdir -p "$d/bin" "$d/proc" "$d/sys" "$d/dev" "$d/lib/modules/$KVER"
	cp /bin/busybox "$d/bin/busybox" && ln -s busybox "$d/bin/sh"
	sed -e "s/@OSVER@/$1/" -e "s|@FAIL@|$2|" "$HERE/init.sh" > "$d/init" && chmod 755 "$d/init"
	for m in crc32c_generic virtio_pci virtio_blk virtio_net ext4; do
		for f in $(grep "/$m.ko:" "$MODS/modules.dep" | tr -d :); do
			mkdir -p "$d/lib/modules/$KVER/$(dirname "$f")" && cp "$MODS/$f" "$d/lib/modules/$KVER/$f"
		done
	done
	cp "$MODS/modules.dep" "$d/lib/modules/$KVER/"
	# The C library shoal links against (the OS provides it, as Debian does).
	for f in $(ldd "$SHOAL" | grep -o '/[^ ]*'); do
		mkdir -p "$d/$(dirname "$f")" && cp -L "$f" "$d/$f"
	done
	(cd "$d" && find . | cpio -o -H newc --quiet | gzip -1) > "initrd-$1.img"
}
initrd v1 ""
initrd v2 ""
initrd bad 'echo "SHOAL-OS: this init fails"; exit 1'
for v in v1 v2 bad; do
	(cd "$ROOT" && go run ./tools/mkimage -ref "localhost/shoal-os:$v" -o "$OUT/os-$v.tar" \
		-file "/boot/vmlinuz=$OUT/kernel/x/boot/vmlinuz-$KVER" -file "/boot/initrd.img=$OUT/initrd-$v.img") >/dev/null
done

# The file system: grub.cfg + grubenv, the factory OS in slot a, shoal.
rm -rf fs && mkdir -p fs/boot/grub/i386-pc fs/slots/a/boot fs/slots/b fs/state
"$SHOAL" os grub-cfg --kernel-args "console=ttyS0 panic=5 quiet" > fs/boot/grub/grub.cfg
grub-editenv fs/boot/grub/grubenv create
cp /usr/lib/grub/i386-pc/*.mod /usr/lib/grub/i386-pc/*.lst fs/boot/grub/i386-pc/
cp "kernel/x/boot/vmlinuz-$KVER" fs/slots/a/boot/vmlinuz
cp initrd-v1.img fs/slots/a/boot/initrd.img
cp "$SHOAL" fs/state/shoal
printf '#!/bin/sh\nexec /disk/state/shoal os agent -d /disk/state --boot-dir /disk %s\n' "$ARGS" > fs/state/agent.sh
SIZE_MB=$(( $(du -sm fs | cut -f1) + 160 ))
rm -f disk.img && truncate -s $((SIZE_MB + 1))M disk.img
echo 'label: dos
start=2048, type=83, bootable' | sfdisk -q disk.img
mkfs.ext4 -q -F -O ^metadata_csum -L shoal -d fs -E offset=1048576 disk.img "${SIZE_MB}M"
# GRUB without grub-install: boot.img's code in the MBR (the partition
# table stays), core.img at sector 1, where boot.img and diskboot.img look
# by default.
grub-mkimage -O i386-pc -o core.img -p '(hd0,msdos1)/boot/grub' \
	biosdisk part_msdos ext2 normal configfile loadenv test echo linux boot sleep
dd if=/usr/lib/grub/i386-pc/boot.img of=disk.img bs=440 count=1 conv=notrunc status=none
dd if=core.img of=disk.img bs=512 seek=1 conv=notrunc status=none
echo "$OUT/disk.img"
