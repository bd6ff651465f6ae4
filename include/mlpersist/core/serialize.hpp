#pragma once
// Building blocks for a model's cereal serialize() hook.
//
// Models write every member through mlpersist::field(ar, "name", member). Compared with a bare
// ar(CEREAL_NVP(member)) it adds what cereal lacks for untrusted files:
//   - Eigen matrices travel as one contiguous block in binary archives and as rows, cols and a flat
//     row-major data array in JSON/XML;
//   - no size read from a file is trusted: a length is checked against the bytes left before anything
//     is allocated;
//   - numbers in XML are written shortest-exact and parsed strictly ("1.5abc" is an error, subnormals,
//     infinities and NaN round-trip);
//   - the path of the field being read is recorded, so a load error can say where the file is bad.
// Users' own model types can use the same functions in their serialize().

#include "mlpersist/core/detail/archives.hpp"
#include "mlpersist/core/detail/block_reader.hpp"
#include "mlpersist/core/detail/huge_pages.hpp"
#include "mlpersist/core/detail/text.hpp"
#include "mlpersist/core/detail/threads.hpp"
#include "mlpersist/core/errors.hpp"
#include "mlpersist/core/parameter.hpp"
#include "mlpersist/core/types.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <atomic>
#include <exception>
#include <ios>
#include <streambuf>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace mlpersist {

/// Which floating-point values a field may hold: any (NaN and infinities round-trip exactly), or
/// finite only, as model parameters, where anything else in a file is damage.
enum class Values { any, finite };

namespace detail {

// ---- Where a load is: the stream (for bytes left and offsets) and the field being read -----------

/// The thread's current save or load context: Context::current() is set up by a Scope for the
/// duration of one save or load, and is null when a user calls serialize() directly.
template <class Context>
class Scope {
 public:
  explicit Scope(Context& context) : previous_(Context::current()) { Context::current() = &context; }
  ~Scope() { Context::current() = previous_; }
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  Context* previous_;
};

/// Matrix data in a binary file starts at a multiple of this offset (from container 3 on), so that
/// a mapped file can be used in place by vectorised code.
inline constexpr std::uint64_t data_alignment = 64;
inline constexpr std::uint32_t first_aligned_container = 3;

inline std::uint64_t padding_before(std::uint64_t file_offset) {
  return (data_alignment - file_offset % data_alignment) % data_alignment;
}

/// A binary input that is a mapped file (mlpersist::map): Parameters are bound to its data in place.
struct MappedInput {
  const char* data = nullptr;          // the input's first byte (offset 0)
  std::shared_ptr<const void> owner;   // keeps the mapping alive; each bound Parameter holds a copy
  bool check_values = false;           // MapOptions::check_data: check values as load does
};

/// The state of the load running on this thread; set up by mlpersist::load for its duration.
struct LoadContext {
  std::streambuf* binary_input = nullptr;  // only for binary archives
  std::uint64_t input_origin = 0;          // file offset of the binary input's first byte
  std::uint32_t container_version = 0;     // of a binary file (text files say it in their envelope)
  std::uint64_t input_size = 0;            // bytes of the archive's input (the payload, or the text)
  std::uint64_t max_bytes = std::numeric_limits<std::uint64_t>::max();  // LoadOptions::max_bytes
  BlockReader* block_reader = nullptr;  // the binary input, if it reads large blocks its own way
  const MappedInput* mapped = nullptr;  // set by mlpersist::map: Parameters become views into it
  std::vector<const char*> path;  // fields entered, outermost first
  std::string failed_at;          // the path where the first exception passed through

  /// Where the binary archive is reading, from the start of its input (valid even after a failed read).
  std::uint64_t offset() const {
    if (binary_input == nullptr) return 0;
    const auto pos = binary_input->pubseekoff(0, std::ios_base::cur, std::ios_base::in);
    return pos < 0 ? input_size : static_cast<std::uint64_t>(pos);
  }
  std::uint64_t file_offset() const { return input_origin + offset(); }

  /// What is left of the input: text archives have parsed it all already, so it bounds any array.
  std::uint64_t bytes_left() const { return input_size - std::min(offset(), input_size); }

  std::string current_path() const {
    std::string out;
    for (const char* name : path) {
      if (!out.empty()) out += '.';
      out += name;
    }
    return out;
  }

