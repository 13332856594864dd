/* The kconfig stage: kernel config fragments plus what the app's binaries
 * imply, merged into one verified .config.
 *
 * Order of the request list (later wins, and a note says so):
 *   kconfig-fragments/base.config
 *   kconfig-fragments/TARGET.config (kvm or xen)
 *   each feature the closure found (OPTION=y, why "APP: SYMBOL (BINARY)"), then
 *     kconfig-fragments/features/option.config when it exists (the lowercased
 *     option: extras that make the feature useful)
 *   kconfig-fragments/apps/APP.config when present: what analysis cannot see
 *     (so an app can also switch a feature off)
 *   kconfig-fragments/apps/APP.TARGET.min.config when present and not
 *     KCOLLECT_NO_MIN: what 'tinyx kconfig --minimize' removed
 *   kconfig-fragments/services.config unless KCOLLECT_OWN: the service
 *     baseline, only for options nothing above asked for (so that apps whose
 *     other needs agree ask for one kernel)
 *
 * Required options: in a fragment, a line "# tinyx: required" marks every
 * option after it up to the next blank line or ordinary comment as required:
 * the minimizer never tries to remove it (for what its boot test cannot see,
 * e.g. -M pc support when the probe boots -M microvm). The features the app's
 * binaries ask for are always required.
 * The final .config is tinyconfig's fragments + the request list expanded by
 * allnoconfig with KCONFIG_ALLCONFIG (anything not asked for stays off), then
 * olddefconfig, then every request is checked against the result. */
#ifndef TINYX_KCONFIG_H
#define TINYX_KCONFIG_H

#include "formats/manifest.h"

#define KREQ_REQUIRED 1 /* never a minimizer candidate */
#define KREQ_SOFT 2	/* asked for, but not checked by kconfig_check (minimizer trials) */

struct kconfig_req {
	char *option; /* without CONFIG_ */
	char *value;  /* "y", "m", "n" (for '# CONFIG_X is not set'), "\"str\"", "123", "0x1f" */
	char *why;    /* "kconfig-fragments/base.config:12", "nginx: epoll (/usr/sbin/nginx)" */
	int flags;    /* KREQ_* */
};

struct kconfig_set {
	struct kconfig_req *r;
	size_t n;
	struct strv notes; /* "FOO: kvm.config:3 overrides base.config:7" */
};

/* Parse one fragment: CONFIG_X=y|m|n|"str"|123|0x.., '# CONFIG_X is not set',
 * other comments and blank lines. Anything else is an error naming NAME:LINE.
 * Requests are added to set in order (later wins, with a note). */
int kconfig_parse_fragment(struct tx_ctx *ctx, const char *name, const char *text, size_t len,
			   struct kconfig_set *set);
/* Add one request (later wins, with a note when the value changes). */
int kconfig_set_add(struct kconfig_set *set, const char *option, const char *value,
		    const char *why);
const struct kconfig_req *kconfig_set_find(const struct kconfig_set *set, const char *option);
void kconfig_set_free(struct kconfig_set *s);

/* A deep copy of src into dst (empty). */
void kconfig_set_copy(struct kconfig_set *dst, const struct kconfig_set *src);

#define KCOLLECT_NO_MIN 1 /* leave out apps/APP.TARGET.min.config */
#define KCOLLECT_OWN 2	  /* leave out services.config: a kernel for this app alone */

/* Build the request list (see the order above). target is "kvm" or "xen". */
int kconfig_collect(struct tx_ctx *ctx, const char *projdir, const char *app, const char *target,
		    const struct feature *f, size_t nf, int flags, struct kconfig_set *set);

/* The KCONFIG_ALLCONFIG text: tinyconfig's fragments from the kernel source
 * (srcdir_kernel may be NULL: requests only) followed by the requests. */
int kconfig_allconfig_text(struct tx_ctx *ctx, const char *srcdir_kernel,
			   const struct kconfig_set *set, struct sbuf *out);

/* Make the final builddir/.config (allnoconfig + KCONFIG_ALLCONFIG, olddefconfig)
 * and check it. kbuild's output goes to builddir/kconfig.log. Holds the lock
 * file BUILDDIR.lock (the one kernel_build holds while it builds there). */
int kconfig_make(struct tx_ctx *ctx, const char *srcdir_kernel, const char *builddir,
		 const struct kconfig_set *set);

/* Check that every request (but KREQ_SOFT ones) survived in config_text. The
 * first failure is the error (with "and N more" when there are others). With
 * srcdir_kernel and builddir (where kbuild made config_text: its .config and
 * scripts/kconfig objects), the kexplain helper asks the kernel's Kconfig
 * parser why, and the message names the option's dependencies (enclosing
 * if/menu blocks included), which are unmet and what selects it, or a close
 * spelling when the option does not exist. */
int kconfig_check(struct tx_ctx *ctx, const char *config_text, size_t len,
		  const struct kconfig_set *set, const char *srcdir_kernel, const char *builddir);
/* The same with the helper's output (a C string, or NULL) given. */
int kconfig_check_explained(struct tx_ctx *ctx, const char *config_text, size_t len,
			    const struct kconfig_set *set, const char *kexplain);

/* 1 when option is set in a .config text (y, m, a string or a number). */
int kconfig_is_on(const char *config_text, size_t len, const char *option);

/* 1 for an environment entry that must not reach kbuild (KBUILD_*, KCONFIG_*,
 * ARCH, O, CC, MAKEFLAGS, ...): tinyx sets what it needs on the command line. */
int kbuild_env_ignored(const char *env_entry);

/* "CONFIG_X=y  # why" per request, then "note: ..." lines. */
void kconfig_report_text(const struct kconfig_set *set, struct sbuf *out);
/* {"options":{name:value...},"reasons":{name:why...},"notes":[...]}; options are
 * every option set in config_text (names without CONFIG_, strings unquoted), or
 * the requests when config_text is NULL. */
void kconfig_report_json(const struct kconfig_set *set, const char *config_text, struct sbuf *out);

#endif
