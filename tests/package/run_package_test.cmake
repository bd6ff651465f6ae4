# Builds the consumer project two ways and runs it: against a copy of mlpersist installed into a
# scratch prefix (find_package), and against the checkout itself (add_subdirectory).
file(REMOVE_RECURSE ${WORK_DIR})
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}")
  endif()
endfunction()
set(consumer ${SOURCE_DIR}/tests/package/consumer)
set(common -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release)

run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/build -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix
    -DMLPERSIST_BUILD_TESTS=OFF -DMLPERSIST_BUILD_EXAMPLES=OFF -DMLPERSIST_INSTALL=ON)
run(${CMAKE_COMMAND} --install ${WORK_DIR}/build)
run(${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/installed -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix ${common})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/installed)
run(${WORK_DIR}/installed/consumer ${WORK_DIR}/installed.json)

run(${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/subdirectory -DMLPERSIST_SOURCE_DIR=${SOURCE_DIR} ${common})
run(${CMAKE_COMMAND} --build ${WORK_DIR}/subdirectory)
run(${WORK_DIR}/subdirectory/consumer ${WORK_DIR}/subdirectory.bin)
