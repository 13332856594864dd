/* The library's plumbing: one process API, one cache helper, errors. */
#include "lib/util.h"
#include "t.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_spawn(void)
{
	struct tx_ctx ctx = {0};
	char *ok[] = {"sh", "-c", "exit 3", NULL}, *none[] = {"/no/such/tool", NULL};
	char *echo[] = {"sh", "-c", "echo out; echo err >&2", NULL}, *out = NULL;
	char *fd3[] = {"sh", "-c", "echo three >&3", NULL};
	struct tx_spawn s = TX_SPAWN_INIT(ok);
	int p[2];
	pid_t pid;

	CHECK(tx_run(&ctx, &s) == 3);
	s.argv = none;
	CHECK(tx_run(&ctx, &s) == -ENOENT);
	CHECK(strstr(ctx.err, "cannot run '/no/such/tool'") != NULL);
	CHECK(run_capture_q(&ctx, echo, &out, 100, 1) == 0);
	CHECK_STR(out, "out\n");
	free(out);
	CHECK(pipe(p) == 0);
	s.argv = fd3;
	s.fd3 = p[1];
	CHECK(tx_run(&ctx, &s) == 0);
	close(p[1]);
	{
		char buf[16] = {0};
		CHECK(read(p[0], buf, sizeof(buf) - 1) == 6);
		CHECK_STR(buf, "three\n");
	}
	close(p[0]);
	{
		/* fd 4 as the child's 4; fd 3 not given: closed in the child */
		char *fd4[] = {"sh", "-c", "echo four >&4; echo x >&3 || echo no3 >&4", NULL};
		int q[2];
		char buf[16] = {0};

		CHECK(pipe(q) == 0);
		s.argv = fd4;
		s.fd3 = -1;
		s.fd4 = q[1];
		s.err = TX_FD_NULL;
		CHECK(tx_run(&ctx, &s) == 0);
		close(q[1]);
		CHECK(read(q[0], buf, sizeof(buf) - 1) == 9);
		CHECK_STR(buf, "four\nno3\n");
		close(q[0]);
		s.argv = none; /* the exec error still comes back (fd 5) */
		CHECK(tx_run(&ctx, &s) == -ENOENT);
	}
	{
		char *slow[] = {"sleep", "5", NULL};
		struct tx_spawn w = TX_SPAWN_INIT(slow);

		w.flags = TX_SPAWN_PGRP;
		CHECK(tx_spawn(&ctx, &w, &pid) == 0);
		CHECK(tx_wait(pid, 50) == -ETIMEDOUT);
		tx_kill(pid);
		CHECK(kill(pid, 0) < 0);
	}
}

static int nlines;
static void count_line(void *arg, const char *line)
{
	(void)arg;
	nlines += line[0] == 'l';
}

static void test_lines(void)
{
	struct tx_ctx ctx = {0};
	char *argv[] = {"sh", "-c", "echo l1; echo l2 >&2; printf l3", NULL};
	struct tx_spawn s = TX_SPAWN_INIT(argv);
	char log[] = "/tmp/tinyx-test-lib-XXXXXX", *text = NULL;
	int fd = mkstemp(log);

	close(fd);
	CHECK(tx_run_lines(&ctx, &s, log, count_line, NULL) == 0);
	CHECK(nlines == 2); /* the unterminated last line is not a line */
	CHECK(read_file(log, &text, NULL, 1024) == 0);
	CHECK(text && strstr(text, "l1\n") && strstr(text, "l2\n") && strstr(text, "l3"));
	free(text);
	unlink(log);
}

static int fills;
static int fill_one(struct tx_ctx *ctx, const char *tmp, void *arg)
{
	char *p = xasprintf("%s/done", tmp);
	int r = write_file_atomic(p, "x", 1, 0644);

	(void)ctx;
	(void)arg;
	fills++;
	free(p);
	return r;
}

static int fill_fail(struct tx_ctx *ctx, const char *tmp, void *arg)
{
	(void)tmp;
	(void)arg;
	return tx_fail(ctx, -EIO, "test", "cannot fill");
}

