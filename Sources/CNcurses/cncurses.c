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
