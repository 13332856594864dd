/* tinyx compare --plot DIR: the study's four figures as SVG, written here
 * (no plotting library): grouped bars per system, one colour per series.
 *   size-memory.svg  image size, QEMU RSS and smallest RAM (MB, log scale)
 *   boot.svg         boot to console, init, network, service (ms, log scale)
 *   rtt.svg          ICMP round trip, median and p99 (us, log scale)
 *   throughput.svg   iperf3 guest -> host (Mbit/s)
 * A PNG beside each when rsvg-convert is installed. */
#include "compare/compare.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define W 760
#define H 420
#define ML 70 /* margins */
#define MR 20
#define MT 50
#define MB 80
#define MAXS 4

static const char *const colours[MAXS] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759"};

/* The series of the figures: legend, the row's figure (compare_row_figures). */
static const struct series {
	const char *legend;
	int fig;
} series[] = {
    {"image size", 0}, {"RSS once serving", 1}, {"smallest RAM that serves", 4}, {"console", 5},
    {"init", 6},       {"network up", 7},	{"service (HTTP 200)", 8},	 {"median", 9},
    {"p99", 10},       {"Mbit/s", 11}};

struct fig {
	const char *file, *title, *unit;
	int log, first, nseries; /* series[first ...] */
};

/* Series k of row r, in MB for the image size (bytes) and RSS (KB). */
static double val(const struct compare_row *r, const struct fig *f, int k)
{
	int i = series[f->first + k].fig;
	double v[COMPARE_NFIG];

	compare_row_figures(r, v);
	return v[i] / (i == 0 ? 1e6 : i == 1 ? 1024 : 1);
}

static double ypos(const struct fig *f, double v, double lo, double hi)
{
	double t = f->log ? (log10(v) - lo) / (hi - lo) : (v - lo) / (hi - lo);

	if (t < 0)
		t = 0;
	return MT + (H - MT - MB) * (1 - t);
}

/* The y axis: whole decades (log) or five steps of a round maximum. */
static void axis(const struct fig *f, const struct compare_row **rows, int n, double *lo,
		 double *hi, double *step)
{
	double mn = INFINITY, mx = 0;

	for (int i = 0; i < n; i++)
		for (int k = 0; k < f->nseries; k++) {
			double v = val(rows[i], f, k);
			if (v > 0 && v < mn)
				mn = v;
			if (v > mx)
				mx = v;
		}
	if (mx <= 0)
		mn = 1, mx = 10;
	if (f->log) {
		*lo = floor(log10(mn));
		*hi = ceil(log10(mx));
		if (*hi <= *lo)
			*hi = *lo + 1;
		*step = 1;
	} else {
		double mag = pow(10, floor(log10(mx)));
		*lo = 0;
		*hi = ceil(mx / mag) * mag;
		*step = *hi / 5;
	}
}

static void draw(const struct fig *f, const struct compare_result *res, struct sbuf *s)
{
	const struct compare_row **rows = xcalloc((size_t)res->nrows + 1, sizeof(*rows));
	double lo, hi, step, gw, bw;
	int n = 0;

	for (int i = 0; i < res->nrows; i++)
		if (res->row[i].measured)
			rows[n++] = &res->row[i];
	axis(f, rows, n, &lo, &hi, &step);
	gw = (double)(W - ML - MR) / (n ? n : 1);
	bw = gw * 0.8 / f->nseries;
	sbuf_printf(s,
		    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		    "font-family=\"sans-serif\" font-size=\"12\">\n"
		    "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		    "<text x=\"%d\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">%s (%s, %s)"
		    "</text>\n",
		    W, H, W / 2, f->title, res->app, f->log ? "log scale" : "linear");
	/* grid and y labels */
	for (double t = lo; t <= hi + 1e-9; t += step) {
		double y = ypos(f, f->log ? pow(10, t) : t, lo, hi), v = f->log ? pow(10, t) : t;

		sbuf_printf(s,
			    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>\n"
			    "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%g</text>\n",
			    ML, y, W - MR, y, ML - 6, y + 4, v);
	}
	sbuf_printf(s,
		    "<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 %d)\" "
		    "text-anchor=\"middle\">%s</text>\n",
		    (MT + H - MB) / 2, (MT + H - MB) / 2, f->unit);
	/* bars */
	for (int i = 0; i < n; i++) {
		double x0 = ML + gw * i + gw * 0.1;

		for (int k = 0; k < f->nseries; k++) {
			double v = val(rows[i], f, k), y;

			if (v <= 0)
				continue;
			y = ypos(f, v, lo, hi);
			sbuf_printf(s,
				    "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
				    "height=\"%.1f\" fill=\"%s\"><title>%s %s: %g</title>"
				    "</rect>\n",
				    x0 + bw * k, y, bw - 1, H - MB - y, colours[k], rows[i]->name,
				    series[f->first + k].legend, v);
		}
		sbuf_printf(s, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			    ML + gw * i + gw / 2, H - MB + 18, rows[i]->name);
	}
	sbuf_printf(s, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>\n", ML,
		    H - MB, W - MR, H - MB);
	/* legend */
	for (int k = 0; k < f->nseries; k++)
		sbuf_printf(s,
			    "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/>"
			    "<text x=\"%d\" y=\"%d\">%s</text>\n",
			    ML + k * 165, H - 34, colours[k], ML + k * 165 + 16, H - 24,
			    series[f->first + k].legend);
	sbuf_printf(s, "<text x=\"%d\" y=\"%d\" fill=\"#666\">%s; VMs under QEMU %s</text>\n", ML,
		    H - 6, "tinyx compare", res->accel);
	sbuf_puts(s, "</svg>\n");
	free(rows);
}

/* A PNG beside the SVG when rsvg-convert is there (no error when not). */
static void png(struct tx_ctx *ctx, const char *svg)
{
	char *p = xstrdup(svg);
	char *argv[] = {"rsvg-convert", "-o", p, (char *)svg, NULL};

	strcpy(p + strlen(p) - 3, "png");
	if (run_cmd(ctx, argv, NULL, 1) != 0)
		unlink(p);
	free(p);
}

int compare_plot(struct tx_ctx *ctx, const struct compare_result *res, const char *dir)
{
	static const struct fig figs[] = {
	    {"size-memory.svg", "Image size and memory", "MB", 1, 0, 3},
	    {"boot.svg", "Boot time", "ms", 1, 3, 4},
	    {"rtt.svg", "Round-trip time (ICMP echo flood)", "microseconds", 1, 7, 2},
	    {"throughput.svg", "Throughput guest to host (iperf3, TCP)", "Mbit/s", 0, 9, 1}};
	int r = mkdir_p(dir, 0755);

	if (r < 0)
		return tx_fail(ctx, r, "compare", "cannot create plot dir '%s'", dir);
	for (size_t i = 0; i < sizeof(figs) / sizeof(figs[0]); i++) {
		struct sbuf s = {0};
		char *p = xasprintf("%s/%s", dir, figs[i].file);

		draw(&figs[i], res, &s);
		r = write_file_atomic(p, s.s, s.len, 0644);
		if (r < 0)
			tx_fail(ctx, r, "compare", "cannot write '%s'", p);
		else
			png(ctx, p);
		tx_info(ctx, "compare: figure %s", p);
		free(p);
		sbuf_free(&s);
		if (r < 0)
			return r;
	}
	return 0;
}
