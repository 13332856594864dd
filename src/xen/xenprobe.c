/* The Xen probe's backend; see xenprobe.h. The run itself is the boot
 * probe's (probe/run.c), with the guest timed from the xl create line. */
#include "xen/xenprobe.h"
#include "image/cpio.h"
#include "image/qemu.h"
#include "formats/manifest.h"
#include "probe/netns.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE "probe"

struct xenprobe {
	struct xenkit kit;
	char *tmp;	    /* per-probe dir: the dom0 initrd with the guest */
	char *cfg;	    /* the xl config's file name in the image dir */
	char guest_type[8]; /* the config's type: "pvh", "pv" or "hvm" */
	/* the current run */
	double t_mark;	  /* when the xl create line came, else -1 */
	int xl_failed;	  /* xl exited before the guest served */
	char xl_err[200]; /* xl's first error line */
};

/* The start of key's value on its own line (`key = ...`), else NULL. */
static const char *cfg_value(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *p = l + strspn(l, " \t");

		if (strncmp(p, key, kl))
			continue;
		p += kl + strspn(p + kl, " \t");
		if (*p == '=')
			return p + 1 + strspn(p + 1, " \t");
	}
	return NULL;
}

static char *quoted(const char *p)
{
	char q = *p;
	const char *e;

	if (q != '"' && q != '\'')
		return NULL;
	e = strchr(p + 1, q);
	if (!e || memchr(p + 1, '\n', (size_t)(e - p - 1)))
		return NULL;
	return xstrndup(p + 1, (size_t)(e - p - 1));
}

char *xenprobe_cfg_string(const char *text, const char *key)
{
	const char *p = cfg_value(text, key);
	return p ? quoted(p) : NULL;
}

char *xenprobe_cfg_first(const char *text, const char *key)
{
	const char *p = cfg_value(text, key);

	if (!p || *p != '[')
		return NULL;
	return quoted(p + 1 + strspn(p + 1, " \t\n"));
}

/* The xl config: o->xen_cfg, else the one config of the dir not ending in
 * -pv.cfg (the build writes APP.cfg and APP-pv.cfg). */
static char *pick_cfg(struct tx_ctx *ctx, const struct probe_opts *o)
{
	DIR *d;
	struct dirent *de;
	char *found = NULL;

	if (o->xen_cfg && *o->xen_cfg)
		return xstrdup(o->xen_cfg);
	d = opendir(o->dir);
	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l > 4 && !strcmp(de->d_name + l - 4, ".cfg") &&
		    !(l > 7 && !strcmp(de->d_name + l - 7, "-pv.cfg"))) {
			if (found) {
				free(found);
				found = NULL;
				tx_fail(ctx, -EINVAL, STAGE,
					"more than one xl config in '%s' (use --xen-cfg NAME)",
					o->dir);
				break;
			}
			found = xstrdup(de->d_name);
		}
	}
	if (d)
		closedir(d);
	if (!found && !strstr(ctx->err, "more than one"))
		tx_fail(ctx, -ENOENT, STAGE, "no xl config (*.cfg) in '%s'", o->dir);
	return found;
}

/* /guest/NAME, the file src. */
static int add_file(struct tx_ctx *ctx, struct manifest *m, const char *name, const char *src)
{
	char *in = xasprintf("/guest/%s", name);
	struct stat st;
	int r = 0;

	if (stat(src, &st) < 0 || !S_ISREG(st.st_mode))
		r = tx_fail(ctx, -ENOENT, STAGE, "no file '%s'", src);
	else
		manifest_add(m, &(struct ment){.type = ME_FILE,
					       .path = in,
					       .src = (char *)src,
					       .mode = 0644,
					       .size = st.st_size,
					       .reason = "guest"});
	free(in);
	return r;
}

static int cat_files(struct tx_ctx *ctx, const char *a, const char *b, const char *to)
{
	char *argv[] = {"cat", "--", (char *)a, (char *)b, NULL};

	if (run_cmd(ctx, argv, to, 1) != 0)
		return tx_fail(ctx, -EIO, STAGE, "cannot write '%s'", to);
	return 0;
}

/* /guest: the image's kernel and initrd, the config as is, and xl's
 * arguments (one a line: the config, then key=value overrides). */
static int guest_cpio(struct tx_ctx *ctx, const struct probe_opts *o, const struct imgconf *c,
		      struct xenprobe *x, const char *out)
{
	struct manifest m;
	char *cfgp = xasprintf("%s/%s", o->dir, x->cfg), *text = NULL, *cmd = NULL, *vif = NULL;
	char *kp = xasprintf("%s/%s", o->dir, c->kernel),
	     *ip = xasprintf("%s/%s", o->dir, c->initrd);
	char *args = xasprintf("%s/xl-args", x->tmp), *type = NULL;
	struct sbuf a = {0};
	int r;

