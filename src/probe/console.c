/* The probe's console reader: QEMU's stdout is the guest's serial console,
 * read line by line for the markers (guest/markers.h); its stderr and the
 * console both go to a tail for the failure message. */
#include "probe/run.h"
#include "guest/markers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARK_INIT TINYX_MARKER(TINYX_MARK_INIT)
#define MARK_READY TINYX_MARKER(TINYX_MARK_READY)
#define MARK_MEM TINYX_MARKER(TINYX_MARK_MEM)
#define MARK_LOCAL TINYX_MARKER(TINYX_MARK_LOCAL)
#define MARK_FAILED TINYX_MARKER(TINYX_MARK_FAILED)
#define MARK_EXITED TINYX_MARKER(TINYX_MARK_EXITED)
#define MARK_KILLED TINYX_MARKER(TINYX_MARK_KILLED)
#define MARK_RESTART TINYX_MARKER(TINYX_MARK_RESTART)
#define MARK_DONE TINYX_MARKER(TINYX_MARK_DONE)
#define MARK_TRACE TINYX_MARKER(TINYX_MARK_TRACE " ")
#define MARK_NOIF TINYX_MARKER(TINYX_MARK_NOIF)
/* the kernel's word for a root that did not fit the guest's RAM */
#define INITRAMFS_FAILED "Initramfs unpacking failed"

static void tail_add(struct run *R, const char *s, size_t n)
{
	if (n >= TAIL_MAX) {
		s += n - TAIL_MAX;
		n = TAIL_MAX;
	}
	if (R->tail_len + n > TAIL_MAX) {
		size_t drop = R->tail_len + n - TAIL_MAX;
		memmove(R->tail, R->tail + drop, R->tail_len - drop);
		R->tail_len -= drop;
	}
	memcpy(R->tail + R->tail_len, s, n);
	R->tail_len += n;
}

/* The last lines of the tail, printable, at most max-1 bytes, starting at a line. */
void probe_tail_text(const struct run *R, char *out, size_t max)
{
	size_t start = R->tail_len > max - 1 ? R->tail_len - (max - 1) : 0, j = 0;

	if (start > 0) {
		while (start < R->tail_len && R->tail[start - 1] != '\n')
			start++;
	}
	for (size_t i = start; i < R->tail_len && j + 1 < max; i++) {
		unsigned char ch = (unsigned char)R->tail[i];
		if (ch == '\r')
			continue;
		if (ch == '\n' || ch == '\t' || (ch >= 0x20 && ch < 0x7f))
			out[j++] = (char)ch;
		else if (ch >= 0x80)
			out[j++] = '?';
	}
	while (j > 0 && out[j - 1] == '\n')
		j--;
	out[j] = '\0';
}

static const char *init_marker(const struct run *R)
{
	return R->o->init_marker && *R->o->init_marker ? R->o->init_marker : MARK_INIT;
}

static void died(struct run *R, double now)
{
	if (!R->panic) {
		R->panic = 1;
		R->panic_t = now;
	}
}

/* The init's lines about the app: the ports it serves, its exits. */
static void app_line(struct run *R, const char *l, double now)
{
	const char *p;
	int port;

	if ((p = strstr(l, MARK_TRACE)) && R->o->trace) {
		strv_push(R->o->trace, p + strlen(MARK_TRACE));
	} else if ((p = strstr(l, MARK_READY " ")) && (p += strlen(MARK_READY " ")) &&
		   (!strncmp(p, "tcp/", 4) || !strncmp(p, "udp/", 4)) && (port = atoi(p + 4)) > 0 &&
		   port < 65536) {
		int udp = *p == 'u', dup = 0;

		for (int i = 0; i < R->nports; i++)
			dup |= R->ports[i].udp == udp && R->ports[i].port == port;
		if (!dup && R->nports < PROBE_PORTS_MAX)
			R->ports[R->nports++] = (struct probe_port){udp, port};
	} else if ((p = strstr(l, MARK_LOCAL)) && !R->local[0]) {
		snprintf(R->local, sizeof(R->local), "%s", p + strlen(MARK_LOCAL));
		R->local_t = now;
	} else if (strstr(l, MARK_EXITED) || strstr(l, MARK_KILLED)) {
		R->app_exits++;
	} else if (strstr(l, MARK_RESTART)) {
		R->rec.restarts++;
	} else if ((p = strstr(l, MARK_DONE)) && !R->nports && !R->why[0] && !R->fwd) {
		/* nothing to check: what it set up (a ruleset, routes) is the
		 * kernel's, and no port says it works (--forward: what crosses
		 * the function does) */
		p += strlen(MARK_DONE);
		snprintf(R->why, sizeof(R->why),
			 "the app is a oneshot unit that ran to its end (%.100s) and nothing "
			 "listens for the probe to check; what it set up is the kernel's "
			 "(--no-verify builds the image)",
			 p + strspn(p, " "));
		died(R, now);
	} else if ((p = strstr(l, MARK_FAILED)) && !R->why[0]) {
		p += strlen(MARK_FAILED);
		snprintf(R->why, sizeof(R->why), "%s", p + strspn(p, " "));
		died(R, now);
	}
}

