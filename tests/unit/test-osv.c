/* The osv row's manifest for OSv's image tool and its command (osv.h). */
#include "t.h"

#include "compare/osv.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

static char root[] = "/tmp/tinyx-osv-XXXXXX";

static void put(const char *path, const char *text)
{
	char *p = xasprintf("%s%s", root, path), *d = path_dirname(p);

	mkdir_p(d, 0755);
	CHECK(write_file_atomic(p, text, strlen(text), 0644) == 0);
	free(d);
	free(p);
}

static void add(struct manifest *m, enum ment_type t, const char *path, const char *target)
{
	struct ment e = {.type = t, .path = (char *)path, .target = (char *)target, .mode = 0644};

	manifest_add(m, &e);
}

static int has(const char *text, const char *line)
{
	char *l = xasprintf("\n%s\n", line);
	int yes = strstr(text, l) != NULL;

	free(l);
	return yes;
}

static void test_manifest(void)
{
	struct tx_ctx ctx = {0};
	struct manifest m;
	struct strv ov = {0}, made = {0};
	struct sbuf out = {0};
	char *l;

	put("/usr/sbin/app", "ELF");
	put("/usr/lib/x86_64-linux-gnu/libfoo.so.1.2", "lib");
	put("/usr/lib/x86_64-linux-gnu/libc.so.6", "libc");
	put("/usr/lib/x86_64-linux-gnu/libcrypt.so.1.1.0", "crypt");
	put("/var/log/app/app.log", "");
	put("/var/lib/app/state", "kept");
	manifest_init(&m, "app", root);
	add(&m, ME_DIR, "/usr", NULL);
	add(&m, ME_DIR, "/usr/sbin", NULL);
	add(&m, ME_FILE, "/usr/sbin/app", NULL);
	add(&m, ME_DIR, "/usr/lib", NULL);
	add(&m, ME_DIR, "/usr/lib/x86_64-linux-gnu", NULL);
	add(&m, ME_FILE, "/usr/lib/x86_64-linux-gnu/libfoo.so.1.2", NULL);
	add(&m, ME_SLINK, "/usr/lib/x86_64-linux-gnu/libfoo.so.1", "libfoo.so.1.2");
	add(&m, ME_FILE, "/usr/lib/x86_64-linux-gnu/libc.so.6", NULL);
	add(&m, ME_SLINK, "/usr/lib/x86_64-linux-gnu/libcrypt.so.1", "libcrypt.so.1.1.0");
	add(&m, ME_FILE, "/usr/lib/x86_64-linux-gnu/libcrypt.so.1.1.0", NULL);
	add(&m, ME_SLINK, "/lib", "usr/lib");
	add(&m, ME_SLINK, "/etc/app/site", "/etc/app/available");
	add(&m, ME_DIR, "/var", NULL);
	add(&m, ME_DIR, "/var/log", NULL);
	add(&m, ME_DIR, "/var/log/app", NULL);
	add(&m, ME_FILE, "/var/log/app/app.log", NULL);
	add(&m, ME_DIR, "/var/lib", NULL);
	add(&m, ME_DIR, "/var/lib/app", NULL);
	add(&m, ME_FILE, "/var/lib/app/state", NULL);
	add(&m, ME_USER, "www-data", "/var/www");
	manifest_sort(&m);
	strv_push(&ov, "/etc/app/site");
	strv_push(&made, "/run");
	strv_push(&made, "/run/app");
	strv_push(&made, "/var/lib/app");
	CHECK(osv_manifest(&ctx, &m, "/c/fstab", "/src/files", &ov, &made, &out) == 0);
	CHECK(!strncmp(out.s, "[manifest]\n/etc/fstab: /c/fstab\n", 32));
	l = xasprintf("/usr/sbin/app: %s/usr/sbin/app", root);
	CHECK(has(out.s, l)); /* a file: its host path in the root */
	free(l);
	l = xasprintf("/tmp: %s", root);
	CHECK(has(out.s, l)); /* fstab's mount points, as dirs */
	free(l);
	/* the multiarch libraries, and their links where OSv's loader looks */
	CHECK(has(out.s, "/usr/lib/x86_64-linux-gnu/libfoo.so.1: ->libfoo.so.1.2"));
	CHECK(has(out.s, "/usr/lib/libfoo.so.1: ->/usr/lib/x86_64-linux-gnu/libfoo.so.1"));
	CHECK(has(out.s, "/usr/lib/libfoo.so.1.2: ->/usr/lib/x86_64-linux-gnu/libfoo.so.1.2"));
	CHECK(has(out.s, "/lib: ->usr/lib"));
	/* what OSv's kernel supplies stays out: the soname and its file */
	CHECK(!strstr(out.s, "libc.so.6") && !strstr(out.s, "libcrypt"));
	/* a log dir of empty files: a link to /tmp, its files gone; a dir with
	 * data stays as it is, also when the app's dirs name it */
	CHECK(has(out.s, "/var/log/app: ->/tmp") && !strstr(out.s, "app.log"));
	CHECK(!has(out.s, "/var/log: ->/tmp"));
	l = xasprintf("/var/lib/app/state: %s/var/lib/app/state", root);
	CHECK(has(out.s, l) && !strstr(out.s, "/var/lib/app: ->"));
	free(l);
	/* made: /run as a link, /run/app below it not again */
	CHECK(has(out.s, "/run: ->/tmp") && !strstr(out.s, "/run/app"));
	/* ours over the root's: the link replaced by our file */
	CHECK(has(out.s, "/etc/app/site: /src/files/etc/app/site"));
	CHECK(!strstr(out.s, "/etc/app/available"));
	CHECK(!strstr(out.s, "www-data")); /* no users on OSv */
	sbuf_free(&out);

	/* a path the tool's format cannot hold: one error naming it */
	put("/etc/a: b", "x");
	add(&m, ME_FILE, "/etc/a: b", NULL);
	CHECK(osv_manifest(&ctx, &m, "/c/fstab", "/src/files", &ov, &made, &out) == -EINVAL);
	CHECK(strstr(ctx.err, "cannot hold '/etc/a: b'") != NULL);
	manifest_free(&m);
	manifest_init(&m, "app", root);
	add(&m, ME_SLINK, "/x", "->/etc/passwd");
	CHECK(osv_manifest(&ctx, &m, "/c/fstab", "/src/files", &ov, &made, &out) == -EINVAL);
	manifest_free(&m);
	manifest_init(&m, "app", root);
	add(&m, ME_FILE, "/etc/%(libgcc_s_dir)s", NULL);
	CHECK(osv_manifest(&ctx, &m, "/c/fstab", "/src/files", &ov, &made, &out) == -EINVAL);
	manifest_free(&m);
	strv_free(&ov);
	strv_free(&made);
}

