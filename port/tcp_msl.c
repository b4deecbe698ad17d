#include "lwiptap/tcp_msl.h"

/* lwIP's own default (tcp_priv.h): 2 MSL = 2 minutes of TIME_WAIT. */
unsigned long lwiptap_tcp_msl_ms = LWIPTAP_TCP_MSL_DEFAULT_MS;

void lwiptap_tcp_set_msl(unsigned long ms)
{
    lwiptap_tcp_msl_ms = ms;
}
