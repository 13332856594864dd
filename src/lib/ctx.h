/* The context every library function takes, and the one way errors travel:
 * a function that fails returns a negative errno and leaves a one-line
 * message "STAGE: problem 'subject'" in ctx->err; the command layer
 * (src/cli/) prints it and picks the exit code (tx_exit_code). No globals. */
#ifndef TINYX_CTX_H
#define TINYX_CTX_H

#include <stdarg.h>
#include <stddef.h>

#define TX_ERR_MAX 1024

struct tx_ctx {
	char err[TX_ERR_MAX]; /* "STAGE: problem 'subject'" of the last failure */
	int verbose;	      /* 0 quiet, 1 progress, 2 debug */
	int tty;	      /* stderr is a terminal: progress may redraw lines */
	const char *cache;    /* cache dir ($TINYX_CACHE or ~/.cache/tinyx) */
	const char *srcdir;   /* the project dir (fragments, overlays) */
	/* The stage named by errors of code that serves several stages (the
	 * parsers in src/formats/): the caller says whose input it reads. NULL
	 * reads as "tinyx". */
	const char *stage;
	/* tx_info_once(): hashes of the lines said (a build runs the closure
	 * twice when the trace adds files: its notes are said once) */
	unsigned long long said[32];
	int nsaid;
};

/* Record "STAGE: message" and return err (-EINVAL when err >= 0). A NULL
 * stage means ctx->stage. */
int tx_fail(struct tx_ctx *ctx, int err, const char *stage, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Progress line on stderr when verbose. */
void tx_info(struct tx_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, but a line said before through this call is not said again. */
void tx_info_once(struct tx_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Swap ctx->stage for the span of a call into shared code; returns the old. */
const char *tx_stage(struct tx_ctx *ctx, const char *stage);

/* Cleanup after a failure may fail too; the user must see the first
 * failure: save it before the cleanup, restore it after. */
struct tx_errsave {
	char err[TX_ERR_MAX];
};
void tx_err_save(const struct tx_ctx *ctx, struct tx_errsave *s);
void tx_err_restore(struct tx_ctx *ctx, const struct tx_errsave *s);

/* What a negative errno means for the process: 3 when an image did not boot
 * or serve: -ETIMEDOUT (not in time) or -EHOSTDOWN (the guest died first:
 * QEMU exited, the kernel panicked, xl create failed); else 1; 0 for 0.
 * The only such mapping. */
#define TX_EXIT_OK 0
#define TX_EXIT_FAIL 1
#define TX_EXIT_USAGE 2
#define TX_EXIT_BOOT 3
int tx_exit_code(int err);

#endif
