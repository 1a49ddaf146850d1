#include "cncurses.h"

/* Written by the signal handler, read by the draw loop: sig_atomic_t is the type C
 * guarantees for exactly this. */
static volatile sig_atomic_t quit_signal = 0;

static void on_quit_signal(int signo) { quit_signal = signo; }

void cn_install_quit_handlers(void) {
    struct sigaction action;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: let a blocking getch return early */
    action.sa_handler = on_quit_signal;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGHUP, &action, NULL);
}

int cn_quit_signal(void) { return quit_signal; }

void cn_restore_default_handlers(void) {
    const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE };
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) signal(signals[i], SIG_DFL);
}

/* endwin() is not on the async-signal-safe list; we call it anyway because the process is
 * about to die and a terminal left in raw mode on the alternate screen is the worse
 * outcome (htop does the same). SA_RESETHAND restores the default action first, so the
 * raise() below kills us with the original signal. */
static void on_crash_signal(int signo) {
    endwin();
    raise(signo);
}

void cn_install_crash_handlers(void) {
    struct sigaction action;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND | SA_NODEFER;
    action.sa_handler = on_crash_signal;
    const int signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE };
    for (unsigned i = 0; i < sizeof signals / sizeof signals[0]; i++) sigaction(signals[i], &action, NULL);
}
