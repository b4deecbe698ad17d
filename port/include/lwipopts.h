/* lwIP configuration for lwip-tap: a single-threaded host process (NO_SYS)
 * driving one Ethernet TAP netif. Memory is generous because the process runs
 * on a workstation, not a microcontroller: the point is to watch TCP, not to
 * watch it starve. */
#ifndef LWIPTAP_LWIPOPTS_H
#define LWIPTAP_LWIPOPTS_H

#define NO_SYS 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_NETIF_API 0
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_TIMERS 1

/* Memory: every pool element and heap block is its own malloc(), under one
 * limit (lwiptap/mem_budget.h, --mem-limit), so memory follows the load from
 * one connection to 10,000, and ASan sees inside every element. The pool
 * sizes below then only bound lwIP's own per-pool arrays and the pool test. */
#define MEM_ALIGNMENT 8
#include "lwiptap/mem_budget.h"
#define MEM_CUSTOM_ALLOCATOR 1
#define MEM_CUSTOM_MALLOC lwiptap_mem_malloc
#define MEM_CUSTOM_CALLOC lwiptap_mem_calloc
#define MEM_CUSTOM_FREE free
#define MEMP_MEM_MALLOC 1
#define MEMP_NUM_PBUF 1024
/* With MEMP_MEM_MALLOC this no longer bounds anything: the guard's
 * --max-conns does (its default and its ceiling). */
#define MEMP_NUM_TCP_PCB 16384
#define MEMP_NUM_TCP_PCB_LISTEN 8
#define MEMP_NUM_TCP_SEG 8192
#define MEMP_NUM_REASSDATA 16
#define IP_REASS_MAX_PBUFS 64
#define MEMP_NUM_FRAG_PBUF 64
#define MEMP_NUM_ARP_QUEUE 64
#define MEMP_NUM_ND6_QUEUE 64
#define PBUF_POOL_SIZE 4096
/* Explicit, so no system header (glibc's <netinet/tcp.h> defines TCP_MSS 512)
 * can make memp.c and pbuf.c disagree on the pool element size. */
#define TCP_MSS 1460
#define PBUF_POOL_BUFSIZE LWIP_MEM_ALIGN_SIZE(TCP_MSS + 40 + PBUF_LINK_ENCAPSULATION_HLEN + PBUF_LINK_HLEN)

#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define ARP_QUEUEING 1
/* lwIP recycles its oldest *stable* entry first when a new address needs one,
 * so a flood from many spoofed sources evicts the real host's entry; a larger
 * table makes that take many more sources. Lookups use the per-pcb hint. */
#define ARP_TABLE_SIZE 256

#define LWIP_IPV4 1
#define LWIP_IPV6 1
#define LWIP_ICMP 1
#define LWIP_ICMP6 1
#define LWIP_IPV6_MLD 1
#define LWIP_IPV6_AUTOCONFIG 0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 0
/* The configuration is static: no Router Advertisement may change the MTU
 * (the guard drops them anyway; this holds if it ever lets one through). */
#define LWIP_ND6_ALLOW_RA_UPDATES 0
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS 0
#define LWIP_IPV6_FRAG 1
#define LWIP_IPV6_REASS 1
/* 64-bit pointers do not fit in the fragment header lwIP would reuse. */
#define IPV6_FRAG_COPYHEADER 1
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0

/* TCP with the options the host's tcpdump should see in our SYN-ACK. */
#define LWIP_TCP 1
/* Sized for line rate across a tap with offloads: the kernel sends super-
 * frames up to the window (64 KiB each), and the echo's send buffer holds
 * twice the window, so what the window lets in can always be sent back
 * without parking data (input waiting for send-buffer room shrinks the
 * window instead: input is acknowledged with tcp_recved() only once it is
 * written back). Memory stays bounded by --mem-limit however many
 * connections there are. */
#define TCP_WND (256 * 1024)
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 3
#define TCP_SND_BUF (512 * 1024)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
/* lwIP keeps the low-water mark in a u16_t. */
#define TCP_SNDLOWAT (32 * TCP_MSS)
/* RFC 6298 2.1: an RTO of 1 s before the first RTT sample, not lwIP's
   default, RFC 2988's 3 s, which every lost SYN pays for. lwIP counts the RTO
   in 500 ms ticks from a tick of unknown phase, so 2 ticks could fire after
   only 500 ms: 3 ticks wait 1 to 1.5 s. The value also seeds lwIP's rttvar,
   and the RTO stays at 1.5 s after fast samples, as it did before. Overridable
   (-DLWIP_TCP_RTO_TIME=3000) to see conform.rfc6298_initial_rto fail. */
