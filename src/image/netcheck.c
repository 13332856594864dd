/* The build's check of the image's network config and sysctls; see
 * netcheck.h. */
#include "image/netcheck.h"
#include "formats/ifaces.h"
#include "formats/manifest.h"
#include "formats/sysctl.h"
#include "kernel/kconfig.h"

#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#define STAGE "network"

/* Key prefixes (dotted; a prefix ending in '.' is a dir) and the option. */
static const struct {
	const char *prefix, *option;
} key_options[] = {
    {"net.ipv6.", "IPV6"},
    {"net.ipv4.", "INET"},
    {"net.core.", "NET"},
    {"net.unix.", "UNIX"},
    {"net.netfilter.", "NF_CONNTRACK"},
    {"net.nf_conntrack_max", "NF_CONNTRACK"},
    {"net.bridge.", "BRIDGE_NETFILTER"},
    {"net.mptcp.", "MPTCP"},
    {"kernel.shm", "SYSVIPC"},
    {"kernel.msg", "SYSVIPC"},
    {"kernel.sem", "SYSVIPC"},
    {"fs.inotify.", "INOTIFY_USER"},
    {"fs.mqueue.", "POSIX_MQUEUE"},
    {"kernel.unprivileged_bpf_disabled", "BPF_SYSCALL"},
};

/* The dirs of /proc/sys a kernel may have (sunrpc, crypto: with those
 * subsystems, which a Tinyx kernel leaves out) */
static const char *const tops[] = {"abi", "debug", "dev", "fs", "kernel", "net", "user", "vm"};

const char *netcheck_sysctl_option(const char *key)
{
	size_t top = strcspn(key, "."), i;

	for (i = 0; i < sizeof(tops) / sizeof(tops[0]); i++)
		if (strlen(tops[i]) == top && !strncmp(key, tops[i], top))
			break;
	if (i == sizeof(tops) / sizeof(tops[0]))
		return "-";
	for (i = 0; i < sizeof(key_options) / sizeof(key_options[0]); i++)
		if (!strncmp(key, key_options[i].prefix, strlen(key_options[i].prefix)))
			return key_options[i].option;
	return NULL;
}

int netcheck_ifname_ok(const char *name, int nics)
{
	char *end;
	long k;

	if (!strcmp(name, "lo"))
		return 1;
	if (strncmp(name, "eth", 3) || name[3] < '0' || name[3] > '9')
		return 0;
	k = strtol(name + 3, &end, 10);
	return !*end && (k == 0 || name[3] != '0') && k < nics;
}

/* The first kernel without option, or NULL. */
static const struct netcheck_kernel *lacking(const struct netcheck_kernel *k, int nk,
					     const char *option)
{
	for (int i = 0; i < nk; i++)
		if (!kconfig_is_on(k[i].config, k[i].len, option))
			return &k[i];
	return NULL;
}

struct ck {
	struct tx_ctx *ctx;
	const char *file; /* for messages: the host file */
	int nics;
	const struct netcheck_kernel *k;
	int nk;
	struct manifest *want; /* asking: add what the file needs as features */
	const char *path;      /* the file's path in the image */
};

/* The file needs option for what (a sysctl key, an interface): asking, a
 * feature of the manifest with that reason; checking, an error naming the
 * kernel that lacks it. */
static int need(struct ck *c, const char *option, const char *what, int line, const char *subject)
{
	const struct netcheck_kernel *no;
	char *why;

	if (c->want) {
		why = xasprintf("%s '%s'", what, subject);
		manifest_add_feature(c->want, option, why, c->path);
		free(why);
		return 0;
	}
	if (!(no = lacking(c->k, c->nk, option)))
		return 0;
	return tx_fail(c->ctx, -EINVAL, STAGE,
		       "%s needs CONFIG_%s, which the %s kernel lacks, at %s:%d '%s'", what, option,
		       no->target, c->file, line, subject);
}

/* 1 when i has IPv6 addresses, a gateway, routes or SLAAC (inet6 auto) */
static int uses_v6(const struct ifaces_if *i)
{
	int v6 = i->has_gw6 || i->inet6 == IFM_AUTO || i->inet6 == IFM_STATIC;

	for (int k = 0; k < i->nroute; k++)
		v6 |= i->route[k].v6;
	return v6;
}

