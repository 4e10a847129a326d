/* netpair.c - two stacks on two loop threads joined by the pair driver; see netpair.h. */
#include "netpair.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <string.h>
#include <time.h>

#include "socket_impl.h"        /* np_wait_sleeper looks at the waiters */
#include "tapir/clock.h"
#include "tapir/loop.h"
#include "tapir/pair.h"
#include "tapir/socket.h"

static void *run_loop(void *arg)
{
	struct tp_loop *loop = arg;
	int err = tp_loop_run(loop);
	ck_assert_int_eq(err, 0);
	return NULL;
}

void netpair_start(struct netpair *np, const struct tp_stack_config *cfg)
{
	memset(np, 0, sizeof(*np));
	ck_assert_int_eq(tp_pair_open(np->end), 0);
	for (int i = 0; i < 2; i++) {
		struct tp_stack_config sc = {0};
		if (cfg)
			sc = *cfg;
		sc.seed = sc.seed * 2 + (uint64_t)i + 1;
		sc.start_time = tp_clock_now();
		np->stack[i] = tp_stack_new(&sc);
		ck_assert_ptr_nonnull(np->stack[i]);
		np->loop[i] = tp_loop_new(np->stack[i]);
		ck_assert_ptr_nonnull(np->loop[i]);
		struct tp_netif_config nc = {.name = i ? "pairB" : "pairA",
					     .mac = {0x02, 0, 0, 0, 0, (uint8_t)(i + 1)},
					     .addr = i ? NP_B_IP : NP_A_IP, .prefix_len = 24,
					     .gateway = i ? 0 : NP_B_IP, .mtu = 1500};
		np->netif[i] = tp_netif_add(np->stack[i], &nc, tp_pair_transmit, np->end[i]);
		ck_assert_ptr_nonnull(np->netif[i]);
		ck_assert_int_eq(tp_pair_attach(np->end[i], np->loop[i], np->netif[i]), 0);
		ck_assert_int_eq(tapir_attach(np->loop[i]), 0);
	}
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&np->thread[i], NULL, run_loop, np->loop[i]), 0);
}

void netpair_stop(struct netpair *np)
{
	/* A test may have detached one already. */
	for (int i = 0; i < 2; i++)
		tapir_detach(np->loop[i]);
	for (int i = 0; i < 2; i++) {
		tp_loop_stop(np->loop[i]);
		pthread_join(np->thread[i], NULL);
	}
	for (int i = 0; i < 2; i++) {
		tp_pair_close(np->end[i]);
		tp_loop_free(np->loop[i]);
		tp_stack_free(np->stack[i]);
	}
}

struct sockaddr_in np_addr(uint32_t ip, uint16_t port)
{
	struct sockaddr_in sin;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(ip);
	return sin;
}

int np_wait_sleeper(int fd)
{
	int64_t give_up = np_now_ms() + 10000;
	while (np_now_ms() < give_up) {
		struct tsock *so = tsock_get(fd);
		if (!so)
			return 0;
		tp_loop_lock(so->st->loop);
		int sleeping = so->waiters != NULL;
		tp_loop_unlock(so->st->loop);
		tsock_unref(so);
		if (sleeping)
			return 1;
		struct timespec tick = {.tv_nsec = 1000000};    /* re-check each ms */
		nanosleep(&tick, NULL);
	}
	return 0;
}

int np_listen(struct tp_loop *loop, uint16_t port)
{
	int fd = tapir_socket_on(loop, AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	int one = 1;
	ck_assert_int_eq(tapir_setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	struct sockaddr_in sin = np_addr(0, port);
	ck_assert_int_eq(tapir_bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(tapir_listen(fd, 16), 0);
	return fd;
}

int np_connect(uint32_t ip, uint16_t port)
{
	int fd = tapir_socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in sin = np_addr(ip, port);
	if (tapir_connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		int e = errno;
		tapir_close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int64_t np_now_ms(void)
{
	return (int64_t)(tp_clock_now() / 1000u);
}
