# Imported targets for the llama.cpp build made (and cached) by scripts/build-llama.sh.
if(NOT LLAMA_SRC_DIR OR NOT LLAMA_BUILD_DIR)
  message(FATAL_ERROR "Set LLAMA_SRC_DIR and LLAMA_BUILD_DIR (run scripts/build-native.sh, which does it)")
endif()
# ggml's CPU backend is not linked: it is one of the libggml-cpu-<variant>.so modules ggml loads at run time.
foreach(lib ggml-base ggml llama)
  set(path "${LLAMA_BUILD_DIR}/bin/lib${lib}.so")
  if(NOT EXISTS "${path}")
    message(FATAL_ERROR "Missing ${path}: build llama.cpp with scripts/build-llama.sh first")
  endif()
  add_library(pinned::${lib} SHARED IMPORTED)
  set_target_properties(pinned::${lib} PROPERTIES IMPORTED_LOCATION "${path}" IMPORTED_NO_SONAME OFF)
endforeach()
set_target_properties(pinned::llama PROPERTIES
  INTERFACE_INCLUDE_DIRECTORIES "${LLAMA_SRC_DIR}/include;${LLAMA_SRC_DIR}/ggml/include"
  INTERFACE_LINK_LIBRARIES "pinned::ggml;pinned::ggml-base")
