// Package osimage installs operating-system images on nodes, A/B style.
//
// An OSImage (upgrade.shoal.io/v1) names an OCI image archive on the
// server (server/upgrades, like shoal's own upgrade binaries) holding a
// bootable OS: boot/vmlinuz, boot/initrd.img and the rest of its root
// filesystem. The controller (servers) targets selected nodes a few at a
// time with orders in the OSImage's status (only it writes them; nodes
// read them and report in their own Node's annotations); the Agent (each
// node) installs the image
// into its passive slot, asks the boot loader to boot that slot a bounded
// number of times (boot counting), reboots, and after the boot confirms
// the slot once its health checks pass. A slot that does not come up
// within its boots, or fails its checks, is abandoned: the boot loader
// falls back to the active slot, whose agent reports RolledBack.
//
// Slots and the boot switch sit behind Slots, with two backends: Grub (the
// GRUB environment block, read by the grub.cfg Script writes) and Dir
// (a JSON file, whose Boot method plays the boot loader, for tests).
package osimage
