# Builds lwIP from an external source tree as a static library, configured by
# our port/include/lwipopts.h. Only the modules we use are compiled.
if(NOT EXISTS "${LWIP_DIR}/src/core/tcp.c")
  message(FATAL_ERROR
    "lwIP source not found in LWIP_DIR=${LWIP_DIR}.\n"
    "Run scripts/setup.sh (fetches Debian's lwip source package), "
    "or pass -DLWIP_DIR=/path/to/lwip.")
endif()

include("${LWIP_DIR}/src/Filelists.cmake")
message(STATUS "lwIP ${LWIP_VERSION_STRING} from ${LWIP_DIR}")

add_library(lwip STATIC
  ${lwipcore_SRCS} ${lwipcore4_SRCS} ${lwipcore6_SRCS}
  "${LWIP_DIR}/src/netif/ethernet.c"
  "${LWIP_DIR}/src/apps/lwiperf/lwiperf.c"
  "${LWIP_DIR}/src/api/err.c")
target_include_directories(lwip SYSTEM PUBLIC
  "${CMAKE_SOURCE_DIR}/port/include"
  "${LWIP_DIR}/src/include")
# lwIP's own code is not held to our warning flags.
target_compile_options(lwip PRIVATE -w)
if(LWIPTAP_SANITIZE)
  # lwIP (2.1.3 and 2.2.1) reads the TCP timestamp option as (int)byte << 24, undefined for
  # bytes >= 0x80 that real peers send half the time. Not ours to patch.
  target_compile_options(lwip PRIVATE -fno-sanitize=shift-base)
endif()
