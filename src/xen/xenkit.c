/* The Xen kit (see xenkit.h): hypervisor and dom0 kernel from Debian
 * packages, and a dom0 image built by tinyx itself. */
#include "xen/xenkit.h"
#include "closure/closure.h"
#include "image/cpio.h"
#include "formats/dpkg.h"
#include "formats/manifest.h"
#include "image/rootfs.h"
#include "stage/stage.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE "xenkit"

/* The dom0 modules and why each is there (their dependencies come from
 * modules.dep). Everything else the dom0 needs is built into Debian's kernel. */
static const char *const dom0_modules[] = {
    "xen-evtchn",   /* /dev/xen/evtchn: xenstored, xenconsoled, libxl */
    "xenfs",	    /* /proc/xen: xen-init-dom0 and the tools look there */
    "xen-gntdev",   /* /dev/xen/gntdev: xenconsoled maps guest consoles */
    "xen-gntalloc", /* /dev/xen/gntalloc: libxl's grant allocation */
    "xen-privcmd",  /* /dev/xen/privcmd: every hypercall of the tools */
    "xen-netback",  /* the backend of the guests' vifs */
    "bridge",	    /* xenbr0: the vifs and the NIC on one segment */
    "virtio_pci",   /* the QEMU NIC of the dom0 ... */
    "virtio_net",   /* ... and its driver */
    NULL};

static int same_mod_name(const char *path, const char *name)
{
	const char *b = path_basename(path);
	size_t n = strlen(name);

	if (strlen(b) != n + 3 || strcmp(b + n, ".ko"))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char x = b[i] == '-' ? '_' : b[i], y = name[i] == '-' ? '_' : name[i];
		if (x != y)
			return 0;
	}
	return 1;
}

struct modline {
	char *path;
	struct strv deps;
	int state; /* 0 new, 1 visiting, 2 done */
};

static int visit(struct tx_ctx *ctx, struct modline *ml, size_t n, size_t i, struct strv *out,
		 int depth)
{
	if (ml[i].state == 2)
		return 0;
	if (ml[i].state == 1 || depth > 64)
		return tx_fail(ctx, -EINVAL, STAGE, "module dependency loop at '%s'", ml[i].path);
	ml[i].state = 1;
	/* modprobe loads a module's dependencies from the end of its list */
	for (size_t d = ml[i].deps.n; d-- > 0;) {
		size_t j;
		for (j = 0; j < n; j++)
			if (!strcmp(ml[j].path, ml[i].deps.v[d]))
				break;
		if (j == n)
			return tx_fail(ctx, -ENOENT, STAGE,
				       "module '%s' needs '%s', not in modules.dep", ml[i].path,
				       ml[i].deps.v[d]);
		int r = visit(ctx, ml, n, j, out, depth + 1);
		if (r < 0)
			return r;
	}
	ml[i].state = 2;
	strv_push(out, ml[i].path);
	return 0;
}

int xenkit_module_order(struct tx_ctx *ctx, const char *dep_text, const char *const *wanted,
			struct strv *out)
{
	struct modline *ml = NULL;
	size_t n = 0;
	char *text = xstrdup(dep_text), *sl, *tok, *save;
	int r = 0;

	for (char *l = strtok_r(text, "\n", &sl); l; l = strtok_r(NULL, "\n", &sl)) {
		char *colon = strchr(l, ':');

		if (!colon || colon == l) {
			r = tx_fail(ctx, -EINVAL, STAGE, "malformed modules.dep line '%.60s'", l);
			goto out;
		}
		*colon = 0;
		ml = xrealloc(ml, (n + 1) * sizeof(*ml));
		ml[n] = (struct modline){.path = l};
		for (tok = strtok_r(colon + 1, " \t", &save); tok;
		     tok = strtok_r(NULL, " \t", &save))
			strv_push(&ml[n].deps, tok);
		n++;
	}
	for (size_t w = 0; wanted[w] && r == 0; w++) {
		size_t i;
		for (i = 0; i < n; i++)
			if (same_mod_name(ml[i].path, wanted[w]))
				break;
		if (i == n) {
			r = tx_fail(ctx, -ENOENT, STAGE, "no module '%s' in modules.dep",
				    wanted[w]);
			break;
		}
		r = visit(ctx, ml, n, i, out, 0);
	}
out:
	for (size_t i = 0; i < n; i++)
		strv_free(&ml[i].deps);
	free(ml);
	free(text);
	return r;
}

