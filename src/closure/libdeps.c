/* The dependency walk, following glibc's ld.so (elf/dl-load.c, dl-deps.c):
 *
 *  - breadth-first over DT_NEEDED, like _dl_map_object_deps;
 *  - a name already loaded (a DT_NEEDED name that resolved before, a
 *    DT_SONAME, the interpreter's path) is not searched again;
 *  - a name with a '/' is a path; other names are searched in: the DT_RPATH
 *    of the loading object and of the objects that loaded it, up to the
 *    executable (only when the loading object has no DT_RUNPATH; an object's
 *    own DT_RPATH is ignored when it has a DT_RUNPATH), then LD_LIBRARY_PATH
 *    (ignored: a service's environment is not known here), then the DT_RUNPATH
 *    of the loading object only, then ld.so.conf dirs and the defaults;
 *  - a candidate of another ELF class or machine is skipped (ld.so skips it
 *    and keeps searching); one that is not a valid ELF file is an error (ld.so
 *    stops with "invalid ELF header" too);
 *  - objects are identified by their real path (ld.so: device and inode), so
 *    loops and a RUNPATH naming the object's own dir terminate.
 * Not modelled: glibc-hwcaps subdirs, DF_1_NODEFLIB, LD_PRELOAD, audit. */
#include "closure/libdeps.h"
#include "formats/elfread.h"
#include "closure/kfeatures.h"
#include "formats/ldso.h"
#include "formats/text.h"

#include <ctype.h>
#include <elf.h>
#include <sys/stat.h>

#define NONE ((size_t)-1)

struct obj {
	char *path;   /* in-root path it was found as (or given as) */
	char *real;   /* in-root real path: its identity */
	char *origin; /* what $ORIGIN expands to */
	struct elf_info info;
	size_t loader;	   /* index of the object that loaded it, or NONE */
	struct strv names; /* names it answers to (ld.so's l_libname) */
};

struct walk {
	struct tx_ctx *ctx;
	struct manifest *m;
	const struct strv *dirs;
	struct obj *o;
	size_t n;
};

/* Another name o is opened by (a link, a soname), once. */
static void add_name(struct obj *o, const char *name)
{
	if (!strv_contains(&o->names, name))
		strv_push(&o->names, name);
}

static size_t find_name(const struct walk *w, const char *name)
{
	for (size_t i = 0; i < w->n; i++)
		if (strv_contains(&w->o[i].names, name))
			return i;
	return NONE;
}

static size_t find_real(const struct walk *w, const char *real)
{
	for (size_t i = 0; i < w->n; i++)
		if (!strcmp(w->o[i].real, real))
			return i;
	return NONE;
}

/* Takes ownership of path, real, origin and info. */
static size_t push_obj(struct walk *w, char *path, char *real, char *origin, struct elf_info *info,
		       size_t loader)
{
	struct obj *o;

	w->o = fmt_grow(w->o, w->n, sizeof(*w->o));
	o = &w->o[w->n];
	*o = (struct obj){path, real, origin, *info, loader, {0}};
	strv_push(&o->names, path);
	if (o->info.soname)
		add_name(o, o->info.soname);
	return w->n++;
}

/* Expand $ORIGIN, $LIB and $PLATFORM (bare or in braces) for object o. */
static char *expand_dst(const struct obj *o, const char *s)
{
	struct sbuf b = {0};

	for (const char *p = s; *p;) {
		if (*p == '$') {
			const char *q = p + 1, *val = NULL, *pre = "";
			int brace = *q == '{';
			size_t nl = 0;

			q += brace;
			if (!strncmp(q, "ORIGIN", 6))
				nl = 6, val = o->origin;
			else if (!strncmp(q, "PLATFORM", 8))
				nl = 8, val = ldso_platform(o->info.machine, o->info.elfclass);
			else if (!strncmp(q, "LIB", 3))
				nl = 3, val = ldso_multiarch(o->info.machine, o->info.elfclass);
			/* Debian's ld.so expands $LIB to "lib/<multiarch triplet>"
			 * (checked with LD_DEBUG=libs on bookworm: /opt/$LIB ->
			 * /opt/lib/x86_64-linux-gnu); upstream glibc uses "lib64" or
			 * "lib", the fallback for unknown arches. */
			if (nl == 3 && val)
				pre = "lib/";
			else if (nl == 3)
				val = o->info.elfclass == ELFCLASS64 ? "lib64" : "lib";
			if (nl && (brace ? q[nl] == '}'
					 : !(isalnum((unsigned char)q[nl]) || q[nl] == '_'))) {
				sbuf_printf(&b, "%s%s", pre, val ? val : "");
				p = q + nl + brace;
				continue;
			}
		}
		sbuf_add(&b, p, 1);
		p++;
	}
	return b.s ? b.s : xstrdup("");
}