  static LoadContext*& current() {
    thread_local LoadContext* context = nullptr;
    return context;
  }
};

/// The state of the binary save running on this thread: where the output is, for data alignment.
struct SaveContext {
  std::streambuf* binary_output = nullptr;  // its position (seekoff 0, cur) is the file offset

  static SaveContext*& current() {
    thread_local SaveContext* context = nullptr;
    return context;
  }
};

using LoadScope = Scope<LoadContext>;
using SaveScope = Scope<SaveContext>;

/// Marks one field as being read; if an exception leaves it, the innermost path is recorded.
class FieldScope {
 public:
  explicit FieldScope(const char* name)
      : context_(LoadContext::current()), exceptions_(std::uncaught_exceptions()) {
    if (context_ != nullptr) context_->path.push_back(name);
  }
  ~FieldScope() {
    if (context_ == nullptr) return;
    if (std::uncaught_exceptions() > exceptions_ && context_->failed_at.empty())
      context_->failed_at = context_->current_path();
    context_->path.pop_back();
  }
  FieldScope(const FieldScope&) = delete;
  FieldScope& operator=(const FieldScope&) = delete;

 private:
  LoadContext* context_;
  int exceptions_;
};

/// Refuses a declared element count before anything is allocated: each element takes at least
/// `file_bytes_each` bytes of what is left of the input, and all of them `memory_bytes_each` bytes
/// of a single allocation, which must stay within LoadOptions::max_bytes. A 24-byte file must not
/// make us allocate gigabytes.
inline void check_count(std::uint64_t count, std::uint64_t file_bytes_each, std::uint64_t memory_bytes_each) {
  const LoadContext* context = LoadContext::current();
  if (context == nullptr) return;  // not reading a file (a user calling serialize directly)
  const std::uint64_t left = context->bytes_left();
  const std::uint64_t each = std::max<std::uint64_t>(file_bytes_each, 1);
  if (count > left / each)
    throw CorruptFile("declares " + std::to_string(count) + " elements of at least " + std::to_string(each) +
                      " bytes but only " + std::to_string(left) + " bytes are left");
  const std::uint64_t memory_each = std::max<std::uint64_t>(memory_bytes_each, 1);
  if (count > context->max_bytes / memory_each)
    throw LimitExceeded("declares " + std::to_string(count) + " elements of " + std::to_string(memory_each) +
                        " bytes, more than LoadOptions::max_bytes (" + std::to_string(context->max_bytes) +
                        ") allows in one array");
  if (count > static_cast<std::uint64_t>(std::numeric_limits<Eigen::Index>::max()))
    throw CorruptFile("declares " + std::to_string(count) + " elements, more than this build can index");
}

template <class Archive>
constexpr std::uint64_t file_bytes(std::uint64_t binary_bytes) {
  return is_binary_archive_v<Archive> ? binary_bytes : 1;  // a text element is at least one character
}

// ---- One value, named (inside objects) or not (inside arrays) ----------------------------------

template <class Archive, class T>
void emit(Archive& ar, const char* name, T&& value) {
  if (name != nullptr)
    ar(cereal::make_nvp(name, value));
  else
    ar(value);
}

template <class Archive, class T>
void number(Archive& ar, const char* name, T& value) {
  if constexpr (is_cereal_xml_archive_v<Archive>) {
    // cereal's own XML archive writes numbers with 17 digits and reads them leniently; through
    // text they are as exact and strict as in mlpersist's archives.
    if constexpr (is_loading_v<Archive>) {
      std::string text;
      emit(ar, name, text);
      value = from_text<T>(text);
    } else {
      emit(ar, name, to_text(value));
    }
  } else if constexpr (std::is_same_v<T, bool> && is_binary_archive_v<Archive> && is_loading_v<Archive>) {
    // cereal stores a bool as one byte and would read any byte into the bool, which is undefined
    // behaviour for values other than 0 and 1.
    std::uint8_t byte = 0;
    ar(byte);
    if (byte > 1) throw CorruptFile("expected a boolean (0 or 1), found " + std::to_string(byte));
    value = byte == 1;
  } else {
    emit(ar, name, value);
  }
}

template <class Archive>
void text(Archive& ar, const char* name, std::string& value) {
  if constexpr (is_binary_archive_v<Archive> && is_loading_v<Archive>) {
    std::uint64_t size = 0;
    ar(size);
    check_count(size, 1, 1);
    value.resize(static_cast<std::size_t>(size));
    ar(cereal::binary_data(value.data(), value.size()));
  } else if constexpr (is_binary_archive_v<Archive>) {
    ar(static_cast<std::uint64_t>(value.size()));
    ar(cereal::binary_data(value.data(), value.size()));
  } else {
    emit(ar, name, value);
  }
}

template <class T>
struct is_eigen_matrix : std::false_type {};
template <class S, int R, int C, int O>
struct is_eigen_matrix<Eigen::Matrix<S, R, C, O>> : std::true_type {};

/// Zero bytes up to the next multiple of data_alignment in a binary file of container 3 or later.
/// Only mlpersist's own save and load align (a user's direct cereal call has no file offsets).
template <class Archive>
void align_data(Archive& ar) {
  static constexpr std::array<char, data_alignment> zeros{};
  if constexpr (is_binary_archive_v<Archive> && is_loading_v<Archive>) {
    const LoadContext* context = LoadContext::current();
    if (context == nullptr || context->binary_input == nullptr ||
        context->container_version < first_aligned_container)
      return;
    std::array<char, data_alignment> padding{};
    const auto size = static_cast<std::size_t>(padding_before(context->file_offset()));
    ar(cereal::binary_data(padding.data(), size));
    if (std::memcmp(padding.data(), zeros.data(), size) != 0)
      throw CorruptFile("expected " + std::to_string(size) + " zero bytes of padding before the data");
  } else if constexpr (is_binary_archive_v<Archive>) {
    const SaveContext* context = SaveContext::current();
    if (context == nullptr || context->binary_output == nullptr) return;
    const auto offset = context->binary_output->pubseekoff(0, std::ios_base::cur, std::ios_base::out);
    if (offset < 0) throw IoError("the output stream cannot tell its position");
    ar(cereal::binary_data(zeros.data(), static_cast<std::size_t>(padding_before(static_cast<std::uint64_t>(offset)))));
  }
}

/// The first value in [values, values + size) that is NaN or infinite, or values + size.
template <class Scalar>
const Scalar* find_non_finite(const Scalar* values, std::size_t size) {
  const auto non_finite = [](Scalar v) { return !std::isfinite(v); };
  if constexpr (std::numeric_limits<Scalar>::is_iec559 && (sizeof(Scalar) == 4 || sizeof(Scalar) == 8)) {
    // A value is NaN or infinite when its exponent bits are all ones; adding one to the exponent
    // field then carries into the sign bit. OR-ing those sums over a block has no branch, so the
    // compiler vectorises it (at -O2 too, as the inner loop's length is a constant): 3 times as fast
    // as Eigen's allFinite() here, on data in cache, and the finite check was a quarter of a binary
    // load's time. The last, partial block and a block that fails are searched value by value.
    using Bits = std::conditional_t<sizeof(Scalar) == 8, std::uint64_t, std::uint32_t>;
    constexpr int mantissa_bits = std::numeric_limits<Scalar>::digits - 1;
    constexpr Bits exponent_lsb = Bits{1} << mantissa_bits;
    constexpr Bits exponent = (~Bits{0} >> 1) & ~(exponent_lsb - 1);
    constexpr Bits sign = ~(~Bits{0} >> 1);
    constexpr std::size_t block = 512;
    std::size_t from = 0;
    for (; from + block <= size; from += block) {
      Bits carried = 0;
      for (std::size_t i = 0; i < block; ++i) {
        Bits bits;
        std::memcpy(&bits, values + from + i, sizeof bits);
        carried |= (bits & exponent) + exponent_lsb;
      }
      if ((carried & sign) != 0) break;
    }
    return std::find_if(values + from, values + size, non_finite);
  } else {
    return std::find_if(values, values + size, non_finite);
  }
}

/// Throws CorruptFile, naming the place, unless every value is finite. `values` is the column-major
/// run of `size` elements from element `first` of a matrix with `rows` rows.
template <class Scalar>
void require_finite(const Scalar* values, std::size_t size, std::size_t first, Eigen::Index rows) {
  const Scalar* bad = find_non_finite(values, size);
  if (bad == values + size) return;
  const auto height = static_cast<std::size_t>(std::max<Eigen::Index>(rows, 1));
  const std::size_t at = first + static_cast<std::size_t>(bad - values);
  throw CorruptFile("expected finite numbers, found " + to_text(*bad) + " at row " + std::to_string(at % height) +
                    ", column " + std::to_string(at / height));
}

/// A matrix's shape as read from a file, checked against the type's fixed sizes and for overflow.
struct Shape {
  std::int64_t rows = 0;
  std::int64_t cols = 0;
  std::uint64_t count = 0;  // rows * cols
};

template <int Rows, int Cols, class Archive>
Shape read_shape(Archive& ar) {
  Shape shape;
  ar(cereal::make_nvp("rows", shape.rows), cereal::make_nvp("cols", shape.cols));
  const std::string text = std::to_string(shape.rows) + "x" + std::to_string(shape.cols);
  if (shape.rows < 0 || shape.cols < 0 || (Rows != Eigen::Dynamic && shape.rows != Rows) ||
      (Cols != Eigen::Dynamic && shape.cols != Cols))
    throw CorruptFile("invalid matrix shape " + text);
  const auto rows = static_cast<std::uint64_t>(shape.rows);
  const auto cols = static_cast<std::uint64_t>(shape.cols);
  if (cols != 0 && rows > std::numeric_limits<std::uint64_t>::max() / cols)
    throw CorruptFile("matrix shape " + text + " overflows");
  shape.count = rows * cols;
  return shape;
}

/// Writes a matrix: rows, cols, then the data (one column-major block in binary, a row-major
/// array in text).
template <class Archive, class Derived>
void save_matrix(Archive& ar, const Eigen::MatrixBase<Derived>& matrix) {
  using Scalar = typename Derived::Scalar;
  ar(cereal::make_nvp("rows", static_cast<std::int64_t>(matrix.rows())),
     cereal::make_nvp("cols", static_cast<std::int64_t>(matrix.cols())));
  if constexpr (is_binary_archive_v<Archive>) {
    align_data(ar);
    // The binary format stores column-major data; only a row-major matrix needs a copy.
    if constexpr (!Derived::IsRowMajor) {
      ar(cereal::binary_data(matrix.derived().data(), static_cast<std::size_t>(matrix.size()) * sizeof(Scalar)));
    } else {
      const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic> column_major = matrix;
      ar(cereal::binary_data(column_major.data(), static_cast<std::size_t>(column_major.size()) * sizeof(Scalar)));
    }
  } else {
    ar.setNextName("data");
    ar.startNode();
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(matrix.size())));
    if constexpr ((std::is_same_v<Archive, JsonWriter> || std::is_same_v<Archive, XmlWriter>) &&
                  !std::is_same_v<Scalar, bool>) {
      Eigen::Index i = 0;
      Eigen::Index j = 0;
      ar.saveNumbers(static_cast<std::size_t>(matrix.size()), [&] {
        const Scalar value = matrix(i, j);
        if (++j == matrix.cols()) {
          j = 0;
          ++i;
        }
        return value;
      });
    } else {
      for (Eigen::Index i = 0; i < matrix.rows(); ++i) {
        for (Eigen::Index j = 0; j < matrix.cols(); ++j) {
          Scalar value = matrix(i, j);
          number(ar, nullptr, value);
        }
      }
    }
    ar.finishNode();
  }
}

