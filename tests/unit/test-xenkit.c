/* The Xen kit's module order (from modules.dep text) and the xl config
 * readers of the Xen probe. */
#include "t.h"

#include <errno.h>
#include "xen/xenkit.h"
#include "xen/xenprobe.h"

#include <stdlib.h>

static const char dep[] =
    "kernel/drivers/xen/xen-evtchn.ko:\n"
    "kernel/net/bridge/bridge.ko: kernel/net/802/stp.ko kernel/net/llc/llc.ko\n"
    "kernel/net/802/stp.ko: kernel/net/llc/llc.ko\n"
    "kernel/net/llc/llc.ko:\n"
    "kernel/drivers/net/virtio_net.ko: kernel/drivers/net/net_failover.ko "
    "kernel/net/core/failover.ko\n"
    "kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko\n"
    "kernel/net/core/failover.ko:\n";

static char *joined(const struct strv *v)
{
	struct sbuf s = {0};
	for (size_t i = 0; i < v->n; i++)
		sbuf_printf(&s, "%s%s", i ? " " : "", path_basename(v->v[i]));
	return s.s ? s.s : xstrdup("");
}

static void test_order(void)
{
	struct tx_ctx ctx = {0};
	struct strv out = {0};
	const char *const want[] = {"xen_evtchn", "bridge", "virtio-net", NULL};
	char *j;

	CHECK(xenkit_module_order(&ctx, dep, want, &out) == 0);
	j = joined(&out);
	/* dependencies first (from the end of each list, like modprobe), each once;
	 * '-' and '_' are the same in module names */
	CHECK_STR(
	    j, "xen-evtchn.ko llc.ko stp.ko bridge.ko failover.ko net_failover.ko virtio_net.ko");
	free(j);
	strv_free(&out);

	const char *const missing[] = {"xenfs", NULL};
	CHECK(xenkit_module_order(&ctx, dep, missing, &out) == -ENOENT);
	CHECK(strstr(ctx.err, "no module 'xenfs'") != NULL);
	strv_free(&out);

	const char *const one[] = {"a", NULL};
	CHECK(xenkit_module_order(&ctx, "a.ko: b.ko\nb.ko: a.ko\n", one, &out) == -EINVAL);
	CHECK(strstr(ctx.err, "loop") != NULL);
	strv_free(&out);
	CHECK(xenkit_module_order(&ctx, "a.ko: c.ko\n", one, &out) == -ENOENT);
	strv_free(&out);
	CHECK(xenkit_module_order(&ctx, "no colon here\n", one, &out) == -EINVAL);
	strv_free(&out);
}

static void test_cfg(void)
{
	const char *cfg = "# a comment = \"no\"\n"
			  "name = \"tinyx-nginx\"\n"
			  "type=\"pvh\"\n"
			  "kernel = \"kernel\"\n"
			  "cmdline = \"console=hvc0 quiet\"\n"
			  "vif = [ 'bridge=xenbr0', 'bridge=other' ]\n"
			  "typo = \"x\n";
	char *v;

	v = xenprobe_cfg_string(cfg, "type");
	CHECK_STR(v, "pvh");
	free(v);
	v = xenprobe_cfg_string(cfg, "cmdline");
	CHECK_STR(v, "console=hvc0 quiet");
	free(v);
	v = xenprobe_cfg_first(cfg, "vif");
	CHECK_STR(v, "bridge=xenbr0");
	free(v);
	CHECK(xenprobe_cfg_string(cfg, "memory") == NULL);
	CHECK(xenprobe_cfg_string(cfg, "typo") == NULL);  /* unterminated */
	CHECK(xenprobe_cfg_first(cfg, "kernel") == NULL); /* not a list */
	CHECK(xenprobe_cfg_string("", "type") == NULL);
	CHECK(xenprobe_cfg_first("vif = [", "vif") == NULL);
}

int main(void)
{
	RUN(test_order);
	RUN(test_cfg);
	return t_done("test-xenkit");
}
