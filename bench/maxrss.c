/* maxrss.c - run a command and print its peak resident set size.
 *
 * Why not Python's os.wait4: Linux keeps a process's RSS high-water mark across exec, so a
 * child forked from a 14 MB Python reports at least 14 MB. This launcher is ~1 MB, so the
 * figure it prints is the command's own (or this launcher's, whichever is larger).
 * Usage: maxrss CMD [ARGS...]  -> stderr's last line: "maxrss_kb=N status=S"
 * SIGTERM, SIGINT and SIGHUP are passed on to the command, so it can be stopped or reloaded
 * through this launcher.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t child;

static void pass_on(int sig)
{
    if (child > 0)
        kill(child, sig);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: maxrss CMD [ARGS...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    child = pid;
    struct sigaction sa = {.sa_handler = pass_on};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    int status;
    struct rusage ru;
    pid_t w;
    while ((w = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
        ;
    if (w < 0)
        return 1;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    fprintf(stderr, "maxrss_kb=%ld status=%d\n", ru.ru_maxrss, code);
    return code;
}
