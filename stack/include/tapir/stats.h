/*
 * stats.h - every counter the stack keeps, netstat -s style.
 * Drops are counted by reason; each name is "layer.what".
 */
#ifndef TAPIR_STATS_H
#define TAPIR_STATS_H

#define TP_STATS(X)                                                             \
	X(ETH_IN, "eth.in", "frames received")                                     \
	X(ETH_OUT, "eth.out", "frames sent")                                       \
	X(ETH_TX_ERROR, "eth.tx_error", "frames the driver failed to send")        \
	X(ETH_DROP_SHORT, "eth.drop_short", "frames shorter than an Ethernet header") \
	X(ETH_DROP_NOT_US, "eth.drop_not_us", "frames for another MAC")            \
	X(ETH_DROP_ETHERTYPE, "eth.drop_ethertype", "frames of an unknown ethertype") \
	X(ETH_DROP_OFFLOAD, "eth.drop_offload", "frames whose offload metadata does not fit them") \
	X(ETH_TSO_OUT, "eth.tso_out", "TCP super-frames handed to the link to segment") \
	X(ARP_IN, "arp.in", "ARP packets received")                                \
	X(ARP_REQUEST_OUT, "arp.request_out", "ARP requests sent")                 \
	X(ARP_REPLY_OUT, "arp.reply_out", "ARP replies sent")                      \
	X(ARP_GRATUITOUS_OUT, "arp.gratuitous_out", "gratuitous ARPs sent")        \
	X(ARP_DROP_MALFORMED, "arp.drop_malformed", "ARP packets malformed")       \
	X(ARP_DROP_NOT_US, "arp.drop_not_us", "ARP packets for another address")   \
	X(ARP_CACHE_EVICT, "arp.cache_evict", "cache entries evicted (table full)") \
	X(ARP_QUEUE_DROP, "arp.queue_drop", "packets dropped: resolution queue full") \
	X(ARP_RESOLVE_FAIL, "arp.resolve_fail", "resolutions that gave up")        \
	X(ARP_ADDR_CONFLICT, "arp.addr_conflict", "ARPs from another host claiming our address") \
	X(ARP_OVERHEARD, "arp.overheard", "ARP packets learned from a sibling queue's stack") \
	X(IP_IN, "ip.in", "IP datagrams received")                                 \
	X(IP_DELIVERED, "ip.delivered", "IP datagrams delivered up")               \
	X(IP_OUT, "ip.out", "IP datagrams sent")                                   \
	X(IP_DROP_SHORT, "ip.drop_short", "datagrams shorter than their header")   \
	X(IP_DROP_VERSION, "ip.drop_version", "datagrams not IPv4")                \
	X(IP_DROP_HDR_LEN, "ip.drop_hdr_len", "datagrams with a bad header length") \
	X(IP_DROP_TOTAL_LEN, "ip.drop_total_len", "datagrams whose total length exceeds the frame") \
	X(IP_DROP_CHECKSUM, "ip.drop_checksum", "datagrams with a bad header checksum") \
	X(IP_DROP_NOT_US, "ip.drop_not_us", "datagrams for another address")       \
	X(IP_DROP_LINK_BROADCAST, "ip.drop_link_broadcast", "unicast datagrams in a link-layer broadcast") \
	X(IP_DROP_BAD_SRC, "ip.drop_bad_src", "datagrams from a broadcast/multicast/zero source") \
	X(IP_DROP_PROTOCOL, "ip.drop_protocol", "datagrams for an unknown protocol") \
	X(IP_DROP_NO_ROUTE, "ip.drop_no_route", "datagrams with no route out")      \
	X(IP_DROP_DF, "ip.drop_df", "datagrams too big with DF set")                \
	X(IP_DROP_OPTIONS, "ip.drop_options", "datagrams with malformed options")  \
	X(IP_FRAG_OUT, "ip.frag_out", "fragments sent")                            \
	X(IP_FRAG_IN, "ip.frag_in", "fragments received")                          \
	X(IP_REASS_OK, "ip.reass_ok", "datagrams reassembled")                     \
	X(IP_REASS_TIMEOUT, "ip.reass_timeout", "reassemblies timed out")          \
	X(IP_REASS_OVERLAP, "ip.reass_overlap", "reassemblies dropped for overlapping fragments") \
	X(IP_REASS_DUP, "ip.reass_dup", "duplicate fragments ignored")            \
	X(IP_REASS_OVERSIZE, "ip.reass_oversize", "fragments beyond 65535 bytes")  \
	X(IP_REASS_MEMORY, "ip.reass_memory", "fragments dropped: reassembly memory full") \
	X(IP_REASS_BAD_FRAG, "ip.reass_bad_frag", "malformed fragments")           \
	X(ICMP_IN, "icmp.in", "ICMP messages received")                            \
	X(ICMP_OUT, "icmp.out", "ICMP messages sent")                              \
	X(ICMP_ECHO_IN, "icmp.echo_in", "echo requests received")                  \
	X(ICMP_ECHO_REPLY_OUT, "icmp.echo_reply_out", "echo replies sent")         \
	X(ICMP_ECHO_REPLY_IN, "icmp.echo_reply_in", "echo replies received")       \
	X(ICMP_UNREACH_OUT, "icmp.unreach_out", "destination unreachables sent")   \
	X(ICMP_UNREACH_IN, "icmp.unreach_in", "destination unreachables received") \
	X(ICMP_RATE_LIMITED, "icmp.rate_limited", "errors not sent (rate limit)")  \
	X(ICMP_DROP_CHECKSUM, "icmp.drop_checksum", "messages with a bad checksum") \
	X(ICMP_DROP_MALFORMED, "icmp.drop_malformed", "messages too short or malformed") \
	X(ICMP_DROP_BROADCAST, "icmp.drop_broadcast", "echo requests to broadcast ignored") \
	X(ICMP_DROP_TYPE, "icmp.drop_type", "messages of a type tapir ignores")    \
	X(TCP_IN, "tcp.in", "segments received")                                  \
	X(TCP_OUT, "tcp.out", "segments sent")                                     \
	X(TCP_ACTIVE_OPENS, "tcp.active_opens", "connections opened by connect")   \
	X(TCP_PASSIVE_OPENS, "tcp.passive_opens", "connections accepted from a listener") \
	X(TCP_ATTEMPT_FAILS, "tcp.attempt_fails", "connection attempts that failed") \
	X(TCP_ESTAB_RESETS, "tcp.estab_resets", "established connections reset")   \
	X(TCP_RST_IN, "tcp.rst_in", "resets received and acted on")               \
	X(TCP_RST_OUT, "tcp.rst_out", "resets sent")                               \
	X(TCP_RETRANS, "tcp.retrans", "segments retransmitted")                    \
	X(TCP_RTO, "tcp.rto", "retransmission timeouts")                           \
	X(TCP_FAST_RETRANS, "tcp.fast_retrans", "fast retransmits (3 duplicate ACKs)") \
	X(TCP_CWND_RESTART, "tcp.cwnd_restart", "cwnd cut to the restart window after idle (RFC 5681 §4.1)") \
	X(TCP_SACK_RECOVERY, "tcp.sack_recovery", "loss recoveries driven by SACK (RFC 6675)") \
	X(TCP_SACK_REXMIT, "tcp.sack_rexmit", "segments resent from the SACK scoreboard") \
	X(TCP_TLP_PROBES, "tcp.tlp_probes", "tail loss probes sent (RFC 8985 §7)") \
	X(TCP_TLP_RECOVERIES, "tcp.tlp_recoveries", "losses a tail loss probe revealed (RFC 8985 §7.4)") \
	X(TCP_DSACK_RCVD, "tcp.dsack_rcvd", "D-SACK blocks received (RFC 2883)")     \
	X(TCP_DSACK_SENT, "tcp.dsack_sent", "D-SACK blocks sent (RFC 2883)")         \
	X(TCP_PAWS_DROPS, "tcp.paws_drops", "segments dropped by PAWS, ACK sent (RFC 7323 §5)") \
	X(TCP_TIMEOUTS, "tcp.timeouts", "connections ended by too many retransmissions") \
	X(TCP_DELAYED_ACKS, "tcp.delayed_acks", "ACKs sent by the delayed-ACK timer") \
	X(TCP_OOO_IN, "tcp.ooo_in", "out-of-order segments queued")               \
	X(TCP_DUP_IN, "tcp.dup_in", "segments carrying only old data")            \
	X(TCP_PERSIST_PROBES, "tcp.persist_probes", "zero-window probes sent")     \
	X(TCP_CHALLENGE_ACKS, "tcp.challenge_acks", "challenge ACKs sent (RFC 5961)") \
	X(TCP_CHALLENGE_ACK_LIMITED, "tcp.challenge_ack_limited", "challenge ACKs not sent (rate limit)") \
	X(TCP_KEEPALIVE_PROBES, "tcp.keepalive_probes", "keepalive probes sent")   \
	X(TCP_KEEPALIVE_DROPS, "tcp.keepalive_drops", "connections ended by unanswered keepalives") \
	X(TCP_TIME_WAIT_REUSE, "tcp.time_wait_reuse", "TIME_WAIT connections reopened by a new SYN") \
	X(TCP_DROP_SHORT, "tcp.drop_short", "segments shorter than their header")  \
	X(TCP_DROP_CHECKSUM, "tcp.drop_checksum", "segments with a bad checksum")  \
	X(TCP_DROP_OPTIONS, "tcp.drop_options", "segments with malformed options") \
	X(TCP_DROP_BROADCAST, "tcp.drop_broadcast", "segments to a broadcast address") \
	X(TCP_DROP_NO_CONN, "tcp.drop_no_conn", "segments for no connection (reset sent)") \
	X(TCP_DROP_UNACCEPTABLE, "tcp.drop_unacceptable", "segments outside the window (ACK sent)") \
	X(TCP_DROP_BAD_ACK, "tcp.drop_bad_ack", "segments acknowledging what was never sent") \
	X(TCP_DROP_OOO_FULL, "tcp.drop_ooo_full", "out-of-order segments dropped: queue full") \
	X(TCP_DROP_SYN_QUEUE, "tcp.drop_syn_queue", "SYNs dropped: half-open queue full, cookies off") \
	X(TCP_DROP_ACCEPT_QUEUE, "tcp.drop_accept_queue", "handshakes held back: accept backlog full (SYN or ACK dropped)") \
	X(TCP_DROP_NO_SOCKETS, "tcp.drop_no_sockets", "SYNs dropped: socket limit reached") \
	X(TCP_DROP_MEM_LIMIT, "tcp.drop_mem_limit", "connections refused: buffer memory budget spent") \
	X(TCP_SYNCOOKIES_SENT, "tcp.syncookies_sent", "SYN cookies sent (SYN queue full)") \
	X(TCP_SYNCOOKIES_VALID, "tcp.syncookies_valid", "ACKs that returned a valid SYN cookie") \
	X(TCP_SYNCOOKIES_FAILED, "tcp.syncookies_failed", "ACKs to a listener that were no valid cookie") \
	X(TCP_DROP_LISTEN, "tcp.drop_listen", "segments to a listener that were not a SYN") \
	X(TCP_ICMP_IGNORED, "tcp.icmp_ignored", "ICMP errors outside the connection's window") \
	X(UDP_IN, "udp.in", "datagrams received")                                  \
	X(UDP_OUT, "udp.out", "datagrams sent")                                    \
	X(UDP_DROP_SHORT, "udp.drop_short", "datagrams shorter than their header") \
	X(UDP_DROP_LENGTH, "udp.drop_length", "datagrams whose length field disagrees with IP") \
	X(UDP_DROP_CHECKSUM, "udp.drop_checksum", "datagrams with a bad checksum") \
	X(UDP_DROP_NO_PORT, "udp.drop_no_port", "datagrams to a closed port")      \
	X(UDP_DROP_QUEUE_FULL, "udp.drop_queue_full", "datagrams dropped: socket queue full") \
	X(SOCK_LIMIT, "sock.limit", "sockets refused: descriptor limit reached")   \
	X(MEM_FAIL, "mem.fail", "allocations that failed")

enum tp_stat_id {
#define TP_STAT_ENUM(id, name, help) TP_STAT_##id,
	TP_STATS(TP_STAT_ENUM)
#undef TP_STAT_ENUM
	TP_STAT_COUNT
};

/* "ip.drop_checksum" and its one-line meaning. */
const char *tp_stat_name(enum tp_stat_id id);
const char *tp_stat_help(enum tp_stat_id id);

#endif
