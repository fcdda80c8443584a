#define _GNU_SOURCE
#include "hub_process.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <pthread.h>
#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/// Marks every descriptor from 3 up close-on-exec (only async-signal-safe calls: runs after fork).
static void mark_cloexec_from_3(void) {
#if defined(__linux__) && defined(SYS_close_range)
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) == 0) return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
    for (int fd = 3; fd < max; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0) fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
    }
}

pid_t hub_spawn(const char *path, char *const argv[], char *const envp[], int output_fd) {
    int report[2];
    if (pipe(report) != 0) return -1;
    fcntl(report[0], F_SETFD, FD_CLOEXEC);
    fcntl(report[1], F_SETFD, FD_CLOEXEC);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (null_fd < 0) {
        int saved = errno;
        close(report[0]);
        close(report[1]);
        errno = saved;
        return -1;
    }
    pid_t parent = getpid();
    // No signal handler of the parent may run in the child between fork and exec.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction dfl;
        memset(&dfl, 0, sizeof dfl);
        dfl.sa_handler = SIG_DFL;
        sigemptyset(&dfl.sa_mask);
        // Ignored signals stay ignored across exec (hub-worker ignores SIGTERM and SIGINT to
        // watch them with dispatch sources, Swift ignores SIGPIPE): the renderer gets the defaults.
        for (int s = 1; s < NSIG; s++) {
            if (s == SIGKILL || s == SIGSTOP) continue;
            sigaction(s, &dfl, NULL);
        }
        setpgid(0, 0);
#ifdef __linux__
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        // The parent (thread) may have gone before the signal was armed.
        if (getppid() != parent) _exit(127);
#endif
        if (dup2(null_fd, 0) < 0 || dup2(output_fd, 1) < 0 || dup2(output_fd, 2) < 0) {
            int e = errno;
            ssize_t ignored = write(report[1], &e, sizeof e);
            (void)ignored;
            _exit(127);
        }
        mark_cloexec_from_3();
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(path, argv, envp);
        int e = errno;
        ssize_t ignored = write(report[1], &e, sizeof e);
        (void)ignored;
        _exit(127);
    }
    int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(report[1]);
    close(null_fd);
    if (pid < 0) {
        close(report[0]);
        errno = fork_errno;
        return -1;
    }
    // Also from this side, so the group exists before anyone signals it (fails harmlessly once
    // the child has exec'd).
    setpgid(pid, pid);
    int child_errno = 0;
    ssize_t n;
    do {
        n = read(report[0], &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof child_errno) {
        hub_wait(pid);
        errno = child_errno;
        return -1;
    }
    return pid;
}

pid_t hub_spawn_group_guard(pid_t group, int *write_fd) {
    int fds[2];
    if (pipe(fds) != 0) return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pid_t pid = fork();
    if (pid == 0) {
        // Only async-signal-safe calls from here: this process never execs.
        struct sigaction action;
        memset(&action, 0, sizeof action);
        sigemptyset(&action.sa_mask);
        for (int s = 1; s < NSIG; s++) {
            if (s == SIGKILL || s == SIGSTOP) continue;
            action.sa_handler = (s == SIGINT || s == SIGTERM || s == SIGHUP || s == SIGQUIT || s == SIGPIPE) ? SIG_IGN : SIG_DFL;
            sigaction(s, &action, NULL);
        }
        setpgid(0, 0);
        // Keep nothing of the worker's but the read end (as fd 0): no output pipe of another
        // render, no socket may be held open by the guard.
        if (dup2(fds[0], 0) < 0) _exit(1);
#if defined(__linux__) && defined(SYS_close_range)
        if (syscall(SYS_close_range, 1U, ~0U, 0U) != 0)
#endif
        {
            long max = sysconf(_SC_OPEN_MAX);
            if (max < 0 || max > 65536) max = 65536;
            for (int fd = 1; fd < max; fd++) close(fd);
        }
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        char byte;
        for (;;) {
            ssize_t n = read(0, &byte, 1);
            if (n < 0 && errno == EINTR) continue;
            if (n > 0) continue;
            break;
        }
        kill(-group, SIGKILL);
        _exit(0);
    }
    int fork_errno = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    close(fds[0]);
    if (pid < 0) {
        close(fds[1]);
        errno = fork_errno;
        return -1;
    }
    *write_fd = fds[1];
    return pid;
}

