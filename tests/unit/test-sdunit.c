/* systemd units, command line splitting, tmpfiles.d, unit discovery. */
#include "formats/sdunit.h"
#include "formats/dpkg.h"
#include "t.h"

#include <errno.h>
#include <stdlib.h>

#define FIX "tests/fixtures/units"
#define NGINX_ROOT "/tmp/roots/nginx"

static char *join(const struct strv *s)
{
	struct sbuf b = {0};

	for (size_t i = 0; i < s->n; i++) {
		if (i)
			sbuf_add(&b, "|", 1);
		sbuf_puts(&b, s->v[i]);
	}
	return b.s ? b.s : xstrdup("");
}

#define CHECK_STRV(s, want)                                                                        \
	do {                                                                                       \
		char *j_ = join(s);                                                                \
		CHECK_STR(j_, want);                                                               \
		free(j_);                                                                          \
	} while (0)

static int parse_file(struct tx_ctx *ctx, const char *path, struct sd_unit *u)
{
	char *text;
	size_t len;
	int r = read_file(path, &text, &len, 1 << 20);

	if (r < 0)
		return r;
	r = sd_unit_parse(ctx, path, text, len, u);
	free(text);
	return r;
}

static int parse_tmpfiles(struct tx_ctx *ctx, const char *path, struct tmpfiles *t)
{
	char *text;
	size_t len;
	int r = read_file(path, &text, &len, 1 << 20);

	if (r < 0)
		return r;
	r = tmpfiles_parse(ctx, path, text, len, t);
	free(text);
	return r;
}

static void t_unit(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct sd_unit u = {0};
	struct strv argv = {0};

	CHECK(parse_file(&ctx, FIX "/webapp.service", &u) == 0);
	CHECK_STR(u.type, "notify");
	CHECK_STR(u.user, "webapp");
	CHECK_STR(u.group, "webapp");
	CHECK_STR(u.pidfile, "/run/webapp/webapp.pid");
	CHECK_STR(u.working_dir, "/var/lib/webapp");
	CHECK_STRV(&u.exec_start_pre, "-/usr/sbin/webapp --check  --config \"/etc/webapp/my "
				      "app.conf\"|+!/bin/mkdir -p /run/webapp");
	CHECK(u.exec_start.n == 1);
	CHECK(u.exec_start.n == 1 && sd_split_cmdline(&ctx, u.exec_start.v[0], &argv) == 0);
	CHECK_STRV(&argv, "/usr/sbin/webapp|webapp-daemon|-g|daemon off;|--name=a \"quoted\" "
			  "word|--env|$HOME|${PATH}|A\t\\end");
	strv_free(&argv);
	CHECK_STRV(&u.runtime_dirs, "webapp|webapp/sub|with space");
	CHECK_STRV(&u.state_dirs, "webapp|webapp-data");
	CHECK_STRV(&u.logs_dirs, "webapp");
	CHECK_STRV(&u.cache_dirs, "webapp");
	CHECK_STRV(&u.config_dirs, "webapp");
	CHECK_STRV(&u.environment, "LANG=C.UTF-8|WEBAPP_OPTS=-a -b|X=1");
	CHECK(u.ambient_caps == (1ull << 10 | 1ull << 25)); /* NET_BIND_SERVICE, SYS_TIME */
	sd_unit_free(&u);
	CHECK(u.user == NULL && u.exec_start.n == 0);
}

