/* tap_steer.c - the multi-queue TAP's steering program; see tap_steer.h. */
#include "tap_steer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A tiny assembler: instructions in order, jumps to named places. */
enum place { AT_PORTS, AT_ICMP_ERROR, AT_QUOTED_OK, AT_QUEUE_0, PLACES };

#define PROG_MAX 48

struct prog {
	struct bpf_insn insn[PROG_MAX];
	int jump_to[PROG_MAX];      /* a place, or -1 */
	int at[PLACES];
	unsigned n;
};

#define INSN(c, d, s, o, i) ((struct bpf_insn){.code = (c), .dst_reg = (d), .src_reg = (s), \
					       .off = (o), .imm = (i)})

static void emit(struct prog *p, struct bpf_insn insn, int to)
{
	p->jump_to[p->n] = to;
	p->insn[p->n++] = insn;
}

static void op(struct prog *p, struct bpf_insn insn)
{
	emit(p, insn, -1);
}

/* if (reg <cmp> imm) goto to */
static void jump_if(struct prog *p, int cmp, int reg, int32_t imm, enum place to)
{
	emit(p, INSN(BPF_JMP | cmp | BPF_K, reg, 0, 0, imm), to);
}

static void place(struct prog *p, enum place at)
{
	p->at[at] = (int)p->n;
}

/* r0 = the 1 or 2 bytes at offset (+ r_base with BPF_IND), host order.
 * Past the end of the frame the program ends, returning 0: queue 0. */
static struct bpf_insn load_abs(int size, int32_t offset)
{
	return INSN(BPF_LD | size | BPF_ABS, 0, 0, 0, offset);
}

static struct bpf_insn load_ind(int size, int base_reg, int32_t offset)
{
	return INSN(BPF_LD | size | BPF_IND, 0, base_reg, 0, offset);
}

/* r6: the skb (LD_ABS needs it there); r8: where the TCP/UDP header is,
 * from the IP header; r9: a port. */
static void build(struct prog *p, int l3)
{
	memset(p, 0, sizeof(*p));
	op(p, INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0));
	op(p, INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_0, BPF_REG_6,
		   offsetof(struct __sk_buff, protocol), 0));
	jump_if(p, BPF_JNE, BPF_REG_0, htons(ETH_P_IP), AT_QUEUE_0);
	/* Fragments carry ports in the first only: all of them to queue 0,
	 * where the datagram is reassembled whole. */
	op(p, load_abs(BPF_H, l3 + 6));
	jump_if(p, BPF_JSET, BPF_REG_0, 0x3fff, AT_QUEUE_0);
	op(p, load_abs(BPF_B, l3));
	op(p, INSN(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_0, 0, 0, 0xf));
	op(p, INSN(BPF_ALU64 | BPF_LSH | BPF_K, BPF_REG_0, 0, 0, 2));
	op(p, INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_8, BPF_REG_0, 0, 0));
	op(p, load_abs(BPF_B, l3 + 9));
	jump_if(p, BPF_JEQ, BPF_REG_0, IPPROTO_TCP, AT_PORTS);
	jump_if(p, BPF_JEQ, BPF_REG_0, IPPROTO_UDP, AT_PORTS);
	jump_if(p, BPF_JNE, BPF_REG_0, IPPROTO_ICMP, AT_QUEUE_0);
	/* ICMP: unreachable, time exceeded and parameter problem quote the
	 * datagram tapir sent (RFC 792): its ports name the flow. */
	op(p, load_ind(BPF_B, BPF_REG_8, l3));
	jump_if(p, BPF_JEQ, BPF_REG_0, 3, AT_ICMP_ERROR);
	jump_if(p, BPF_JEQ, BPF_REG_0, 11, AT_ICMP_ERROR);
	jump_if(p, BPF_JNE, BPF_REG_0, 12, AT_QUEUE_0);
	place(p, AT_ICMP_ERROR);
	op(p, load_ind(BPF_B, BPF_REG_8, l3 + 8 + 9));
	jump_if(p, BPF_JEQ, BPF_REG_0, IPPROTO_TCP, AT_QUOTED_OK);
	jump_if(p, BPF_JNE, BPF_REG_0, IPPROTO_UDP, AT_QUEUE_0);
	place(p, AT_QUOTED_OK);
	op(p, load_ind(BPF_B, BPF_REG_8, l3 + 8));
	op(p, INSN(BPF_ALU64 | BPF_AND | BPF_K, BPF_REG_0, 0, 0, 0xf));
	op(p, INSN(BPF_ALU64 | BPF_LSH | BPF_K, BPF_REG_0, 0, 0, 2));
	op(p, INSN(BPF_ALU64 | BPF_ADD | BPF_X, BPF_REG_8, BPF_REG_0, 0, 0));
	op(p, INSN(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_8, 0, 0, 8));
	/* tp_flow_queue(): (u16)(((a ^ b) * 0x9e3779b1) >> 16); the kernel
	 * takes it modulo the queues. */
	place(p, AT_PORTS);
	op(p, load_ind(BPF_H, BPF_REG_8, l3));
	op(p, INSN(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_9, BPF_REG_0, 0, 0));
	op(p, load_ind(BPF_H, BPF_REG_8, l3 + 2));
	op(p, INSN(BPF_ALU64 | BPF_XOR | BPF_X, BPF_REG_0, BPF_REG_9, 0, 0));
	op(p, INSN(BPF_ALU | BPF_MUL | BPF_K, BPF_REG_0, 0, 0, (int32_t)0x9e3779b1u));
	op(p, INSN(BPF_ALU | BPF_RSH | BPF_K, BPF_REG_0, 0, 0, 16));
	op(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	place(p, AT_QUEUE_0);
	op(p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0));
	op(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
	for (unsigned i = 0; i < p->n; i++)
		if (p->jump_to[i] >= 0)
			p->insn[i].off = (int16_t)(p->at[p->jump_to[i]] - (int)(i + 1));
}

int tap_steer_load(int l3_offset, char *err, size_t errlen)
{
	struct prog p;
	char log[4096] = "";
	build(&p, l3_offset);
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
	attr.insns = (uint64_t)(uintptr_t)p.insn;
	attr.insn_cnt = p.n;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	int fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd < 0) {
		int e = errno;
		/* The verifier's reason is the line before its statistics. */
		char *stats = strstr(log, "processed ");
		if (stats)
			*stats = '\0';
		char *end = log + strlen(log);
		while (end > log && end[-1] == '\n')
			*--end = '\0';
		char *why = strrchr(log, '\n');
		why = why ? why + 1 : log;
		snprintf(err, errlen, "loading the queue-steering eBPF program: %s%s%.100s",
			 strerror(e), *why ? ": " : "", why);
		errno = e;
		return -1;
	}
	return fd;
}

int tap_steer_attach(int tap_fd, char *err, size_t errlen)
{
	int prog = tap_steer_load(ETH_HLEN, err, errlen);
	if (prog < 0)
		return -1;
	/* The TAP keeps its own reference to the program. */
	int ok = ioctl(tap_fd, TUNSETSTEERINGEBPF, &prog) == 0;
	int e = errno;
	close(prog);
	if (!ok) {
		snprintf(err, errlen, "attaching the queue-steering eBPF program: %s", strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}
