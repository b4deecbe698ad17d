/* Run-time switches for lwIP's compile-time debug categories. lwipopts.h maps
 * each XXX_DEBUG macro to lwiptap_debug_flag(bit), so LWIP_DEBUGF() tests a
 * variable instead of a constant.
 *
 * lwIP also tests the categories with the preprocessor (#if IP_DEBUG around
 * ip4_debug_print(), #if TCP_INPUT_DEBUG around tcp_debug_print()). There
 * every identifier is 0, so a plain run-time test would compile those blocks
 * out. lwiptap_in_c is an enumerator: 0 to the preprocessor, which makes the
 * flag LWIP_DBG_ON there and keeps the blocks, and 1 to the compiler, which
 * leaves the mask to decide. */
#ifndef LWIPTAP_DEBUG_FLAGS_H
#define LWIPTAP_DEBUG_FLAGS_H

#include <stddef.h>
#include <stdint.h>

enum lwiptap_debug_bit {
    LWIPTAP_DBG_ETHARP,
    LWIPTAP_DBG_NETIF,
    LWIPTAP_DBG_PBUF,
    LWIPTAP_DBG_INET,
    LWIPTAP_DBG_IP,
    LWIPTAP_DBG_IP_REASS,
    LWIPTAP_DBG_IP6,
    LWIPTAP_DBG_ICMP,
    LWIPTAP_DBG_MEM,
    LWIPTAP_DBG_MEMP,
    LWIPTAP_DBG_TIMERS,
    LWIPTAP_DBG_UDP,
    LWIPTAP_DBG_TCP,
    LWIPTAP_DBG_TCP_IN,
    LWIPTAP_DBG_TCP_OUT,
    LWIPTAP_DBG_TCP_FR,
    LWIPTAP_DBG_TCP_RTO,
    LWIPTAP_DBG_TCP_CWND,
    LWIPTAP_DBG_TCP_WND,
    LWIPTAP_DBG_TCP_RST,
    LWIPTAP_DBG_TCP_QLEN,
    LWIPTAP_DBG_COUNT
};

extern uint32_t lwiptap_debug_mask;

enum { lwiptap_in_c = 1 };

/* 0x80 is LWIP_DBG_ON; spelled out because lwipopts.h is read before debug.h. */
#define lwiptap_debug_flag(bit)                                                                              \
    ((!lwiptap_in_c || (lwiptap_debug_mask & (UINT32_C(1) << (bit)))) ? 0x80U : 0x00U)

/* The same without the #if blocks, for a category whose blocks are not safe
 * to run on every packet: they run whether the category is on or not. */
#define lwiptap_debug_flag_no_blocks(bit) ((lwiptap_debug_mask & (UINT32_C(1) << (bit))) ? 0x80U : 0x00U)

/* Parses a comma-separated list such as "tcp,tcp_in,etharp" or "all" into a
 * mask. Returns -1 and names the unknown category in err. */
int lwiptap_debug_parse(const char *list, uint32_t *mask, char *err, size_t errlen);

/* The name of one category ("tcp_in"), NULL outside the enum. */
const char *lwiptap_debug_name(int bit);

/* Comma-separated list of every category name, for --help. */
const char *lwiptap_debug_names(void);

#endif
