/* The osv row's parts that tests reach (see osv.c). */
#ifndef TINYX_COMPARE_OSV_H
#define TINYX_COMPARE_OSV_H

#include "formats/appspec.h"
#include "formats/manifest.h"

/* OSv's manifest (gen-rofs-img.py's input) for the app's closure m, sorted:
 * "GUEST: HOST" for a file, "GUEST: ->TARGET" for a link, "GUEST: HOSTDIR"
 * for a dir; not the libraries OSv's kernel supplies; a link in /usr/lib
 * for each library in the multiarch dirs (OSv's loader searches / and
 * /usr/lib); a writable dir holding only empty files as a link to /tmp;
 * /etc/fstab from fstab; each dir of made (sorted; what the Tinyx init
 * would make at boot: /run, the app's dirs) that m lacks as a link to /tmp;
 * the files ov (in-image paths, under files on the host) over m's. Into
 * *out, or -EINVAL naming a path the manifest cannot hold (": ", '%', a
 * space, ...). */
int osv_manifest(struct tx_ctx *ctx, const struct manifest *m, const char *fstab, const char *files,
		 const struct strv *ov, const struct strv *made, struct sbuf *out);

/* OSv's command for app: its line in table (src/unikernel/osv/commands:
 * "APP<TAB>COMMAND" lines, '#' comments), else spec's argv when it does not
 * fork, quoted for OSv. 0 with *cmd (owned); 1 with note saying why OSv
 * cannot run it (it forks and has no line, a '"' in an argument, a space
 * in its environment). */
int osv_command(const char *table, const char *app, const struct app_spec *spec, char *note,
		size_t note_len, char **cmd);

#endif
