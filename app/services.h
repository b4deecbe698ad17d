/* The services lwip-tap hosts, each a stream_service with its own chunk rule. */
#ifndef LWIPTAP_SERVICES_H
#define LWIPTAP_SERVICES_H

#include "stream_service.h"

/* RFC 862 echo: every byte back, in order. */
extern const struct stream_service_ops echo_service_ops;

/* The original TCPServer's protocol: each chunk comes back prefixed with the
 * connection's serial number (0, 1, ...); a chunk starting "bye" closes. */
extern const struct stream_service_ops serial_service_ops;

#endif
