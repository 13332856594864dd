/* The comparison systems of tinyx compare: one row each. A system is a file
 * (its measure function, and prepare when it shares an image with others)
 * and a line in compare_systems[] (compare.c); the rows come in the table's
 * order and --only takes the table's names. */
#ifndef TINYX_COMPARE_SYSTEM_H
#define TINYX_COMPARE_SYSTEM_H

#include "compare/cmpimg.h"
#include "compare/compare.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* What the systems of one run share. */
struct compare_state {
	const struct compare_opts *o;
	struct compare_result *res;
	char *dir;  /* OUT/compare/APP: the Tinyx images */
	char *root; /* the staged root (app + iperf3), also the container's: made
		     * once, with the images, by the first prepare that needs it */
	/* what the Debian VM and the container are checked on (port 0: not
	 * known yet): cmpimg_peer_service */
	enum img_service svc;
	int port;
	char check[128]; /* what the first Tinyx row that served answered */
};

struct compare_system {
	const char *name; /* the row's name and its --only name */
	const char *what; /* how it runs */
	int is_vm;	  /* boots a kernel: its console and init are timed */
	/* before any row is measured; an error ends the run with no rows.
	 * NULL: nothing to prepare */
	int (*prepare)(struct tx_ctx *ctx, struct compare_state *st);
	/* --stage: only the Debian root it needs, staged (or found cached);
	 * NULL: none */
	int (*stage)(struct tx_ctx *ctx, const char *app);
	/* fill row (measured = 1 once it runs); 0 or -errno, row->note saying why */
	int (*measure)(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row);
	/* --forward: the same, the system made as the network function of the
	 * options and measured by what crosses it; NULL: it cannot forward */
	int (*forward)(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row);
};

extern const struct compare_system compare_systems[]; /* ends with a NULL name */

/* One VM row (measured = 1): the probe's runs with the extras, then the
 * smallest RAM that serves, by bisection from min_lo MB. */
struct compare_vm {
	const char *dir;
	int timeout_s;
	const char *init_marker; /* NULL: the Tinyx init's */
	int peer;		 /* no Tinyx init: checked on st->svc and st->port */
	int disk_initrd;	 /* the image's disk as root with its initrd (a distro's VM) */
	int real_xen;		 /* a PV guest under the real Xen (tinyx probe), not QEMU */
	int unikernel;		 /* no iperf3 client, no guest memory count in it */
	int min_lo;
};
int compare_vm_row(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row,
		   const struct compare_vm *vm);

/* The systems' functions, by file. */
int debvm_measure(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row);
int debvm_stage(struct tx_ctx *ctx, const char *app);
/* The root of app with extra packages, staged or found cached; says
 * "compare: WHAT ROOT". 0 or -errno. */
int compare_stage_root(struct tx_ctx *ctx, const char *app, const char *extra, const char *what);
int cmpimg_prepare(struct tx_ctx *ctx, struct compare_state *st);
int cmpimg_stage(struct tx_ctx *ctx, const char *app);
int cmpimg_measure(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row);
/* st->svc and st->port for the systems without the Tinyx init: the hinted
 * service, else what a Tinyx row answered (st->check), else what the
 * tinyx-kvm image answers on one boot. 0, or -errno with ctx->err. */
int cmpimg_peer_service(struct tx_ctx *ctx, struct compare_state *st);
int container_measure(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row);
/* --forward rows: the Tinyx image as `tinyx build APP --target kvm --nics N
 * ...` makes it, the Debian VM as `tinyx debian-vm` does, the container
 * (the staged root with --add's packages under the overlays, eth0 in the
 * client net and eth1 in the server net, the sysctls, CAP_NET_ADMIN). */
int cmpimg_forward(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row);
int debvm_forward(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row);
int container_forward(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row);
/* The net.* assignments of root's sysctl.d files (formats/sysctl.h) set in
 * the network namespace of the process netns_of; the others said and left
 * to the host. 0, or -errno naming the file, line and key. */
int ctr_sysctls(struct tx_ctx *ctx, const char *root, pid_t netns_of);
int minios_measure(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row);
int osv_measure(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row);
int unikraft_measure(struct tx_ctx *ctx, struct compare_state *st, struct compare_row *row);

/* The unikernels' sources (thirdparty.c). The dir: $TINYX_THIRD_PARTY, else
 * ../shared/third_party beside the project (owned). */
char *third_party_dir(const struct tx_ctx *ctx);
/* The first entry of dir (by name) that starts with prefix and is a .tar.xz
 * or a dir, as a path (owned); NULL: none. */
char *third_party_find(const char *dir, const char *prefix);
/* A source's hash: a tarball's bytes, a tree's as tar writes it (names
 * sorted, owners and times fixed); tmpdir holds that tar for a moment. */
int third_party_hash(struct tx_ctx *ctx, const char *src, const char *tmpdir, char out[65]);
/* The compiler's `gcc --version` first line, a cache key's part (owned);
 * -ENOENT naming what it builds when there is no gcc. */
int third_party_cc(struct tx_ctx *ctx, const char *what, char **cc);
/* A unikernel's build, its output line by line (tx_run_lines): every 20 s
 * "compare: NAME: N files compiled (T s)", counting kbuild-style CC, CXX and
 * AS lines. Zero it but ctx and name. */
struct third_party_progress {
	struct tx_ctx *ctx;
	const char *name; /* the row */
	unsigned files;	  /* compiled so far */
	double t0, said;  /* the build's start, the last line said (ms) */
};
void third_party_build_line(void *arg, const char *line);
/* The build of a row, cached: *cache = BASE/NAME-KEY (owned), filled by
 * fill(arg) unless it is whole (marker: tx_cache_get); *log =
 * BASE/NAME-KEY.log (owned), set before fill runs, for its output. 0 or
 * -errno. */
int third_party_cache(struct tx_ctx *ctx, const char *base, const char *name, const char *key,
		      const char *marker, const char *what,
		      int (*fill)(struct tx_ctx *, const char *, void *), void *arg, char **cache,
		      char **log);
/* out: the sha256 (hex) of text, a cache key. */
void third_party_key(const char *text, char out[65]);
/* Unpack the tarball src into dir, or copy the tree src there. 0 or -errno. */
int third_party_unpack(struct tx_ctx *ctx, const char *src, const char *dir);

#endif