/* elf_read the in-root file real; "not an ELF file" is an error, why says
 * what the file was to be (" (interpreter of 'X')"). */
static int read_elf(struct walk *w, const char *real, struct elf_info *info, const char *why)
{
	char *host = root_join(w->m->root, real);
	int r = elf_read(w->ctx, host, info);

	if (r == 1)
		r = tx_fail(w->ctx, -ENOEXEC, "closure", "cannot read ELF '%s': not an ELF file%s",
			    host, why);
	free(host);
	return r;
}

/* Is cand (in-root) a library ld.so would take for loader? 1 yes (real and
 * info filled), 0 no (absent, or another class/machine), <0 error. */
static int try_candidate(struct walk *w, const struct obj *loader, const char *cand,
			 const char *name, char **real, struct elf_info *info)
{
	char *host = NULL, *why;
	struct stat st;
	int r = 0;

	*real = NULL;
	if (root_realpath(w->m->root, cand, real, NULL) == 0)
		host = root_join(w->m->root, *real);
	if (host && stat(host, &st) == 0 && S_ISREG(st.st_mode)) {
		why = xasprintf(" (as '%s' needed by '%s')", name, loader->path);
		r = read_elf(w, *real, info, why);
		free(why);
		if (r == 0 && info->elfclass == loader->info.elfclass &&
		    info->machine == loader->info.machine)
			r = 1;
		else if (r == 0)
			elf_info_free(info);
	}
	free(host);
	if (r < 1) {
		free(*real);
		*real = NULL;
	}
	return r;
}

/* Try name in every dir of a ':' list (DSTs expanded for object owner).
 * 1 found (*found set), 0 not found, <0 error. */
static int search_list(struct walk *w, const struct obj *loader, const struct obj *owner,
		       const char *list, const char *name, char **found, char **real,
		       struct elf_info *info)
{
	char *copy = xstrdup(list), *save = NULL;
	int r = 0;

	for (char *d = strtok_r(copy, ":", &save); d && !r; d = strtok_r(NULL, ":", &save)) {
		char *dir = owner ? expand_dst(owner, d) : xstrdup(d), *j, *cand;

		/* relative entries are relative to the process's cwd: unknowable */
		if (dir[0] != '/') {
			free(dir);
			continue;
		}
		j = xasprintf("%s/%s", dir, name);
		cand = path_normalize(j);
		free(j);
		free(dir);
		r = try_candidate(w, loader, cand, name, real, info);
		if (r == 1)
			*found = cand;
		else
			free(cand);
	}
	free(copy);
	return r;
}

static int search(struct walk *w, size_t li, int dirs_only, const char *name, char **found,
		  char **real, struct elf_info *info)
{
	const struct obj *L = &w->o[li];
	int r = 0;

	if (!dirs_only && !L->info.runpath) {
		for (size_t l = li; l != NONE && !r; l = w->o[l].loader) {
			const struct obj *o = &w->o[l];

			if (o->info.rpath && !o->info.runpath)
				r = search_list(w, L, o, o->info.rpath, name, found, real, info);
		}
	}
	/* DT_RUNPATH applies to the object's own direct needs only: ld.so
	 * (since the new dtags) never inherits it down the loader chain, so a
	 * library needed by a library is searched with that library's paths. */
	if (!r && !dirs_only && L->info.runpath)
		r = search_list(w, L, L, L->info.runpath, name, found, real, info);
	for (size_t i = 0; !r && i < w->dirs->n; i++)
		r = search_list(w, L, NULL, w->dirs->v[i], name, found, real, info);
	return r;
}

static int add_path(struct walk *w, const char *path, const char *reason)
{
	int r = manifest_add_path(w->m, path, reason);

	if (r < 0)
		return tx_fail(w->ctx, r, "closure", "cannot add '%s' to the manifest: %s", path,
			       strerror(-r));
	return 0;
}

/* Resolve one name needed by object li; add and queue what it finds. */
static int load_needed(struct walk *w, size_t li, int dirs_only, const char *name,
		       const char *reason_key, const char *reason_val)
{
	char *found = NULL, *real = NULL, *reason;
	struct elf_info info;
	size_t k;
	int r;

	if (find_name(w, name) != NONE)
		return 0;
	if (strchr(name, '/')) {
		/* a path; a relative one is relative to the cwd, taken as / */
		char *e = expand_dst(&w->o[li], name), *j = xasprintf("/%s", e);

		found = path_normalize(e[0] == '/' ? e : j);
		free(e);
		free(j);
		r = try_candidate(w, &w->o[li], found, name, &real, &info);
	} else {
		r = search(w, li, dirs_only, name, &found, &real, &info);
	}
	if (r == 0)
		r = tx_fail(w->ctx, -ENOENT, "closure", "cannot find '%s' needed by '%s'", name,
			    w->o[li].path);
	if (r < 0) {
		free(found);
		return r;
	}
	reason = xasprintf("%s=%s", reason_key, reason_val);
	r = add_path(w, found, reason);
	free(reason);
	k = find_real(w, real);
	if (r == 0 && k == NONE) {
		/* a library's $ORIGIN is the dir of the path it was opened as */
		k = push_obj(w, found, real, path_dirname(found), &info, li);
		add_name(&w->o[k], name);
		return 0;
	}
	if (k != NONE) {
		add_name(&w->o[k], name);
		add_name(&w->o[k], found);
	}
	elf_info_free(&info);
	free(found);
	free(real);
	return r;
}

