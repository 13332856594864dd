/* The app spec: parse, print, round trip, rejections, and the guest init's
 * reading of what the host writes (build/tinyx-init --print-conf): both use
 * the one reader, formats/appconf.c, so this checks the writer against the
 * guest binary's handling (its storage, its printer, its exit status). */
#include "formats/appspec.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static const char sample[] = "# nginx\n"
			     "arg /usr/sbin/nginx\n"
			     "arg -g\n"
			     "arg daemon off; master_process on;\n"
			     "arg \n"
			     "   # indented comment\n"
			     "\n"
			     "env LANG=C.UTF-8\n"
			     "env X=a=b c\n"
			     "user 33\n"
			     "group 34\n"
			     "groups 33 4\n"
			     "dir /run/nginx 755 33 33\n"
			     "dir /var/lib/nginx 0700 33 0\n"
			     "pidfile /run/nginx.pid\n"
			     "forking 1\n"
			     "workdir /var/www\n"
			     "restart on-failure";

static const char *init = "build/tinyx-init";

static int parse(const char *s, struct app_spec *sp, struct tx_ctx *ctx)
{
	return appspec_parse(ctx, s, strlen(s), sp);
}

/* The guest init's reading of text: its exit status, what it printed. */
static int init_reads(const char *text, size_t len, char **out)
{
	char path[] = "/tmp/tinyx-appspec-XXXXXX";
	char *argv[] = {(char *)init, "--print-conf", path, NULL};
	struct tx_ctx ctx = {0};
	int fd = mkstemp(path), r;

	*out = NULL;
	CHECK(fd >= 0 && write(fd, text, len) == (ssize_t)len);
	close(fd);
	r = run_capture(&ctx, argv, out, 1 << 20);
	unlink(path);
	return r;
}

static void test_sample(void)
{
	struct tx_ctx ctx = {0};
	struct app_spec s, s2;
	struct sbuf t1 = {0}, t2 = {0};

	CHECK(parse(sample, &s, &ctx) == 0);
	CHECK(s.argv.n == 4);
	CHECK_STR(s.argv.v[2], "daemon off; master_process on;");
	CHECK_STR(s.argv.v[3], "");
	CHECK(s.env.n == 2);
	CHECK_STR(s.env.v[1], "X=a=b c");
	CHECK(s.has_user && s.uid == 33 && s.gid == 34);
	CHECK(s.ngroups == 2 && s.groups[0] == 33 && s.groups[1] == 4);
	CHECK(s.dirs.n == 2);
	CHECK_STR(s.dirs.v[0], "/run/nginx 0755 33 33");
	CHECK_STR(s.dirs.v[1], "/var/lib/nginx 0700 33 0");
	CHECK_STR(s.pidfile, "/run/nginx.pid");
	CHECK_STR(s.workdir, "/var/www");
	CHECK(s.forking == 1 && s.restart == 1);
	appspec_text(&s, &t1);
	CHECK(parse(t1.s, &s2, &ctx) == 0);
	appspec_text(&s2, &t2);
	CHECK_STR(t1.s, t2.s);
	appspec_free(&s);
	appspec_free(&s2);
	sbuf_free(&t1);
	sbuf_free(&t2);
}