/// Reads `count` binary elements into `data` through the input's BlockReader, which checks each
/// piece as it arrives.
template <class Scalar>
void read_values_as_block(BlockReader& reader, Scalar* data, std::size_t count, Eigen::Index rows, bool check) {
  std::atomic<std::size_t> first_bad{count};  // pieces may be checked on two threads at once
  const std::size_t size = count * sizeof(Scalar);
  const std::size_t got = reader.read_block(reinterpret_cast<char*>(data), size, [&](std::size_t from, std::size_t to) {
    if (!check) return;
    const std::size_t begin = from / sizeof(Scalar);
    const std::size_t end = to / sizeof(Scalar);
    const auto at = static_cast<std::size_t>(find_non_finite(data + begin, end - begin) - data);
    if (at == end) return;
    std::size_t known = first_bad.load();
    while (at < known && !first_bad.compare_exchange_weak(known, at)) {
    }
  });
  if (got != size)  // as cereal says it
    throw cereal::Exception("Failed to read " + std::to_string(size) + " bytes from input stream! Read " + std::to_string(got));
  if (const std::size_t bad = first_bad; bad < count) require_finite(data + bad, 1, bad, rows);
}

/// Reads `count` binary elements in pieces, each checked while it is still in cache; large arrays
/// through the input's BlockReader, if it has one.
template <class Archive, class Scalar>
void read_values(Archive& ar, Scalar* data, std::size_t count, Eigen::Index rows, Values values) {
  constexpr std::size_t piece = (std::size_t{1} << 18) / sizeof(Scalar);
  const bool check = values == Values::finite && std::is_floating_point_v<Scalar>;
  const LoadContext* context = LoadContext::current();
  if (context != nullptr && context->block_reader != nullptr && count * sizeof(Scalar) >= helper_thread_min_bytes)
    return read_values_as_block(*context->block_reader, data, count, rows, check);
  for (std::size_t done = 0; done < count; done += piece) {
    const std::size_t size = std::min(piece, count - done);
    ar(cereal::binary_data(data + done, size * sizeof(Scalar)));
    if (check) require_finite(data + done, size, done, rows);
  }
}

