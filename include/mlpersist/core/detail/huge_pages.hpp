#pragma once
// Filling a large fresh buffer costs one page fault per 4 KiB page, which caps a copy into it near
// 2 GB/s. Asking Linux for transparent huge pages (as numpy does for its large arrays) makes the
// faults 512 times fewer, and the same copy runs at about 6 GB/s.
#include <cstddef>
#include <cstdint>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace mlpersist::detail {

/// A hint that [data, data + size) is about to be filled: back it with 2 MiB pages where the kernel
/// allows (transparent_hugepage set to "madvise" or "always"). Harmless where it does nothing.
inline void advise_huge_pages(void* data, std::size_t size) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Only the whole 2 MiB pages inside the buffer can be huge: a buffer of 2 to 8 MiB gets some (a
  // 4 MB matrix about half its pages), which still makes its faults about half as costly.
  constexpr std::uintptr_t huge_page = std::uintptr_t{2} << 20;
  const auto address = reinterpret_cast<std::uintptr_t>(data);
  const std::uintptr_t begin = (address + huge_page - 1) & ~(huge_page - 1);
  const std::uintptr_t end = (address + size) & ~(huge_page - 1);
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)size;
#endif
}

/// The same for the storage of a matrix or vector that is about to be filled.
template <class Dense>
void advise_huge_pages(Dense& values) {
  advise_huge_pages(values.data(), static_cast<std::size_t>(values.size()) * sizeof(*values.data()));
}

}  // namespace mlpersist::detail
