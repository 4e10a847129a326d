/*
 * fuzz_replay_conf.c - a vector's sidecar NAME.conf (tools/replay_conf.c,
 * and through its `connect` and `listen` keys tools/replay_client.c) on
 * arbitrary bytes. A file that parses and names the stack's MAC and address
 * must also make a stack, an interface and the scripted servers: every
 * value the parser accepts is one the stack can take.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_file.h"
#include "replay.h"
#include "replay_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_replay_conf: %s\n", what);
		abort();
	}
}

static int drop_frame(void *ctx, const uint8_t *frame, size_t len)
{
	(void)ctx;
	(void)frame;
	(void)len;
	return 0;
}

/* What the parser accepted, built as tapir replay would build it. */
static void build(const struct tp_replay_config *cfg)
{
	char err[160];
	struct tp_stack *s = tp_stack_new(&cfg->stack);
	check(s != NULL, "an accepted configuration makes no stack");
	struct tp_netif_config nc = cfg->netif;
	if (!nc.mtu)
		nc.mtu = 1500;
	check(tp_netif_add(s, &nc, drop_frame, NULL) != NULL, "an accepted configuration makes no interface");
	struct replay_clients *cl = replay_clients_new(s, cfg, cfg->stack.start_time);
	check(cl != NULL, "replay_clients_new");
	if (replay_clients_listen(cl, err, sizeof(err)) < 0)
		check(strnlen(err, sizeof(err)) < sizeof(err), "listen error unterminated");
	replay_clients_free(cl);
	tp_stack_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	struct fuzz_file ff;
	if (fuzz_file_open(&ff, data, size) < 0)
		return 0;
	struct tp_replay_config cfg;
	tp_replay_config_init(&cfg);
	err[0] = '\0';
	int rc = tp_replay_config_parse(&cfg, ff.f, "fuzz.conf", err, sizeof(err));
	fuzz_file_close(&ff);
	check(strnlen(err, sizeof(err)) < sizeof(err), "error unterminated");
	check(rc == 0 || (rc == -1 && err[0]), "a failure without a reason");
	check(cfg.n_clients >= 0 && cfg.n_clients <= TP_REPLAY_MAX_CLIENTS, "too many clients");
	check(cfg.n_listeners >= 0 && cfg.n_listeners <= TP_REPLAY_MAX_LISTENERS, "too many listeners");
	check(cfg.n_counters >= 0 && cfg.n_counters <= TP_REPLAY_MAX_COUNTERS, "too many counters");
	for (int i = 0; i < cfg.n_clients; i++) {
		const struct tp_replay_client *c = &cfg.clients[i];
		check(c->n_sends >= 0 && c->n_sends <= TP_REPLAY_MAX_CLIENT_SENDS, "too many sends");
		for (int k = 0; k < c->n_sends; k++)
			check(c->sends[k].at >= (k ? c->sends[k - 1].at : c->at), "sends out of order");
	}
	if (rc == 0 && tp_replay_config_check(&cfg, err, sizeof(err)) == 0)
		build(&cfg);
	return 0;
}
