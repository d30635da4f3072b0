# Writes a C++ source that carries data files inside the binary, so it works without the
# repository (the price catalog, the built web UI). Two modes:
#
#   cmake -DINPUT=file -DOUTPUT=x.cc -DNAMESPACE=ns -DFUNCTION=Fn -P embed_files.cmake
#     defines `std::string_view ns::Fn()`: the bytes of `file`.
#   cmake -DINPUT_DIR=dir -DOUTPUT=x.cc -DNAMESPACE=ns -DFUNCTION=Fn -P embed_files.cmake
#     defines `std::span<const std::pair<std::string_view, std::string_view>> ns::Fn()`: every
#     file under `dir` as (path relative to dir with '/' separators, bytes), sorted by path.
#
# The output is rewritten only when its content changes, so dependents rebuild only then.

# Sets `out_var` to the bytes of `path` as C array initializer text ("0x3c,0x21,...,").
function(embed_bytes path out_var)
  file(READ "${path}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
  set(${out_var} "${bytes}" PARENT_SCOPE)
endfunction()

if(DEFINED INPUT_DIR)
  get_filename_component(INPUT_DIR "${INPUT_DIR}" ABSOLUTE)
  file(GLOB_RECURSE files RELATIVE "${INPUT_DIR}" "${INPUT_DIR}/*")
  list(SORT files)
  set(arrays "")
  set(table "")
  set(index 0)
  foreach(relative IN LISTS files)
    embed_bytes("${INPUT_DIR}/${relative}" bytes)
    string(APPEND arrays "constexpr unsigned char kFile${index}[] = {\n${bytes}0x00};\n")
    string(APPEND table "      {\"${relative}\", View(kFile${index}, sizeof(kFile${index}) - 1)},\n")
    math(EXPR index "${index} + 1")
  endforeach()
  if(index EQUAL 0)
    message(FATAL_ERROR "embed_files.cmake: no files under ${INPUT_DIR}")
  endif()
  string(CONCAT body
    "#include <cstddef>\n#include <span>\n#include <string_view>\n#include <utility>\n\n"
    "namespace ${NAMESPACE} {\n"
    "namespace {\n"
    "${arrays}"
    "std::string_view View(const unsigned char* bytes, std::size_t size) {\n"
    "  return std::string_view(reinterpret_cast<const char*>(bytes), size);\n"
    "}\n"
    "}  // namespace\n\n"
    "std::span<const std::pair<std::string_view, std::string_view>> ${FUNCTION}() {\n"
    "  static const std::pair<std::string_view, std::string_view> kFiles[] = {\n${table}  };\n"
    "  return kFiles;\n"
    "}\n\n"
    "}  // namespace ${NAMESPACE}\n")
  set(source "${INPUT_DIR}")
else()
  embed_bytes("${INPUT}" bytes)
  string(CONCAT body
    "#include <string_view>\n\n"
    "namespace ${NAMESPACE} {\n"
    "namespace {\n"
    "constexpr unsigned char kBytes[] = {\n${bytes}0x00};\n"
    "}  // namespace\n\n"
    "std::string_view ${FUNCTION}() {\n"
    "  return std::string_view(reinterpret_cast<const char*>(kBytes), sizeof(kBytes) - 1);\n"
    "}\n\n"
    "}  // namespace ${NAMESPACE}\n")
  set(source "${INPUT}")
endif()

file(WRITE "${OUTPUT}.tmp" "// Generated from ${source} by cmake/embed_files.cmake; do not edit.\n${body}")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
