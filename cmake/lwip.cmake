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

# lwiptap_fix_lwip(REL ANCHOR SNIPPET [REPLACE]): inserts SNIPPET after the
# line of LWIP_DIR/REL that contains ANCHOR, which must occur exactly once;
# with REPLACE, SNIPPET takes that line's place.
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
  if("REPLACE" IN_LIST ARGN)
    string(SUBSTRING "${text}" 0 ${first} before)
    string(FIND "${before}" "\n" line_start REVERSE)
    math(EXPR keep "${line_start} + 1")
    string(SUBSTRING "${text}" 0 ${keep} head)
  else()
    string(SUBSTRING "${text}" 0 ${cut} head)
  endif()
  string(SUBSTRING "${text}" ${cut} -1 tail)
  file(READ "${CMAKE_SOURCE_DIR}/patches/${snippet}" insert)
  file(WRITE "${copy}" "${head}${insert}${tail}")
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/patches/${snippet}")
  set(lwip_patched_files ${lwip_patched_files} "${rel}" PARENT_SCOPE)
  message(STATUS "lwIP fixed: ${rel} with patches/${snippet} ${ARGN}")
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
# RFC 5681 4.2: the ACK of a segment that fills a gap goes out at once.
lwiptap_fix_lwip(src/core/tcp_in.c "- inseq overlaps with ooseq */" tcp_in_gap_fill_ack.c)
# RFC 9293 3.10.7.4: an ACK older than SND.UNA does not update the window.
lwiptap_fix_lwip(src/core/tcp_in.c "if (TCP_SEQ_LT(pcb->snd_wl1, seqno) ||" tcp_in_old_ack_window.c REPLACE)

# No per-segment work that grows with the number of connections (issue 15).
# A counter of the pcbs lwIP's list walks look at, for the test that proves it.
lwiptap_fix_lwip(src/core/tcp_in.c
  "LWIP_ASSERT(\"tcp_input: active pcb->state != CLOSED\", pcb->state != CLOSED);"
  tcp_count_pcb_visit.c)
lwiptap_fix_lwip(src/core/tcp_in.c
  "LWIP_ASSERT(\"tcp_input: TIME-WAIT pcb->state == TIME-WAIT\", pcb->state == TIME_WAIT);"
  tcp_count_pcb_visit.c)
lwiptap_fix_lwip(src/core/tcp.c
  "LWIP_ASSERT(\"tcp_pcbs_sane: active pcb->state != CLOSED\", pcb->state != CLOSED);"
  tcp_count_pcb_visit.c)
lwiptap_fix_lwip(src/core/tcp.c
  "LWIP_ASSERT(\"tcp_pcbs_sane: tw pcb->state == TIME-WAIT\", pcb->state == TIME_WAIT);"
  tcp_count_pcb_visit.c)
# The sanity walk after every segment and every removal goes.
lwiptap_fix_lwip(src/core/tcp_in.c
  "LWIP_ASSERT(\"tcp_input: tcp_pcbs_sane()\", tcp_pcbs_sane());"
  tcp_no_sanity_walk.c REPLACE)
lwiptap_fix_lwip(src/core/tcp.c
  "LWIP_ASSERT(\"tcp_pcb_remove: tcp_pcbs_sane()\", tcp_pcbs_sane());"
  tcp_no_sanity_walk.c REPLACE)
# The active and TIME_WAIT pcbs are found by a hash of the 4-tuple
# (port/pcb_hash.c), kept in step by TCP_REG/TCP_RMV (lwiptap/pcb_hash.h)
# and by the two places tcp_slowtmr() unlinks a pcb itself.
lwiptap_fix_lwip(src/core/tcp_in.c
  "  for (pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {"
  tcp_in_hash_active.c REPLACE)
lwiptap_fix_lwip(src/core/tcp_in.c
  "    for (pcb = tcp_tw_pcbs; pcb != NULL; pcb = pcb->next) {"
  tcp_in_hash_tw.c REPLACE)
lwiptap_fix_lwip(src/core/tcp.c "/* Remove PCB from tcp_active_pcbs list. */" tcp_slowtmr_unhash.c)
lwiptap_fix_lwip(src/core/tcp.c "/* Remove PCB from tcp_tw_pcbs list. */" tcp_slowtmr_unhash.c)

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
