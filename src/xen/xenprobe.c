/* The Xen probe's preparation; see xenprobe.h. The run itself is the boot
 * probe's (probe.c), with the guest timed from the xl create line. */
#include "xen/xenprobe.h"
#include "image/cpio.h"
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

/* The start of key's value on its own line (`key = ...`), else NULL. */
static const char *cfg_value(const char *text, const char *key)
{
	size_t kl = strlen(key);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *p = l;
		while (*p == ' ' || *p == '\t')
			p++;
		if (strncmp(p, key, kl))
			continue;
		p += kl;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p != '=')
			continue;
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		return p;
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
	p++;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	return quoted(p);
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

static int add_file(struct tx_ctx *ctx, struct manifest *m, const char *in, const char *src)
{
	struct stat st;

	if (stat(src, &st) < 0 || !S_ISREG(st.st_mode))
		return tx_fail(ctx, -ENOENT, STAGE, "no file '%s'", src);
	manifest_add(m, &(struct ment){.type = ME_FILE,
				       .path = (char *)in,
				       .src = (char *)src,
				       .mode = 0644,
				       .size = st.st_size,
				       .reason = "guest"});
	return 0;
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
	char *args = xasprintf("%s/xl-args", x->tmp), *in = xasprintf("/guest/%s", x->cfg);
	char *type = NULL;
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
	if (vif)
		sbuf_printf(&a, "vif=['mac=%s,%s']\n", NETNS_GUEST_MAC, vif);
	if (o->memory_mb > 0) /* --memory: the guest's, as for the other probes */
		sbuf_printf(&a, "memory=%d\n", o->memory_mb);
	r = write_file_atomic(args, a.s, a.len, 0644);
	if (r < 0) {
		r = tx_fail(ctx, r, STAGE, "cannot write '%s'", args);
		goto out;
	}
	manifest_add(
	    &m, &(struct ment){.type = ME_DIR, .path = "/guest", .mode = 0755, .reason = "guest"});
	r = add_file(ctx, &m, in, cfgp);
	if (r == 0)
		r = add_file(ctx, &m, "/guest/xl-args", args);
	/* the files the image.conf names; a config naming another file gets
	 * xl's own error for it */
	if (r == 0) {
		char *k = xasprintf("/guest/%s", c->kernel), *i = xasprintf("/guest/%s", c->initrd);
		r = add_file(ctx, &m, k, kp);
		if (r == 0)
			r = add_file(ctx, &m, i, ip);
		free(k);
		free(i);
	}
	if (r == 0) {
		manifest_sort(&m);
		r = cpio_write(ctx, &m, out, "none", 1);
	}
out:
	manifest_free(&m);
	sbuf_free(&a);
	free(cfgp), free(text), free(cmd), free(vif), free(kp), free(ip), free(args), free(in);
	free(type);
	return r;
}

int xenprobe_prepare(struct tx_ctx *ctx, const struct probe_opts *o, const struct imgconf *c,
		     struct xenprobe *x, struct strv *argv)
{
	char *gcpio = NULL, *initrd = NULL;
	int r;

	memset(x, 0, sizeof(*x));
	x->cfg = pick_cfg(ctx, o);
	if (!x->cfg)
		return -ENOENT;
	if (strchr(x->cfg, '/') || x->cfg[0] == '.')
		return tx_fail(ctx, -EINVAL, STAGE, "xl config must be a file name in the dir '%s'",
			       x->cfg);
	r = xenkit_get(ctx, &x->kit);
	if (r < 0)
		return r;
	{
		char tmpl[] = "/tmp/tinyx-xenprobe.XXXXXX";
		const char *td = getenv("TMPDIR");
		char *t = td && *td ? xasprintf("%s/tinyx-xenprobe.XXXXXX", td) : xstrdup(tmpl);
		if (!mkdtemp(t)) {
			r = tx_fail(ctx, -errno, STAGE, "cannot make a temp dir '%s'", t);
			free(t);
			return r;
		}
		x->tmp = t;
	}
	gcpio = xasprintf("%s/guest.cpio", x->tmp);
	initrd = xasprintf("%s/dom0-initrd", x->tmp);
	r = guest_cpio(ctx, o, c, x, gcpio);
	if (r == 0)
		r = cat_files(ctx, gcpio, x->kit.dom0_initrd, initrd);
	if (r < 0)
		goto out;
	unlink(gcpio);

	strv_push(argv, o->qemu && *o->qemu ? o->qemu : "qemu-system-x86_64");
	strv_push(argv, "-M");
	strv_push(argv, "pc");
	strv_push(argv, "-accel");
	strv_push(argv, "tcg");
	/* measured: with SMAP emulated dom0 dies in create_bounce_frame, and
	 * PVH/HVM guests die on RDTSCP under nested TCG */
	strv_push(argv, "-cpu");
	strv_push(argv, "max,-smap,-rdtscp");
	strv_push(argv, "-m");
	strv_push(argv, "1024");
	strv_push(argv, "-smp");
	strv_push(argv, "2");
	strv_push(argv, "-nodefaults");
	strv_push(argv, "-no-user-config");
	strv_push(argv, "-display");
	strv_push(argv, "none");
	strv_push(argv, "-no-reboot");
	strv_push(argv, "-kernel");
	strv_push(argv, x->kit.xen);
	strv_push(argv, "-append");
	strv_push(argv, "console=com1 com1=115200,8n1 dom0_mem=256M,max:256M dom0_max_vcpus=1 "
			"bootscrub=0 noreboot");
	/* multiboot modules, comma separated: the dom0 kernel with its command
	 * line, then its initrd */
	strv_push_own(argv, xstrdup("-initrd"));
	strv_push_own(argv, xasprintf("%s console=hvc0 quiet,%s", x->kit.dom0_kernel, initrd));
	strv_push(argv, "-chardev");
	strv_push(argv, "stdio,id=c0,signal=off");
	strv_push(argv, "-serial");
	strv_push(argv, "chardev:c0");
	strv_push(argv, "-netdev");
	strv_push(argv, "tap,id=n0,fd=3");
	strv_push(argv, "-device");
	strv_push(argv, "virtio-net-pci,netdev=n0,mac=" XENPROBE_DOM0_MAC);
out:
	free(gcpio);
	free(initrd);
	return r;
}

void xenprobe_cleanup(struct xenprobe *x)
{
	if (!x)
		return;
	if (x->tmp)
		rm_rf(x->tmp);
	free(x->tmp);
	free(x->cfg);
	xenkit_free(&x->kit);
	memset(x, 0, sizeof(*x));
}