static void t_unit_more(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct sd_unit u = {0};
	const char *caps = "[Service]\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n"
			   "AmbientCapabilities=\nUser=a\nUser=\n";
	const char *inv = "[Service]\nAmbientCapabilities=~CAP_SYS_ADMIN\n";
	const char *inv2 = "[Service]\nAmbientCapabilities=~CAP_SYS_ADMIN CAP_NET_BIND_SERVICE\n";
	const char *two = "[Service]\nAmbientCapabilities=cap_net_raw CAP_NOPE\n"
			  "AmbientCapabilities=CAP_SETPCAP CAP_CHECKPOINT_RESTORE\n";
	const char *tail = "[Service]\nExecStart=/bin/a \\";
	const char *hdr = "[Service\nExecStart=/bin/a\n";
	const char *comment = "[Service]\n# comment \\\nExecStart=/bin/b\n";

	CHECK(sd_unit_parse(&ctx, "u", caps, strlen(caps), &u) == 0);
	CHECK(u.ambient_caps == 0 && u.user == NULL);
	sd_unit_free(&u);
	CHECK(sd_unit_parse(&ctx, "u", inv, strlen(inv), &u) == 0 &&
	      u.ambient_caps == (((1ull << 41) - 1) & ~(1ull << 21)));
	sd_unit_free(&u);
	CHECK(sd_unit_parse(&ctx, "u", inv2, strlen(inv2), &u) == 0 &&
	      u.ambient_caps == (((1ull << 41) - 1) & ~(1ull << 21 | 1ull << 10)));
	sd_unit_free(&u);
	/* lines add up; names in any case; an unknown one is passed over */
	CHECK(sd_unit_parse(&ctx, "u", two, strlen(two), &u) == 0 &&
	      u.ambient_caps == (1ull << 13 | 1ull << 8 | 1ull << 40));
	sd_unit_free(&u);
	CHECK(sd_unit_parse(&ctx, "u", tail, strlen(tail), &u) == 0);
	CHECK_STRV(&u.exec_start, "/bin/a");
	sd_unit_free(&u);
	CHECK(sd_unit_parse(&ctx, "u", comment, strlen(comment), &u) == 0);
	CHECK_STRV(&u.exec_start, "/bin/b");
	sd_unit_free(&u);
	CHECK(sd_unit_parse(&ctx, "x.service", hdr, strlen(hdr), &u) == -EINVAL);
	CHECK_STR(ctx.err, "closure: corrupt section header at line 1 'x.service'");
	sd_unit_free(&u);
	CHECK(parse_file(&ctx, FIX "/bad-quote.service", &u) == -EINVAL);
	CHECK_STR(ctx.err, "closure: bad ExecStart= value at line 3 '" FIX "/bad-quote.service'");
	sd_unit_free(&u);
	CHECK(parse_file(&ctx, FIX "/bad-line.service", &u) == -EINVAL);
	CHECK_STR(ctx.err, "closure: corrupt unit file at line 3 '" FIX "/bad-line.service'");
	sd_unit_free(&u);
	CHECK(sd_unit_parse(&ctx, "u", "", 0, &u) == 0 && u.exec_start.n == 0);
}

static void t_split(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct strv a = {0};

	CHECK(sd_split_cmdline(&ctx, "  a  b\\ c \"d e\"f 'g\"h' \"\" ${X}  ", &a) == 0);
	CHECK_STRV(&a, "a|b c|d ef|g\"h||${X}");
	strv_free(&a);
	CHECK(sd_split_cmdline(&ctx, "", &a) == 0 && a.n == 0);
	CHECK(sd_split_cmdline(&ctx, "\\101\\x42\\s\\n", &a) == 0);
	CHECK_STRV(&a, "AB \n");
	strv_free(&a);
	CHECK(sd_split_cmdline(&ctx, "a 'b", &a) == -EINVAL);
	CHECK_STR(ctx.err, "closure: bad quoting or escape in command line 'a 'b'");
	strv_free(&a);
	CHECK(sd_split_cmdline(&ctx, "a b\\", &a) == -EINVAL);
	strv_free(&a);
	CHECK(sd_split_cmdline(&ctx, "a \\x0", &a) == -EINVAL);
	strv_free(&a);
	CHECK(sd_split_cmdline(&ctx, "a \\x00", &a) == -EINVAL);
	strv_free(&a);
}

