#include "lib/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int tx_cache_has(const struct tx_cache_entry *e)
{
	char *m;
	int r;

	if (!e->marker)
		return is_dir(e->dir);
	m = xasprintf("%s/%s", e->dir, e->marker);
	r = path_exists(m);
	free(m);
	return r;
}

/* Fill DIR.tmp.PID and rename it to DIR (the caller holds the lock). */
static int fill(struct tx_ctx *ctx, const struct tx_cache_entry *e, const char *parent)
{
	char *tmp = xasprintf("%s.tmp.%d", e->dir, (int)getpid());
	char *stale = xasprintf("%s.tmp.", path_basename(e->dir));
	double t0 = now_ms();
	int r;

	stale_pid_entries(parent, stale, NULL); /* the temp dirs of runs that died */
	free(stale);
	rm_rf(tmp);
	r = mkdir_p(tmp, 0755);
	if (r < 0)
		r = tx_fail(ctx, r, e->stage, "cannot create '%s': %s", tmp, strerror(-r));
	tx_tmp_register(tmp);
	if (r == 0)
		r = e->fill(ctx, tmp, e->arg);
	if (r == 0 && rename(tmp, e->dir) < 0)
		r = tx_fail(ctx, -errno, e->stage, "cannot rename '%s': %s", tmp, strerror(errno));
	if (r < 0)
		rm_rf(tmp);
	tx_tmp_release(tmp);
	if (r == 0 && e->what)
		tx_info(ctx, "%s: %s ready in %.1f s", e->stage, e->what, (now_ms() - t0) / 1000);
	free(tmp);
	return r;
}

int tx_cache_get(struct tx_ctx *ctx, const struct tx_cache_entry *e)
{
	char *parent, *lock;
	int fd, r;

	if (tx_cache_has(e))
		return 1;
	parent = path_dirname(e->dir);
	lock = xasprintf("%s.lock", e->dir);
	r = mkdir_p(parent, 0755);
	if (r < 0)
		r = tx_fail(ctx, r, e->stage, "cannot create the parent of '%s': %s", e->dir,
			    strerror(-r));
	fd = r < 0 ? r : lock_path(lock);
	if (r == 0 && fd < 0)
		r = tx_fail(ctx, fd, e->stage, "cannot lock '%s': %s", lock, strerror(-fd));
	if (r == 0) {
		r = tx_cache_has(e); /* another run may have made it while we waited */
		if (r == 0 && e->marker)
			rm_rf(e->dir);
		if (r == 0)
			r = fill(ctx, e, parent);
		close(fd);
	}
	free(parent);
	free(lock);
	return r;
}
