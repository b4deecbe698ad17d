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

# Our fixes to lwIP, each for a defect no hook or guard of ours can reach and
# each with a test that fails without it. A fix is a snippet of our own code
# (patches/*.c) inserted after one anchor line of an lwIP file, in a copy of
# that file in the build tree: LWIP_DIR stays as it is, and no lwIP source is
# kept in this repository.
set(patched_root "${CMAKE_BINARY_DIR}/lwip-patched")
file(REMOVE_RECURSE "${patched_root}")
set(lwip_patched_files)

# lwiptap_fix_lwip(REL ANCHOR SNIPPET): inserts SNIPPET after the line of
# LWIP_DIR/REL that contains ANCHOR, which must occur exactly once.
# -DLWIPTAP_WITHOUT_FIXES=a.c;b.c leaves those fixes out, to see their tests fail.
set(LWIPTAP_WITHOUT_FIXES "" CACHE STRING "patches/*.c snippets not to apply (to see their tests fail)")
function(lwiptap_fix_lwip rel anchor snippet)
  if(snippet IN_LIST LWIPTAP_WITHOUT_FIXES)
    message(STATUS "lwIP NOT fixed: ${rel} without patches/${snippet} (LWIPTAP_WITHOUT_FIXES)")
    return()
  endif()
  set(copy "${patched_root}/${rel}")
  if(NOT EXISTS "${copy}")
    get_filename_component(copy_dir "${copy}" DIRECTORY)
    file(COPY "${LWIP_DIR}/${rel}" DESTINATION "${copy_dir}")
  endif()
  file(READ "${copy}" text)
  string(FIND "${text}" "${anchor}" first)
  string(FIND "${text}" "${anchor}" last REVERSE)
  if(first EQUAL -1 OR NOT first EQUAL last)
    message(FATAL_ERROR "cannot apply ${snippet} to lwIP ${LWIP_VERSION_STRING}: "
                        "'${anchor}' is not in ${rel} exactly once")
  endif()
  string(SUBSTRING "${text}" ${first} -1 rest)
  string(FIND "${rest}" "\n" eol)
  math(EXPR cut "${first} + ${eol} + 1")
  string(SUBSTRING "${text}" 0 ${cut} head)
  string(SUBSTRING "${text}" ${cut} -1 tail)
  file(READ "${CMAKE_SOURCE_DIR}/patches/${snippet}" insert)
  file(WRITE "${copy}" "${head}${insert}${tail}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/patches/${snippet}")
  set(lwip_patched_files ${lwip_patched_files} "${rel}" PARENT_SCOPE)
  message(STATUS "lwIP fixed: ${rel} with patches/${snippet}")
endfunction()

# Found by our fuzzer: the persist timer outlives an unsent list that an ACK emptied.
lwiptap_fix_lwip(src/core/tcp_in.c
  "pcb->unsent = tcp_free_acked_segments(pcb, pcb->unsent, \"unsent\", pcb->unacked);"
  tcp_in_persist_stop.c)
# A SYN with a zero window: tcp_write() then built segments its next window shrank under.
lwiptap_fix_lwip(src/core/tcp_out.c
  "unsent_optlen = LWIP_TCP_OPT_LENGTH_SEGMENT(last_unsent->flags, pcb);"
  tcp_out_oversize_window.c)
# RFC 9293 3.10.7.4: a window from a segment with the same seq and ack is taken too.
lwiptap_fix_lwip(src/core/tcp_in.c
  "right_wnd_edge = pcb->snd_wnd + pcb->snd_wl2;"
  tcp_in_window_update_same_ack.c)

set(lwip_all_srcs ${lwipcore_SRCS} ${lwipcore4_SRCS} ${lwipcore6_SRCS})
list(REMOVE_DUPLICATES lwip_patched_files)
foreach(rel IN LISTS lwip_patched_files)
  list(REMOVE_ITEM lwip_all_srcs "${LWIP_DIR}/${rel}")
  list(APPEND lwip_all_srcs "${patched_root}/${rel}")
endforeach()

add_library(lwip STATIC
  ${lwip_all_srcs}
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