static void test_cache(void)
{
	struct tx_ctx ctx = {0};
	char base[] = "/tmp/tinyx-test-cache-XXXXXX";
	char *dir;

	CHECK(mkdtemp(base) != NULL);
	dir = xasprintf("%s/sub/entry", base);
	{
		struct tx_cache_entry e = {
		    .dir = dir, .marker = "done", .stage = "test", .fill = fill_fail};
		CHECK(tx_cache_get(&ctx, &e) == -EIO);
		CHECK(!path_exists(dir));
		CHECK_STR(ctx.err, "test: cannot fill");
	}
	{
		struct tx_cache_entry e = {
		    .dir = dir, .marker = "done", .stage = "test", .fill = fill_one};
		CHECK(tx_cache_get(&ctx, &e) == 0);
		CHECK(tx_cache_get(&ctx, &e) == 1);
		CHECK(fills == 1);
		CHECK(tx_cache_has(&e));
	}
	rm_rf(base);
	free(dir);
}

static void test_errors(void)
{
	struct tx_ctx ctx = {0};
	struct tx_errsave keep;

	CHECK(tx_fail(&ctx, -ENOENT, NULL, "no '%s'", "x") == -ENOENT);
	CHECK_STR(ctx.err, "tinyx: no 'x'");
	tx_stage(&ctx, "closure");
	CHECK(tx_fail(&ctx, 0, NULL, "bad\nline") == -EINVAL);
	CHECK_STR(ctx.err, "closure: bad line");
	tx_err_save(&ctx, &keep);
	tx_fail(&ctx, -EIO, "probe", "later");
	tx_err_restore(&ctx, &keep);
	CHECK_STR(ctx.err, "closure: bad line");
	CHECK(tx_exit_code(0) == 0);
	CHECK(tx_exit_code(-ETIMEDOUT) == 3);
	CHECK(tx_exit_code(-ENOENT) == 1);
}

static void test_copy(void)
{
	char d[] = "/tmp/tinyx-test-copy-XXXXXX";
	char *a, *b, *l, *text = NULL;

	CHECK(mkdtemp(d) != NULL);
	a = xasprintf("%s/a", d), b = xasprintf("%s/b", d), l = xasprintf("%s/l", d);
	CHECK(write_file_atomic(a, "hello", 5, 0600) == 0);
	CHECK(copy_file(a, b, 0640) == 0);
	CHECK(read_file(b, &text, NULL, 100) == 0 && !strcmp(text, "hello"));
	CHECK(file_size(b) == 5 && file_size_at(d, "b") == 5 && file_size(d) == -1);
	CHECK(symlink(a, l) == 0);
	CHECK(copy_file(b, l, 0644) == -ELOOP); /* never through a link */
	CHECK(copy_file(d, b, 0644) == -EINVAL);
	free(text);
	rm_rf(d);
	free(a), free(b), free(l);
}

/* The tail of a progress line: nothing without a total, no time left
 * before 5 % of it, then the time left at the rate so far. */
static void test_progress(void)
{
	char b[64];
	double t0 = now_ms() - 10000; /* begun 10 s ago */

	progress_tail(b, sizeof(b), 10, 0, t0);
	CHECK_STR(b, "");
	progress_tail(b, sizeof(b), 4, 100, t0);
	CHECK_STR(b, " of about 100");
	progress_tail(b, sizeof(b), 50, 100, t0);
	CHECK_STR(b, " of about 100, ~10 s left");
	progress_tail(b, sizeof(b), 10, 100, t0);
	CHECK_STR(b, " of about 100, ~2 min left");
	progress_tail(b, sizeof(b), 120, 100, t0);
	CHECK_STR(b, " of about 100");
}

/* sh words: plain ones bare, others single-quoted, a quote as '\'' */
static void test_sh_word(void)
{
	struct sbuf b = {0};

	sbuf_sh_word(&b, "/usr/sbin/nginx", 15);
	sbuf_puts(&b, "|");
	sbuf_sh_word(&b, "daemon on; it's", 15);
	sbuf_puts(&b, "|");
	sbuf_sh_word(&b, "", 0);
	sbuf_puts(&b, "|");
	sbuf_sh_word(&b, "a$b", 2);
	CHECK_STR(b.s, "/usr/sbin/nginx|'daemon on; it'\\''s'|''|'a$'");
	sbuf_free(&b);
}

int main(void)
{
	RUN(test_progress);
	RUN(test_spawn);
	RUN(test_lines);
	RUN(test_cache);
	RUN(test_errors);
	RUN(test_copy);
	RUN(test_sh_word);
	return t_done("test-lib");
}
