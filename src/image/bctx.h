/* The state of one `tinyx build` run, shared by build.c (the steps),
 * image-files.c (the image dirs) and image-report.c (build.json, summary). */
#ifndef TINYX_BCTX_H
#define TINYX_BCTX_H

#include "formats/appspec.h"
#include "formats/manifest.h"
#include "image/build.h"
#include "image/target.h"
#include "probe/probe.h"

#define BUILD_TIMINGS 16

struct timing {
	char name[32];
	double ms;
};

/* The target's bootable disk files (image/disk.h): [0] qcow2, [1] raw */
struct boot_disk_res {
	char name[2][272];
	char sha[2][65];
	long long bytes[2];
	int uefi;
	long long fat_bytes;
};

struct target_res {
	const struct image_target *t;
	struct kernel_out k;
	long long kernel_bytes;
	char kernel_sha[65];
	int verified;
	struct probe_result pr;
	struct boot_disk_res disk; /* names empty: none */
};

struct bctx {
	struct tx_ctx *ctx;
	const struct build_opts *o;
	char *root, *tmp, *final, *work;
	char *ovl; /* the overlays' mount over the staged root, or NULL */
	struct manifest m;
	struct app_spec spec;
	char service[8];
	int port;
	struct timing t[BUILD_TIMINGS];
	int nt;
	struct target_res *tr;
	int ntr;
	long long epoch;
	int trace_cached;	 /* the trace boot's paths came from the cache */
	long long trace_used_kb; /* memory in use on the trace boot once it served; -1 */
	struct strv traced;	 /* the manifest's opened-at-runtime paths */
	struct strv add;	 /* --add\'s packages */
	char initrd_sha[65], disk_sha[65];
	long long initrd_bytes, disk_bytes;
};

/* Record the time since t0 (now_ms) under NAME (printf-style). */
void build_timed(struct bctx *b, double t0, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* WORK/initrd and WORK/rootfs.squashfs from the manifest (sorted here). */
int image_rootfs(struct bctx *b);
/* TMP/manifest.txt: the manifest as published. */
int image_manifest(struct bctx *b);
/* TMP/NAME/: kernel, initrd, disk, image.conf, launch files. */
int image_target_dir(struct bctx *b, struct target_res *t);

/* build.json's text. */
void image_report_json(const struct bctx *b, struct sbuf *s);
/* The table on stdout. */
void image_report_summary(const struct bctx *b);

#endif