	manifest_init(&m, "guest", "/");
	r = read_file(cfgp, &text, NULL, 1 << 20);
	if (r < 0) {
		r = tx_fail(ctx, r, STAGE, "cannot read the xl config '%s'", cfgp);
		goto out;
	}
	type = xenprobe_cfg_string(text, "type");
	snprintf(x->guest_type, sizeof(x->guest_type), "%s", type ? type : "pv");
	cmd = xenprobe_cfg_string(text, "cmdline");
	vif = xenprobe_cfg_first(text, "vif");
	if ((cmd && strpbrk(cmd, "\"\\")) || (vif && strpbrk(vif, "'\"\\"))) {
		r = tx_fail(ctx, -EINVAL, STAGE,
			    "quotes or backslashes in the cmdline or vif of '%s' (the probe adds "
			    "its network to them)",
			    cfgp);
		goto out;
	}
	sbuf_printf(&a, "%s\n", x->cfg);
	sbuf_printf(&a, "cmdline=\"%s%stinyx.ip=%s/%d tinyx.gw=%s\"\n", cmd ? cmd : "",
		    cmd && *cmd ? " " : "", NETNS_GUEST_ADDR, NETNS_PREFIX, NETNS_HOST_ADDR);
	/* ip=: in xenstore for a guest that takes its address from there
	 * (Mini-OS's netfront); a Linux guest reads tinyx.ip= instead */
	if (vif)
		sbuf_printf(&a, "vif=['mac=%s,ip=%s,%s']\n", NETNS_GUEST_MAC, NETNS_GUEST_ADDR,
			    vif);
	if (o->memory_mb > 0) /* --memory: the guest's, as for the other probes */
		sbuf_printf(&a, "memory=%d\n", o->memory_mb);
	r = write_file_atomic(args, a.s, a.len, 0644);
	if (r < 0) {
		r = tx_fail(ctx, r, STAGE, "cannot write '%s'", args);
		goto out;
	}
	manifest_add(
	    &m, &(struct ment){.type = ME_DIR, .path = "/guest", .mode = 0755, .reason = "guest"});
	r = add_file(ctx, &m, x->cfg, cfgp);
	if (r == 0)
		r = add_file(ctx, &m, "xl-args", args);
	/* the files the image.conf names; a config naming another file gets
	 * xl's own error for it */
	if (r == 0)
		r = add_file(ctx, &m, c->kernel, kp);
	if (r == 0 && path_exists(ip)) /* none for a unikernel; one the config
					* names but lacks gets xl's error */
		r = add_file(ctx, &m, c->initrd, ip);
	if (r == 0) {
		manifest_sort(&m);
		r = cpio_write(ctx, &m, out, "none", 1);
	}
out:
	manifest_free(&m);
	sbuf_free(&a);
	free(cfgp), free(text), free(cmd), free(vif), free(kp), free(ip), free(args), free(type);
	return r;
}

static void push_all(struct strv *argv, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		strv_push(argv, v[i]);
}

/* QEMU booting Xen (multiboot) with the dom0 kernel and initrd as modules. */
static void xen_argv(const struct probe_opts *o, const struct xenprobe *x, const char *initrd,
		     struct strv *argv)
{
	/* measured: with SMAP emulated dom0 dies in create_bounce_frame, and
	 * PVH/HVM guests die on RDTSCP under nested TCG */
	static const char *const head[] = {
	    "-M",	"pc",	"-accel",    "tcg", "-cpu",	   "max,-smap,-rdtscp",
	    "-m",	"1024", "-smp",	     "2",   "-nodefaults", "-no-user-config",
	    "-display", "none", "-no-reboot"};
	static const char *const tail[] = {
	    "-chardev", "stdio,id=c0,signal=off",
	    "-serial",	"chardev:c0",
	    "-netdev",	"tap,id=n0,fd=3",
	    "-device",	"virtio-net-pci,netdev=n0,mac=" XENPROBE_DOM0_MAC};

	strv_push(argv, o->qemu && *o->qemu ? o->qemu : QEMU_DEFAULT);
	push_all(argv, head, sizeof(head) / sizeof(head[0]));
	strv_push(argv, "-kernel");
	strv_push(argv, x->kit.xen);
	strv_push(argv, "-append");
	strv_push(argv, "console=com1 com1=115200,8n1 dom0_mem=256M,max:256M dom0_max_vcpus=1 "
			"bootscrub=0 noreboot");
	/* multiboot modules, comma separated: the dom0 kernel with its command
	 * line, then its initrd */
	strv_push(argv, "-initrd");
	strv_push_own(argv, xasprintf("%s console=hvc0 quiet,%s", x->kit.dom0_kernel, initrd));
	push_all(argv, tail, sizeof(tail) / sizeof(tail[0]));
}

static int make_tmp(struct tx_ctx *ctx, struct xenprobe *x)
{
	const char *td = getenv("TMPDIR");
	char *t = xasprintf("%s/tinyx-xenprobe.XXXXXX", td && *td ? td : "/tmp");

	if (!mkdtemp(t)) {
		int r = tx_fail(ctx, -errno, STAGE, "cannot make a temp dir '%s'", t);
		free(t);
		return r;
	}
	x->tmp = t;
	tx_tmp_register(t);
	return 0;
}

