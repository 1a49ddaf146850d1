/*
 * The slice of ncurses the dashboard backend uses, in a form Swift can import.
 *
 * Swift cannot import function-like macros (getmaxyx, A_BOLD, getch) or variadic
 * functions (printw), and in the Swift 6 language mode it refuses any use of the
 * globals stdscr/LINES/COLS. Each is wrapped here in a small static inline function.
 * Text goes out as UTF-8 through mvaddnstr: with setlocale(LC_ALL, "") and ncursesw
 * that handles the block and box-drawing characters.
 */
#ifndef CNCURSES_H
#define CNCURSES_H

#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <ncurses.h>
#include <locale.h>
#include <signal.h>

/* Style bits of the dashboard's screen model (EveringDashboard.TextAttributes). */
enum {
    CN_BOLD = 1,
    CN_REVERSE = 2,
    CN_DIM = 4,
    CN_UNDERLINE = 8,
};

/* Whether the terminal on stdout can run a full-screen UI, without writing to it:
 * 0 yes, -1 TERM unset or unknown to terminfo, -2 no cursor addressing (TERM=dumb, a
 * hardcopy or glass tty: curses would draw garbage or nothing). */
int cn_check_terminal(void);

/* Starts curses mode: locale first (for UTF-8 output), then cbreak so Ctrl-C still
 * raises SIGINT (raw mode would swallow it), no echo, keypad keys decoded, cursor hidden.
 * Returns 0 on success, -1 if the terminal cannot be initialised. */
static inline int cn_start(void) {
    setlocale(LC_ALL, "");
    /* newterm instead of initscr: initscr exit()s on an unknown TERM; this returns NULL. */
    if (newterm(NULL, stdout, stdin) == NULL) return -1;
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    /* After a lone Esc, getch waits ESCDELAY (1 s by default) for the rest of an escape
     * sequence; 25 ms is ample for a terminal's own sequences (they arrive in one write)
     * and makes Esc close the help at once. */
    set_escdelay(25);
    curs_set(0);
    return 0;
}

static inline void cn_stop(void) {
    if (!isendwin()) {
        curs_set(1);
        endwin();
    }
}

/* Number of colours the terminal offers after start_color, or 0 for monochrome. Uses the
 * terminal's default colours as background so the dashboard does not paint a black slab. */
static inline int cn_start_colors(void) {
    if (!has_colors()) return 0;
    if (start_color() != OK) return 0;
    use_default_colors();
    return COLORS;
}

static inline int cn_color_pairs(void) { return COLOR_PAIRS; }

/* fg/bg: a COLOR_* constant, or -1 for the terminal default. */
static inline void cn_init_pair(short pair, short fg, short bg) { init_pair(pair, fg, bg); }

static inline int cn_lines(void) { return LINES; }
static inline int cn_cols(void) { return COLS; }

/* Waits at most `milliseconds` for a key (0: poll); returns ERR when none came. */
static inline int cn_read_key(int milliseconds) {
    timeout(milliseconds);
    return getch();
}

/* Reports presses of the first mouse button as KEY_MOUSE (the overview: click a row or a
 * column header). mouseinterval(0): no waiting to tell a click from a press, so a click
 * acts at once. Returns 0 when the terminal has no mouse support. */
static inline int cn_enable_mouse(void) {
    mouseinterval(0);
    return mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED, NULL) != 0 ? 0 : -1;
}

static inline void cn_disable_mouse(void) { mousemask(0, NULL); }

/* After KEY_MOUSE: the cell of a first-button press or click in *x, *y and 1, else 0
 * (other buttons, releases, or an event ncurses could not read). */
static inline int cn_mouse_click(int *x, int *y) {
    MEVENT event;
    if (getmouse(&event) != OK) return 0;
    if (!(event.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED))) return 0;
    *x = event.x;
    *y = event.y;
    return 1;
}

/* KEY_F(n) is a function-like macro. */
static inline int cn_function_key(int n) { return KEY_F(n); }

static inline void cn_erase(void) { erase(); }
static inline void cn_refresh(void) { refresh(); }
static inline void cn_clear_screen(void) { clear(); }

/* Draws `length` bytes of UTF-8 at (y, x) with the given CN_* style bits and colour pair
 * (0: default colours). Text running past the right edge is clipped by ncurses. */
static inline void cn_put(int y, int x, const char *utf8, int length, int style, short pair) {
    attr_t attrs = A_NORMAL;
    if (style & CN_BOLD) attrs |= A_BOLD;
    if (style & CN_REVERSE) attrs |= A_REVERSE;
    if (style & CN_DIM) attrs |= A_DIM;
    if (style & CN_UNDERLINE) attrs |= A_UNDERLINE;
    attr_set(attrs, pair, NULL);
    mvaddnstr(y, x, utf8, length);
    attr_set(A_NORMAL, 0, NULL);
}

/* ---- quitting on signals ----
 * SIGINT/SIGTERM/SIGHUP set a flag the draw loop polls (it wakes at least every 50 ms),
 * so the terminal is restored by the normal exit path, not from inside a handler.
 * Installed before curses starts so ncurses keeps its hands off these signals. */
void cn_install_quit_handlers(void);
/* The signal that asked us to quit, or 0. */
int cn_quit_signal(void);

/* ---- crashes ----
 * SIGSEGV/SIGBUS (a ring truncated under our read-only mapping), SIGILL/SIGTRAP (a Swift
 * runtime trap) and SIGABRT: leave curses mode so the user's terminal is usable, then die
 * of the same signal (default action, so core dumps and exit statuses stay truthful). */
void cn_install_crash_handlers(void);

/* After curses mode has ended: the dispositions from before the install calls again, so
 * Ctrl-C kills what runs after the dashboard (demo's load shutdown) instead of setting a
 * flag nobody polls, and a later crash does not call endwin() on a finished screen. */
void cn_restore_signal_handlers(void);

#endif
