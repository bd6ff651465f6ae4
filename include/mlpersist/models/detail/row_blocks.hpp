#pragma once
// The rows of a large matrix taken a block at a time, so that each block is worked on while it is
// in cache: MLP predictions, and LogisticRegression's training objective.
#include "mlpersist/core/types.hpp"

#include <algorithm>

namespace mlpersist::detail {

/// Calls work(first, rows) for consecutive blocks of `block_rows` rows, the last one possibly
/// shorter, that together cover rows [0, total).
template <class Work>
void for_each_row_block(Eigen::Index total, Eigen::Index block_rows, Work&& work) {
  for (Eigen::Index first = 0; first < total; first += block_rows) work(first, std::min(block_rows, total - first));
}

}  // namespace mlpersist::detail
