/*
 * control.h - the control socket a running tapir answers, for `tapir stat`.
 *
 * Every virtual host listens on a UNIX stream socket (mode 0600) and serves
 * it on its event-loop thread. By default the socket is
 *     /run/tapir/<tap>.sock            in the host's own network namespace
 *     /run/tapir/<tap>@<netns>.sock    inside a namespace (its `ip netns` name,
 *                                      else "net" and its inode number)
 * because TAP names are per namespace: two tapirs on "tap0" in two
 * namespaces are not in each other's way, and `ip netns exec NS tapir stat`
 * finds the one in NS.
 *
 * Protocol: the client sends one request line (at most 63 bytes, "\n"
 * ended), the server answers text lines and closes. Requests:
 *     conns      every TCP socket, listeners included
 *     listeners  TCP listeners only
 *     udp        bound UDP sockets
 *     counters   every counter of tapir/stats.h, in its order
 *     summary    TCP sockets per state, all eleven states in RFC order
 * Every answer starts with a "tapir" line and ends with an "end" line (so a
 * cut answer is told from a whole one); between them one record per line,
 * a type word then space-separated key=value fields whose values never hold
 * spaces (numbers are decimal; addresses are a.b.c.d:port):
 *     tapir version=1 name=tap0 pid=1234 uptime_ms=5021 stacks=1
 * (stacks: how many TAP queues, each with its stack; a socket's queue= says
 * whose it is, and counters are summed over them)
 *     tcp state=ESTABLISHED local=10.0.0.2:7 peer=10.0.0.1:40312 recv_q=0
 *         send_q=0 snd_wnd=64240 rcv_wnd=262144 cwnd=14600 ssthresh=4294967295
 *         mss=1460 srtt_us=412 rto_us=200000 retrans=0 bytes_in=5 bytes_out=5
 *         accept_q=0 syn_q=0 backlog=0 fd=4 sack=1 ts=1 snd_wscale=7
 *         rcv_wscale=7 queue=0                      (all on one line)
 *     udp local=0.0.0.0:7 peer=0.0.0.0:0 queued=0 queued_bytes=0 fd=2 queue=0
 *     counter name=tcp.in value=17          (summed over the stacks)
 *     state name=ESTABLISHED count=1
 *     truncated omitted=120      (the answer hit its size limit; 4 MiB)
 *     end
 * An unknown or malformed request gets "error <one line of text>" instead
 * of the records; so does a client beyond the 8 served at once ("busy").
 * Readers must ignore record types and fields they do not know.
 *
 * The server never blocks the loop: non-blocking sockets, a bounded request
 * buffer, answers capped in size, and a client that has not sent its request
 * and read its answer within 5 seconds is dropped.
 */
#ifndef TAPIR_CONTROL_H
#define TAPIR_CONTROL_H

#include <stddef.h>

#include "tapir/loop.h"

#define TP_CONTROL_DIR "/run/tapir"

struct tp_control;

/* The default socket path for a TAP in the caller's network namespace, in
 * buf. Returns 0, or -ENAMETOOLONG when it would not fit a UNIX address. */
int tp_control_default_path(const char *tap_name, char *buf, size_t size);

/* Listens on path (TP_CONTROL_DIR is created, 0755, when path is in it)
 * and serves on loop's thread; `name` (the TAP) is what answers call the
 * host. A socket file left by a tapir that died is replaced; a live one is
 * an error ("another tapir is already running on tap0"), as is any other
 * kind of file at path. NULL with one line in err on failure, and errno
 * EADDRINUSE for a live socket, EEXIST for another kind of file, else why
 * (EACCES, ENOENT, ENAMETOOLONG, ...). */
struct tp_control *tp_control_open(struct tp_loop *loop, const char *path, const char *name,
				   char *err, size_t errlen);
/* Answers for another loop's stack too (the queues of a multi-queue TAP,
 * each on its own thread): its sockets are listed after the first
 * stack's, its counters added to them. Each answer takes that loop's core
 * lock while it reads the stack, so that loop must never take this one's.
 * Call before the control's loop runs, or under its lock. Returns 0 or
 * -ENOSPC (64 stacks). */
int tp_control_add_stack(struct tp_control *ctl, struct tp_loop *loop);
/* Drops the clients, closes, and removes the socket file if it is still
 * ours. NULL is ignored. Call it before tp_loop_free(). */
void tp_control_close(struct tp_control *ctl);

/* Client side: sends request to the socket at path and reads the whole
 * answer (NUL-terminated, at most 8 MiB, 5 s at most) into a malloc'd
 * *answer. Returns 0, or a negative errno: -ENOENT or -ECONNREFUSED when no
 * tapir is listening there, -EBUSY (its queue is full), -EACCES,
 * -ETIMEDOUT, -EMSGSIZE, -EINVAL (a request with a newline or too long). */
int tp_control_query(const char *path, const char *request, char **answer);

#endif