static void t_tmpfiles(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct tmpfiles t = {0};
	struct tmpfile_ent *e;

	CHECK(parse_tmpfiles(&ctx, FIX "/webapp.tmpfiles", &t) == 0);
	CHECK(t.n == 8);
	if (t.n != 8)
		goto out;
	e = t.e;
	CHECK(e[0].type == 'd' && e[0].has_mode && e[0].mode == 0755);
	CHECK_STR(e[0].path, "/run/webapp");
	CHECK_STR(e[0].user, "webapp");
	CHECK_STR(e[0].group, "webapp");
	CHECK(e[0].arg == NULL);
	CHECK(e[1].type == 'd' && e[1].mode == 02750 && e[1].group == NULL && !e[1].arg);
	CHECK(e[2].type == 'f' && e[2].mode == 0640);
	CHECK_STR(e[2].group, "adm");
	CHECK_STR(e[2].arg, "initial content");
	CHECK(e[3].type == 'L' && !e[3].has_mode && !e[3].user && !e[3].group);
	CHECK_STR(e[3].arg, "/usr/share/webapp/target");
	CHECK(e[4].type == 'z' && e[4].has_mode && e[4].mode == 0700 && !e[4].user);
	CHECK(e[5].type == 'D' && e[5].mode == 01777);
	CHECK_STR(e[5].user, "root");
	CHECK(e[6].type == 'x' && !e[6].has_mode && !e[6].arg);
	CHECK_STR(e[6].path, "/tmp/webapp-*");
	CHECK(e[7].type == 'C' && !e[7].arg);
	CHECK_STR(e[7].path, "/var/lib/webapp/with space");
out:
	tmpfiles_free(&t);
	CHECK(t.n == 0 && t.e == NULL);
	CHECK(parse_tmpfiles(&ctx, FIX "/bad-mode.tmpfiles", &t) == -EINVAL);
	CHECK_STR(ctx.err, "closure: bad mode '0899' at line 2 '" FIX "/bad-mode.tmpfiles'");
	CHECK(t.n == 1);
	tmpfiles_free(&t);
	CHECK(parse_tmpfiles(&ctx, FIX "/bad-type.tmpfiles", &t) == -EINVAL);
	CHECK_STR(ctx.err, "closure: unknown type 'y' at line 1 '" FIX "/bad-type.tmpfiles'");
	tmpfiles_free(&t);
	CHECK(tmpfiles_parse(&ctx, "t", "d\n", 2, &t) == -EINVAL);
	CHECK_STR(ctx.err, "closure: corrupt tmpfiles.d line 1 't'");
	CHECK(tmpfiles_parse(&ctx, "t", "d '/x\n", 6, &t) == -EINVAL);
	CHECK(tmpfiles_parse(&ctx, "t", "d /x 7777777777777\n", 19, &t) == -EINVAL);
	CHECK(tmpfiles_parse(&ctx, "t", "d /x ~\n", 7, &t) == -EINVAL);
	CHECK(t.n == 0);
	tmpfiles_free(&t);
}

static void t_find(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct strv files = {0}, units = {0};
	const char *list[] = {"/lib/systemd/system/webapp.service",
			      "/lib/systemd/system/webapp@.service",
			      "/usr/lib/systemd/system/webapp-worker.service",
			      "/lib/systemd/system/webapp.socket",
			      "/lib/systemd/system/sub/x.service",
			      "/lib/systemd/system/masked.service",
			      "/lib/systemd/system/gone.service",
			      "/etc/systemd/system/local.service",
			      "/lib/systemd/system/.service",
			      "/lib/systemd/system/webapp.service"};

	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		strv_push(&files, list[i]);
	CHECK(sd_find_units(&ctx, FIX "/root", &files, &units) == 0);
	CHECK_STRV(&units, "/lib/systemd/system/webapp.service|/lib/systemd/system/webapp@.service|"
			   "/usr/lib/systemd/system/webapp-worker.service");
	strv_free(&units);
	CHECK(sd_find_units(&ctx, NULL, &files, &units) == 0);
	CHECK_STRV(&units, "/lib/systemd/system/gone.service|/lib/systemd/system/masked.service|"
			   "/lib/systemd/system/webapp.service|/lib/systemd/system/webapp@.service|"
			   "/usr/lib/systemd/system/webapp-worker.service");
	strv_free(&units);
	strv_free(&files);
}

