# cmake -DGOLDEN=FILE -DOUT=FILE -DSOURCE=DIR [-DUPDATE=ON] [-DREPLAY=...] -P golden.cmake -- COMMAND ARGS...
# Runs the command in the source tree with its output in OUT, then passes
# only if OUT is GOLDEN byte for byte (printing the difference if not).
# With UPDATE=ON it copies OUT over GOLDEN instead: the way to accept an
# intended change (tests/golden/ladder/README.md).
set(cmd)
set(seen_separator FALSE)
math(EXPR last "${CMAKE_ARGC} - 1")
foreach(i RANGE 1 ${last})
  if(seen_separator)
    list(APPEND cmd "${CMAKE_ARGV${i}}")
  elseif("${CMAKE_ARGV${i}}" STREQUAL "--")
    set(seen_separator TRUE)
  endif()
endforeach()
# With -DREPLAY=tapir-replay -DREPLAY_VECTOR=V -DREPLAY_OUT=FILE the vector is
# first replayed into FILE (and FILE.vars), which the command then draws.
if(REPLAY)
  get_filename_component(dir ${REPLAY_OUT} DIRECTORY)
  file(MAKE_DIRECTORY ${dir})
  execute_process(COMMAND ${REPLAY} --write ${REPLAY_OUT} ${REPLAY_VECTOR} WORKING_DIRECTORY ${SOURCE}
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${out}${err}exit status ${rc}: ${REPLAY} --write ${REPLAY_OUT} ${REPLAY_VECTOR}")
  endif()
endif()
# OUTPUT_FILE: the bytes as written, never through a CMake string.
execute_process(COMMAND ${cmd} WORKING_DIRECTORY ${SOURCE} OUTPUT_FILE ${OUT}
                ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${err}exit status ${rc}: ${cmd}")
endif()
if(UPDATE)
  file(COPY_FILE ${OUT} ${GOLDEN})
  message(STATUS "updated ${GOLDEN}")
  return()
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT} ${GOLDEN} RESULT_VARIABLE differ)
if(differ)
  find_program(DIFF diff)
  if(DIFF)
    execute_process(COMMAND ${DIFF} -u ${GOLDEN} ${OUT})
  endif()
  message(FATAL_ERROR "${OUT} differs from ${GOLDEN}. If the change is intended, accept it with "
                      "'cmake --build BUILD --target update-ladder-golden' and review the diff "
                      "(tests/golden/ladder/README.md).")
endif()
