/* The closure on a fixture root (tests/fixtures/closure/root, completed at
 * test time with host binaries): the manifest must equal the golden file
 * tests/fixtures/closure/demo.manifest; bad roots give clear errors. */
#include "closure/closure.h"
#include "formats/appconf.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[] = "/tmp/tinyx-closure-XXXXXX";

static int sh(const char *cmd)
{
	return system(cmd);
}

static void make_root(void)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd),
		 "cp -a tests/fixtures/closure/root/. %s/ && cd %s && "
		 "mkdir -p usr/sbin usr/lib/x86_64-linux-gnu lib64 var/log/demo var/lib/demo && "
		 "cp /usr/lib/x86_64-linux-gnu/libc.so.6 usr/lib/x86_64-linux-gnu/ && "
		 "cp /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 usr/lib/x86_64-linux-gnu/ && "
		 "ln -s /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 lib64/ && "
		 "cp /bin/true usr/sbin/demod && chmod 755 usr/sbin/demod && "
		 "cp /bin/true usr/sbin/demo-tool && "
		 "cp /bin/true usr/sbin/demo-fw",
		 tmp, tmp);
	CHECK(sh(cmd) == 0);
}

static char *run(const char *app, int *rc, struct tx_ctx *ctx, struct app_spec *spec)
{
	struct manifest m;
	struct sbuf b = {0};

	manifest_init(&m, app, tmp);
	*rc = closure_build(ctx, app, tmp, ".", &m, spec);
	if (*rc == 0)
		manifest_text(&m, &b);
	manifest_free(&m);
	return b.s;
}

