/* One signal path, one cleanup registry.
 *
 * tx_signals_start() blocks SIGINT, SIGTERM and SIGHUP in every thread and
 * lets one thread of ours take them with sigwait(): no signal handler ever
 * runs, so the cleanup runs in normal code (it may allocate, spawn, unmount,
 * walk a tree). On a signal that thread stops the children of this run (they
 * share our process group), runs the registry newest first (QEMU process
 * groups, containers, temp dirs with mounts below them), and the process dies
 * of the signal. Locks are flock()s: they go with the process.
 *
 * The registry is process-wide by nature (a process has one signal
 * disposition); it is the only global state of the library. */
#ifndef TINYX_CLEANUP_H
#define TINYX_CLEANUP_H

#include <sys/types.h>

/* Start taking signals (once, from the CLI). 0 or -errno. */
int tx_signals_start(void);
/* 1 once a stop signal came (cleanup under way): long loops may stop early,
 * and tx_spawn starts nothing new; 0 in the signal thread itself, whose
 * cleanup may spawn (runc delete). */
int tx_interrupted(void);
/* Called by the CLI before it exits: when a stop signal came, the signal
 * thread is still cleaning up and will end the process with that signal, so
 * this never returns (the exit status must say "killed by SIGINT", not the
 * failure the interrupted child caused). */
void tx_signals_hold(void);

/* Run fn(arg) if a signal stops the process; returns a handle for
 * tx_cleanup_pop (which forgets it without running it), or -1 when full. */
int tx_cleanup_push(void (*fn)(void *arg), void *arg);
void tx_cleanup_pop(int handle);

/* A temp dir an interrupted run must not leave behind (the mounts below it
 * are undone first). Registered while it exists. */
void tx_tmp_register(const char *path);
void tx_tmp_release(const char *path);

/* A process group (a QEMU and what it spawned) to SIGKILL on a signal. */
int tx_cleanup_pgrp(pid_t pgid);

#endif
