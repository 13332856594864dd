/* The sources of the unikernel rows (minios, unikraft): tarballs or trees
 * in $TINYX_THIRD_PARTY, default ../shared/third_party beside the project
 * (see system.h). */
#include "compare/system.h"
#include "lib/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STAGE "compare"

char *third_party_dir(const struct tx_ctx *ctx)
{
	const char *e = getenv("TINYX_THIRD_PARTY");
	char *d = e && *e ? xstrdup(e) : xasprintf("%s/../shared/third_party", ctx->srcdir);
	char *real = realpath(d, NULL);

	if (real) {
		free(d);
		return real;
	}
	return d;
}

char *third_party_find(const char *dir, const char *prefix)
{
	struct dirent **v = NULL;
	int n = scandir(dir, &v, NULL, alphasort);
	char *found = NULL;

	for (int i = 0; i < n; i++) {
		const char *nm = v[i]->d_name;
		size_t l = strlen(nm);
		char *p = xasprintf("%s/%s", dir, nm);

		if (!found && !strncmp(nm, prefix, strlen(prefix)) &&
		    ((l > 7 && !strcmp(nm + l - 7, ".tar.xz")) || is_dir(p)))
			found = p;
		else
			free(p);
		free(v[i]);
	}
	free(v);
	return found;
}

int third_party_hash(struct tx_ctx *ctx, const char *src, const char *tmpdir, char out[65])
{
	char *t;
	int r;

	if (!is_dir(src))
		return sha256_file(src, out);
	t = xasprintf("%s/.tree.%d.tar", tmpdir, (int)getpid()); /* runs at once: their own */
	{
		char *argv[] = {
		    "tar",	  "--sort=name", "--owner=0", "--group=0", "--numeric-owner",
		    "--mtime=@0", "-C",		 (char *)src, "-cf",	   t,
		    ".",	  NULL};
		r = run_cmd(ctx, argv, NULL, 1);
	}
	r = r == 0 ? sha256_file(t, out) : -EIO;
	unlink(t);
	free(t);
	return r;
}

int third_party_unpack(struct tx_ctx *ctx, const char *src, const char *dir)
{
	int r;

	if (is_dir(src)) {
		char *argv[] = {"cp", "-a", (char *)src, (char *)dir, NULL};
		r = run_cmd(ctx, argv, NULL, 1);
	} else {
		char *argv[] = {"tar", "-xJf", (char *)src, "-C", (char *)dir, NULL};
		r = run_cmd(ctx, argv, NULL, 1);
	}
	return r == 0 ? 0 : tx_fail(ctx, -EIO, STAGE, "cannot unpack '%s' into '%s'", src, dir);
}

int third_party_cc(struct tx_ctx *ctx, const char *what, char **cc)
{
	char *argv[] = {"gcc", "--version", NULL};

	if (run_capture_q(ctx, argv, cc, 4096, 1) != 0 || !*cc)
		return tx_fail(ctx, -ENOENT, STAGE, "no gcc to build %s (apt-get install gcc)",
			       what);
	(*cc)[strcspn(*cc, "\n")] = 0;
	return 0;
}

void third_party_key(const char *text, char out[65])
{
	struct sha256 k;

	sha256_init(&k);
	sha256_update(&k, text, strlen(text));
	sha256_hex(&k, out);
}

void third_party_build_line(void *arg, const char *line)
{
	struct third_party_progress *p = arg;
	double t = now_ms();

	if (!p->t0)
		p->t0 = p->said = t;
	if (!strncmp(line, "  CC ", 5) || !strncmp(line, "  CXX ", 6) || !strncmp(line, "  AS ", 5))
		p->files++;
	if (t - p->said >= 20000) {
		p->said = t;
		tx_info(p->ctx, "compare: %s: %u files compiled (%.0f s)", p->name, p->files,
			(t - p->t0) / 1000);
	}
}

int third_party_cache(struct tx_ctx *ctx, const char *base, const char *name, const char *key,
		      const char *marker, const char *what,
		      int (*fill)(struct tx_ctx *, const char *, void *), void *arg, char **cache,
		      char **log)
{
	int r;

	*cache = xasprintf("%s/%s-%s", base, name, key);
	*log = xasprintf("%s.log", *cache);
	r = tx_cache_get(ctx, &(struct tx_cache_entry){*cache, marker, STAGE, what, fill, arg});
	return r < 0 ? r : 0;
}
