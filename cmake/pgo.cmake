# Profile-guided optimisation of the request path (DRSIM_PGO).
#
# A replication is one long chain of small functions (send, begin, attempt,
# connected, the pods, reply, finish, record) whose branches nearly always go
# the same way. GCC lays that chain out better from a measured profile than
# from its guesses: the seed drill runs about a fifth faster (bench/README.md,
# "Profile-guided build, and draws made ahead"). The profile changes code
# layout, inlining and branch order, never arithmetic (no -ffast-math, no FMA
# contraction without -mfma), so results are the same bits with or without it;
# the golden specs run on this build.
#
# How:
#   1. <build>/pgo-train: this same source tree, configured with
#      DRSIM_PGO_GENERATE, builds the library and CLI with run.cpp
#      instrumented (-fprofile-generate) and the rest at -O0;
#   2. scripts/pgo-train.sh runs that CLI on the shipped models, writing the
#      counts to <build>/pgo-profile (cleared first: counts of an older build
#      must not mix in);
#   3. src/lib/run.cpp, where every replication runs (drsim::run_replication;
#      run, sweeps, solvers, Python and the benchmarks all call it), compiles
#      with -fprofile-use. -fprofile-prefix-path names the counts by the object's
#      path inside its build folder, so both builds find the same file.
# Any change to the sources rebuilds the instrumented CLI, so the profile is
# never stale; -fprofile-partial-training keeps what the training never ran
# optimised as usual.

if(DRSIM_PGO_GENERATE)
  # Inside the training build. Only run.cpp's counts are used, so only it is
  # instrumented, with the flags the real build gives it (the counts must fit
  # the same code); the rest compiles at -O0, which halves this build's time
  # and costs the training run nothing that matters (loading the models).
  set_source_files_properties(src/lib/run.cpp PROPERTIES
    COMPILE_OPTIONS "-fprofile-generate=${DRSIM_PGO_GENERATE};-fprofile-prefix-path=${PROJECT_BINARY_DIR}")
  get_target_property(drsim_pgo_other_sources drsim SOURCES)
  list(REMOVE_ITEM drsim_pgo_other_sources src/lib/run.cpp)
  file(GLOB drsim_pgo_cli_sources RELATIVE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/src/cli/*.cpp)
  set_source_files_properties(${drsim_pgo_other_sources} ${drsim_pgo_cli_sources} PROPERTIES COMPILE_OPTIONS -O0)
  target_link_options(drsim INTERFACE -fprofile-generate)
  return()
endif()
if(NOT DRSIM_PGO)
  return()
endif()
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "GNU" OR CMAKE_CXX_COMPILER_VERSION VERSION_LESS 11)
  message(FATAL_ERROR "DRSIM_PGO needs GCC 11 or later (-fprofile-prefix-path); configure with -DDRSIM_PGO=OFF")
endif()

include(ExternalProject)
set(drsim_pgo_dir ${PROJECT_BINARY_DIR}/pgo-profile)
set(drsim_pgo_train_dir ${PROJECT_BINARY_DIR}/pgo-train)
set(drsim_pgo_stamp ${drsim_pgo_dir}/trained.stamp)
set(drsim_pgo_cli ${drsim_pgo_train_dir}/bin/drsim)

ExternalProject_Add(drsim_pgo_instrumented
  SOURCE_DIR ${PROJECT_SOURCE_DIR}
  BINARY_DIR ${drsim_pgo_train_dir}
  CMAKE_GENERATOR ${CMAKE_GENERATOR}
  CMAKE_ARGS -DCMAKE_BUILD_TYPE=${CMAKE_BUILD_TYPE} -DCMAKE_CXX_COMPILER=${CMAKE_CXX_COMPILER}
             "-DCMAKE_CXX_FLAGS=${CMAKE_CXX_FLAGS}" "-DCMAKE_CXX_FLAGS_RELEASE=${CMAKE_CXX_FLAGS_RELEASE}"
             -DDRSIM_PGO=OFF -DDRSIM_PGO_GENERATE=${drsim_pgo_dir}
             -DDRSIM_BUILD_CLI=ON -DDRSIM_BUILD_TESTS=OFF -DDRSIM_BUILD_PYTHON=OFF -DDRSIM_BUILD_BENCH=OFF
             -DDRSIM_INSTALL=OFF
  BUILD_COMMAND ${CMAKE_COMMAND} --build ${drsim_pgo_train_dir} --target drsim_cli
  BUILD_ALWAYS ON
  BUILD_BYPRODUCTS ${drsim_pgo_cli}
  INSTALL_COMMAND "")

# The training runs shipped models (scripts/pgo-train.sh names which): a change
# to any of them retrains, without a second list of them here.
file(GLOB drsim_pgo_models CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/models/*.json)
add_custom_command(OUTPUT ${drsim_pgo_stamp}
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${drsim_pgo_dir}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${drsim_pgo_dir}
  COMMAND bash ${PROJECT_SOURCE_DIR}/scripts/pgo-train.sh ${drsim_pgo_cli} ${PROJECT_SOURCE_DIR}/models
  COMMAND ${CMAKE_COMMAND} -E touch ${drsim_pgo_stamp}
  DEPENDS ${drsim_pgo_cli} ${PROJECT_SOURCE_DIR}/scripts/pgo-train.sh ${drsim_pgo_models}
  COMMENT "Training the profile-guided build (scripts/pgo-train.sh)"
  VERBATIM)
add_custom_target(drsim_pgo_profile DEPENDS ${drsim_pgo_stamp})
add_dependencies(drsim_pgo_profile drsim_pgo_instrumented)

add_dependencies(drsim drsim_pgo_profile)
set_source_files_properties(src/lib/run.cpp PROPERTIES
  COMPILE_OPTIONS "-fprofile-use=${drsim_pgo_dir};-fprofile-prefix-path=${PROJECT_BINARY_DIR};-fprofile-partial-training"
  OBJECT_DEPENDS ${drsim_pgo_stamp})
