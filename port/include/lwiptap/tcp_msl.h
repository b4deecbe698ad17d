/* The maximum segment lifetime lwIP uses for TIME_WAIT (and LAST_ACK), 2 MSL
 * each. A run-time value, so that a lesson need not wait two minutes. */
#ifndef LWIPTAP_TCP_MSL_H
#define LWIPTAP_TCP_MSL_H

#define LWIPTAP_TCP_MSL_DEFAULT_MS 60000UL

extern unsigned long lwiptap_tcp_msl_ms;
void lwiptap_tcp_set_msl(unsigned long ms);

#endif