int hub_wait(pid_t pid) {
    int status = 0;
    pid_t done;
    do {
        done = waitpid(pid, &status, 0);
    } while (done < 0 && errno == EINTR);
    if (done < 0) return -1;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

unsigned long long hub_process_start_time(pid_t pid) {
#ifdef __linux__
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *file = fopen(path, "re");
    if (!file) return 0;
    char buffer[4096];
    size_t length = fread(buffer, 1, sizeof buffer - 1, file);
    fclose(file);
    buffer[length] = 0;
    // The command name (field 2) is in parentheses and may contain spaces: count from the last ')'.
    char *p = strrchr(buffer, ')');
    if (!p) return 0;
    p++;
    // Fields 3 onwards; the start time is field 22.
    for (int field = 3; field < 22; field++) {
        p = strchr(p + 1, ' ');
        if (!p) return 0;
    }
    return strtoull(p + 1, NULL, 10);
#else
    (void)pid;
    return 0;
#endif
}

static char crash_path[4096];
static char crash_text[4096];
static size_t crash_text_length;
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGABRT};
#define CRASH_SIGNAL_COUNT (sizeof crash_signals / sizeof crash_signals[0])
static struct sigaction crash_previous[CRASH_SIGNAL_COUNT];
static int crash_installed;

static void crash_handler(int sig, siginfo_t *info, void *context) {
    int saved = errno;
    int fd = open(crash_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        char line[32] = "signal=";
        size_t length = 7;
        char digits[12];
        int count = 0;
        int value = sig;
        do {
            digits[count++] = (char)('0' + value % 10);
            value /= 10;
        } while (value > 0 && count < (int)sizeof digits);
        while (count > 0) line[length++] = digits[--count];
        line[length++] = '\n';
        ssize_t ignored = write(fd, crash_text, crash_text_length);
        ignored = write(fd, line, length);
        (void)ignored;
        close(fd);
    }
    // The signal takes its course: the handler installed before ours, else the default action
    // (the signal is blocked while this runs, so raised again it arrives when this returns).
    for (size_t i = 0; i < CRASH_SIGNAL_COUNT; i++) {
        if (crash_signals[i] != sig) continue;
        struct sigaction previous = crash_previous[i];
        sigaction(sig, &previous, NULL);
        if ((previous.sa_flags & SA_SIGINFO) && previous.sa_sigaction != NULL) {
            previous.sa_sigaction(sig, info, context);
        } else if (!(previous.sa_flags & SA_SIGINFO) && previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
            previous.sa_handler(sig);
        } else {
            struct sigaction dfl;
            memset(&dfl, 0, sizeof dfl);
            dfl.sa_handler = SIG_DFL;
            sigemptyset(&dfl.sa_mask);
            sigaction(sig, &dfl, NULL);
        }
        break;
    }
    raise(sig);
    errno = saved;
}

int hub_record_crashes(const char *path, const char *text) {
    size_t path_length = strlen(path), text_length = strlen(text);
    if (path_length >= sizeof crash_path || text_length >= sizeof crash_text) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(crash_path, path, path_length + 1);
    memcpy(crash_text, text, text_length + 1);
    crash_text_length = text_length;
    if (crash_installed) return 0;
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = crash_handler;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < CRASH_SIGNAL_COUNT; i++) {
        if (sigaction(crash_signals[i], &action, &crash_previous[i]) != 0) return -1;
    }
    crash_installed = 1;
    return 0;
}
