# Finds what the mlpersist target needs besides Eigen and cereal, and normalises cereal's target
# name; included by the build and by the installed package config.

# Loads of large binary files check what they read on a second thread.
find_package(Threads REQUIRED)

# cereal 1.3.0 exported a plain `cereal` target; 1.3.1 and later export cereal::cereal.
if(NOT TARGET cereal::cereal AND TARGET cereal)
  add_library(cereal::cereal ALIAS cereal)
endif()

# xxHash (the checksum of binary files) is used through its header alone. vcpkg and conan install a
# CMake package for it; Debian's libxxhash-dev installs only the header, so look for that.
if(NOT TARGET xxHash::xxhash)
  find_package(xxHash CONFIG QUIET)
endif()
if(NOT TARGET xxHash::xxhash)
  find_path(MLPERSIST_XXHASH_INCLUDE_DIR xxhash.h)
  if(NOT MLPERSIST_XXHASH_INCLUDE_DIR)
    message(FATAL_ERROR "mlpersist needs xxHash's header xxhash.h (Debian/Ubuntu: apt install libxxhash-dev)")
  endif()
  add_library(xxHash::xxhash INTERFACE IMPORTED GLOBAL)
  set_target_properties(xxHash::xxhash PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${MLPERSIST_XXHASH_INCLUDE_DIR}")
endif()
