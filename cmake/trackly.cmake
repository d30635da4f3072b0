# Two helpers keep every folder's CMakeLists.txt to a few lines.
#
# trackly_library(NAME SRCS a.cc b.cc DEPS lib ...)
#   A static library target `trackly_NAME`, with src/ on the include path so headers are
#   included as "model/observation.h".
# trackly_test(NAME SRCS a_test.cc DEPS lib ...)
#   A GoogleTest executable registered with CTest, run from the source dir of its folder. In the
#   Tsan build it also links the abseil annotations for ThreadSanitizer (top-level CMakeLists.txt).

function(trackly_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(trackly_${name} STATIC ${ARG_SRCS})
  target_include_directories(trackly_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_BINARY_DIR}/src)
  target_link_libraries(trackly_${name} PUBLIC ${ARG_DEPS})
endfunction()

function(trackly_test name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  if(CMAKE_BUILD_TYPE STREQUAL "Tsan")
    target_link_libraries(${name} PRIVATE trackly_tsan_absl_annotations)
  endif()
  target_compile_definitions(${name} PRIVATE
      TRACKLY_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      TRACKLY_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared")
  add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
endfunction()