static void on_line(struct run *R, char *l, double now)
{
	const char *p;

	if (R->be->on_line) {
		unsigned f = R->be->on_line(R->be_st, l, R->panic, now);
		if (f & PB_LINE_SKIP)
			return;
		if (f & PB_LINE_DIED)
			died(R, now);
	}
	if (R->rec.init < 0 && strstr(l, init_marker(R)))
		R->rec.init = now - R->t0;
	if (R->rec.ready < 0 && strstr(l, MARK_READY))
		R->rec.ready = now - R->t0;
	if (R->rec.guest_used_kb < 0 && (p = strstr(l, MARK_MEM))) {
		p += strlen(MARK_MEM);
		while (*p && (*p < '0' || *p > '9'))
			p++;
		if (*p)
			R->rec.guest_used_kb = strtoll(p, NULL, 10);
	}
	if (strstr(l, MARK_MEM) && R->nports)
		R->batch_done = 1;
	app_line(R, l, now);
	if ((p = strstr(l, INITRAMFS_FAILED)) && !R->why[0]) {
		snprintf(R->why, sizeof(R->why),
			 "the kernel could not unpack the root into the guest's %d MB (%.80s)",
			 R->o->memory_mb > 0 ? R->o->memory_mb : R->c->memory_mb, p);
		died(R, now);
	}
	/* UEFI: the firmware goes on to network boot and its shell, which
	 * would run the probe into its timeout */
	if ((p = strstr(l, "EFI stub: ERROR: ")) && !R->why[0]) {
		snprintf(R->why, sizeof(R->why), "the kernel's EFI stub failed (%.80s)", p + 17);
		died(R, now);
	}
	if ((p = strstr(l, MARK_NOIF)) && !R->why[0]) {
		snprintf(R->why, sizeof(R->why), "the guest has %.120s",
			 p + strlen(TINYX_MARK_PREFIX));
		died(R, now);
	}
	if (strstr(l, "Kernel panic"))
		died(R, now);
}

/* A line of the init's protocol (its other lines, e.g. "cannot run ...",
 * say what went wrong and stay). */
static int is_marker(const char *l)
{
	static const char *const m[] = {TINYX_MARK_INIT,     TINYX_MARK_READY,	 TINYX_MARK_LOCAL,
					TINYX_MARK_NET,	     TINYX_MARK_MEM,	 TINYX_MARK_EXITED,
					TINYX_MARK_KILLED,   TINYX_MARK_RESTART, TINYX_MARK_FAILED,
					TINYX_MARK_POWEROFF, TINYX_MARK_DHCP,	 TINYX_MARK_TRACE,
					TINYX_MARK_NOIF,     TINYX_MARK_DONE};
	size_t p = strlen(TINYX_MARK_PREFIX);

	if (strncmp(l, TINYX_MARK_PREFIX, p))
		return 0;
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (!strncmp(l + p, m[i], strlen(m[i])))
			return 1;
	return 0;
}

void probe_app_output(const struct run *R, char *out, size_t max)
{
	char tail[2048], *lines[5], *save = NULL;
	int n = 0;
	size_t len = 0;

	probe_tail_text(R, tail, sizeof(tail));
	for (char *l = strtok_r(tail, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (is_marker(l) || !l[strspn(l, " ")] || (n && !strcmp(lines[n - 1], l)))
			continue; /* a crash loop says the same each time: once is enough */
		if (n == 5)
			memmove(lines, lines + 1, sizeof(lines[0]) * --n);
		lines[n++] = l;
	}
	out[0] = 0;
	for (int i = 0; i < n && len < max; i++)
		len += (size_t)snprintf(out + len, max - len, "%s%s", i ? " | " : "", lines[i]);
	if (!n)
		snprintf(out, max, "(nothing)");
}

static void console_feed(struct run *R, const char *s, size_t n, double now)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch == '\n') {
			R->line[R->line_len] = '\0';
			on_line(R, R->line, now);
			R->line_len = 0;
		} else if (ch != '\r' && R->line_len + 1 < LINE_MAX_) {
			R->line[R->line_len++] = ch;
		}
	}
	/* markers without their newline yet still count */
	if (R->line_len) {
		R->line[R->line_len] = '\0';
		if (strstr(R->line, init_marker(R)) && R->rec.init < 0 &&
		    (!R->be->guest_started || R->be->guest_started(R->be_st)))
			R->rec.init = now - R->t0;
	}
}

/* Read what fd has; the console (QEMU's stdout) is also parsed. */
void probe_read_pipe(struct run *R, int *fd, int *eof, int console, double now)
{
	char buf[4096];

	for (;;) {
		ssize_t n = read(*fd, buf, sizeof(buf));
		if (n > 0) {
			if (console && R->rec.console < 0)
				R->rec.console = now - R->t0;
			tail_add(R, buf, (size_t)n);
			if (R->o->keep_console && write(2, buf, (size_t)n) < 0) {
				/* best effort */
			}
			if (console)
				console_feed(R, buf, (size_t)n, now);
			if ((size_t)n < sizeof(buf))
				return;
			continue;
		}
		if (n == 0) {
			*eof = 1;
			close(*fd);
			*fd = -1;
		}
		return; /* EAGAIN or error */
	}
}
