/* The app spec: what the guest init runs, written at build time to
 * /etc/tinyx/app.conf in the image and read by the guest init.
 *
 * Text form, one directive per line; a line whose first non-blank character
 * is '#' is a comment, blank lines are ignored. There are no trailing comments:
 * the value is the rest of the line after the keyword and ONE space, taken
 * verbatim (so "arg daemon off; master_process on;" is one argv element and
 * "arg " is an empty one).
 *   arg ELEMENT          argv, one element per line, in order (argv[0] absolute)
 *   env KEY=VALUE        environment (the init adds PATH unless given)
 *   user UID             numeric; setuid after setgroups/setgid
 *   group GID            numeric
 *   groups GID...        supplementary groups, space separated
 *   dir PATH MODE UID GID  created (with parents) before start, mode octal
 *   workdir PATH         chdir before exec (default /)
 *   forking 0|1          the command forks and exits: follow the pid file
 *   pidfile PATH         where a forking daemon writes its pid
 *   restart no|on-failure
 *   pre FLAGS\tARG0\tARG...  a command run before the app, in order (the
 *                        unit's ExecStartPre=): FLAGS "." or some of "-" (a
 *                        failure is ignored) and "+" or "!" (as root); the
 *                        argv elements are TAB-separated
 *   post FLAGS\tARG0\tARG... the same once the app runs (ExecStartPost=)
 *   notify 0|1           Type=notify: the init gives it NOTIFY_SOCKET and takes
 *                        READY=1 as started (its ExecStartPost= then), MAINPID=
 *                        as its main process
 *   oneshot 0|1          Type=oneshot: the app sets something up and exits
 *                        (nftables' `nft -f`): status 0 is done, not a failure;
 *                        the VM stays up, nothing is restarted
 *   rng 0|1              the init waits until the kernel's RNG is ready before
 *                        the app: a kernel feature of the image drops work
 *                        until then (WireGuard drops handshakes); a
 *                        features/ fragment's "# init: rng" line sets it
 *   netpre 0|1           the app is a oneshot unit ordered Before=
 *                        network-pre.target (nftables.service): the init runs
 *                        it to its end before it brings the network up, so
 *                        no interface forwards before the ruleset is loaded;
 *                        a pre hook's "<" flag does the same for a hook
 *   umask OCTAL          the app's umask (UMask=; default the init's, 0022)
 *   nofile SOFT HARD     its RLIMIT_NOFILE (LimitNOFILE=; at most 1048576)
 * One reader, formats/appconf.c, serves this file and the guest init (which
 * cannot link lib/); `tinyx-init --print-conf FILE` prints what the init read,
 * so tests compare the writer here with the guest binary's reading. */
#ifndef TINYX_APPSPEC_H
#define TINYX_APPSPEC_H

#include "lib/util.h"

#define APPSPEC_MAX_GROUPS 32 /* APPCONF_MAX_GROUPS */

struct app_spec {
	struct strv argv;
	struct strv env;   /* "KEY=VALUE" */
	unsigned uid, gid; /* valid when has_user */
	int has_user;
	unsigned groups[APPSPEC_MAX_GROUPS]; /* supplementary */
	size_t ngroups;
	struct strv dirs; /* "PATH MODE UID GID", MODE octal (e.g. "/run/nginx 0755 33 33") */
	char *pidfile;	  /* NULL: none */
	int forking;
	char *workdir;	       /* NULL: "/" */
	int restart;	       /* 0 no, 1 on-failure */
	int notify;	       /* Type=notify */
	int oneshot;	       /* Type=oneshot: done when it exits 0 */
	int rng;	       /* wait for the kernel's RNG before the app */
	int netpre;	       /* a oneshot Before=network-pre.target: done before the network */
	struct strv pre, post; /* "FLAGS\tARG0\tARG..." (appconf_hook) */
	int has_umask;
	unsigned umask;
	unsigned nofile_soft, nofile_hard; /* 0: unset */
	unsigned long long caps;	   /* AmbientCapabilities=: bit N, capability N */
	/* Not in the text form: files the image leaves out because a hook makes
	 * them at boot (closure-secrets.c); the trace root leaves them out too. */
	struct strv made;
};

/* Parse untrusted text into s (zeroed by the caller or fresh). On error s is
 * freed, ctx->err says "STAGE: app spec line N: ..." (ctx->stage) and -EINVAL
 * is returned. */
int appspec_parse(struct tx_ctx *ctx, const char *text, size_t len, struct app_spec *s);
/* Check a spec built in code before it is written: argv present with an
 * absolute argv[0], no newline or NUL in any string, valid dirs and env. */
int appspec_check(struct tx_ctx *ctx, const struct app_spec *s);
/* Canonical text form (parse(text(s)) == s for a spec that passes check). */
void appspec_text(const struct app_spec *s, struct sbuf *out);
/* Helpers for the code that fills a spec. */
void appspec_add_dir(struct app_spec *s, const char *path, unsigned mode, unsigned uid,
		     unsigned gid);
void appspec_free(struct app_spec *s);

#endif