static int check_if(struct ck *c, const struct ifaces_if *i)
{
	int line = i->line4 ? i->line4 : i->line6, v6uses = uses_v6(i), r;

	if (!netcheck_ifname_ok(i->name, c->nics))
		return tx_fail(c->ctx, -EINVAL, STAGE,
			       "interface the image does not have (--nics %d: lo, eth0..eth%d) "
			       "at %s:%d '%s'",
			       c->nics, c->nics - 1, c->file, line, i->name);
	if (v6uses && (r = need(c, "IPV6", "inet6", i->line6 ? i->line6 : line, i->name)))
		return r;
	if (i->inet != IFM_NONE && (r = need(c, "INET", "inet", i->line4, i->name)))
		return r;
	return 0;
}

static int check_ifaces(struct ck *c, const char *text, size_t len)
{
	struct ifaces *f = xcalloc(1, sizeof(*f));
	struct ifaces_error e;
	int r = 0;

	if (ifaces_parse(text, len, f, &e) < 0)
		r = tx_fail(c->ctx, -EINVAL, STAGE, "%s at %s:%d '%s'", e.problem, c->file, e.line,
			    e.word);
	for (int i = 0; r == 0 && i < f->n; i++)
		r = check_if(c, &f->ifs[i]);
	free(f);
	return r;
}

/* net.ipv4.conf.IF.x and net.ipv6.conf.IF.x: IF lo, all, default or a NIC */
static int conf_if_ok(const char *key, int nics)
{
	const char *p = !strncmp(key, "net.ipv4.conf.", 14)   ? key + 14
			: !strncmp(key, "net.ipv6.conf.", 14) ? key + 14
							      : NULL;
	char name[64];
	size_t n;

	if (!p)
		return 1;
	n = strcspn(p, ".");
	if (n >= sizeof(name))
		return 0;
	memcpy(name, p, n);
	name[n] = 0;
	return !strcmp(name, "all") || !strcmp(name, "default") || netcheck_ifname_ok(name, nics);
}

/* 1 when the item turns packet forwarding on: net.ipv4.ip_forward,
 * net.ipv4.conf.IF.forwarding or net.ipv6.conf.IF.forwarding, not 0 */
static int forwards(const struct sysctl_item *it)
{
	const char *k = it->key, *dot = strrchr(k, '.');
	size_t n = it->vlen;

	while (n && (it->val[n - 1] == ' ' || it->val[n - 1] == '\t'))
		n--;
	if (!n || (n == 1 && it->val[0] == '0'))
		return 0;
	return !strcmp(k, "net.ipv4.ip_forward") ||
	       ((!strncmp(k, "net.ipv4.conf.", 14) || !strncmp(k, "net.ipv6.conf.", 14)) && dot &&
		!strcmp(dot, ".forwarding"));
}

static int check_key(void *arg, const struct sysctl_item *it)
{
	struct ck *c = arg;
	const char *opt = netcheck_sysctl_option(it->key);
	int r;

	if (it->ignore_fail)
		return 0;
	/* no /proc/sys at all without it (the trimmed kernels leave it out) */
	if ((r = need(c, "PROC_SYSCTL", "sysctl key", it->line, it->key)))
		return r;
	if (opt && !strcmp(opt, "-"))
		return tx_fail(c->ctx, -EINVAL, STAGE,
			       "no such sysctl dir in a Tinyx kernel at %s:%d '%s'", c->file,
			       it->line, it->key);
	if (opt && (r = need(c, opt, "sysctl key", it->line, it->key)))
		return r;
	if (!conf_if_ok(it->key, c->nics))
		return tx_fail(c->ctx, -EINVAL, STAGE,
			       "sysctl key names an interface the image does not have (--nics %d) "
			       "at %s:%d '%s'",
			       c->nics, c->file, it->line, it->key);
	/* a kernel that forwards every packet is compiled for speed (-O2, not
	 * allnoconfig's -Os) with SLUB's fast paths for the packet buffers
	 * (not SLOB): the firewall of bench/vnf.sh forwarded 0.8x the Debian
	 * VM's throughput with -Os (README, network functions). Speed, not
	 * a need: asked for, never an error when a kernel lacks it */
	if (c->want && forwards(it) &&
	    ((r = need(c, "CC_OPTIMIZE_FOR_PERFORMANCE", "packet forwarding, sysctl", it->line,
		       it->key)) ||
	     (r = need(c, "SLUB", "packet forwarding, sysctl", it->line, it->key))))
		return r;
	return 0;
}

