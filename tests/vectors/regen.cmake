# cmake -DVECGEN=... -DSCRIPT=NAME.vec -DVECTOR=NAME.pcap -DOUT=tmp.pcap -P regen.cmake
# Passes if the script, recorded again, gives the committed vector byte for byte.
execute_process(COMMAND ${VECGEN} -q -o ${OUT} ${SCRIPT} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${out}${err}tapir-vecgen failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files ${OUT} ${VECTOR} RESULT_VARIABLE differ)
if(differ)
  message(FATAL_ERROR "${VECTOR} is not what ${SCRIPT} records now (${OUT}): if the change in the "
                      "stack is intended, re-record with tapir-vecgen and check the new answers "
                      "(pcaps/README.md); if the script changed, re-record it")
endif()
file(REMOVE ${OUT})