static void test_bad(void)
{
	static const char *bad[] = {
	    "",				       /* no command */
	    "arg usr/sbin/nginx\n",	       /* relative */
	    "arg /x\nuser -1\n",	       /* negative */
	    "arg /x\nuser 4294967295\n",       /* (uid_t)-1 */
	    "arg /x\nuser 33x\n",	       /* junk */
	    "arg /x\nfrobnicate 1\n",	       /* unknown */
	    "arg /x\nforking 2\npidfile /p\n", /* not 0/1 */
	    "arg /x\noneshot yes\n",	       /* not 0/1 */
	    "arg /x\nrng 2\n",		       /* not 0/1 */
	    "arg /x\nrestart always\n",	       /* not supported */
	    "arg /x\ndir run 0755 0 0\n",      /* relative dir */
	    "arg /x\ndir /run 0855 0 0\n",     /* not octal */
	    "arg /x\ndir /run 0755 0\n",       /* missing gid */
	    "arg /x\ndir /run 0755 0 0 9\n",   /* extra */
	    "arg /x\ndir /run  0755 0 0\n",    /* double blank */
	    "arg /x\nenv =x\n",		       /* empty key */
	    "arg /x\nenv novalue\n",	       /* no '=' */
	    "arg /x\npidfile run/x.pid\n",     /* relative */
	    "arg /x\ngroups 1  2\n",	       /* double blank */
	    "arg\n",			       /* no value */
	    " arg /x\n",		       /* leading blank */
	    "arg /x\nuser \n",		       /* empty */
	    "arg /x\npre /bin/true\n",	       /* no flags field */
	    "arg /x\npre .\tbin/true\n",       /* relative */
	    "arg /x\npre ?\t/bin/true\n",      /* unknown flag */
	    "arg /x\npre <<\t/bin/true\n",     /* a flag twice */
	    "arg /x\nnetpre 2\n",	       /* a boolean */
	    "arg /x\npost -\t\n",	       /* no command */
	    "arg /x\numask 0800\n",	       /* not octal */
	    "arg /x\nnofile 10\n",	       /* no hard limit */
	    "arg /x\nnofile 20 10\n",	       /* soft above hard */
	    "arg /x\nnofile 1 2000000\n",      /* above nr_open */
	    "arg /x\ncaps 41\n",	       /* no such capability */
	    "arg /x\ncaps 10 \n",	       /* trailing blank */
	    "arg /x\ncaps x\n",		       /* not a number */
	};
	struct tx_ctx ctx = {.stage = "rootfs"};
	int have_init = access(init, X_OK) == 0;
	char nul[] = "arg /x\0y\n", *out;
	struct app_spec s;

	/* a forking daemon without a pid file: the init guesses its main process */
	CHECK(parse("arg /x\nforking 1\n", &s, &ctx) == 0 && s.forking && !s.pidfile);
	appspec_free(&s);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int r = parse(bad[i], &s, &ctx);

		CHECK(r == -EINVAL);
		if (r != -EINVAL)
			fprintf(stderr, "accepted: '%s'\n", bad[i]);
		CHECK(!strchr(ctx.err, '\n') && !strncmp(ctx.err, "rootfs: ", 8));
		/* the guest refuses it too, and says so on its console */
		if (have_init) {
			CHECK(init_reads(bad[i], strlen(bad[i]), &out) == 1);
			CHECK(out && !strncmp(out, "tinyx: ", 7));
			free(out);
		}
	}
	CHECK(appspec_parse(&ctx, nul, sizeof(nul) - 1, &s) == -EINVAL);
	CHECK_STR(ctx.err, "rootfs: NUL byte in the app spec");
	CHECK(parse("arg /x\nfrob 1\n", &s, &ctx) == -EINVAL);
	CHECK_STR(ctx.err, "rootfs: app spec line 2: unknown directive 'frob'");
	if (have_init) {
		CHECK(init_reads(nul, sizeof(nul) - 1, &out) == 1);
		free(out);
	}
}

static void test_built(void)
{
	struct tx_ctx ctx = {0};
	struct app_spec s = {0}, s2;
	struct sbuf t = {0};

	strv_push(&s.argv, "/bin/app");
	CHECK(appspec_check(&ctx, &s) == 0);
	appspec_add_dir(&s, "/run/app", 02755, 5, 6);
	CHECK_STR(s.dirs.v[0], "/run/app 2755 5 6");
	strv_push(&s.argv, "two\nlines");
	CHECK(appspec_check(&ctx, &s) == -EINVAL);
	free(s.argv.v[1]);
	s.argv.v[1] = xstrdup("ok");
	s.has_user = 1;
	s.gid = 7;
	appspec_text(&s, &t);
	CHECK(strstr(t.s, "user 0\ngroup 7\n") != NULL);
	CHECK(parse(t.s, &s2, &ctx) == 0);
	CHECK(s2.gid == 7 && s2.uid == 0 && s2.has_user);
	appspec_free(&s2);
	appspec_free(&s);
	sbuf_free(&t);
}

/* The guest init parses the same file: both must read it alike. */
static void test_init_agrees(void)
{
	static const char *texts[] = {
	    sample, "arg /bin/busybox\narg httpd\narg -f\n",
	    "arg /a b\nenv A=\nrestart no\nforking 0\n",
	    "arg /a\npre .\t/bin/check\t-t\npre -+\t/usr/lib/x/helper\tsetup\tx y\n"
	    "post !\t/bin/true\nnotify 1\numask 027\nnofile 1024 524288\n",
	    "arg /a\nuser 100\ngroup 101\ncaps 40 10 8\n",
	    "arg /usr/sbin/nft\narg -f\narg /etc/nftables.conf\nrestart no\noneshot 1\n",
	    "arg /usr/bin/wg-quick\narg up\narg wg0\nrestart no\noneshot 1\nrng 1\n",
	    /* a firewall before the network: the app, or a "<" hook */
	    "arg /usr/sbin/nft\narg -f\narg /x\nrestart no\noneshot 1\nnetpre 1\n",
	    "arg /a\npre <+\t/usr/sbin/nft\t-f\t/x\npre <\t/bin/true\n"};
	struct tx_ctx ctx = {0};

	if (access(init, X_OK) != 0) {
		fprintf(stderr, "test-appspec: no %s, skipping the init parser check\n", init);
		return;
	}
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		char *out;
		struct app_spec s;
		struct sbuf t = {0};

		CHECK(parse(texts[i], &s, &ctx) == 0);
		appspec_text(&s, &t);
		CHECK(init_reads(texts[i], strlen(texts[i]), &out) == 0);
		CHECK_STR(out, t.s);
		free(out);
		/* and the canonical text, as the build writes it */
		CHECK(init_reads(t.s, t.len, &out) == 0);
		CHECK_STR(out, t.s);
		free(out);
		sbuf_free(&t);
		appspec_free(&s);
	}
}

int main(void)
{
	RUN(test_sample);
	RUN(test_bad);
	RUN(test_built);
	RUN(test_init_agrees);
	return t_done("test-appspec");
}
