/* The parts of tinyx-init (src/guest/init.c says what it does). */
#ifndef TINYX_GUEST_INIT_H
#define TINYX_GUEST_INIT_H

#include <net/if.h>
#include <signal.h>

#include "formats/appconf.h"

/* The kernel command line's tinyx.* parameters (init.c) */
struct cmdline {
	char hostname[65], ip[64], gw[64], ifname[IFNAMSIZ], iperf3[80];
	int debug_shell, off; /* off: 0 auto, 1 power off, 2 reboot */
	int trace;	      /* tinyx.trace=1: the app runs under the tracer */
};
extern struct cmdline cmd;

/* The app spec as read by the shared reader (conf.c) */
struct list {
	char **v; /* NULL-terminated */
	int n;
};
struct conf_dir {
	char *path;
	unsigned mode, uid, gid;
};
struct app_conf {
	struct list argv, env;
	struct list pre, post; /* "FLAGS\tARG0\tARG..." (formats/appconf.h) */
	int has_umask;
	unsigned umask, nofile_soft, nofile_hard; /* nofile_hard 0: unset */
	struct conf_dir *dirs;
	int ndirs;
	unsigned uid, gid, groups[APPCONF_MAX_GROUPS];
	size_t ngroups;
	int has_user, forking, restart, notify, oneshot, rng, netpre;
	unsigned long long caps; /* ambient capabilities: bit N, capability N */
	char *pidfile, *workdir; /* NULL: none, "/" */
};
extern struct app_conf conf;
int list_push(struct list *l, char *s);
/* Read path into c: 0, or -1 after saying why. */
int conf_load(struct app_conf *c, const char *path);
/* The canonical text form, as appspec_text() writes it, on stdout. */
void conf_print(const struct app_conf *c);
/* Create the spec's dirs (and their parents), with mode and owner. */
void conf_make_dirs(const struct app_conf *c);

/* The trace boot's tracer (trace.c): a child that seizes app, then writes
 * a byte to gate (the app waits for it before it execs); its pid or -1. */
pid_t trace_start(pid_t app, int gate);

/* The app's supervision (svc.c) */
void start_shell(void);
void start_app(void);
/* What runs before the network: app.conf's "<" hooks, and a netpre app to
 * its end (svc.c). */
void start_netpre(void);
void no_app(void); /* the spec could not be read: power off, unless a shell runs */
void power_off(void) __attribute__((noreturn));
void svc_loop(const sigset_t *set) __attribute__((noreturn));

/* The network (net.c): the static address of tinyx.ip=, the file
 * /etc/network/interfaces (netcfg.c), else DHCP */
void net_up(const struct cmdline *c);
int if_up(int sock, const char *name); /* IFF_UP on the interface */
struct in_addr;
/* Address and mask on ifname, and up (0.0.0.0: take the address away). */
int net_addr(int sock, const char *ifname, struct in_addr a, struct in_addr mask);
/* Add (del 0) or delete a route via gw: the default route when dst is
 * 0.0.0.0, else a host route to dst; gw 0.0.0.0: on the link. */
int net_route(int sock, const char *ifname, struct in_addr dst, struct in_addr gw, int del);
/* Add a route to dst/prefix via gw (0.0.0.0: on the link), with a metric. */
int net_route_to(int sock, const char *ifname, struct in_addr dst, int prefix, struct in_addr gw,
		 int metric);

/* The interfaces DHCP runs on */
struct dhcp_ifs {
	char name[16][IFNAMSIZ];
	int n;
};
void dhcp_add(struct dhcp_ifs *d, const char *ifname); /* once each, 16 at most */

/* /etc/network/interfaces (netcfg.c): apply its auto interfaces, but not
 * ifname when skip (the command line's tinyx.ip= wins); those with "inet
 * dhcp" go to d. 1 when the file has an auto stanza for ifname, else 0. */
int netcfg_apply(int sock, const char *ifname, int skip, struct dhcp_ifs *d);

/* /dev/log (syslog.c): the init binds it and writes each message to the
 * console; syslog_read() drains it (on SIGIO). 0, or -1 when not made. */
int syslog_open(void);
void syslog_read(void);

/* sysctl.d files (sysctl.c): applied before the network and the app. */
void sysctl_apply(void);

/* The DHCP client (dhcp.c): a child process that takes a lease on each of
 * d's interfaces (a process of its own for each after the first), applies
 * it, renews it; the app does not wait for it. */
void dhcp_start(const struct dhcp_ifs *d, const char *hostname);
extern int dhcp_pid; /* its pid, 0 when none (not the app's main process) */

#endif
