/*
 * replay_conf.c - a vector's sidecar file (NAME.conf) and the flags that
 * override it: one table of keys serves both, so a flag `--icmp-burst 5`
 * and a line `icmp_burst = 5` can never mean different things.
 */
#include "replay.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "replay_client.h"
#include "services.h"

#define DEFAULT_TOLERANCE TP_MSEC(10)

const struct tp_replay_key tp_replay_conf_keys[] = {
	{"mac", "MAC", "the stack's MAC: frames from it are the expectation (required)"},
	{"addr", "A/N", "the stack's address and prefix length (required)"},
	{"gateway", "A", "default gateway (default: none)"},
	{"mtu", "N", "IP MTU, 68..9000 (default 1500)"},
	{"seed", "N", "PRNG seed (default 0); recorded vectors depend on it"},
	{"start", "SECONDS", "clock at stack creation, as a capture time (default: the first frame's)"},
	{"end", "SECONDS", "keep running timers until this long after start (default: the last frame)"},
	{"tolerance_ms", "N", "how far (ms) an emitted frame may be off its capture time (default 10)"},
	{"announce", "yes|no", "does the capture hold the stack's start-up gratuitous ARP (default yes)"},
	{"icmp_rate", "N", "ICMP errors per second (stack default 100)"},
	{"icmp_burst", "N", "ICMP error bucket depth (stack default 50)"},
	{"arp_cache_size", "N", "ARP cache entries, 1..65536 (stack default 128)"},
	{"reass_mem_limit", "N", "bytes held for IP reassembly (stack default 1 MiB)"},
	{"ttl", "N", "default TTL of datagrams sent (stack default 64)"},
	{"tcp_msl_ms", "N", "TCP maximum segment lifetime; TIME_WAIT lasts 2 MSL (stack default 30000)"},
	{"tcp_delack_ms", "N", "delayed-ACK timeout, 1..200 (stack default 40)"},
	{"tcp_fin_timeout_ms", "N", "an orphan's FIN_WAIT_2 life (stack default 60000)"},
	{"tcp_retries", "N", "data retransmissions before the connection is dropped (stack default 12)"},
	{"tcp_syn_retries", "N", "SYN / SYN-ACK retransmissions before giving up (stack default 6)"},
	{"tcp_rcvbuf", "BYTES", "TCP receive buffer, 1024..16777216 (stack default 262144)"},
	{"tcp_sndbuf", "BYTES", "TCP send buffer, 1024..16777216 (stack default 262144)"},
	{"tcp_challenge_ack_rate", "N", "RFC 5961 challenge ACKs per second, stack-wide (stack default 1000)"},
	{"tcp_syn_backlog", "N", "half-open connections per listener; SYN cookies beyond (stack default 256)"},
	{"services", "LIST", "serve echo,discard,chargen (as `tapir run --services`; default none)"},
	{"connect", "SCRIPT", "a TCP client on the stack: ADDR:PORT at T [from PORT] [keepalive IDLE,INTVL,CNT] "
			      "[send N at T]... "
			      "[close at T]; each line adds one"},
	{"listen", "SCRIPT", "a TCP server on the stack: PORT [reply N] [close]: accepts, answers the first data "
			     "with N bytes, and with close closes first (else when the peer does); each line adds one"},
	{"expect_counter", "NAME N", "the stack's counter NAME (tcp.drop_options, ...) must end at N; "
				     "each line adds one"},
	{NULL, NULL, NULL},
};

void tp_replay_config_init(struct tp_replay_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->netif.name = "replay";
	cfg->tolerance = DEFAULT_TOLERANCE;
	cfg->expect_announce = 1;
}

int tp_parse_seconds(const char *s, tp_time *out)
{
	tp_time whole = 0, frac = 0;
	int digits = 0, decimals = 0;

	for (; *s >= '0' && *s <= '9'; s++, digits++) {
		if (whole > (UINT64_MAX / 1000000u - 9) / 10)
			return -1;
		whole = whole * 10 + (tp_time)(*s - '0');
	}
	if (*s == '.') {
		for (s++; *s >= '0' && *s <= '9'; s++, decimals++) {
			if (decimals == 6)
				return -1;
			frac = frac * 10 + (tp_time)(*s - '0');
		}
		if (!decimals)
			return -1;
	}
	if (!digits || *s != '\0')
		return -1;
	for (; decimals < 6; decimals++)
		frac *= 10;
	*out = whole * 1000000u + frac;
	return 0;
}

/* Decimal or 0x-hex, nothing else (no sign, no spaces, no octal surprises). */
static int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *digits = hex ? s + 2 : s;
	if (!(hex ? isxdigit((unsigned char)*digits) : isdigit((unsigned char)*digits)))
		return -1;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(digits, &end, hex ? 16 : 10);
	if (errno || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_bool(const char *s, int *out)
{
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "1"))
		*out = 1;
	else if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "0"))
		*out = 0;
	else
		return -1;
	return 0;
}