/// Throws CorruptFile, naming the first bad value in the text's row-major order, unless every
/// value of a matrix read from text is finite.
template <class MatrixType>
void require_finite_in_row_order(const MatrixType& matrix) {
  if constexpr (std::is_floating_point_v<typename MatrixType::Scalar>) {
    const auto size = static_cast<std::size_t>(matrix.size());
    if (find_non_finite(matrix.data(), size) == matrix.data() + size) return;  // the common case
    for (Eigen::Index i = 0; i < matrix.rows(); ++i)
      for (Eigen::Index j = 0; j < matrix.cols(); ++j)
        require_finite(&matrix(i, j), 1, static_cast<std::size_t>(j * matrix.rows() + i), matrix.rows());
  }
}

/// A dynamic Eigen matrix, written by save_matrix.
template <class Scalar, int Rows, int Cols, int Options>
struct MatrixIO {
  using MatrixType = Eigen::Matrix<Scalar, Rows, Cols, Options>;
  MatrixType& matrix;
  Values values;

  template <class Archive>
  void save(Archive& ar) const {
    save_matrix(ar, matrix);
  }

  template <class Archive>
  void load(Archive& ar) {
    load_data(ar, read_shape<Rows, Cols>(ar));
  }

  /// The data of a matrix whose shape has been read.
  template <class Archive>
  void load_data(Archive& ar, const Shape& shape) {
    if constexpr (is_binary_archive_v<Archive>) {
      align_data(ar);
      check_count(shape.count, sizeof(Scalar), sizeof(Scalar));
      Eigen::Matrix<Scalar, Rows, Cols, Eigen::ColMajor> column_major(shape.rows, shape.cols);
      advise_huge_pages(column_major);
      read_values(ar, column_major.data(), static_cast<std::size_t>(shape.count), shape.rows, values);
      if constexpr ((Options & Eigen::RowMajor) == 0)
        matrix.swap(column_major);
      else
        matrix = column_major;
    } else {
      ar.setNextName("data");
      ar.startNode();
      cereal::size_type size = 0;
      ar(cereal::make_size_tag(size));
      if (size != shape.count)
        throw CorruptFile("matrix " + std::to_string(shape.rows) + "x" + std::to_string(shape.cols) + " needs " +
                          std::to_string(shape.count) + " values but the data array has " + std::to_string(size));
      check_count(shape.count, 1, sizeof(Scalar));
      matrix.resize(shape.rows, shape.cols);
      if constexpr ((std::is_same_v<Archive, JsonReader> || std::is_same_v<Archive, XmlReader>) &&
                    std::is_floating_point_v<Scalar>) {
        // The text holds the data row by row: read in place where that is the matrix's own layout.
        if (shape.rows == 1 || shape.cols == 1 || (Options & Eigen::RowMajor) != 0) {
          ar.loadNumbers(matrix.data(), static_cast<std::size_t>(shape.count));
        } else {
          Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> by_rows(shape.rows, shape.cols);
          ar.loadNumbers(by_rows.data(), static_cast<std::size_t>(shape.count));
          matrix = by_rows;
        }
      } else {
        for (Eigen::Index i = 0; i < shape.rows; ++i)
          for (Eigen::Index j = 0; j < shape.cols; ++j) number(ar, nullptr, matrix(i, j));
      }
      if (values == Values::finite) require_finite_in_row_order(matrix);
      ar.finishNode();
    }
  }
};