static int check_sysctl(struct ck *c, const char *text, size_t len)
{
	struct sysctl_error e;
	int r = sysctl_parse(text, len, check_key, c, &e);

	if (r == -1) /* check_key's failures are -errno, never -1 */
		return tx_fail(c->ctx, -EINVAL, STAGE, "%s at %s:%d", e.problem, c->file, e.line);
	return r < 0 ? r : 0;
}

/* 1: /etc/network/interfaces, 2: a sysctl.d file, 0: neither */
static int kind_of(const struct ment *e)
{
	static const char *const dirs[] = SYSCTL_DIRS;
	const char *base = strrchr(e->path, '/');

	if (e->type != ME_FILE)
		return 0;
	if (!strcmp(e->path, IFACES_PATH))
		return 1;
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(dirs[i]), bl = strlen(base);

		if (!strncmp(e->path, dirs[i], n) && e->path + n == base && bl > 6 &&
		    !strcmp(base + bl - 5, ".conf"))
			return 2;
	}
	return 0;
}

/* One network or sysctl file (kind from kind_of), checked or asked for. */
static int one_file(struct ck *c, const struct ment *e, const char *root, int kind)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	c->path = e->path;
	c->file = e->src ? xstrdup(e->src) : root_join(root, e->path);
	r = read_file(c->file, &text, &len, kind == 1 ? IFACES_MAX_BYTES : SYSCTL_MAX_BYTES);
	if (r < 0)
		r = tx_fail(c->ctx, r, STAGE, "cannot read %s (%s) '%s'", e->path,
			    r == -EFBIG ? "too large" : strerror(-r), c->file);
	else
		r = kind == 1 ? check_ifaces(c, text, len) : check_sysctl(c, text, len);
	free(text);
	free((char *)c->file);
	return r;
}

/* Every network or sysctl file of m, checked (c->k) or asked for (c->want). */
static int walk_files(struct ck *c, const struct manifest *m)
{
	int r = 0;

	for (size_t i = 0; r == 0 && i < m->n; i++) {
		int kind = kind_of(&m->e[i]);

		if (kind)
			r = one_file(c, &m->e[i], m->root, kind);
	}
	return r;
}

/* The same for the files an overlay dir will add (the rootfs stage puts
 * them in the manifest, after the kernels are built). */
static int walk_overlay(struct ck *c, const char *dir)
{
	static const char *const dirs[] = SYSCTL_DIRS;
	struct ment e = {.type = ME_FILE};
	struct stat st;
	int r = 0;

	e.path = IFACES_PATH;
	e.src = xasprintf("%s%s", dir, IFACES_PATH);
	if (stat(e.src, &st) == 0 && S_ISREG(st.st_mode))
		r = one_file(c, &e, NULL, 1);
	free(e.src);
	for (size_t i = 0; r == 0 && i < 2; i++) {
		char *d = xasprintf("%s%s", dir, dirs[i]);
		struct strv names = {0};
		DIR *dh = opendir(d);

		for (struct dirent *de; dh && (de = readdir(dh));)
			strv_push(&names, de->d_name);
		if (dh)
			closedir(dh);
		strv_sort_uniq(&names);
		for (size_t k = 0; r == 0 && k < names.n; k++) {
			e.path = xasprintf("%s/%s", dirs[i], names.v[k]);
			e.src = xasprintf("%s/%s", d, names.v[k]);
			if (kind_of(&e) == 2 && stat(e.src, &st) == 0 && S_ISREG(st.st_mode))
				r = one_file(c, &e, NULL, 2);
			free(e.path);
			free(e.src);
		}
		strv_free(&names);
		free(d);
	}
	return r;
}

int netcheck_image(struct tx_ctx *ctx, const struct manifest *m, int nics,
		   const struct netcheck_kernel *k, int nk)
{
	struct ck c = {ctx, NULL, nics, k, nk, NULL, NULL};

	return walk_files(&c, m);
}

int netcheck_features(struct tx_ctx *ctx, struct manifest *m, int nics, const char *const *overlays,
		      int noverlays)
{
	struct ck c = {ctx, NULL, nics, NULL, 0, m, NULL};
	int r = walk_files(&c, m);

	for (int i = 0; r == 0 && i < noverlays; i++)
		r = walk_overlay(&c, overlays[i]);
	return r;
}
