#!/bin/sh
# The minimal OS's init (one per OS version, OSVER substituted by
# mkdisk.sh): mount the disk, say which slot booted, run shoal's OS agent.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in crc32c_generic virtio_pci virtio_blk virtio_net ext4; do modprobe $m; done
SLOT=$(sed -n 's/.*shoal\.slot=\([ab]\).*/\1/p' /proc/cmdline)
echo "SHOAL-OS: version=@OSVER@ slot=$SLOT"
@FAIL@
i=0
while [ ! -b /dev/vda1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
mkdir -p /disk && mount -t ext4 /dev/vda1 /disk || echo "SHOAL-OS: cannot mount /dev/vda1"
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
sh /disk/state/agent.sh
echo "SHOAL-OS: agent exited"
while true; do sleep 3600; done