int main(void)
{
	struct tx_ctx ctx = {0};
	struct app_spec spec = {0};
	char *golden = NULL, *out;
	int rc;

	if (!mkdtemp(tmp))
		return 1;
	RUN(make_root);
	TCASE("trim");
	{
		/* the trace saw demod run: demo-tool (another ELF of the
		 * package) stays out, what demod needs stays in */
		struct strv seen = {0}, none = {0};
		struct closure_extra x = {.opened = &seen, .runtime = &none};
		struct manifest m;
		struct app_spec sp = {0};
		struct sbuf b = {0};

		strv_push(&seen, "/usr/sbin/demod");
		manifest_init(&m, "demo", tmp);
		CHECK(closure_build_ex(&ctx, "demo", tmp, ".", &x, &m, &sp) == 0);
		manifest_text(&m, &b);
		CHECK(b.s && strstr(b.s, "file  /usr/sbin/demod ") && strstr(b.s, "/libc.so.6 ") &&
		      !strstr(b.s, "demo-tool"));
		manifest_free(&m);
		appspec_free(&sp);
		sbuf_free(&b);
		/* seen run: in */
		strv_push(&seen, "/usr/sbin/demo-tool");
		manifest_init(&m, "demo", tmp);
		CHECK(closure_build_ex(&ctx, "demo", tmp, ".", &x, &m, &sp) == 0);
		manifest_text(&m, &b);
		CHECK(b.s && strstr(b.s, "file  /usr/sbin/demo-tool 0755 0 0  pkg=demo"));
		manifest_free(&m);
		appspec_free(&sp);
		sbuf_free(&b);
		strv_free(&seen);
	}
	TCASE("demo manifest");
	out = run("demo", &rc, &ctx, &spec);
	if (rc)
		fprintf(stderr, "closure: %s\n", ctx.err);
	CHECK(rc == 0);
	CHECK(read_file("tests/fixtures/closure/demo.manifest", &golden, NULL, 1 << 20) == 0);
	if (out && (getenv("TINYX_UPDATE_GOLDEN") || getenv("UPDATE_GOLDEN")))
		write_file_atomic("tests/fixtures/closure/demo.manifest", out, strlen(out), 0644);
	CHECK(out && golden && !strcmp(out, golden));
	if (out && golden && strcmp(out, golden))
		fprintf(stderr, "--- got:\n%s--- want:\n%s", out, golden);
	/* what must not be there */
	CHECK(out && !strstr(out, "/usr/share/doc"));
	CHECK(out && !strstr(out, "/usr/share/man"));
	CHECK(out && !strstr(out, "/etc/init.d"));
	CHECK(out && !strstr(out, "/etc/secret.conf")); /* only named in a comment */
	CHECK(out && !strstr(out, "nobody"));
	/* what the unit says */
	/* ExecStart=... $DEMO_OPTS with DEMO_OPTS from EnvironmentFile=-/etc/default/demo */
	CHECK(spec.argv.n == 6);
	CHECK_STR(spec.argv.n == 6 ? spec.argv.v[2] : NULL, "/etc/demo/demo.conf");
	CHECK_STR(spec.argv.n == 6 ? spec.argv.v[5] : NULL, "8080");
	CHECK(spec.env.n == 1);
	CHECK_STR(spec.env.n == 1 ? spec.env.v[0] : NULL, "DEMO_OPTS=-v --port 8080");
	CHECK(spec.has_user && spec.uid == 100 && spec.gid == 101);
	CHECK(spec.forking == 1);
	CHECK_STR(spec.pidfile, "/run/demo.pid");
	/* ExecStartPre= and ExecStartPost=, expanded, with their flags (a name
	 * alone is found in the search path); a "-"
	 * command the root lacks is left out */
	/* the oneshot unit it Requires= first (as root: no User= of its own) */
	CHECK(spec.pre.n == 2 && spec.post.n == 1);
	CHECK_STR(spec.pre.n == 2 ? spec.pre.v[0] : NULL, "+\t/usr/sbin/demod\t--setup");
	CHECK(spec.has_umask && spec.umask == 027);
	CHECK(spec.nofile_soft == 4096 && spec.nofile_hard == 1048576);
	CHECK_STR(spec.pre.n == 2 ? spec.pre.v[1] : NULL,
		  ".\t/usr/sbin/demod\t-t\t-v\t--port\t8080");
	CHECK_STR(spec.post.n ? spec.post.v[0] : NULL, "+-\t/usr/sbin/demod\t--ready");
	CHECK(spec.dirs.n == 2);
	CHECK(spec.dirs.n >= 1 && !strcmp(spec.dirs.v[0], "/run/demo 0755 100 101"));
	free(out);
	free(golden);
	appspec_free(&spec);

	TCASE("feature fragments");
	/* kconfig-fragments/features/: a fragment whose pattern matches a
	 * path of the manifest adds its options, with the fragment and the
	 * path as the reason; one that matches nothing adds none */
	{
		char proj[] = "/tmp/tinyx-fragXXXXXX", fcmd[512];
		struct manifest fm;
		int has_tun = 0, has_nope = 0, has_rng = 0;

		CHECK(mkdtemp(proj) != NULL);
		snprintf(
		    fcmd, sizeof(fcmd),
		    "mkdir -p %s/kconfig-fragments/features && cd %s/kconfig-fragments/features"
		    " && printf '# x\\n# match: /nope /usr/sbin/demo*\\nCONFIG_TUN=y\\n"
		    "# CONFIG_NO=y\\nCONFIG_M=m\\n' > tun.config && printf '# match: "
		    "/usr/bin/none\\nCONFIG_NOPE=y\\n' > nope.config && printf '# match: "
		    "/usr/sbin/demod\\n# init: rng\\n' > rng.config",
		    proj, proj);
		CHECK(sh(fcmd) == 0);
		manifest_init(&fm, "demo", tmp);
		memset(&spec, 0, sizeof(spec));
		CHECK(closure_build(&ctx, "demo", tmp, proj, &fm, &spec) == 0);
		/* "# init: rng": the init waits for the RNG, the kernel gets
		 * the virtio RNG's driver */
		CHECK(spec.rng == 1);
		for (size_t i = 0; i < fm.nf; i++) {
			if (!strcmp(fm.f[i].option, "HW_RANDOM_VIRTIO")) {
				has_rng = 1;
				CHECK_STR(fm.f[i].symbol, "features/rng.config");
			}
			if (!strcmp(fm.f[i].option, "TUN")) {
				has_tun = 1;
				CHECK_STR(fm.f[i].symbol, "features/tun.config");
				CHECK_STR(fm.f[i].binary, "/usr/sbin/demod");
			}
			has_nope |= !strcmp(fm.f[i].option, "NOPE") ||
				    !strcmp(fm.f[i].option, "M") || !strcmp(fm.f[i].option, "NO");
		}
		CHECK(has_tun && has_rng && !has_nope);
		manifest_free(&fm);
		appspec_free(&spec);
		snprintf(fcmd, sizeof(fcmd), "rm -rf %s", proj);
		CHECK(sh(fcmd) == 0);
	}

	TCASE("--add");
	/* another package: its files, its oneshot unit first among the hooks
	 * (as root), its service not started; an unknown one is an error */
	{
		struct strv add = {0};
		struct closure_extra x = {.add = &add};
		struct manifest am;

		strv_push(&add, "demo-fw");
		memset(&spec, 0, sizeof(spec));
		manifest_init(&am, "demo", tmp);
		CHECK(closure_build_ex(&ctx, "demo", tmp, ".", &x, &am, &spec) == 0);
		CHECK(manifest_find(&am, ME_FILE, "/usr/sbin/demo-fw") != NULL);
		CHECK(spec.pre.n == 3);
		/* Before=network-pre.target: "<", before the network comes up */
		CHECK_STR(spec.pre.n == 3 ? spec.pre.v[0] : NULL,
			  "<+\t/usr/sbin/demo-fw\t-f\t/etc/demo-fw.rules");
		CHECK(appconf_hook(spec.pre.v[0], strlen(spec.pre.v[0])) == 0);
		CHECK(!spec.netpre); /* the app (demod) is no oneshot */
		CHECK_STR(spec.pre.n == 3 ? spec.pre.v[1] : NULL, "+\t/usr/sbin/demod\t--setup");
		CHECK_STR(spec.argv.n ? spec.argv.v[0] : NULL, "/usr/sbin/demod");
		manifest_free(&am);
		appspec_free(&spec);
		strv_free(&add);
		strv_push(&add, "no-such-pkg");
		manifest_init(&am, "demo", tmp);
		CHECK(closure_build_ex(&ctx, "demo", tmp, ".", &x, &am, NULL) == -ENOENT);
		CHECK(strstr(ctx.err, "closure: package of --add is not installed in") == ctx.err);
		manifest_free(&am);
		strv_free(&add);
	}

	TCASE("secrets made at boot");
	/* demo-common's postinst made /etc/demo/demo.key (0600) and demo.pem,
	 * which no package ships: out of the image, even when the trace saw
	 * them opened; the plain block that made them is the first hook, as
	 * root; a block with a variable in it, or one that tests no secret,
	 * is not taken; demo.conf (shipped) stays */
	{
		char cmd[1024];
		struct strv rt = {0};
		struct closure_extra x = {.runtime = &rt};
		struct manifest sm;
		struct sbuf b = {0};

		snprintf(
		    cmd, sizeof(cmd),
		    "cd %s && printf 'k\\n' >etc/demo/demo.key && chmod 600 etc/demo/demo.key"
		    " && printf 'c\\n' >etc/demo/demo.pem && printf '#!/bin/sh\\nset -e\\n"
		    "if [ \"$1\" = configure ]; then\\n  if [ ! -f /etc/demo/demo.key ]; then\\n"
		    "    # make the key\\n    demod --keygen >/dev/null 2>&1 || true\\n"
		    "    chmod 0640 /etc/demo/demo.key\\n  fi\\n"
		    "  if [ ! -f /etc/demo/demo.key ]; then\\n    demod $X\\n  fi\\n"
		    "  if [ ! -f /etc/demo/demo.conf ]; then\\n    demod --conf\\n  fi\\n"
		    "fi\\n' >var/lib/dpkg/info/demo-common.postinst",
		    tmp);
		CHECK(sh(cmd) == 0);
		strv_push(&rt, "/etc/demo/demo.key");
		memset(&spec, 0, sizeof(spec));
		manifest_init(&sm, "demo", tmp);
		CHECK(closure_build_ex(&ctx, "demo", tmp, ".", &x, &sm, &spec) == 0);
		manifest_text(&sm, &b);
		CHECK(b.s && !strstr(b.s, "demo.key") && !strstr(b.s, "demo.pem"));
		CHECK(b.s && strstr(b.s, "/etc/demo/demo.conf"));
		CHECK(spec.pre.n == 3);
		CHECK_STR(spec.pre.n ? spec.pre.v[0] : NULL,
			  "+\t/bin/sh\t-c\tif [ ! -f /etc/demo/demo.key ]; then demod --keygen "
			  ">/dev/null 2>&1 || true; chmod 0640 /etc/demo/demo.key; fi");
		CHECK(spec.made.n == 2 && strv_contains(&spec.made, "/etc/demo/demo.key") &&
		      strv_contains(&spec.made, "/etc/demo/demo.pem"));
		sbuf_free(&b);
		manifest_free(&sm);
		appspec_free(&spec);
		strv_free(&rt);
		snprintf(cmd, sizeof(cmd),
			 "cd %s && rm etc/demo/demo.key etc/demo/demo.pem "
			 "var/lib/dpkg/info/demo-common.postinst",
			 tmp);
		CHECK(sh(cmd) == 0);
	}

	TCASE("SysV init script");
	/* no unit, an init script: "SCRIPT start", followed as forking */
	{
		char cmd[512];
		struct manifest vm;

		snprintf(cmd, sizeof(cmd),
			 "cd %s && mv lib/systemd/system/demo.service demo.service.away", tmp);
		CHECK(sh(cmd) == 0);
		memset(&spec, 0, sizeof(spec));
		manifest_init(&vm, "demo", tmp);
		CHECK(closure_build(&ctx, "demo", tmp, ".", &vm, &spec) == 0);
		CHECK(spec.argv.n == 2);
		CHECK_STR(spec.argv.n == 2 ? spec.argv.v[0] : NULL, "/etc/init.d/demo");
		CHECK_STR(spec.argv.n == 2 ? spec.argv.v[1] : NULL, "start");
		CHECK(spec.forking == 1 && !spec.pidfile);
		CHECK(manifest_find(&vm, ME_FILE, "/etc/init.d/demo") != NULL);
		manifest_free(&vm);
		appspec_free(&spec);
		snprintf(cmd, sizeof(cmd),
			 "cd %s && mv demo.service.away lib/systemd/system/demo.service", tmp);
		CHECK(sh(cmd) == 0);
	}

	TCASE("DynamicUser");
	/* a user the root lacks is made, in systemd's dynamic range, uid ==
	 * gid; the same name gives the same uid */
	{
		char cmd[512];
		struct manifest dm;
		struct sbuf b = {0};
		unsigned first = 0;

		snprintf(cmd, sizeof(cmd),
			 "cd %s && cp lib/systemd/system/demo.service demo.service.keep && "
			 "sed -i 's/^User=demo$/User=dyn\\nDynamicUser=yes/' "
			 "lib/systemd/system/demo.service",
			 tmp);
		CHECK(sh(cmd) == 0);
		for (int k = 0; k < 2; k++) {
			memset(&spec, 0, sizeof(spec));
			manifest_init(&dm, "demo", tmp);
			CHECK(closure_build(&ctx, "demo", tmp, ".", &dm, &spec) == 0);
			CHECK(spec.has_user && spec.uid >= 61184 && spec.uid <= 65519 &&
			      spec.gid == spec.uid);
			CHECK(k == 0 || spec.uid == first);
			first = spec.uid;
			manifest_text(&dm, &b);
			CHECK(b.s && strstr(b.s, "user  dyn ") && strstr(b.s, "group dyn "));
			sbuf_free(&b);
			b = (struct sbuf){0};
			manifest_free(&dm);
			appspec_free(&spec);
		}
		snprintf(cmd, sizeof(cmd),
			 "cd %s && mv demo.service.keep lib/systemd/system/demo.service", tmp);
		CHECK(sh(cmd) == 0);
	}

	TCASE("virtual name");
	/* a virtual name resolves to its provider */
	memset(&spec, 0, sizeof(spec));
	out = run("demo-httpd", &rc, &ctx, NULL);
	CHECK(rc == 0 && out && strstr(out, "/usr/sbin/demod"));
	free(out);

	TCASE("not installed");
	/* not installed (config-files only); the closure names itself whoever
	 * calls it, and gives the caller its stage back */
	tx_stage(&ctx, "compare");
	out = run("demo-doc", &rc, &ctx, NULL);
	CHECK(rc < 0 && strstr(ctx.err, "closure: package 'demo-doc' is not installed") == ctx.err);
	CHECK_STR(ctx.stage, "compare");
	free(out);

	TCASE("template unit");
	/* the package's unit is a template: the instance the root enables,
	 * its specifiers replaced; none enabled: as if it had no unit */
	char tcmd[1024];
	snprintf(tcmd, sizeof(tcmd),
		 "cd %s && sed -i "
		 "'s|/lib/systemd/system/demo.service|/lib/systemd/system/demo@.service|'"
		 " var/lib/dpkg/info/demo.list && sed 's|^ExecStart=.*|ExecStart=/usr/sbin/demod -c"
		 " /etc/demo/%%i.conf -n %%n -p %%p -I %%I|' lib/systemd/system/demo.service >"
		 " lib/systemd/system/demo@.service && rm lib/systemd/system/demo.service",
		 tmp);
	CHECK(sh(tcmd) == 0);
	memset(&spec, 0, sizeof(spec));
	/* no instance enabled: as if it had no unit, so its init script (as
	 * systemd's sysv-generator: a template is no unit of that name) */
	out = run("demo", &rc, &ctx, &spec);
	CHECK(rc == 0 && spec.argv.n == 2);
	CHECK_STR(spec.argv.n ? spec.argv.v[0] : NULL, "/etc/init.d/demo");
	appspec_free(&spec);
	free(out);
	snprintf(tcmd, sizeof(tcmd),
		 "mkdir -p %s/etc/systemd/system/multi-user.target.wants && ln -s "
		 "/lib/systemd/system/demo@.service "
		 "'%s/etc/systemd/system/multi-user.target.wants/demo@web\\x2dA.service'",
		 tmp, tmp);
	CHECK(sh(tcmd) == 0);
	memset(&spec, 0, sizeof(spec));
	out = run("demo", &rc, &ctx, &spec);
	CHECK(rc == 0);
	CHECK(spec.argv.n == 9);
	CHECK_STR(spec.argv.n == 9 ? spec.argv.v[2] : NULL, "/etc/demo/web\\x2dA.conf");
	CHECK_STR(spec.argv.n == 9 ? spec.argv.v[4] : NULL, "demo@web\\x2dA.service");
	CHECK_STR(spec.argv.n == 9 ? spec.argv.v[6] : NULL, "demo");
	CHECK_STR(spec.argv.n == 9 ? spec.argv.v[8] : NULL, "web-A");
	appspec_free(&spec);
	free(out);
	snprintf(
	    tcmd, sizeof(tcmd),
	    "cd %s && rm -r etc/systemd/system/multi-user.target.wants && sed -i "
	    "'s|/lib/systemd/system/demo@.service|/lib/systemd/system/demo.service|'"
	    " var/lib/dpkg/info/demo.list && rm lib/systemd/system/demo@.service && cp "
	    "%s/tests/fixtures/closure/root/lib/systemd/system/demo.service lib/systemd/system/",
	    tmp, getenv("PWD") ? getenv("PWD") : ".");
	CHECK(sh(tcmd) == 0);

	TCASE("unit without ExecStart");
	/* a unit without ExecStart */
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "sed -i '/^ExecStart/d' %s/lib/systemd/system/demo.service",
		 tmp);
	CHECK(sh(cmd) == 0);
	out = run("demo", &rc, &ctx, NULL);
	CHECK(rc < 0 && strstr(ctx.err, "unit has no ExecStart"));
	free(out);

	TCASE("missing library");
	/* a missing library */
	snprintf(cmd, sizeof(cmd),
		 "cp tests/fixtures/closure/root/lib/systemd/system/demo.service "
		 "%s/lib/systemd/system/ && rm %s/usr/lib/x86_64-linux-gnu/libc.so.6",
		 tmp, tmp);
	CHECK(sh(cmd) == 0);
	out = run("demo", &rc, &ctx, NULL);
	CHECK(rc < 0 && strstr(ctx.err, "cannot find 'libc.so.6' needed by '/usr/sbin/demod'"));
	free(out);

	TCASE("corrupt status");
	/* a corrupt status file */
	snprintf(cmd, sizeof(cmd), "printf 'Package demo\\n' > %s/var/lib/dpkg/status", tmp);
	CHECK(sh(cmd) == 0);
	out = run("demo", &rc, &ctx, NULL);
	CHECK(rc < 0 && strstr(ctx.err, "status"));
	free(out);

	TCASE("bad name");
	/* a bad name never reaches the file system */
	out = run("../etc", &rc, &ctx, NULL);
	CHECK(rc < 0 && strstr(ctx.err, "invalid package name '../etc'"));
	free(out);

	rm_rf(tmp);
	return t_done("test-closure");
}