static void t_nginx_root(void)
{
	struct tx_ctx ctx = {.stage = "closure"};
	struct dpkg_db db = {0};
	struct strv files = {0}, units = {0}, argv = {0};
	struct sd_unit u = {0};
	struct dpkg_pkg *p;
	char *path;

	if (!is_dir(NGINX_ROOT "/var/lib/dpkg")) {
		printf("test-sdunit: skip: no root at %s\n", NGINX_ROOT);
		return;
	}
	CHECK(dpkg_load(&ctx, NGINX_ROOT, &db) == 0);
	p = dpkg_find(&db, "nginx-common");
	CHECK(p && dpkg_pkg_files(&ctx, NGINX_ROOT, p, &files) == 0);
	CHECK(sd_find_units(&ctx, NGINX_ROOT, &files, &units) == 0);
	CHECK_STRV(&units, "/lib/systemd/system/nginx.service");
	path = root_join(NGINX_ROOT, "/lib/systemd/system/nginx.service");
	CHECK(parse_file(&ctx, path, &u) == 0);
	free(path);
	CHECK_STR(u.type, "forking");
	CHECK_STR(u.pidfile, "/run/nginx.pid");
	CHECK_STRV(&u.exec_start, "/usr/sbin/nginx -g 'daemon on; master_process on;'");
	CHECK(u.exec_start.n == 1 && sd_split_cmdline(&ctx, u.exec_start.v[0], &argv) == 0);
	CHECK(argv.n == 3);
	CHECK_STRV(&argv, "/usr/sbin/nginx|-g|daemon on; master_process on;");
	CHECK(u.exec_start_pre.n == 1);
	strv_free(&argv);
	sd_unit_free(&u);
	strv_free(&units);
	strv_free(&files);
	dpkg_free(&db);
}

/* EnvironmentFile= contents and the $NAME / ${NAME} expansion of ExecStart */
static void t_env(void)
{
	static const char file[] = "# options for the daemon\n"
				   "OPTIONS=\"-u bind -4\"\n"
				   "  RESOLVCONF=no  \n"
				   "; a comment\n"
				   "not a setting\n"
				   "export X=1\n"
				   "Q='a \"b\" c'\n"
				   "E=\"x\\\"y\"\n"
				   "EMPTY=\n";
	struct strv env = {0}, argv = {0}, out = {0};
	static const char *const words[] = {
	    "/usr/sbin/named", "-f",	 "$OPTIONS", "$EMPTY",
	    "$UNSET",	       "${Q}/x", "a$$b",     "-c${RESOLVCONF}"};

	sd_env_file_parse(file, sizeof(file) - 1, &env);
	CHECK(env.n == 5);
	CHECK_STR(env.n > 0 ? env.v[0] : NULL, "OPTIONS=-u bind -4");
	CHECK_STR(env.n > 1 ? env.v[1] : NULL, "RESOLVCONF=no");
	CHECK_STR(env.n > 2 ? env.v[2] : NULL, "Q=a \"b\" c");
	CHECK_STR(env.n > 3 ? env.v[3] : NULL, "E=x\"y");
	CHECK_STR(env.n > 4 ? env.v[4] : NULL, "EMPTY=");
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		strv_push(&argv, words[i]);
	sd_expand_argv(&argv, &env, &out);
	CHECK(out.n == 8);
	CHECK_STR(out.n > 2 ? out.v[2] : NULL, "-u");
	CHECK_STR(out.n > 3 ? out.v[3] : NULL, "bind");
	CHECK_STR(out.n > 4 ? out.v[4] : NULL, "-4");
	CHECK_STR(out.n > 5 ? out.v[5] : NULL, "a \"b\" c/x");
	CHECK_STR(out.n > 6 ? out.v[6] : NULL, "a$b");
	CHECK_STR(out.n > 7 ? out.v[7] : NULL, "-cno");
	strv_free(&env);
	strv_free(&argv);
	strv_free(&out);
}

int main(void)
{
	RUN(t_unit);
	RUN(t_unit_more);
	RUN(t_split);
	RUN(t_env);
	RUN(t_tmpfiles);
	RUN(t_find);
	RUN(t_nginx_root);
	return t_done("test-sdunit");
}
