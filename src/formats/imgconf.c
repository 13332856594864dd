/* image.conf reader and writer; see imgconf.h. */
#include "formats/imgconf.h"
#include "formats/text.h"

#include <stddef.h>

#define STAGE "imgconf"

static const char *const machine_names[] = {"microvm", "pc"};
static const char *const net_names[] = {"virtio-mmio", "virtio-pci"};
static const char *const service_names[] = {"none", "http", "tcp"};
static const char *const target_names[] = {"kvm", "xen"};
static const char *const cmdline_names[] = {"linux", "unikraft", "osv"};
static const char *const iperf3_names[] = {"client", "server"};
static const char *const rng_names[] = {"none", "virtio"};

/* The name functions: names[v], or "?" out of range. */
#define NAME_FN(fn, type, names)                                                                   \
	const char *fn(type v)                                                                     \
	{                                                                                          \
		return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";            \
	}
NAME_FN(img_machine_name, enum img_machine, machine_names)
NAME_FN(img_net_name, enum img_net, net_names)
NAME_FN(img_service_name, enum img_service, service_names)
NAME_FN(img_target_name, enum img_target, target_names)
NAME_FN(img_cmdline_name, enum img_cmdline, cmdline_names)
NAME_FN(img_iperf3_name, enum img_iperf3, iperf3_names)
NAME_FN(img_rng_name, enum img_rng, rng_names)

void imgconf_init(struct imgconf *c)
{
	memset(c, 0, sizeof(*c));
	c->machine = IMG_MICROVM;
	c->kernel = xstrdup("kernel");
	c->initrd = xstrdup("initrd");
	c->append = xstrdup("console=ttyS0");
	c->memory_mb = 64;
	c->vcpus = 1;
	c->nics = 1;
	c->net = IMG_NET_MMIO;
	c->service = IMG_SVC_NONE;
	c->target = IMG_KVM;
}

void imgconf_free(struct imgconf *c)
{
	if (!c)
		return;
	fmt_free_strs(&c->kernel, &c->initrd, &c->disk, &c->boot_disk, &c->append, &c->note,
		      &c->comment, NULL);
	memset(c, 0, sizeof(*c));
}

int imgconf_valid_name(const char *s)
{
	size_t n;

	if (!s || !*s)
		return 0;
	n = strlen(s);
	if (n >= 256 || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p == '/' || *p == '\\' || *p < 0x21 || *p >= 0x7f)
			return 0;
	/* no hidden tricks: a leading '-' would read as an option somewhere */
	return s[0] != '-';
}

static int lookup(const char *const *names, int n, const char *v)
{
	for (int i = 0; i < n; i++)
		if (!strcmp(names[i], v))
			return i;
	return -1;
}

int img_service_find(const char *name)
{
	return lookup(service_names, 3, name);
}

/* The keys, in imgconf_text's order, and how their values are read. */
enum kind { V_ENUM, V_INT, V_NAME, V_ASCII, V_TEXT };
static const struct key {
	const char *name;
	enum kind kind;
	size_t off;		  /* of the field in struct imgconf */
	int opt;		  /* strings: an empty value means none (NULL) */
	const char *const *names; /* V_ENUM: the values, as many as hi */
	int lo, hi;		  /* V_INT: the range */
} keys[] = {
#define OFF(f) offsetof(struct imgconf, f)
    {"machine", V_ENUM, OFF(machine), .names = machine_names, .hi = 2},
    {"kernel", V_NAME, OFF(kernel), .opt = 0},
    {"initrd", V_NAME, OFF(initrd), .opt = 0},
    {"disk", V_NAME, OFF(disk), .opt = 1},
    {"boot_disk", V_NAME, OFF(boot_disk), .opt = 1},
    {"append", V_ASCII, OFF(append), .opt = 0},
    {"memory_mb", V_INT, OFF(memory_mb), .lo = IMGCONF_MEM_MIN, .hi = IMGCONF_MEM_MAX},
    {"vcpus", V_INT, OFF(vcpus), .lo = 1, .hi = IMGCONF_VCPUS_MAX},
    {"net", V_ENUM, OFF(net), .names = net_names, .hi = 2},
    {"nics", V_INT, OFF(nics), .lo = 1, .hi = IMGCONF_NICS_MAX},
    {"port", V_INT, OFF(port), .lo = 0, .hi = 65535},
    {"service", V_ENUM, OFF(service), .names = service_names, .hi = 3},
    {"target", V_ENUM, OFF(target), .names = target_names, .hi = 2},
    {"cmdline", V_ENUM, OFF(cmdline), .names = cmdline_names, .hi = 3},
    {"iperf3", V_ENUM, OFF(iperf3), .names = iperf3_names, .hi = 2},
    {"rng", V_ENUM, OFF(rng), .names = rng_names, .hi = 2},
    {"disk_initrd", V_INT, OFF(disk_initrd), .lo = 0, .hi = 1},
    {"note", V_TEXT, OFF(note), .opt = 1},
};
#define K_COUNT (sizeof(keys) / sizeof(keys[0]))

static int key_index(const char *s)
{
	for (size_t i = 0; i < K_COUNT; i++)
		if (!strcmp(keys[i].name, s))
			return (int)i;
	return -1;
}

static int set_key(struct tx_ctx *ctx, const char *name, unsigned line, struct imgconf *c,
		   const struct key *k, const char *v)
{
	/* the enum fields hold small values: an int lvalue reaches them */
	int *num = (int *)((char *)c + k->off), i;
	unsigned u;
	char **str = (char **)((char *)c + k->off);

	switch (k->kind) {
	case V_ENUM:
		if ((i = lookup(k->names, k->hi, v)) < 0)
			return tx_fail(ctx, -EINVAL, STAGE, "unknown %s value at %s:%u", k->name,
				       name, line);
		*num = i;
		return 0;
	case V_INT:
		/* decimal, no sign, no spaces */
		if (strlen(v) > 9 || fmt_uint(v, 10, (unsigned)k->hi, &u) < 0 ||
		    u < (unsigned)k->lo)
			return tx_fail(ctx, -ERANGE, STAGE, "%s must be %d..%d at %s:%u", k->name,
				       k->lo, k->hi, name, line);
		*num = (int)u;
		return 0;
	case V_NAME:
		if ((*v || !k->opt) && !imgconf_valid_name(v))
			return tx_fail(ctx, -EINVAL, STAGE,
				       "%s is not a plain file name inside the image dir at %s:%u",
				       k->name, name, line);
		break;
	case V_ASCII:
		for (const unsigned char *p = (const unsigned char *)v; *p; p++)
			if (*p >= 0x7f)
				return tx_fail(ctx, -EINVAL, STAGE,
					       "%s has a non-ASCII byte at %s:%u", k->name, name,
					       line);
		break;
	case V_TEXT:
		break;
	}
	free(*str);
	*str = *v || !k->opt ? xstrdup(v) : NULL;
	return 0;
}

static int is_space(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* One line s (NUL-terminated, no newline): blank, comment or key=value. */
static int parse_line(struct tx_ctx *ctx, const char *name, unsigned line, char *s, int *seen,
		      struct imgconf *c)
{
	char *e = s + strlen(s), *eq, *v;
	int id;

	if (e > s && e[-1] == '\r')
		*--e = '\0';
	while (is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		*--e = '\0';
	if (!*s || *s == '#')
		return 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return tx_fail(ctx, -EINVAL, STAGE, "control character at %s:%u", name,
				       line);
	eq = strchr(s, '=');
	if (!eq)
		return tx_fail(ctx, -EINVAL, STAGE, "expected key=value at %s:%u", name, line);
	for (char *t = eq; t > s && is_space(t[-1]); t--)
		t[-1] = '\0';
	*eq = '\0';
	for (v = eq + 1; is_space(*v); v++)
		;
	id = key_index(s);
	if (id < 0)
		return tx_fail(ctx, -EINVAL, STAGE, "unknown key '%.39s' at %s:%u", s, name, line);
	if (seen[id]++)
		return tx_fail(ctx, -EINVAL, STAGE, "repeated key '%s' at %s:%u", keys[id].name,
			       name, line);
	if (strlen(v) > IMGCONF_MAX_VALUE)
		return tx_fail(ctx, -E2BIG, STAGE, "value of '%s' too long at %s:%u", keys[id].name,
			       name, line);
	return set_key(ctx, name, line, c, &keys[id], v);
}

/* The rules between keys, once every line is read. */
static int check_whole(struct tx_ctx *ctx, const char *name, const int *seen, struct imgconf *c)
{
	if (!seen[key_index("net")])
		c->net = c->machine == IMG_PC ? IMG_NET_PCI : IMG_NET_MMIO;
	/* microvm has no PCI bus unless asked for; keep it simple */
	if (c->machine == IMG_MICROVM && c->net == IMG_NET_PCI)
		return tx_fail(ctx, -EINVAL, STAGE, "net=virtio-pci needs machine=pc in '%s'",
			       name);
	if (c->service != IMG_SVC_NONE && c->port == 0)
		return tx_fail(ctx, -EINVAL, STAGE, "service=%s needs a port in '%s'",
			       img_service_name(c->service), name);
	return 0;
}

int imgconf_parse(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
		  struct imgconf *c)
{
	int seen[K_COUNT] = {0}, rc = 0;
	unsigned line = 0;
	char *buf = NULL;

	if (!name)
		name = IMGCONF_NAME;
	imgconf_init(c);
	if (len > IMGCONF_MAX_BYTES)
		rc = tx_fail(ctx, -EFBIG, STAGE, "file larger than %d bytes '%s'",
			     IMGCONF_MAX_BYTES, name);
	else if (len && memchr(text, '\0', len))
		rc = tx_fail(ctx, -EINVAL, STAGE, "NUL byte in '%s'", name);
	if (rc == 0) {
		buf = xstrndup(len ? text : "", len);
		for (char *s = buf, *nl; rc == 0 && s < buf + len; s = nl ? nl + 1 : buf + len) {
			nl = strchr(s, '\n');
			if (nl)
				*nl = '\0';
			rc = parse_line(ctx, name, ++line, s, seen, c);
		}
	}
	if (rc == 0)
		rc = check_whole(ctx, name, seen, c);
	free(buf);
	if (rc < 0)
		imgconf_free(c);
	return rc;
}

int imgconf_load(struct tx_ctx *ctx, const char *dir, struct imgconf *c)
{
	char *path = xasprintf("%s/%s", dir, IMGCONF_NAME), *text = NULL;
	size_t len = 0;
	int rc = read_file(path, &text, &len, IMGCONF_MAX_BYTES);

	if (rc < 0) {
		rc = tx_fail(ctx, rc, STAGE, "cannot read %s (%s) '%s'", IMGCONF_NAME,
			     rc == -EFBIG ? "too large" : strerror(-rc), path);
		memset(c, 0, sizeof(*c)); /* what imgconf_parse leaves on errors */
	} else {
		rc = imgconf_parse(ctx, path, text, len, c);
	}
	free(text);
	free(path);
	return rc;
}

void imgconf_text(const struct imgconf *c, struct sbuf *out)
{
	sbuf_printf(out, "# %s\n",
		    c->comment ? c->comment : "Tinyx image description, read by `tinyx probe`.");
	sbuf_printf(out, "machine=%s\n", img_machine_name(c->machine));
	sbuf_printf(out, "kernel=%s\n", c->kernel ? c->kernel : "kernel");
	sbuf_printf(out, "initrd=%s\n", c->initrd ? c->initrd : "initrd");
	if (c->disk)
		sbuf_printf(out, "disk=%s\n", c->disk);
	if (c->boot_disk)
		sbuf_printf(out, "boot_disk=%s\n", c->boot_disk);
	sbuf_printf(out, "append=%s\n", c->append ? c->append : "");
	sbuf_printf(out, "memory_mb=%d\n", c->memory_mb);
	sbuf_printf(out, "vcpus=%d\n", c->vcpus);
	sbuf_printf(out, "net=%s\n", img_net_name(c->net));
	if (c->nics > 1) /* a one-NIC image's text as before (0: one, as 1) */
		sbuf_printf(out, "nics=%d\n", c->nics);
	sbuf_printf(out, "port=%d\n", c->port);
	sbuf_printf(out, "service=%s\n", img_service_name(c->service));
	sbuf_printf(out, "target=%s\n", img_target_name(c->target));
	if (c->cmdline != IMG_CMDLINE_LINUX) /* a Linux image's text as before */
		sbuf_printf(out, "cmdline=%s\n", img_cmdline_name(c->cmdline));
	if (c->iperf3 != IMG_IPERF3_CLIENT)
		sbuf_printf(out, "iperf3=%s\n", img_iperf3_name(c->iperf3));
	if (c->rng != IMG_RNG_NONE)
		sbuf_printf(out, "rng=%s\n", img_rng_name(c->rng));
	if (c->disk_initrd)
		sbuf_printf(out, "disk_initrd=1\n");
	if (c->note)
		sbuf_printf(out, "note=%s\n", c->note);
}

int imgconf_write(struct tx_ctx *ctx, const char *dir, const struct imgconf *c)
{
	char *path = xasprintf("%s/%s", dir, IMGCONF_NAME);
	struct sbuf s = {0};
	int rc;

	imgconf_text(c, &s);
	rc = write_file_atomic(path, s.s, s.len, 0644);
	if (rc < 0)
		rc = tx_fail(ctx, rc, STAGE, "cannot write '%s': %s", path, strerror(-rc));
	sbuf_free(&s);
	free(path);
	return rc;
}
