/* The library's plumbing, for code that wants all of it: error context,
 * strings, files, processes, cache entries, cleanup, digests, statistics. */
#ifndef TINYX_UTIL_H
#define TINYX_UTIL_H

#include "lib/cache.h"
#include "lib/cleanup.h"
#include "lib/ctx.h"
#include "lib/files.h"
#include "lib/proc.h"
#include "lib/sha256.h"
#include "lib/stats.h"
#include "lib/str.h"

#include <stdint.h>
#include <sys/types.h>

#endif