/* "Version:" (or the first name of "Depends:") of the candidate of pkg, in
 * *out when not NULL. */
static int apt_field(struct tx_ctx *ctx, const char *pkg, const char *field, char **out)
{
	char *argv[] = {"apt-cache", "show", "--no-all-versions", (char *)pkg, NULL};
	char *text = NULL, *p, *v = NULL;
	size_t fl = strlen(field);
	int r = run_capture_q(ctx, argv, &text, 1 << 22, 1);

	if (r != 0 || !text || !*text) {
		free(text);
		return tx_fail(ctx, -ENOENT, STAGE,
			       "no package '%s' in the apt index (maybe run apt-get update, or "
			       "enable bookworm main in the apt sources)",
			       pkg);
	}
	for (p = text; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncmp(p, field, fl) && p[fl] == ':') {
			p += fl + 1 + strspn(p + fl + 1, " ");
			v = xstrndup(p, strcspn(p, " ,(\n"));
			break;
		}
	free(text);
	if (!v || !*v) {
		free(v);
		return tx_fail(ctx, -EINVAL, STAGE, "no %s for package '%s'", field, pkg);
	}
	if (out)
		*out = v;
	else
		free(v);
	return 0;
}

static int copy_to(struct tx_ctx *ctx, const char *from, const char *to)
{
	int r = copy_file(from, to, 0644);

	return r < 0 ? tx_fail(ctx, r, STAGE, "cannot copy '%s'", from) : 0;
}

/* Download the packages into tmp (dl: env -C TMP apt-get download ...) and
 * unpack them into x. */
static int unpack_debs(struct tx_ctx *ctx, const char *tmp, const char *x, char *const dl[])
{
	DIR *d;
	struct dirent *de;
	int r;

	tx_info(ctx, "xenkit: downloading %s, %s", dl[6], dl[7]);
	if (run_cmd(ctx, dl, NULL, 1) != 0)
		return tx_fail(ctx, -EIO, STAGE, "apt-get download failed for '%s %s'", dl[6],
			       dl[7]);
	d = opendir(tmp);
	r = d ? 0 : -errno;
	while (d && (de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".deb"))
			continue;
		char *p = xasprintf("%s/%s", tmp, de->d_name);
		char *argv[] = {"dpkg-deb", "-x", p, (char *)x, NULL};
		if (run_cmd(ctx, argv, NULL, 1) != 0)
			r = tx_fail(ctx, -EIO, STAGE, "cannot unpack '%s'", de->d_name);
		else
			unlink(p);
		free(p);
		if (r < 0)
			break;
	}
	if (d)
		closedir(d);
	return r;
}

/* tmp/modules/ and tmp/modules.list: the dom0's modules from the kernel
 * package unpacked in x, each after its dependencies. */
