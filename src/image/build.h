/* tinyx build: stage, closure, kernel, rootfs, images, verification. */
#ifndef TINYX_BUILD_H
#define TINYX_BUILD_H

#include "lib/util.h"

struct build_opts {
	const char *app;
	const char *target; /* kvm, xen or all */
	const char *out;    /* output dir (default "out") */
	const char *mirror; /* NULL: the host's */
	const char *root;   /* NULL: stage one */
	int verify;	    /* boot each image and check the app serves */
	int debug_shell;
	int no_summary;		     /* no table on stdout (a caller that prints its own report) */
	const char *const *overlays; /* --overlay DIRs: over the root before the
				      * analysis, and into the image */
	int noverlays;
	/* the bootable disk's formats: "qcow2" (NULL), "raw", "both", "none"
	 * (image/disk.h) */
	const char *disk_format;
	int nics;     /* virtio NICs (image.conf nics=); 0: 1 */
	int no_trace; /* no trace boot (image/trace.h): the static closure only */
	/* leave out the ELF programs and modules of the packages that the trace
	 * boot never ran or loaded (closure_extra's trim) */
	int trim;
	/* a kernel for this app alone: no service baseline
	 * (kconfig-fragments/services.config), the smallest, built for it */
	int own_kernel;
	/* more packages, comma separated (NULL: none): staged with the app,
	 * their files in the image, their oneshot units run before it */
	const char *add;
};

/* 0 ok; -ETIMEDOUT when an image did not boot or serve (exit code 3). */
int build_run(struct tx_ctx *ctx, const struct build_opts *o);

#endif
