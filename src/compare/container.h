/* The container row of tinyx compare: the app's staged root run with runc.
 *
 * The root is not touched: an overlay (the staged root below, a temp dir
 * above) is mounted in a private mount namespace of this process, so it
 * disappears with it. The container gets its own network namespace (held by
 * a small child process) joined by a veth pair to the probe's private
 * namespace (netns.h), with the same addresses a VM gets; its process is the
 * one the Tinyx init would start (the app spec of the closure). Its start is
 * timed from `runc run` to the first HTTP 200; then the same extras as for a
 * VM (probex.h): the memory of its processes (RSS, PSS; "used": its memory
 * cgroup's usage without inactive file pages), the ICMP round trip, and
 * iperf3 (the client started with `runc exec`). The smallest RAM is a
 * bisection of the cgroup's memory limit. Every container, mount, namespace
 * and process is gone when it returns. */
#ifndef TINYX_CONTAINER_H
#define TINYX_CONTAINER_H

#include "compare/compare.h"

int container_row(struct tx_ctx *ctx, const char *app, const char *root, int runs, int min_mem,
		  struct compare_row *row);

#endif