static int kit_modules(struct tx_ctx *ctx, const char *tmp, const char *x, const char *kver)
{
	char *argv[] = {"depmod", "-b", (char *)x, (char *)kver, NULL};
	char *p = xasprintf("%s/lib/modules/%s/modules.dep", x, kver), *text = NULL;
	struct strv order = {0};
	struct sbuf list = {0};
	int r;

	/* the package ships no modules.dep: depmod writes it at install */
	if (run_cmd(ctx, argv, NULL, 1) != 0)
		r = tx_fail(ctx, -EIO, STAGE, "depmod failed for '%s'", kver);
	else if ((r = read_file(p, &text, NULL, 1 << 24)) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot read '%s'", p);
	else
		r = xenkit_module_order(ctx, text, dom0_modules, &order);
	free(p);
	p = xasprintf("%s/modules", tmp);
	mkdir_p(p, 0755);
	for (size_t i = 0; i < order.n && r == 0; i++) {
		char *from = xasprintf("%s/lib/modules/%s/%s", x, kver, order.v[i]);
		char *to = xasprintf("%s/modules/%s", tmp, path_basename(order.v[i]));
		r = copy_to(ctx, from, to);
		sbuf_printf(&list, "%s\n", path_basename(order.v[i]));
		free(from);
		free(to);
	}
	free(p);
	p = xasprintf("%s/modules.list", tmp);
	if (r == 0 && (r = write_file_atomic(p, list.s, list.len, 0644)) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot write '%s'", p);
	strv_free(&order);
	sbuf_free(&list);
	free(p);
	free(text);
	return r;
}

/* Download and unpack the packages into tmp, keep what the kit needs. */
static int build_kit(struct tx_ctx *ctx, const char *tmp, const char *hyp_ver, const char *kpkg)
{
	char *x = xasprintf("%s/x", tmp), *p = NULL, *to = NULL;
	char *hyp = xasprintf("%s=%s", XENKIT_HYP_PKG, hyp_ver);
	char *dl[] = {"env", "-C", (char *)tmp,	 "apt-get", "download",
		      "-q",  hyp,  (char *)kpkg, NULL};
	const char *kver = kpkg + strlen("linux-image-");
	int r;

	mkdir_p(x, 0755);
	r = unpack_debs(ctx, tmp, x, dl);
	if (r < 0)
		goto out;
	/* the hypervisor: gunzipped, QEMU's multiboot loader reads it as is */
	p = xasprintf("%s/boot/xen-4.17-amd64.gz", x);
	to = xasprintf("%s/xen", tmp);
	if (run_cmd(ctx, (char *[]){"gzip", "-dc", p, NULL}, to, 1) != 0)
		r = tx_fail(ctx, -EIO, STAGE, "cannot unpack '%s'", p);
	free(p), free(to);
	p = xasprintf("%s/boot/vmlinuz-%s", x, kver);
	to = xasprintf("%s/vmlinuz", tmp);
	if (r == 0)
		r = copy_to(ctx, p, to);
	if (r == 0)
		r = kit_modules(ctx, tmp, x, kver);
out:
	rm_rf(x);
	free(x), free(p), free(to), free(hyp);
	return r;
}

static int root_version(struct tx_ctx *ctx, const char *root, const char *pkg, char **out)
{
	struct dpkg_db db = {0};
	struct dpkg_pkg *p;

	*out = dpkg_load(ctx, root, &db) == 0 && (p = dpkg_find(&db, pkg)) && p->version
		   ? xstrdup(p->version)
		   : NULL;
	dpkg_free(&db);
	if (!*out)
		return tx_fail(ctx, -ENOENT, STAGE, "no '%s' installed in the staged root '%s'",
			       pkg, root);
	return 0;
}

/* Every regular file under dir (path, contents, mode) into s, in name order. */
static void hash_tree(struct sha256 *s, const char *dir, int depth)
{
	struct dirent **ents = NULL;
	int n = depth > 32 ? -1 : scandir(dir, &ents, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *p = xasprintf("%s/%s", dir, name), hex[65];
		struct stat st;

		if (strcmp(name, ".") && strcmp(name, "..") && lstat(p, &st) == 0) {
			sha256_update(s, p, strlen(p) + 1);
			sha256_update(s, &st.st_mode, sizeof(st.st_mode));
			if (S_ISDIR(st.st_mode))
				hash_tree(s, p, depth + 1);
			else if (S_ISREG(st.st_mode) && sha256_file(p, hex) == 0)
				sha256_update(s, hex, 64);
		}
		free(p);
		free(ents[i]);
	}
	free(ents);
}

/* The modules of the kit's list into m, and /etc/tinyx/dom0.conf (written
 * to conf): those modules in load order, then the dom0's daemons. */
static int dom0_role(struct tx_ctx *ctx, struct manifest *m, const char *kit, char *list,
		     char *conf)
{
	struct sbuf c = {0};
	char *save;
	int r = 0;

	sbuf_printf(&c,
		    "# the dom0 role of tinyx-init (src/guest/dom0.c), written by the Xen kit\n"
		    "# modules in load order (modules.dep of %s)\n",
		    XENKIT_KERNEL_PKG);
	manifest_add(
	    m, &(struct ment){
		   .type = ME_DIR, .path = "/usr/lib/modules", .mode = 0755, .reason = "xenkit"});
	for (char *l = strtok_r(list, "\n", &save); l && r == 0; l = strtok_r(NULL, "\n", &save)) {
		char *in = xasprintf("/usr/lib/modules/%s", l);
		char *src = xasprintf("%s/modules/%s", kit, l);
		struct stat st;

		if (stat(src, &st) < 0)
			r = tx_fail(ctx, -ENOENT, STAGE, "no module '%s' in the kit", src);
		else
			manifest_add(m, &(struct ment){.type = ME_FILE,
						       .path = in,
						       .src = src,
						       .mode = 0644,
						       .size = st.st_size,
						       .reason = "xenkit: dom0 module"});
		sbuf_printf(&c, "module %s\n", in);
		free(in), free(src);
	}
	/* the daemons of Debian's xen-utils units, in their order:
	 * xenstored.service, xen-init-dom0.service, xenconsoled.service */
	sbuf_puts(&c, "mount xenfs /proc/xen\n"
		      "mkdir /var/run/xenstored\n"
		      "mkdir /var/run/xen\n"
		      "mkdir /var/lib/xen\n"
		      "mkdir /var/lib/xenstored\n"
		      "mkdir /var/log/xen\n"
		      "mkdir /run/lock\n"
		      "mkdir /var/lock\n"
		      "start /usr/lib/xen-4.17/bin/xenstored --no-fork\n"
		      "wait /var/run/xenstored/socket 30\n"
		      "run /usr/lib/xen-4.17/bin/xen-init-dom0\n"
		      "bridge xenbr0 eth0\n"
		      "xl /usr/lib/xen-4.17/bin/xl\n");
	if (r == 0 && (r = write_file_atomic(conf, c.s, c.len, 0644)) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot write '%s'", conf);
	if (r == 0)
		manifest_add(m, &(struct ment){.type = ME_FILE,
					       .path = "/etc/tinyx/dom0.conf",
					       .src = conf,
					       .mode = 0644,
					       .size = (long long)c.len,
					       .reason = "xenkit: the dom0 role"});
	sbuf_free(&c);
	return r;
}

/* The dom0 image: the closure of the Xen tools, the init, the modules, and
 * the dom0 role's configuration. */
static int build_dom0(struct tx_ctx *ctx, const char *root, const char *kit, const char *tmp)
{
	struct manifest m;
	struct app_spec spec = {0};
	char *init = xasprintf("%s/build/tinyx-init", ctx->srcdir);
	/* with BusyBox: the vif hotplug script is a BusyBox sh script */
	struct rootfs_opts ro = {
	    .init = init, .spec = &spec, .with_busybox = 1, .workdir = tmp, .hostname = "dom0"};
	char *listp = xasprintf("%s/modules.list", kit), *list = NULL;
	char *gen = xasprintf("%s/gen", tmp), *conf = xasprintf("%s/gen/dom0.conf", tmp);
	char *out = xasprintf("%s/dom0-initrd", tmp), *rg = xasprintf("%s/rootfs-gen", tmp);
	int r;

	manifest_init(&m, XENKIT_TOOLS_PKG, root);
	mkdir_p(gen, 0755);
	r = closure_build(ctx, XENKIT_TOOLS_PKG, root, ctx->srcdir, &m, &spec);
	if (r == 0)
		r = rootfs_assemble(ctx, &m, &ro);
	if (r == 0 && (r = read_file(listp, &list, NULL, 1 << 20)) < 0)
		r = tx_fail(ctx, r, STAGE, "cannot read '%s'", listp);
	if (r == 0)
		r = dom0_role(ctx, &m, kit, list, conf);
	if (r == 0) {
		manifest_sort(&m);
		r = cpio_write(ctx, &m, out, "lz4", 1);
	}
	if (r == 0) { /* only the initrd stays in the cache */
		rm_rf(gen);
		rm_rf(rg);
	}
	manifest_free(&m);
	appspec_free(&spec);
	free(init), free(listp), free(list), free(gen), free(conf), free(out), free(rg);
	return r;
}

struct kit_args {
	const char *hyp_ver, *kpkg, *root, *kit;
};

static int kit_fn(struct tx_ctx *ctx, const char *tmp, void *a)
{
	const struct kit_args *k = a;
	return build_kit(ctx, tmp, k->hyp_ver, k->kpkg);
}

static int dom0_fn(struct tx_ctx *ctx, const char *tmp, void *a)
{
	const struct kit_args *k = a;
	return build_dom0(ctx, k->root, k->kit, tmp);
}

int xenkit_get(struct tx_ctx *ctx, struct xenkit *k)
{
	struct stage_opts so = {0};
	char *root = NULL, *tools_ver = NULL, *kpkg = NULL, *kver = NULL, *kitdir = NULL;
	char *dom0dir = NULL, *base = xasprintf("%s/xen", ctx->cache), hex[65];
	char *init = xasprintf("%s/build/tinyx-init", ctx->srcdir);
	char *o1 = xasprintf("%s/rootfs-overlays/common", ctx->srcdir);
	char *o2 = xasprintf("%s/rootfs-overlays/%s", ctx->srcdir, XENKIT_TOOLS_PKG);
	struct sha256 s;
	struct kit_args ka = {0};
	int r;

	memset(k, 0, sizeof(*k));
	/* fail early and clearly when the index lacks a package */
	r = apt_field(ctx, XENKIT_HYP_PKG, "Version", NULL);
	if (r == 0)
		r = apt_field(ctx, XENKIT_TOOLS_PKG, "Version", NULL);
	if (r == 0)
		r = apt_field(ctx, XENKIT_KERNEL_PKG, "Depends", &kpkg);
	if (r == 0)
		r = apt_field(ctx, kpkg, "Version", &kver);
	if (r == 0)
		r = stage_root(ctx, XENKIT_TOOLS_PKG, &so, &root);
	if (r == 0)
		r = root_version(ctx, root, XENKIT_TOOLS_PKG, &tools_ver);
	if (r < 0)
		goto out;
	sha256_init(&s);
	sha256_update(&s, tools_ver, strlen(tools_ver) + 1);
	sha256_update(&s, kpkg, strlen(kpkg) + 1);
	sha256_update(&s, kver, strlen(kver) + 1);
	sha256_update(&s, "kit-1", 6);
	sha256_hex(&s, hex);
	kitdir = xasprintf("%s/kit-%.16s", base, hex);
	ka = (struct kit_args){tools_ver, kpkg, root, kitdir};
	r = tx_cache_get(ctx, &(struct tx_cache_entry){kitdir, NULL, STAGE, "kit", kit_fn, &ka});
	if (r < 0)
		goto out;

	sha256_init(&s);
	sha256_update(&s, kitdir, strlen(kitdir) + 1);
	sha256_update(&s, root, strlen(root) + 1);
	if (sha256_file(init, hex) < 0) {
		r = tx_fail(ctx, -ENOENT, STAGE, "no guest init '%s' (maybe run make)", init);
		goto out;
	}
	sha256_update(&s, hex, 64);
	hash_tree(&s, o1, 0);
	hash_tree(&s, o2, 0);
	sha256_update(&s, "dom0-4", 7); /* bump when build_dom0() changes */
	sha256_hex(&s, hex);
	dom0dir = xasprintf("%s/dom0-%.16s", base, hex);
	r = tx_cache_get(
	    ctx, &(struct tx_cache_entry){dom0dir, NULL, STAGE, "dom0 image", dom0_fn, &ka});
	if (r < 0)
		goto out;
	r = 0;
	k->xen = xasprintf("%s/xen", kitdir);
	k->dom0_kernel = xasprintf("%s/vmlinuz", kitdir);
	k->dom0_initrd = xasprintf("%s/dom0-initrd", dom0dir);
	k->versions = xasprintf("%s %s, %s %s", XENKIT_HYP_PKG, tools_ver, kpkg, kver);
out:
	free(root), free(tools_ver), free(kpkg), free(kver), free(kitdir), free(dom0dir);
	free(base), free(init), free(o1), free(o2);
	return r;
}

void xenkit_free(struct xenkit *k)
{
	if (!k)
		return;
	free(k->xen), free(k->dom0_kernel), free(k->dom0_initrd), free(k->versions);
	memset(k, 0, sizeof(*k));
}
