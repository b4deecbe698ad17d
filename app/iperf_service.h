/* lwIP's own iperf2 server (lwiperf, from the lwIP tree) on TCP port 5001, so
 * that a stock `iperf -c 192.0.2.2` measures the stack. Each finished test is
 * logged (tag "iperf") with lwiperf's figures. */
#ifndef LWIPTAP_IPERF_SERVICE_H
#define LWIPTAP_IPERF_SERVICE_H

#include "lwip/err.h"

#define IPERF_SERVICE_PORT 5001

/* Returns the session, or NULL with *err set. */
void *iperf_service_start(err_t *err);
void iperf_service_stop(void *session);

#endif