/* Numeric keys that land in the stack's configuration, with their ranges. */
#define STACK_FIELD(f) offsetof(struct tp_stack_config, f), sizeof(((struct tp_stack_config *)0)->f)
static const struct {
	const char *key;
	size_t offset, size;            /* a uint32_t count or a tp_time */
	uint64_t min, max;
	int millis;                     /* a tp_time given in milliseconds */
} stack_numbers[] = {
	{"icmp_rate", STACK_FIELD(icmp_rate), 1, UINT32_MAX, 0},
	{"icmp_burst", STACK_FIELD(icmp_burst), 1, UINT32_MAX, 0},
	/* Allocated whole at start-up: a bigger cache is a typo, not a test. */
	{"arp_cache_size", STACK_FIELD(arp_cache_size), 1, 65536, 0},
	{"reass_mem_limit", STACK_FIELD(reass_mem_limit), 1, UINT32_MAX, 0},
	{"tcp_msl_ms", STACK_FIELD(tcp_msl), 1, 3600 * 1000, 1},
	{"tcp_delack_ms", STACK_FIELD(tcp_delack), 1, 200, 1},
	{"tcp_fin_timeout_ms", STACK_FIELD(tcp_fin_timeout), 1, 3600 * 1000, 1},
	{"tcp_retries", STACK_FIELD(tcp_retries), 1, 100, 0},
	{"tcp_syn_retries", STACK_FIELD(tcp_syn_retries), 1, 100, 0},
	{"tcp_rcvbuf", STACK_FIELD(tcp_rcvbuf), 1024, 16 << 20, 0},
	{"tcp_sndbuf", STACK_FIELD(tcp_sndbuf), 1024, 16 << 20, 0},
	{"tcp_challenge_ack_rate", STACK_FIELD(tcp_challenge_ack_rate), 1, UINT32_MAX, 0},
	{"tcp_syn_backlog", STACK_FIELD(tcp_syn_backlog), 1, UINT32_MAX, 0},
};
#undef STACK_FIELD

/* Sets a stack_numbers key; 1 if it was one (*ok tells whether the value
 * was good), 0 if key is not one of them. */
static int set_stack_number(struct tp_replay_config *cfg, const char *key, const char *value, int *ok)
{
	for (size_t i = 0; i < sizeof(stack_numbers) / sizeof(stack_numbers[0]); i++) {
		if (strcmp(stack_numbers[i].key, key))
			continue;
		uint64_t n = 0;
		*ok = parse_uint(value, stack_numbers[i].min, stack_numbers[i].max, &n) == 0;
		char *field = (char *)&cfg->stack + stack_numbers[i].offset;
		if (stack_numbers[i].size == sizeof(tp_time)) {
			tp_time t = stack_numbers[i].millis ? TP_MSEC(n) : n;
			memcpy(field, &t, sizeof(t));
		} else {
			uint32_t v = (uint32_t)n;
			memcpy(field, &v, sizeof(v));
		}
		return 1;
	}
	return 0;
}

/* "tcp.drop_options 1" */
static int add_counter(struct tp_replay_config *cfg, const char *value)
{
	char name[64];
	size_t n = strcspn(value, " \t");
	if (cfg->n_counters == TP_REPLAY_MAX_COUNTERS || n >= sizeof(name))
		return -1;
	memcpy(name, value, n);
	name[n] = '\0';
	const char *num = value + n + strspn(value + n, " \t");
	struct tp_replay_counter *c = &cfg->counters[cfg->n_counters];
	for (int id = 0; id < TP_STAT_COUNT; id++)
		if (!strcmp(tp_stat_name((enum tp_stat_id)id), name)) {
			if (parse_uint(num, 0, UINT64_MAX, &c->value) < 0)
				return -1;
			c->id = (enum tp_stat_id)id;
			cfg->n_counters++;
			return 0;
		}
	return -1;
}

