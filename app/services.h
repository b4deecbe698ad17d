/* The services lwip-tap hosts, each a stream_service with its own chunk rule. */
#ifndef LWIPTAP_SERVICES_H
#define LWIPTAP_SERVICES_H

#include "stream_service.h"

/* RFC 862 echo: every byte back, in order. */
extern const struct stream_service_ops echo_service_ops;

/* The original TCPServer's protocol: each message comes back prefixed with the
 * connection's serial number (0, 1, ...); a message starting "bye" closes.
 * A message ends at a newline, or at the end of a chunk of bare words. */
extern const struct stream_service_ops serial_service_ops;

#endif
