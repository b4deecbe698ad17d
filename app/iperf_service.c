#include "iperf_service.h"

#include "endpoint.h"
#include "lwip/apps/lwiperf.h"
#include "lwip/ip_addr.h"
#include "lwiptap/log.h"

static const char *report_name(enum lwiperf_report_type type)
{
    switch (type) {
    case LWIPERF_TCP_DONE_SERVER:
    case LWIPERF_TCP_DONE_CLIENT:
        return "done";
    case LWIPERF_TCP_ABORTED_LOCAL:
    case LWIPERF_TCP_ABORTED_LOCAL_DATAERROR:
    case LWIPERF_TCP_ABORTED_LOCAL_TXERROR:
        return "aborted here";
    case LWIPERF_TCP_ABORTED_REMOTE:
        return "aborted by the client";
    default:
        return "ended";
    }
}

static void on_report(void *arg, enum lwiperf_report_type type, const ip_addr_t *local_addr, u16_t local_port,
                      const ip_addr_t *remote_addr, u16_t remote_port, u32_t bytes, u32_t ms,
                      u32_t kbit_per_s)
{
    LWIP_UNUSED_ARG(arg);
    LWIP_UNUSED_ARG(local_addr);
    LWIP_UNUSED_ARG(local_port);
    char remote[ENDPOINT_STRLEN];
    endpoint_format(remote_addr, remote_port, remote, sizeof remote);
    log_info("iperf", "%s %s: %lu bytes in %lu ms, %lu kbit/s", remote, report_name(type),
             (unsigned long)bytes, (unsigned long)ms, (unsigned long)kbit_per_s);
}

void *iperf_service_start(err_t *err)
{
    void *session = lwiperf_start_tcp_server(IP_ANY_TYPE, IPERF_SERVICE_PORT, on_report, NULL);
    *err = session != NULL ? ERR_OK : ERR_MEM;
    if (session != NULL) {
        log_info("iperf", "lwiperf (iperf2 server) listening on port %u", IPERF_SERVICE_PORT);
    }
    return session;
}

void iperf_service_stop(void *session)
{
    if (session != NULL) {
        lwiperf_abort(session);
    }
}