static int load_interp(struct walk *w, size_t li)
{
	const char *interp = w->o[li].info.interp;
	char *path, *real = NULL, *s;
	struct elf_info info;
	size_t k;
	int r;

	if (find_name(w, interp) != NONE)
		return 0;
	path = path_normalize(interp);
	if (root_realpath(w->m->root, path, &real, NULL) < 0) {
		free(path);
		return tx_fail(w->ctx, -ENOENT, "closure", "cannot find '%s' needed by '%s'",
			       interp, w->o[li].path);
	}
	s = xasprintf("interp-of=%s", w->o[li].path);
	r = add_path(w, path, s);
	free(s);
	k = find_real(w, real);
	if (r == 0 && k == NONE) {
		s = xasprintf(" (interpreter of '%s')", w->o[li].path);
		r = read_elf(w, real, &info, s);
		free(s);
	}
	if (r < 0 || k != NONE) {
		if (k != NONE)
			add_name(&w->o[k], interp);
		free(path);
		free(real);
		return r;
	}
	/* the interpreter is loaded by the kernel, not by an object */
	k = push_obj(w, path, real, path_dirname(path), &info, NONE);
	add_name(&w->o[k], interp);
	return 0;
}

static void add_features(struct walk *w, const struct obj *o)
{
	for (size_t i = 0; i < o->info.imports.n; i++) {
		const char *opts[16];
		size_t n = features_for_symbol(o->info.imports.v[i], opts, 16);

		for (size_t k = 0; k < n; k++)
			manifest_add_feature(w->m, opts[k], o->info.imports.v[i], o->path);
	}
}

static int add_root(struct walk *w, const char *path)
{
	char *real = NULL;
	struct elf_info info;
	int r = root_realpath(w->m->root, path, &real, NULL);

	if (r < 0)
		return tx_fail(w->ctx, r, "closure", "cannot read ELF '%s': %s", path,
			       strerror(-r));
	if (find_real(w, real) == NONE)
		r = read_elf(w, real, &info, "");
	if (r < 0 || find_real(w, real) != NONE) {
		free(real);
		return r;
	}
	/* the executable's $ORIGIN is the dir of its real path (ld.so reads
	 * /proc/self/exe, symlinks resolved) */
	push_obj(w, path_normalize(path), real, path_dirname(real), &info, NONE);
	return 0;
}

int libdeps_walk(struct tx_ctx *ctx, struct manifest *m, const struct strv *dirs,
		 const struct strv *elves)
{
	static const char *const cancel_syms[] = {"pthread_cancel", "pthread_exit"};
	struct walk w = {.ctx = ctx, .m = m, .dirs = dirs};
	size_t cancel_by = NONE;
	const char *cancel_sym = NULL;
	int err = 0, gcc_done = 0;

	for (size_t i = 0; i < elves->n && !err; i++)
		err = add_root(&w, elves->v[i]);
	for (size_t i = 0; !err && i < w.n; i++) {
		add_features(&w, &w.o[i]);
		for (size_t k = 0; k < 2 && cancel_by == NONE; k++)
			if (strv_contains(&w.o[i].info.imports, cancel_syms[k]))
				cancel_by = i, cancel_sym = cancel_syms[k];
		if (w.o[i].info.interp)
			err = load_interp(&w, i);
		for (size_t k = 0; !err && k < w.o[i].info.needed.n; k++)
			err = load_needed(&w, i, 0, w.o[i].info.needed.v[k], "needed-by",
					  w.o[i].path);
		if (!err && i + 1 == w.n && cancel_by != NONE && !gcc_done) {
			/* glibc dlopens libgcc_s.so.1 (for unwinding) the first
			 * time a thread is cancelled or exits; without it the
			 * process aborts. libc has no RPATH: the default search. */
			char *reason = xasprintf("libc for %s", cancel_sym);

			gcc_done = 1;
			err = load_needed(&w, cancel_by, 1, "libgcc_s.so.1", "dlopen-by", reason);
			free(reason);
		}
	}
	for (size_t i = 0; i < w.n; i++) {
		fmt_free_strs(&w.o[i].path, &w.o[i].real, &w.o[i].origin, NULL);
		elf_info_free(&w.o[i].info);
		strv_free(&w.o[i].names);
	}
	free(w.o);
	return err;
}
