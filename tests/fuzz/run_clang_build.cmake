# Configures and builds the clang-only test programs (tests/fuzz/CMakeLists.txt) in BUILD_DIR, and
# gathers each fuzz target's seed corpus: the committed golden files and fuzzing regressions of its
# format. Run by the `sanitizers.build` test: cmake -DSOURCE_DIR=... -DBUILD_DIR=... -DCXX_COMPILER=... -P
foreach(var SOURCE_DIR BUILD_DIR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_clang_build.cmake needs -D${var}=...")
  endif()
endforeach()

execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${BUILD_DIR} -DCMAKE_CXX_COMPILER=${CXX_COMPILER}
          -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"
          -DMLPERSIST_BUILD_FUZZERS=ON -DMLPERSIST_BUILD_EXAMPLES=OFF -DMLPERSIST_INSTALL=OFF
  RESULT_VARIABLE result)
if(result)
  message(FATAL_ERROR "configuring the clang build failed")
endif()
cmake_host_system_information(RESULT cores QUERY NUMBER_OF_LOGICAL_CORES)
execute_process(
  COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} -j ${cores}
          --target mlpersist_fuzz_binary mlpersist_fuzz_json mlpersist_fuzz_xml mlpersist_tsan_tests
  RESULT_VARIABLE result)
if(result)
  message(FATAL_ERROR "building the fuzz targets and ThreadSanitizer tests failed")
endif()

foreach(format binary json xml)
  if(format STREQUAL "binary")
    set(ext bin)
  else()
    set(ext ${format})
  endif()
  file(REMOVE_RECURSE ${BUILD_DIR}/seeds/${format})
  file(MAKE_DIRECTORY ${BUILD_DIR}/seeds/${format} ${BUILD_DIR}/corpus/${format} ${BUILD_DIR}/findings)
  # Golden files of different versions share names: prefix each with its folder (v1-..., regressions-...).
  file(GLOB seeds ${SOURCE_DIR}/tests/data/compat/*/*.${ext} ${SOURCE_DIR}/tests/fuzz/regressions/${format}/*)
  foreach(seed IN LISTS seeds)
    get_filename_component(folder ${seed} DIRECTORY)
    get_filename_component(folder ${folder} NAME)
    get_filename_component(name ${seed} NAME)
    file(COPY_FILE ${seed} ${BUILD_DIR}/seeds/${format}/${folder}-${name})
  endforeach()
endforeach()
