# sluice_layer(NAME [NO_PCH] SOURCES... DEPS ...): one static library per architectural layer
# (see docs/architecture.md), sharing sluice_core's precompiled header unless NO_PCH.
function(sluice_layer name)
  cmake_parse_arguments(L "NO_PCH" "" "SOURCES;DEPS" ${ARGN})
  add_library(sluice_${name} STATIC ${L_SOURCES})
  target_link_libraries(sluice_${name} PUBLIC sluice_options ${L_DEPS})
  if(NOT name STREQUAL "core" AND NOT L_NO_PCH)
    target_precompile_headers(sluice_${name} REUSE_FROM sluice_core)
  endif()
endfunction()

# Executables (server, tests, bench tools) reuse the same precompiled header.
function(sluice_use_pch target)
  target_precompile_headers(${target} REUSE_FROM sluice_core)
endfunction()
