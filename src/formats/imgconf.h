/* image.conf: the description of one image dir (out/APP/kvm/, out/APP/xen/).
 *
 * The build writes it, the probe reads it. Text form: key=value lines, '#'
 * comments, blank lines ignored, spaces around key and value trimmed:
 *
 *   machine=microvm            microvm | pc
 *   kernel=kernel              file names: plain names inside the dir
 *   initrd=initrd
 *   disk=rootfs.squashfs           optional
 *   boot_disk=nginx.qcow2      optional: a whole bootable disk (MBR, boot
 *                              loader, kernel, root; image/disk.h), .qcow2 or .img
 *   append=console=ttyS0 quiet kernel cmdline without the network part
 *   memory_mb=64               16..65536
 *   vcpus=1                    1..64
 *   net=virtio-mmio            virtio-mmio | virtio-pci (default from machine)
 *   nics=1                     virtio NICs, 1..8 (eth0 is the first); written
 *                              only when not 1
 *   port=80                    TCP port of the service, 0 = none
 *   service=http               http | tcp | none
 *   target=kvm                 kvm | xen
 *   cmdline=unikraft           the kernel command line's dialect: linux
 *                              (tinyx.ip=, tinyx.gw=; the default, not
 *                              written) | unikraft (netdev.ip=ADDR/P:GW,
 *                              then "--": a unikernel's own parameters) |
 *                              osv (--ip=eth0,ADDR,MASK --defaultgw=GW before
 *                              append, which is OSv's options and the command)
 *   iperf3=server              how the probe's throughput test runs: client
 *                              (the guest's iperf3 client to the probe's
 *                              server, asked by tinyx.iperf3=; the default, not
 *                              written) | server (the image runs an iperf3
 *                              server on tcp/5201 from boot; the probe's
 *                              client runs in reverse, the guest sending)
 *   disk_initrd=1              the disk is the root and the initrd boots it (a
 *                              distro's VM: its initramfs mounts the disk);
 *                              written only when 1
 *   rng=virtio                 a virtio RNG device (QEMU's built-in source
 *                              of the host's randomness) that feeds the
 *                              guest kernel's RNG: none (the default, not
 *                              written) | virtio
 *   note=free text
 *
 * The file is untrusted input: unknown or repeated keys, names with '/' or
 * "..", out-of-range numbers and control characters are rejected. */
#ifndef TINYX_IMGCONF_H
#define TINYX_IMGCONF_H

#include "lib/util.h"

#define IMGCONF_NAME "image.conf"
#define IMGCONF_MAX_BYTES (64 * 1024)
#define IMGCONF_MAX_VALUE 4096
#define IMGCONF_MEM_MIN 16
#define IMGCONF_MEM_MAX 65536
#define IMGCONF_VCPUS_MAX 64
#define IMGCONF_NICS_MAX 8

enum img_machine { IMG_MICROVM, IMG_PC };
enum img_net { IMG_NET_MMIO, IMG_NET_PCI };
enum img_service { IMG_SVC_NONE, IMG_SVC_HTTP, IMG_SVC_TCP };
enum img_target { IMG_KVM, IMG_XEN };
enum img_cmdline { IMG_CMDLINE_LINUX, IMG_CMDLINE_UNIKRAFT, IMG_CMDLINE_OSV };
enum img_iperf3 { IMG_IPERF3_CLIENT, IMG_IPERF3_SERVER };
enum img_rng { IMG_RNG_NONE, IMG_RNG_VIRTIO };

struct imgconf {
	enum img_machine machine; /* default microvm */
	char *kernel;		  /* default "kernel" */
	char *initrd;		  /* default "initrd" */
	char *disk;		  /* NULL when none */
	char *boot_disk;	  /* the bootable disk image (image/disk.h), or NULL */
	char *append;		  /* default "console=ttyS0" */
	int memory_mb;		  /* default 64 */
	int vcpus;		  /* default 1 */
	enum img_net net;	  /* default: mmio on microvm, pci on pc */
	int nics;		  /* default 1 (0 reads as 1) */
	int port;		  /* default 0 */
	enum img_service service; /* default none */
	enum img_target target;	  /* default kvm */
	enum img_cmdline cmdline; /* default linux */
	enum img_iperf3 iperf3;	  /* default client */
	enum img_rng rng;	  /* default none */
	int disk_initrd;	  /* default 0 */
	char *note;		  /* NULL when none */
	char *comment;		  /* imgconf_text's first line (after "# "); not
				   * read back; NULL: the generic one */
};

/* Set the defaults (owned strings); imgconf_free() releases them. */
void imgconf_init(struct imgconf *c);
/* Parse text (len bytes, not necessarily NUL-terminated); name is used in
 * messages. On error c is left freed/empty and ctx->err says what and where. */
int imgconf_parse(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		  struct imgconf *c);
/* Read DIR/image.conf. */
int imgconf_load(struct tx_ctx *ctx, const char *dir, struct imgconf *c);
/* Canonical text (every key, fixed order); imgconf_parse() reads it back equal. */
void imgconf_text(const struct imgconf *c, struct sbuf *out);
/* Write imgconf_text to DIR/image.conf (atomic, 0644); the one writer. */
int imgconf_write(struct tx_ctx *ctx, const char *dir, const struct imgconf *c);
void imgconf_free(struct imgconf *c);

/* A plain file name: non-empty, no '/', not "." or "..", printable, < 256. */
int imgconf_valid_name(const char *s);

const char *img_machine_name(enum img_machine m);
const char *img_net_name(enum img_net n);
const char *img_service_name(enum img_service s);
const char *img_target_name(enum img_target t);
const char *img_cmdline_name(enum img_cmdline d);
const char *img_iperf3_name(enum img_iperf3 d);
const char *img_rng_name(enum img_rng r);
/* The service named NAME ("http", "tcp", "none"), or -1. */
int img_service_find(const char *name);

#endif
