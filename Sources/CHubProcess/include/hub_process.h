#ifndef HUB_PROCESS_H
#define HUB_PROCESS_H

#include <sys/types.h>

/// Starts `path` with `argv` and `envp` (NULL-terminated) as the leader of a process group of its
/// own, standard input from /dev/null, standard output and error to `output_fd`, every signal at
/// its default disposition and none blocked. On Linux the child gets SIGKILL when the thread that
/// called this function ends (PR_SET_PDEATHSIG): call it on a thread that lives as long as the
/// child (the one that waits for it).
///
/// Returns the child's pid, or -1 with errno set (also when exec failed: the child is reaped).
pid_t hub_spawn(const char *path, char *const argv[], char *const envp[], int output_fd);

/// Starts a guard for the process group `group`: a small process that holds the read end of a pipe
/// whose write end (returned in `write_fd`, close-on-exec) only this process holds. When this process
/// dies, the pipe closes and the guard kills the whole group with SIGKILL — programs the render
/// started, which the parent-death signal does not reach, go too. Stop it with SIGKILL (and
/// hub_wait) before closing `write_fd` when the render ended normally.
/// Returns the guard's pid, or -1 with errno set.
pid_t hub_spawn_group_guard(pid_t group, int *write_fd);

/// Waits for `pid` (retrying on EINTR). Returns its exit status, 128 + the signal number when a
/// signal ended it, or -1 with errno set.
int hub_wait(pid_t pid);

/// The start time of `pid` in clock ticks after boot (field 22 of /proc/PID/stat), or 0 when the
/// process does not exist (or is not Linux).
unsigned long long hub_process_start_time(pid_t pid);

/// Makes this process note its own crash: when it gets SIGSEGV, SIGBUS, SIGILL (a Swift trap),
/// SIGTRAP, SIGFPE or SIGABRT, a handler writes `text` and then `signal=N` and a newline to `path`
/// (created or truncated, mode 0644; only async-signal-safe calls) and lets the signal take its
/// course: the handler that was installed before (Swift's backtracer) or the default action. A kill
/// from outside (SIGKILL, SIGTERM) leaves no record. Both strings are copied; call it once.
/// Returns 0, or -1 with errno set (a string too long, or sigaction failed).
int hub_record_crashes(const char *path, const char *text);

#endif