/// A model's Parameter: written as a matrix; read into memory of its own, or, when mlpersist::map
/// is reading a mapped file, bound to the data in place (checked only if MapOptions::check_data).
template <class PlainMatrix>
struct ParameterIO {
  Parameter<PlainMatrix>& parameter;
  Values values;

  template <class Archive>
  void save(Archive& ar) const {
    save_matrix(ar, parameter.view());
  }

  template <class Archive>
  void load(Archive& ar) {
    using Scalar = typename PlainMatrix::Scalar;
    const Shape shape = read_shape<PlainMatrix::RowsAtCompileTime, PlainMatrix::ColsAtCompileTime>(ar);
    const LoadContext* context = LoadContext::current();
    if constexpr (is_binary_archive_v<Archive>) {
      if (context != nullptr && context->mapped != nullptr && shape.count > 0) {
        align_data(ar);
        check_count(shape.count, sizeof(Scalar), sizeof(Scalar));
        const std::uint64_t bytes = shape.count * sizeof(Scalar);
        const auto* data = reinterpret_cast<const Scalar*>(context->mapped->data + context->offset());
        context->binary_input->pubseekoff(static_cast<std::streamoff>(bytes), std::ios_base::cur, std::ios_base::in);
        if (context->mapped->check_values && values == Values::finite)
          require_finite(data, static_cast<std::size_t>(shape.count), 0, shape.rows);
        parameter.bind(data, shape.rows, shape.cols, context->mapped->owner);
        return;
      }
    }
    PlainMatrix matrix;
    MatrixIO<Scalar, PlainMatrix::RowsAtCompileTime, PlainMatrix::ColsAtCompileTime, PlainMatrix::Options>{matrix, values}
        .load_data(ar, shape);
    parameter = std::move(matrix);
  }
};

