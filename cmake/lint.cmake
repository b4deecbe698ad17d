# clang-format / clang-tidy over our code only (never lwIP in third_party/).
file(GLOB_RECURSE LWIPTAP_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_SOURCE_DIR}/port/*.c ${CMAKE_SOURCE_DIR}/port/*.h
  ${CMAKE_SOURCE_DIR}/app/*.c ${CMAKE_SOURCE_DIR}/app/*.h
  ${CMAKE_SOURCE_DIR}/host/*.c ${CMAKE_SOURCE_DIR}/host/*.h
  ${CMAKE_SOURCE_DIR}/bench/*.c ${CMAKE_SOURCE_DIR}/bench/*.h
  ${CMAKE_SOURCE_DIR}/tests/*.c ${CMAKE_SOURCE_DIR}/tests/*.h)

find_program(CLANG_FORMAT clang-format)
if(CLANG_FORMAT)
  add_custom_target(clang-format
    COMMAND ${CLANG_FORMAT} -i ${LWIPTAP_SOURCES}
    COMMENT "clang-format (in place) over our sources")
  add_custom_target(clang-format-check
    COMMAND ${CLANG_FORMAT} --dry-run --Werror ${LWIPTAP_SOURCES}
    COMMENT "clang-format check over our sources")
endif()

find_program(CLANG_TIDY clang-tidy)
if(CLANG_TIDY)
  set(LWIPTAP_TIDY_SOURCES ${LWIPTAP_SOURCES})
  list(FILTER LWIPTAP_TIDY_SOURCES INCLUDE REGEX "\\.c$")
  add_custom_target(clang-tidy
    COMMAND ${CLANG_TIDY} -p ${CMAKE_BINARY_DIR} --quiet ${LWIPTAP_TIDY_SOURCES}
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
    COMMENT "clang-tidy over our sources")
endif()
