#pragma once
// The library version. CMakeLists.txt reads these three lines, so they are the single source of truth.
#define MLPERSIST_VERSION_MAJOR 0
#define MLPERSIST_VERSION_MINOR 3
#define MLPERSIST_VERSION_PATCH 0

#define MLPERSIST_DETAIL_STR2(x) #x
#define MLPERSIST_DETAIL_STR(x) MLPERSIST_DETAIL_STR2(x)
#define MLPERSIST_VERSION_STRING                                                              \
  MLPERSIST_DETAIL_STR(MLPERSIST_VERSION_MAJOR)                                               \
  "." MLPERSIST_DETAIL_STR(MLPERSIST_VERSION_MINOR) "." MLPERSIST_DETAIL_STR(MLPERSIST_VERSION_PATCH)

namespace mlpersist {
inline constexpr const char* library_version = MLPERSIST_VERSION_STRING;
}  // namespace mlpersist