template <class T>
inline constexpr bool is_number_v = std::is_arithmetic_v<T>;

/// The smallest number of bytes one element takes in a binary archive (a bound for check_count).
template <class T>
constexpr std::uint64_t min_binary_size() {
  if constexpr (is_number_v<T>) return sizeof(T);
  if constexpr (is_eigen_matrix<T>::value || is_parameter<T>::value) return 2 * sizeof(std::int64_t);  // rows, cols
  return sizeof(std::uint64_t);  // a string starts with its 64-bit length
}

template <class S, int R, int C, int O>
MatrixIO<S, R, C, O> matrix_io(Eigen::Matrix<S, R, C, O>& matrix, Values values) {
  return {matrix, values};
}

template <class M>
ParameterIO<M> matrix_io(Parameter<M>& parameter, Values values) {
  return {parameter, values};
}

/// A number, checked to be finite if it must be.
template <class Archive, class T>
void checked_number(Archive& ar, const char* name, T& value, Values values) {
  number(ar, name, value);
  if constexpr (is_loading_v<Archive> && std::is_floating_point_v<T>)
    if (values == Values::finite && !std::isfinite(value))
      throw CorruptFile("expected a finite number, found " + to_text(value));
}

/// One unnamed element of an array.
template <class Archive, class T>
void element(Archive& ar, T& value, Values values) {
  if constexpr (is_number_v<T>)
    checked_number(ar, nullptr, value, values);
  else if constexpr (is_eigen_matrix<T>::value || is_parameter<T>::value)
    ar(matrix_io(value, values));
  else
    text(ar, nullptr, value);
}

/// A std::vector of numbers, strings or matrices, as an array.
template <class T>
struct SequenceIO {
  std::vector<T>& elements;
  Values values;

  template <class Archive>
  void save(Archive& ar) const {
    ar(cereal::make_size_tag(static_cast<cereal::size_type>(elements.size())));
    for (auto& element_value : elements) element(ar, const_cast<T&>(element_value), values);
  }
  template <class Archive>
  void load(Archive& ar) {
    cereal::size_type size = 0;
    ar(cereal::make_size_tag(size));
    check_count(size, file_bytes<Archive>(min_binary_size<T>()), sizeof(T));
    elements.resize(static_cast<std::size_t>(size));
    for (auto& element_value : elements) element(ar, element_value, values);
  }
};

}  // namespace detail