int tp_replay_config_set(struct tp_replay_config *cfg, const char *key, const char *value,
			 char *err, size_t errlen)
{
	uint64_t n = 0;
	tp_time t = 0;
	int ok;

	if (!strcmp(key, "mac")) {
		ok = tp_mac_parse(value, cfg->netif.mac) == 0 && !(cfg->netif.mac[0] & 1);
		cfg->has_mac = ok;
	} else if (!strcmp(key, "addr")) {
		ok = tp_ip4_parse_cidr(value, &cfg->netif.addr, &cfg->netif.prefix_len) == 0 &&
		     strchr(value, '/') && cfg->netif.addr != 0;
		cfg->has_addr = ok;
	} else if (!strcmp(key, "gateway")) {
		ok = tp_ip4_parse(value, &cfg->netif.gateway) == 0;
	} else if (!strcmp(key, "mtu")) {
		ok = parse_uint(value, 68, 9000, &n) == 0;
		cfg->netif.mtu = (uint16_t)n;
	} else if (!strcmp(key, "seed")) {
		ok = parse_uint(value, 0, UINT64_MAX, &n) == 0;
		cfg->stack.seed = n;
	} else if (!strcmp(key, "start")) {
		ok = tp_parse_seconds(value, &t) == 0;
		cfg->stack.start_time = t;
		cfg->has_start = ok;
	} else if (!strcmp(key, "end")) {
		ok = tp_parse_seconds(value, &t) == 0;
		cfg->end = t;
	} else if (!strcmp(key, "tolerance_ms")) {
		ok = parse_uint(value, 0, 3600 * 1000, &n) == 0;
		cfg->tolerance = TP_MSEC(n);
	} else if (!strcmp(key, "announce")) {
		ok = parse_bool(value, &cfg->expect_announce) == 0;
	} else if (!strcmp(key, "ttl")) {
		ok = parse_uint(value, 1, 255, &n) == 0;
		cfg->stack.default_ttl = (uint8_t)n;
	} else if (set_stack_number(cfg, key, value, &ok)) {
		/* done */
	} else if (!strcmp(key, "services")) {
		ok = tp_services_parse(value, &cfg->services) == 0 && *value;
	} else if (!strcmp(key, "connect") || !strcmp(key, "listen")) {
		/* Each line adds a scripted client or server. */
		int listen = key[0] == 'l';
		int *count = listen ? &cfg->n_listeners : &cfg->n_clients;
		int max = listen ? TP_REPLAY_MAX_LISTENERS : TP_REPLAY_MAX_CLIENTS;
		if (*count == max) {
			snprintf(err, errlen, "at most %d %s lines", max, key);
			return -1;
		}
		if ((listen ? replay_listener_parse(value, &cfg->listeners[*count], err, errlen)
			    : replay_client_parse(value, &cfg->clients[*count], err, errlen)) < 0)
			return -1;
		(*count)++;
		ok = 1;
	} else if (!strcmp(key, "expect_counter")) {
		ok = add_counter(cfg, value) == 0;
	} else {
		snprintf(err, errlen, "unknown key '%s'", key);
		return -1;
	}
	if (!ok) {
		const struct tp_replay_key *k = tp_replay_conf_keys;
		while (strcmp(k->name, key))
			k++;
		snprintf(err, errlen, "bad value '%s' for %s (%s: %s)", value, key, k->arg, k->help);
		return -1;
	}
	return 0;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && strchr(" \t\r\n", s[n - 1]))
		s[--n] = '\0';
	return s;
}

int tp_replay_config_parse(struct tp_replay_config *cfg, FILE *f, const char *name, char *err, size_t errlen)
{
	char *line = NULL, why[160];
	size_t cap = 0;
	ssize_t got;
	int lineno = 0, rc = 0;
	while (rc == 0 && (got = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (strlen(line) != (size_t)got) {
			snprintf(err, errlen, "%s:%d: NUL byte in line", name, lineno);
			rc = -1;
			break;
		}
		char *hash = strchr(line, '#');
		if (hash)
			*hash = '\0';
		char *text = trim(line);
		if (*text == '\0')
			continue;
		char *eq = strchr(text, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected 'key = value'", name, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *key = trim(text), *value = trim(eq + 1);
		if (tp_replay_config_set(cfg, key, value, why, sizeof(why)) < 0) {
			snprintf(err, errlen, "%s:%d: %s", name, lineno, why);
			rc = -1;
		}
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "%s: read error", name);
		rc = -1;
	}
	free(line);
	return rc;
}

int tp_replay_config_load(struct tp_replay_config *cfg, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return -2;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	int rc = tp_replay_config_parse(cfg, f, path, err, errlen);
	fclose(f);
	return rc;
}

int tp_replay_config_check(const struct tp_replay_config *cfg, char *err, size_t errlen)
{
	if (!cfg->has_mac || !cfg->has_addr) {
		snprintf(err, errlen, "the stack's %s is not set (a 'mac' / 'addr' line in the sidecar, or --mac / --addr)",
			 !cfg->has_mac ? "mac" : "addr");
		return -1;
	}
	return 0;
}

char *tp_replay_sidecar_path(const char *vector_path)
{
	const char *slash = strrchr(vector_path, '/');
	const char *dot = strrchr(vector_path, '.');
	size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - vector_path) : strlen(vector_path);
	char *p = malloc(stem + sizeof(".conf"));
	if (!p)
		return NULL;
	memcpy(p, vector_path, stem);
	memcpy(p + stem, ".conf", sizeof(".conf"));
	return p;
}
