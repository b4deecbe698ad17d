/* Compiler/platform glue for lwIP on Linux user space. Deliberately includes no
 * networking headers: glibc's <netinet/tcp.h> would leak its own TCP_MSS. */
#ifndef LWIPTAP_ARCH_CC_H
#define LWIPTAP_ARCH_CC_H

#include <stdint.h>
#include <stdlib.h>

#define LWIP_RAND() ((u32_t)lwiptap_random())

#include "lwiptap/diag.h"

/* lwIP passes printf arguments in parentheses: LWIP_PLATFORM_DIAG(("x=%d\n", x)). */
#define LWIP_PLATFORM_DIAG(x)                                                                                \
    do {                                                                                                     \
        lwiptap_diag x;                                                                                      \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x) lwiptap_assert_failed((x), __FILE__, __LINE__)

#endif
