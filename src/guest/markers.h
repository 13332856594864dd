/* The console markers: the guest's init prints them, the host's probe times
 * the boot by them. One spelling for both sides (this header has no
 * dependency, so the static guest init and the host tool both include it).
 * A marker is a line that starts with TINYX_MARK_PREFIX. */
#ifndef TINYX_MARKERS_H
#define TINYX_MARKERS_H

#define TINYX_MARK_PREFIX "tinyx: "
#define TINYX_MARK_INIT "init"		    /* first thing once userspace runs */
#define TINYX_MARK_READY "ready"	    /* "ready tcp/PORT": a port listens */
#define TINYX_MARK_READY_TCP "ready tcp/"   /* ... followed by the port */
#define TINYX_MARK_READY_UDP "ready udp/"   /* a bound UDP port */
#define TINYX_MARK_LOCAL "local "	    /* "local udp/53 127.0.0.1": loopback only */
#define TINYX_MARK_NET "net"		    /* "net IFACE ADDR/PREFIX" */
#define TINYX_MARK_DHCP "dhcp "		    /* "dhcp IFACE ADDR/PREFIX via ROUTER": leased */
#define TINYX_MARK_MEM "mem used"	    /* "mem used KB" */
#define TINYX_MARK_EXITED "app exited"	    /* "app exited status N" */
#define TINYX_MARK_KILLED "app killed"	    /* "app killed by signal N" */
#define TINYX_MARK_RESTART "restarting app" /* "restarting app (K/5)" */
/* "app failed 'PROG' exited with status N after K restarts": the init
 * will not start it again (also "was killed by signal N ...", "is gone") */
#define TINYX_MARK_FAILED "app failed"
/* "app done 'PROG' status 0": a oneshot app (Type=oneshot, e.g. nftables'
 * `nft -f`) ran to its end; nothing is restarted, the VM stays up */
#define TINYX_MARK_DONE "app done"
#define TINYX_MARK_POWEROFF "poweroff"
#define TINYX_MARK_IPERF3 "iperf3" /* "iperf3 done" or "iperf3 failed" */
/* "trace PATH": the app opened or ran PATH (tinyx.trace=1, guest/trace.c) */
#define TINYX_MARK_TRACE "trace"
/* "trace (rng) HOW": the app asked the kernel's RNG in a way that waits
 * until it is ready (HOW: "getrandom()" without GRND_NONBLOCK or
 * GRND_INSECURE, or "/dev/random"); "(" starts no path */
#define TINYX_TRACE_RNG "(rng) "
/* "no interface IFACE ...": the command line's NIC is not there (no driver
 * for it in the kernel): nothing can reach the guest */
#define TINYX_MARK_NOIF "no interface "

/* The dom0 role's lines (guest/dom0.c), the Xen probe times the guest by them */
#define TINYX_DOM0_PREFIX "tinyx-dom0: "
#define TINYX_DOM0_READY "ready"		/* the daemons run, the bridge is up */
#define TINYX_DOM0_XL_CREATE "xl create"	/* just before xl runs */
#define TINYX_DOM0_XL_EXITED "xl exited status" /* "xl exited status: N" */

/* The whole line as the host sees it, e.g. TINYX_MARKER(TINYX_MARK_INIT). */
#define TINYX_MARKER(m) TINYX_MARK_PREFIX m

#endif
