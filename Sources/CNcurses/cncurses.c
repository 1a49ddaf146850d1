#include "cncurses.h"

/* Written by the signal handler, read by the draw loop: sig_atomic_t is the type C
 * guarantees for exactly this. */
static volatile sig_atomic_t quit_signal = 0;

static void on_quit_signal(int signo) { quit_signal = signo; }

/* The dispositions found at install time, put back by cn_restore_signal_handlers (a
 * process started with SIGINT ignored, say by nohup, keeps it ignored afterwards). */
static const int quit_signals[] = { SIGINT, SIGTERM, SIGHUP };
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE };
#define QUIT_COUNT (sizeof quit_signals / sizeof quit_signals[0])
#define CRASH_COUNT (sizeof crash_signals / sizeof crash_signals[0])
static struct sigaction saved_quit[QUIT_COUNT];
static struct sigaction saved_crash[CRASH_COUNT];

void cn_install_quit_handlers(void) {
    struct sigaction action;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0; /* no SA_RESTART: let a blocking getch return early */
    action.sa_handler = on_quit_signal;
    for (unsigned i = 0; i < QUIT_COUNT; i++) sigaction(quit_signals[i], &action, &saved_quit[i]);
}

int cn_quit_signal(void) { return quit_signal; }

void cn_restore_signal_handlers(void) {
    for (unsigned i = 0; i < QUIT_COUNT; i++) sigaction(quit_signals[i], &saved_quit[i], NULL);
    for (unsigned i = 0; i < CRASH_COUNT; i++) sigaction(crash_signals[i], &saved_crash[i], NULL);
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
    for (unsigned i = 0; i < CRASH_COUNT; i++) sigaction(crash_signals[i], &action, &saved_crash[i]);
}

/* term.h only here: it defines macros named after every capability (lines, columns, cup...)
 * that must not leak into the header Swift imports. */
#include <term.h>
#include <unistd.h>

int cn_check_terminal(void) {
    int status = 0;
    /* errret non-NULL: setupterm reports an unknown TERM instead of exiting. Nothing is
     * written to the terminal; the description is freed again so newterm starts afresh. */
    if (setupterm(NULL, STDOUT_FILENO, &status) != OK) return -1;
    const char *cup = tigetstr("cup");
    int addressable = cup != NULL && cup != (const char *)-1;
    del_curterm(cur_term); /* also resets cur_term, as it was the current one */
    return addressable ? 0 : -2;
}