/// Reads or writes one member of a model under `name`. Supported: arithmetic types, std::string,
/// std::vector of those, Eigen matrices and vectors, Parameters, and std::vector of matrices or
/// Parameters. With
/// Values::finite, a NaN or infinity read from a file throws CorruptFile (checked as the data
/// streams in, while it is in cache); with Values::any every value round-trips.
template <class Archive, class T>
void field(Archive& ar, const char* name, T& value, Values values = Values::any) {
  detail::FieldScope scope(name);
  if constexpr (detail::is_number_v<T>) {
    detail::checked_number(ar, name, value, values);
  } else if constexpr (std::is_same_v<T, std::string>) {
    detail::text(ar, name, value);
  } else if constexpr (detail::is_eigen_matrix<T>::value || detail::is_parameter<T>::value) {
    ar(cereal::make_nvp(name, detail::matrix_io(value, values)));
  } else {
    ar(cereal::make_nvp(name, detail::SequenceIO<typename T::value_type>{value, values}));
  }
}

/// Reads or writes an enum by name; `names[i]` is the name of the enumerator with value i.
template <class Archive, class Enum, std::size_t N>
void enum_field(Archive& ar, const char* name, Enum& value, const std::array<const char*, N>& names) {
  detail::FieldScope scope(name);
  std::string text;
  if constexpr (!detail::is_loading_v<Archive>) text = names.at(static_cast<std::size_t>(value));
  detail::text(ar, name, text);
  if constexpr (detail::is_loading_v<Archive>) {
    for (std::size_t i = 0; i < N; ++i) {
      if (text == names[i]) {
        value = static_cast<Enum>(i);
        return;
      }
    }
    std::string expected;
    for (const char* known : names) expected += (expected.empty() ? "" : ", ") + std::string(known);
    throw CorruptFile("unknown value '" + text + "' (expected one of " + expected + ")");
  }
}

/// Reads or writes an optional number; -1 stands for "none", so T must be an unsigned type narrower
/// than 64 bits (as scikit-learn's random_state, which is a 32-bit seed or None).
template <class Archive, class T>
void optional_field(Archive& ar, const char* name, std::optional<T>& value) {
  static_assert(std::is_unsigned_v<T> && sizeof(T) < sizeof(std::int64_t));
  detail::FieldScope scope(name);
  std::int64_t stored = value ? static_cast<std::int64_t>(*value) : -1;
  detail::number(ar, name, stored);
  if constexpr (detail::is_loading_v<Archive>) {
    if (stored < -1 || stored > static_cast<std::int64_t>(std::numeric_limits<T>::max()))
      throw CorruptFile("value " + std::to_string(stored) + " is out of range");
    value = stored == -1 ? std::nullopt : std::optional<T>(static_cast<T>(stored));
  }
}

/// Throws VersionError when a file's class version is newer than the code reading it.
template <class Model>
void check_schema_version(std::uint32_t version) {
  if (version > Model::schema_version)
    throw VersionError(Model::type_name() + " schema version " + std::to_string(version) +
                       " is newer than this build reads (up to " + std::to_string(Model::schema_version) +
                       "); upgrade mlpersist to load it");
}

/// Throws CorruptFile unless a loaded value satisfies a model invariant.
inline void require(bool condition, const std::string& what) {
  if (!condition) throw CorruptFile("invalid model: " + what);
}

/// Throws CorruptFile unless loaded hyper-parameters pass Options::validate (see check_options).
template <class Options>
void require_valid_options(const Options& options, const std::string& model) {
  options.validate(model, [](const std::string& message) { require(false, message); });
}

}  // namespace mlpersist

/// Declares the cereal class version of every instantiation of a model class template
/// (cereal's CEREAL_CLASS_VERSION covers one concrete type only). The number comes from the class's
/// own `schema_version`, so it is written down once.
#define MLPERSIST_TEMPLATE_SCHEMA_VERSION(Template)                                  \
  namespace cereal::detail {                                                         \
  template <class... Args>                                                           \
  struct Version<Template<Args...>> {                                                \
    static const std::uint32_t version = Template<Args...>::schema_version;          \
  };                                                                                 \
  }

/// Declares the cereal class version of a (non-template) model class from its `schema_version`.
#define MLPERSIST_SCHEMA_VERSION(Type) CEREAL_CLASS_VERSION(Type, Type::schema_version)