static void xen_cleanup(void *st)
{
	struct xenprobe *x = st;

	if (x->tmp) {
		rm_rf(x->tmp);
		tx_tmp_release(x->tmp);
	}
	free(x->tmp);
	free(x->cfg);
	xenkit_free(&x->kit);
	free(x);
}

static int xen_check(struct tx_ctx *ctx, const struct probe_opts *o)
{
	if (o->use_disk)
		return tx_fail(ctx, -EINVAL, STAGE,
			       "--disk does not apply to a guest under Xen '%s' (maybe --qemu)",
			       o->dir);
	return 0;
}

/* Get the kit, put the guest in front of the dom0 image, and fill argv with
 * the QEMU command. */
static int xen_prepare(struct tx_ctx *ctx, struct probe_opts *o, const struct imgconf *c,
		       struct probe_result *r, struct strv *argv, void **st)
{
	struct xenprobe *x = xcalloc(1, sizeof(*x));
	char *gcpio = NULL, *initrd = NULL;
	int rc = -ENOENT;

	x->t_mark = -1;
	x->cfg = pick_cfg(ctx, o);
	if (!x->cfg)
		goto out;
	rc = strchr(x->cfg, '/') || x->cfg[0] == '.'
		 ? tx_fail(ctx, -EINVAL, STAGE, "xl config must be a file name in the dir '%s'",
			   x->cfg)
		 : xenkit_get(ctx, &x->kit);
	if (rc == 0)
		rc = make_tmp(ctx, x);
	if (rc < 0)
		goto out;
	gcpio = xasprintf("%s/guest.cpio", x->tmp);
	initrd = xasprintf("%s/dom0-initrd", x->tmp);
	rc = guest_cpio(ctx, o, c, x, gcpio);
	if (rc == 0)
		rc = cat_files(ctx, gcpio, x->kit.dom0_initrd, initrd);
	if (rc < 0)
		goto out;
	unlink(gcpio);
	xen_argv(o, x, initrd, argv);
	r->xen_mode = 1;
	snprintf(r->machine, sizeof(r->machine), "xen-on-pc");
	snprintf(r->accel, sizeof(r->accel), "tcg");
	snprintf(r->xen_cfg, sizeof(r->xen_cfg), "%s", x->cfg);
	snprintf(r->xen_guest_type, sizeof(r->xen_guest_type), "%s", x->guest_type);
	snprintf(r->xen_kit, sizeof(r->xen_kit), "%s", x->kit.versions);
	if (o->timeout_s <= 0)
		o->timeout_s = XENPROBE_TIMEOUT_S;
out:
	free(gcpio);
	free(initrd);
	if (rc < 0)
		xen_cleanup(x);
	else
		*st = x;
	return rc;
}

/* The dom0's own boot comes first: its init markers are not the guest's. */
static unsigned xen_on_line(void *st, const char *l, int panicked, double now)
{
	struct xenprobe *x = st;

	if (x->t_mark < 0) {
		if (strstr(l, XENPROBE_MARK_CREATE))
			x->t_mark = now;
		return PB_LINE_SKIP;
	}
	if (!x->xl_err[0] && strstr(l, "error:"))
		snprintf(x->xl_err, sizeof(x->xl_err), "%.150s", l);
	if (!panicked && strstr(l, XENPROBE_MARK_EXITED)) {
		x->xl_failed = 1;
		return PB_LINE_DIED;
	}
	return 0;
}

static int xen_started(void *st)
{
	return ((struct xenprobe *)st)->t_mark >= 0;
}

static int xen_explain(void *st, char *why, size_t why_n, char *detail, size_t detail_n)
{
	struct xenprobe *x = st;

	if (!x->xl_failed)
		return 0;
	snprintf(why, why_n, "xl create failed in the dom0");
	snprintf(detail, detail_n, " (%.150s)", x->xl_err[0] ? x->xl_err : "xl exited");
	return 1;
}

/* Under Xen the guest's times count from the xl create line; QEMU start to
 * that line is the dom0's boot. The first console byte is the dom0's, and
 * the guest's cannot be told from xl's own output on the shared line. */
static void xen_finish(void *st, struct probe_run_rec *rec, double t0)
{
	struct xenprobe *x = st;
	double m = x->t_mark >= 0 ? x->t_mark - t0 : -1;
	double *v[] = {&rec->init, &rec->network, &rec->service, &rec->ready};

	rec->dom0 = m;
	rec->console = -1;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (*v[i] >= 0)
			*v[i] = m >= 0 && *v[i] >= m ? *v[i] - m : -1;
	x->t_mark = -1;
	x->xl_failed = 0;
	x->xl_err[0] = '\0';
}

const struct probe_backend xenprobe_backend = {.name = "xen",
					       .check = xen_check,
					       .prepare = xen_prepare,
					       .on_line = xen_on_line,
					       .guest_started = xen_started,
					       .explain = xen_explain,
					       .finish = xen_finish,
					       .cleanup = xen_cleanup};
