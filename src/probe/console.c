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
	if (strstr(l, "Kernel panic"))
		died(R, now);
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
