# Two helpers keep every folder's CMakeLists.txt to a few lines.
#
# trackly_library(NAME SRCS a.cc b.cc DEPS lib ...)
#   A static library target `trackly_NAME`, with src/ on the include path so headers are
#   included as "model/observation.h".
# trackly_test(NAME SRCS a_test.cc DEPS lib ...)
#   A GoogleTest executable registered with CTest, run from the source dir of its folder. In the
#   Tsan build it also links the abseil annotations for ThreadSanitizer (top-level CMakeLists.txt).
#
# Both compile against a precompiled header of the standard library, abseil and nlohmann/json
# (tests: plus GoogleTest), which most of the tree includes: it roughly halves the time spent
# parsing headers in a clean build. The PCH is force-included, so a missing #include can go
# unnoticed; configure with -DTRACKLY_PCH=OFF to check a change's includes.

option(TRACKLY_PCH "Compile with precompiled headers (faster clean builds)" ON)

# The headers precompiled for every target (keep to widely used, stable ones).
set(TRACKLY_PCH_HEADERS
    <algorithm> <cstdint> <functional> <memory> <optional> <string> <string_view> <utility> <vector>
    <nlohmann/json.hpp>
    <absl/container/flat_hash_map.h> <absl/status/status.h> <absl/status/statusor.h>
    <absl/strings/str_cat.h> <absl/synchronization/mutex.h> <absl/time/time.h>)

# An object library whose only job is to build a PCH that other targets reuse (REUSE_FROM needs
# a target that owns it).
function(trackly_pch_target name)
  cmake_parse_arguments(ARG "" "" "HEADERS;DEPS" ${ARGN})
  file(CONFIGURE OUTPUT ${PROJECT_BINARY_DIR}/${name}.cc CONTENT "// Anchor of the ${name} precompiled header.\n")
  add_library(${name} OBJECT ${PROJECT_BINARY_DIR}/${name}.cc)
  target_link_libraries(${name} PRIVATE ${ARG_DEPS})
  target_precompile_headers(${name} PRIVATE ${ARG_HEADERS})
endfunction()

if(TRACKLY_PCH)
  set(pch_deps absl::status absl::statusor absl::strings absl::synchronization absl::time
      absl::flat_hash_map nlohmann_json::nlohmann_json)
  trackly_pch_target(trackly_pch HEADERS ${TRACKLY_PCH_HEADERS} DEPS ${pch_deps})
  trackly_pch_target(trackly_test_pch HEADERS ${TRACKLY_PCH_HEADERS} <gmock/gmock.h> <gtest/gtest.h>
                     DEPS ${pch_deps} GTest::gmock GTest::gtest)
endif()

function(trackly_library name)
  cmake_parse_arguments(ARG "" "" "SRCS;DEPS" ${ARGN})
  add_library(trackly_${name} STATIC ${ARG_SRCS})
  target_include_directories(trackly_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_BINARY_DIR}/src)
  target_link_libraries(trackly_${name} PUBLIC ${ARG_DEPS})
  if(TRACKLY_PCH)
    target_precompile_headers(trackly_${name} REUSE_FROM trackly_pch)
  endif()
endfunction()

# A test binary, registered with CTest. SHARDS n (optional) registers it as n tests, name_0 ..
# name_<n-1>, each running its share of the binary's tests (GoogleTest's own sharding), so that a
# long binary runs in parallel under `ctest -j` and each part stays within the per-test timeout.
function(trackly_test name)
  cmake_parse_arguments(ARG "" "SHARDS" "SRCS;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SRCS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  if(CMAKE_BUILD_TYPE STREQUAL "Tsan")
    target_link_libraries(${name} PRIVATE trackly_tsan_absl_annotations)
  endif()
  target_compile_definitions(${name} PRIVATE
      TRACKLY_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      TRACKLY_SHARED_DIR="${PROJECT_SOURCE_DIR}/../shared")
  if(TRACKLY_PCH)
    target_precompile_headers(${name} REUSE_FROM trackly_test_pch)
  endif()
  if(NOT ARG_SHARDS)
    add_test(NAME ${name} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
    return()
  endif()
  math(EXPR last "${ARG_SHARDS} - 1")
  foreach(shard RANGE ${last})
    add_test(NAME ${name}_${shard} COMMAND ${name} WORKING_DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR})
    set_tests_properties(${name}_${shard} PROPERTIES
        ENVIRONMENT "GTEST_TOTAL_SHARDS=${ARG_SHARDS};GTEST_SHARD_INDEX=${shard}")
  endforeach()
endfunction()