static void test_command(void)
{
	const char *table = "# comment\nnginx\t/usr/sbin/nginx -g \"daemon off;\"\n"
			    "nginx-x\t/x\n";
	struct app_spec s = {0};
	char note[256] = "", *cmd = NULL;

	/* a forking app with a line: the line */
	s.forking = 1;
	strv_push(&s.argv, "/usr/sbin/nginx");
	CHECK(osv_command(table, "nginx", &s, note, sizeof(note), &cmd) == 0);
	CHECK_STR(cmd, "/usr/sbin/nginx -g \"daemon off;\"");
	free(cmd);
	/* a forking app without one: not measured, saying why */
	CHECK(osv_command(table, "ngin", &s, note, sizeof(note), &cmd) == 1 && !cmd);
	CHECK(strstr(note, "not measured: ngin's service forks") != NULL);
	/* one that does not fork: its own command, quoted where OSv splits */
	s.forking = 0;
	strv_push(&s.argv, "--conf");
	strv_push(&s.argv, "a b;c");
	CHECK(osv_command(table, "app", &s, note, sizeof(note), &cmd) == 0);
	CHECK_STR(cmd, "/usr/sbin/nginx --conf \"a b;c\"");
	free(cmd);
	strv_push(&s.argv, "say \"hi\"");
	CHECK(osv_command(table, "app", &s, note, sizeof(note), &cmd) == 1 && !cmd);
	CHECK(strstr(note, "cannot quote") != NULL);
	appspec_free(&s);
	memset(&s, 0, sizeof(s));
	strv_push(&s.argv, "/bin/app");
	strv_push(&s.env, "A=b c");
	CHECK(osv_command(table, "app", &s, note, sizeof(note), &cmd) == 1 && !cmd);
	CHECK(strstr(note, "environment") != NULL);
	appspec_free(&s);
}

int main(void)
{
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_manifest);
	RUN(test_command);
	rm_rf(root);
	return t_done("test-osv");
}
