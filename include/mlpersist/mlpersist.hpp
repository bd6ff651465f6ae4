#pragma once
// mlpersist: train scikit-learn-style models in C++ and persist them in versioned binary, JSON or
// XML files. This umbrella header includes the whole public API.
#include "mlpersist/version.hpp"

#include "mlpersist/core/errors.hpp"
#include "mlpersist/core/parameter.hpp"
#include "mlpersist/core/serialize.hpp"
#include "mlpersist/core/types.hpp"

#include "mlpersist/models/linear_regression.hpp"
#include "mlpersist/models/logistic_regression.hpp"
#include "mlpersist/models/mlp_classifier.hpp"
#include "mlpersist/models/mlp_regressor.hpp"
#include "mlpersist/models/pipeline.hpp"
#include "mlpersist/models/standard_scaler.hpp"

#include "mlpersist/io/file_info.hpp"
#include "mlpersist/io/format.hpp"
#include "mlpersist/io/options.hpp"
#include "mlpersist/io/persist.hpp"