#ifndef LWIP_TCP_RTO_TIME
#define LWIP_TCP_RTO_TIME 1500
#endif
#define LWIP_TCP_TIMESTAMPS 1
#define LWIP_TCP_SACK_OUT 1
#define LWIP_TCP_MAX_SACK_NUM 4
#define TCP_QUEUE_OOSEQ 1
/* No backlog of lwIP's: the guard (tcp_guard.c) bounds half-open pcbs itself,
 * well beyond the 255 that lwIP's u8_t counter allows, and answers SYN
 * cookies beyond that. */
#define TCP_LISTEN_BACKLOG 0
#define LWIP_TCP_KEEPALIVE 1
/* TIME_WAIT lasts 2 MSL. lwIP's 60 s makes a lesson wait two minutes, so the
 * MSL is a variable that --msl sets (port/tcp_msl.c); lwIP only ever uses it
 * in C expressions, never in #if. */
extern unsigned long lwiptap_tcp_msl_ms;
#define TCP_MSL lwiptap_tcp_msl_ms
/* Four slots: the TCP state log (each pcb's last state), the guard's
 * half-open tracking, its window budget (port/guard/window_budget.h) and
 * the --connect session (when its pcb is freed). */
#define LWIP_TCP_PCB_NUM_EXT_ARGS 4
#define LWIP_CALLBACK_API 1
/* lwIP's default ISN is a counter (6510, 6510+n, ...); RFC 9293 3.4.1 wants it
 * unpredictable. And a connection made from a SYN cookie starts at the cookie. */
#define LWIP_HOOK_TCP_ISN(local_ip, local_port, remote_ip, remote_port) lwiptap_tcp_isn()
#define LWIP_EVENT_API 0

/* The TCP stage of the ingress guard (port/tcp_guard.c). */
#define LWIP_HOOK_FILENAME "lwiptap/hooks.h"
#define LWIP_HOOK_TCP_INPACKET_PCB(pcb, hdr, optlen, opt1len, opt2, p)                                       \
    lwiptap_tcp_inpacket(pcb, hdr, optlen, opt1len, opt2, p)

#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_SINGLE_NETIF 1
#define LWIP_HAVE_LOOPIF 0
#define LWIP_NETIF_LOOPBACK 0

#define LWIP_CHECKSUM_ON_COPY 0
/* The netif driver skips the one L4 check that a frame's partial checksum
 * (made by the local kernel, see netif_link.c) makes meaningless. */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define CHECKSUM_CHECK_IP 1
#define CHECKSUM_CHECK_TCP 1

/* Stats are compiled in: the shutdown summary and the unit tests' pool checks read them. */
#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 1
#define LINK_STATS 1
#define ETHARP_STATS 1
#define IP_STATS 1
#define IP6_STATS 1
#define ICMP_STATS 1
#define ICMP6_STATS 1
#define ND6_STATS 1
#define TCP_STATS 1
#define MEM_STATS 1
#define MEMP_STATS 1

/* Debug output is compiled in; categories are switched at run time
 * (lwip-tap --debug tcp,etharp,...). Each category macro reads a variable. */
#define LWIP_DEBUG 1
#define LWIP_DBG_MIN_LEVEL LWIP_DBG_LEVEL_ALL
#define LWIP_DBG_TYPES_ON LWIP_DBG_ON
#include "lwiptap/debug_flags.h"
#define ETHARP_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_ETHARP)
#define NETIF_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_NETIF)
#define PBUF_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_PBUF)
#define INET_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_INET)
#define IP_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_IP)
#define IP_REASS_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_IP_REASS)
#define IP6_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_IP6)
#define ICMP_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_ICMP)
#define MEM_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_MEM)
#define MEMP_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_MEMP)
#define TIMERS_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_TIMERS)
#define UDP_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_UDP)
#define TCP_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_TCP)
/* tcp_input() prints the TCP header "#if TCP_INPUT_DEBUG" before it checks
 * that the segment holds one: a read past a short segment, found by our
 * fuzzer (corpus: found_tcp_input_debug_short_header). */
#define TCP_INPUT_DEBUG lwiptap_debug_flag_no_blocks(LWIPTAP_DBG_TCP_IN)
#define TCP_OUTPUT_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_TCP_OUT)
#define TCP_FR_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_TCP_FR)
#define TCP_RTO_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_TCP_RTO)
#define TCP_CWND_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_TCP_CWND)
#define TCP_WND_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_TCP_WND)
#define TCP_RST_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_TCP_RST)
#define TCP_QLEN_DEBUG lwiptap_debug_flag(LWIPTAP_DBG_TCP_QLEN)

#endif
