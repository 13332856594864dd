/* Kernel features from what the image holds, as data: each file of
 * kconfig-fragments/features/ names the paths that call for it ("# match:"
 * lines, fnmatch(3) patterns over the manifest's paths) and the options it
 * turns on ("CONFIG_X=y"). When a path of the manifest matches, every option
 * becomes a kernel feature of the manifest, its reason the fragment and the
 * path (the kconfig report shows both). nft -> nf_tables, ipvsadm ->
 * IP_VS, wg -> WIREGUARD, ...: a new network function is a new file, not
 * code. */
#include "closure/cl.h"

#include <dirent.h>
#include <fnmatch.h>

#define FEATURES_DIR "kconfig-fragments/features"

/* The first manifest path a pattern of the fragment's "# match:" lines
 * matches, or NULL. */
static const char *matched(const struct manifest *m, const char *text)
{
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *w;
		size_t n;

		if (strncmp(l, "# match:", 8))
			continue;
		for (const char *p = l + 8; (w = fmt_word(&p, &n)) && w < strchrnul(l, '\n');) {
			char *pat = xstrndup(w, n);

			for (size_t i = 0; i < m->n; i++) {
				const struct ment *e = &m->e[i];

				if ((e->type == ME_FILE || e->type == ME_SLINK) &&
				    !fnmatch(pat, e->path, FNM_PATHNAME)) {
					free(pat);
					return e->path;
				}
			}
			free(pat);
		}
	}
	return NULL;
}

/* Does the fragment's text have the line "# init: WHAT"? */
static int init_line(const char *text, const char *what)
{
	size_t n = strlen(what);

	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
		if (!strncmp(l, "# init: ", 8) && !strncmp(l + 8, what, n) &&
		    (l[8 + n] == '\n' || !l[8 + n]))
			return 1;
	return 0;
}

/* The fragment's options into m, when it matches; its "# init: rng" line
 * into spec (the init waits for the kernel's RNG before the app) and the
 * virtio RNG's driver into m. */
static int one_fragment(struct cl *c, const char *dir, const char *name, struct app_spec *spec)
{
	char *p = xasprintf("%s/%s", dir, name), *text = NULL, *why, *save = NULL;
	const char *hit;
	int r = read_file(p, &text, NULL, 1 << 20);

	if (r < 0) {
		r = tx_fail(c->ctx, r, "closure", "cannot read the feature fragment '%s'", p);
		free(p);
		return r;
	}
	hit = matched(c->m, text);
	why = xasprintf("features/%s", name);
	if (hit && init_line(text, "rng")) {
		/* the image gets a virtio RNG (image.conf rng=virtio): its
		 * driver feeds the kernel's RNG, ready at once */
		if (spec)
			spec->rng = 1;
		manifest_add_feature(c->m, "HW_RANDOM", why, hit);
		manifest_add_feature(c->m, "HW_RANDOM_VIRTIO", why, hit);
	}
	for (char *l = hit ? strtok_r(text, "\n", &save) : NULL; l;
	     l = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(l, '=');

		if (strncmp(l, "CONFIG_", 7) || !eq || strcmp(eq, "=y"))
			continue;
		*eq = 0;
		manifest_add_feature(c->m, l + 7, why, hit);
	}
	free(why);
	free(text);
	free(p);
	return 0;
}

int cl_fragment_features(struct cl *c, struct app_spec *spec)
{
	char *dir = xasprintf("%s/%s", c->projdir, FEATURES_DIR);
	struct dirent **v = NULL;
	int n = scandir(dir, &v, NULL, alphasort), r = 0;

	for (int i = 0; i < n; i++) {
		size_t l = strlen(v[i]->d_name);

		if (r == 0 && l > 7 && !strcmp(v[i]->d_name + l - 7, ".config"))
			r = one_fragment(c, dir, v[i]->d_name, spec);
		free(v[i]);
	}
	free(v);
	free(dir);
	return r;
}
