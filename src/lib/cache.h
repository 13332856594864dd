/* The cache pattern, once: a cache entry is a directory that appears whole
 * or not at all. To make one: take DIR.lock, look again (another run may
 * have made it while we waited), remove the temp dirs of runs that died,
 * fill DIR.tmp.PID (registered for cleanup on a signal), rename it to DIR. */
#ifndef TINYX_CACHE_H
#define TINYX_CACHE_H

struct tx_ctx;

struct tx_cache_entry {
	const char *dir;    /* the entry */
	const char *marker; /* a file inside that proves it whole (NULL: the dir itself) */
	const char *stage;  /* error prefix */
	const char *what;   /* progress: "the Xen kit", NULL for none */
	/* fill tmp (an empty dir); 0 or -errno with ctx->err set */
	int (*fill)(struct tx_ctx *ctx, const char *tmp, void *arg);
	void *arg;
};

/* 1 when e->dir was there already, 0 when this call made it, or -errno. */
int tx_cache_get(struct tx_ctx *ctx, const struct tx_cache_entry *e);
/* 1 when e->dir is whole (its marker exists). */
int tx_cache_has(const struct tx_cache_entry *e);

#endif
