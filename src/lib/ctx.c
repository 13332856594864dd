#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int tx_fail(struct tx_ctx *ctx, int err, const char *stage, const char *fmt, ...)
{
	va_list ap;
	int n;

	stage = stage ? stage : ctx->stage;
	n = snprintf(ctx->err, sizeof(ctx->err), "%s: ", stage ? stage : "tinyx");

	if (n < 0 || (size_t)n >= sizeof(ctx->err))
		n = 0;
	va_start(ap, fmt);
	vsnprintf(ctx->err + n, sizeof(ctx->err) - n, fmt, ap);
	va_end(ap);
	/* one line: never let a subject break the line */
	for (char *p = ctx->err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	return err < 0 ? err : -EINVAL;
}

void tx_info(struct tx_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->verbose)
		return;
	fputs("tinyx: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void tx_info_once(struct tx_ctx *ctx, const char *fmt, ...)
{
	char line[1024];
	unsigned long long h = 14695981039346656037ull; /* FNV-1a */
	va_list ap;

	if (!ctx->verbose)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (const char *p = line; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ull;
	for (int i = 0; i < ctx->nsaid; i++)
		if (ctx->said[i] == h)
			return;
	if (ctx->nsaid < (int)(sizeof(ctx->said) / sizeof(ctx->said[0])))
		ctx->said[ctx->nsaid++] = h;
	tx_info(ctx, "%s", line);
}

const char *tx_stage(struct tx_ctx *ctx, const char *stage)
{
	const char *old = ctx->stage;

	ctx->stage = stage;
	return old;
}

void tx_err_save(const struct tx_ctx *ctx, struct tx_errsave *s)
{
	memcpy(s->err, ctx->err, sizeof(s->err));
}

void tx_err_restore(struct tx_ctx *ctx, const struct tx_errsave *s)
{
	memcpy(ctx->err, s->err, sizeof(ctx->err));
}

int tx_exit_code(int err)
{
	if (err >= 0)
		return TX_EXIT_OK;
	return err == -ETIMEDOUT || err == -EHOSTDOWN ? TX_EXIT_BOOT : TX_EXIT_FAIL;
}
