/* The Xen probe: boot an image dir's xl config under the real Xen hypervisor,
 * nested under QEMU, with a Tinyx dom0 (src/xenkit.h), in the probe's private
 * network namespace.
 *
 *   host tap (namespace) -> QEMU virtio NIC -> dom0 eth0 -> xenbr0 -> guest vif
 *
 * The guest's files reach the dom0 in its initramfs: an uncompressed cpio
 * with /guest/{kernel, initrd, CFG, xl-args} goes in front of the dom0 image
 * (the kernel unpacks concatenated archives, like early microcode). The dom0
 * runs `xl create -c CFG` from /guest: the config is the image's own, byte
 * for byte; on xl's command line the probe adds only the network a probe
 * needs (the cmdline's tinyx.ip/tinyx.gw and the vif's MAC the namespace's
 * ARP entry is pinned to). The guest's console is on xl's stdout, the dom0's
 * console, which is Xen's serial line: QEMU's stdout.
 *
 * Times (boot_ms.*) count from the dom0's "tinyx-dom0: xl create" line, so
 * they are the guest's: domain creation to "tinyx: init" (init), to the
 * first RST for SYNs through the bridge (network), to HTTP 200 (service).
 * The dom0's own boot (QEMU start to that line) is xen.dom0_ms. */
#ifndef TINYX_XENPROBE_H
#define TINYX_XENPROBE_H

#include "guest/markers.h"
#include "formats/imgconf.h"
#include "probe/backend.h"
#include "xen/xenkit.h"

#define XENPROBE_MARK_CREATE TINYX_DOM0_PREFIX TINYX_DOM0_XL_CREATE
#define XENPROBE_MARK_EXITED TINYX_DOM0_PREFIX TINYX_DOM0_XL_EXITED
#define XENPROBE_DOM0_MAC "52:54:00:74:78:10"
#define XENPROBE_TIMEOUT_S 150

/* The probe's backend for target xen (backend.h): gets the kit, puts the
 * guest in front of the dom0 image, boots Xen under QEMU and times the
 * guest from the xl create line. */
extern const struct probe_backend xenprobe_backend;

/* From an xl config's text: the value of a string key (`key = "v"`), and
 * the first element of a list key (`vif = [ 'a', ... ]`), or NULL. */
char *xenprobe_cfg_string(const char *text, const char *key);
char *xenprobe_cfg_first(const char *text, const char *key);

#endif
