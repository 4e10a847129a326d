/*
 * replay_client.h - the sidecar's `connect` and `listen` keys: scripted TCP
 * clients and servers on the stack under test, so a vector can make the
 * stack open a connection (active open, simultaneous open, active close)
 * or serve one and close it first (the server's TIME_WAIT). Internal to
 * tools/.
 */
#ifndef TAPIR_TOOLS_REPLAY_CLIENT_H
#define TAPIR_TOOLS_REPLAY_CLIENT_H

#include <stddef.h>

#include "replay.h"

/* "ADDR:PORT at T [from PORT] [send N at T]... [close at T]" into c.
 * Returns 0, or -1 with a one-line reason in err. */
int replay_client_parse(const char *value, struct tp_replay_client *c, char *err, size_t errlen);

/* "PORT [reply N] [close]" into l. 0, or -1 with a one-line reason in err. */
int replay_listener_parse(const char *value, struct tp_replay_listener *l, char *err, size_t errlen);

struct replay_clients;

/* The clients of cfg, on stack s whose clock started at `start`. NULL when
 * out of memory. */
struct replay_clients *replay_clients_new(struct tp_stack *s, const struct tp_replay_config *cfg,
					  tp_time start);
/* Opens the `listen` servers. 0, or -1 with the reason in err. */
int replay_clients_listen(struct replay_clients *cl, char *err, size_t errlen);
/* When the next scripted action is due, or TP_TIME_NEVER. */
tp_time replay_clients_next(const struct replay_clients *cl);
/* When the last scripted action is due (0 if there is none): the run lasts
 * at least that long. */
tp_time replay_clients_last(const struct replay_clients *cl);
/* Performs every action due at or before `now` (the stack's clock must be
 * there already). Returns 0, or -1 with the reason in err (a connect the
 * stack refused at once). */
int replay_clients_run(struct replay_clients *cl, tp_time now, char *err, size_t errlen);
/* Frees the scripts and servers; the sockets belong to the stack and go with it. */
void replay_clients_free(struct replay_clients *cl);

#endif
