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

# Our patches to lwIP (patches/*.patch, each for a defect no hook or guard of
# ours can reach, each with a test that fails without it) are applied to
# copies of the files they touch in the build tree: LWIP_DIR stays as it is.
find_program(PATCH_PROGRAM patch REQUIRED)
file(GLOB LWIPTAP_LWIP_PATCHES CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/patches/lwip-*.patch")
set(patched_root "${CMAKE_BINARY_DIR}/lwip-patched")
file(REMOVE_RECURSE "${patched_root}")
foreach(patch_file IN LISTS LWIPTAP_LWIP_PATCHES)
  file(STRINGS "${patch_file}" patched_paths REGEX "^\\+\\+\\+ b/")
  foreach(line IN LISTS patched_paths)
    string(REGEX REPLACE "^\\+\\+\\+ b/([^\t ]+).*$" "\\1" rel "${line}")
    if(NOT EXISTS "${patched_root}/${rel}")
      get_filename_component(rel_dir "${rel}" DIRECTORY)
      file(COPY "${LWIP_DIR}/${rel}" DESTINATION "${patched_root}/${rel_dir}")
    endif()
    list(APPEND lwip_patched_files "${rel}")
  endforeach()
  execute_process(COMMAND "${PATCH_PROGRAM}" -p1 --forward --batch -d "${patched_root}" -i "${patch_file}"
                  RESULT_VARIABLE patch_rc OUTPUT_VARIABLE patch_out ERROR_VARIABLE patch_out)
  if(NOT patch_rc EQUAL 0)
    message(FATAL_ERROR "cannot apply ${patch_file} to lwIP ${LWIP_VERSION_STRING}:\n${patch_out}")
  endif()
  message(STATUS "lwIP patched: ${patch_file}")
endforeach()
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
