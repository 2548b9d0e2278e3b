/* um3n daemons — the unix control socket (um3nctl); the text/JSON status
 * formatting behind `um3nctl show [-j]` is dfmt.h.
 *
 * Protocol: the client sends one line ("show", "show json", "link NAME down|up",
 * "link NAME signal DBM"); the daemon answers "ok\n" or "error: WHY\n", then the
 * body, and closes. Clients are non-blocking and bounded in number and size so
 * a stuck or hostile client never stalls the data path. */
#ifndef UM3N_DCTL_H
#define UM3N_DCTL_H

#include <stdbool.h>

#include "dcommon.h"

#define D_CTL_MAX_CLIENTS 8
/* Pending connections the kernel queues before accept(): a connect() past it
 * fails with EAGAIN, so a burst of clients (or a daemon busy with traffic)
 * must not hit it; the client table above is what bounds our memory. */
#define D_CTL_BACKLOG 128
#define D_CTL_LINE_MAX 256

/* handle: `line` is the request without its newline; write the whole answer
 * (starting with "ok\n" or "error: ...\n") into `reply`. */
typedef void (*d_ctl_handler)(void *ctx, char *line, struct d_str *reply);

struct d_ctl;
/* Binds path (removing a stale socket), mode 0660. NULL on error (logged). */
struct d_ctl *d_ctl_open(const char *path, d_ctl_handler handler, void *ctx);
void d_ctl_close(struct d_ctl *ctl);
/* The fds to watch (the listener, then the clients) as they come and go:
 * d_ctl_set_loop has them join the daemon's epoll set, tagged D_TAG_CTL with
 * the fd as index; d_ctl_set_watch hands them to a callback instead (tests). */
typedef void (*d_ctl_watch_fn)(void *ctx, int fd, bool add, unsigned events);
void d_ctl_set_watch(struct d_ctl *ctl, d_ctl_watch_fn fn, void *ctx);
struct d_loop;
void d_ctl_set_loop(struct d_ctl *ctl, struct d_loop *loop);
/* Called for any epoll event on an fd d_ctl asked to watch. */
void d_ctl_event(struct d_ctl *ctl, int fd, unsigned events);

/* Split "link NAME down|up|signal DBM". Returns 0 or UM3N_EINVAL (why set). */
int d_ctl_parse_link(char *line, char **name, int *ev, int *arg, const char **why);
/* What such a request does, for the log: "down", "up", "signal -85 dBm". */
const char *d_ctl_link_what(int ev, int arg, char *buf, size_t cap);

#endif
