#pragma once
// mlpersist's JSON archives for cereal. They read and write the documents cereal's own JSON archives
// do (an object per class, an array per sized sequence, "cereal_class_version" members, NaN and
// Infinity as rapidjson writes them), so files stay readable by either, but are made for models
// of millions of numbers:
//   - the whole file is parsed in place from memory, in one iterative pass that checks syntax and
//     nesting depth (a malformed or hostile file is refused with its byte offset before any field
//     is read); values are 16-byte records pointing into the text, with nothing allocated per value;
//   - numbers are checked against JSON's grammar by the parse, and converted by std::from_chars,
//     exactly, only when a field reads them (a large array on two threads); they are written
//     shortest-exact by std::to_chars;
//   - output goes through one buffer, and arrays of numbers are written eight to a line.
#include "mlpersist/core/detail/huge_pages.hpp"
#include "mlpersist/core/detail/text_archive.hpp"
#include "mlpersist/core/detail/text.hpp"
#include "mlpersist/core/detail/threads.hpp"
#include "mlpersist/core/errors.hpp"

#include <cereal/cereal.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace mlpersist::detail {

enum class JsonKind : std::uint8_t { null, boolean, number, string, array, object };

/// One value of a parsed document. Values are stored in document order, each container followed by
/// its children; in an object each member is two values, its key (a string) and its value.
struct JsonValue {
  std::uint64_t offset : 56;  // where the value starts in the text (strings: after the quote)
  std::uint64_t kind : 7;     // a JsonKind
  std::uint64_t escaped : 1;  // strings: holds backslash escapes
  std::uint64_t size;         // containers: index one past the subtree; scalars: length in the text

  JsonKind type() const { return static_cast<JsonKind>(kind); }
};

inline const char* json_kind_name(JsonKind kind) {
  switch (kind) {
    case JsonKind::null: return "null";
    case JsonKind::boolean: return "a boolean";
    case JsonKind::number: return "a number";
    case JsonKind::string: return "a string";
    case JsonKind::array: return "an array";
    case JsonKind::object: return "an object";
  }
  return "a value";
}

/// A parsed JSON document; `text` must outlive it. Throws CorruptFile for malformed text (with the
/// byte offset and the reason) and LimitExceeded for nesting deeper than max_depth; `source` names
/// the input in those messages.
class JsonDocument {
 public:
  JsonDocument(std::string_view text, const std::string& source, std::uint32_t max_depth)
      : text_(text), source_(source), max_depth_(max_depth) {
    parse();
  }

  std::string_view text() const { return text_; }
  const JsonValue& operator[](std::uint64_t index) const { return values_[index]; }
  /// Index of the value after `index` and everything inside it.
  std::uint64_t next(std::uint64_t index) const {
    const JsonValue& value = values_[index];
    const auto kind = value.type();
    return kind == JsonKind::array || kind == JsonKind::object ? value.size : index + 1;
  }
  /// A scalar's text (strings: between the quotes, escapes undecoded).
  std::string_view token(const JsonValue& value) const { return {text_.data() + value.offset, value.size}; }
  /// Converts a number value; false if it is out of a double's range. Thread-safe.
  bool number(const JsonValue& value, double& out) const {
    const char* const digits = text_.data() + value.offset;  // the parser checked it against the grammar
    const bool negative = digits[0] == '-';
    const char word = digits[negative ? 1 : 0];
    if (word == 'N' || word == 'I') {
      out = word == 'N' ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
      if (negative) out = -out;
      return true;
    }
    return std::from_chars(digits, digits + value.size, out).ec == std::errc();
  }

  /// A string value's content, with its escapes decoded (validated by the parser).
  std::string string(const JsonValue& value) const {
    const std::string_view raw = token(value);
    if (!value.escaped) return std::string(raw);
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '\\') {
        out += raw[i];
        continue;
      }
      const char escape = raw[++i];
      switch (escape) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          std::uint32_t code = hex4(raw.data() + i + 1);
          i += 4;
          if (code >= 0xD800 && code < 0xDC00) {  // a high surrogate: the parser checked its partner
            code = 0x10000 + ((code - 0xD800) << 10) + (hex4(raw.data() + i + 3) - 0xDC00);
            i += 6;
          }
          append_utf8(out, code);
          break;
        }
        default: out += escape;  // '"', '\\' or '/'
      }
    }
    return out;
  }

 private:
  static int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }
  static std::uint32_t hex4(const char* p) {
    std::uint32_t code = 0;
    for (int k = 0; k < 4; ++k) code = code * 16 + static_cast<std::uint32_t>(hex_digit(p[k]));
    return code;
  }
  [[noreturn]] void fail(std::size_t at, const char* reason) const {
    throw CorruptFile(source_ + ": malformed JSON at byte offset " + std::to_string(at) + ": " + reason);
  }

  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  void skip_whitespace() {
    while (!at_end() && (text_[pos_] == ' ' || text_[pos_] == '\n' || text_[pos_] == '\r' || text_[pos_] == '\t'))
      ++pos_;
  }
  bool is_digit(std::size_t at) const { return at < text_.size() && text_[at] >= '0' && text_[at] <= '9'; }
  void skip_digits() {  // eight at a time, without a branch per digit: most numbers have 15-17
    const char* p = text_.data() + pos_;
    const char* const end = text_.data() + text_.size();
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (; end - p >= 8; p += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, p, 8);
      // A byte is a digit when its high nibble is 3 both before and after adding 6. The first byte
      // that is not marks the end (an add's carry only reaches the bytes after it).
      constexpr std::uint64_t high = 0xF0F0F0F0F0F0F0F0u, threes = 0x3030303030303030u;
      const std::uint64_t not_digit = ((word & high) ^ threes) | (((word + 0x0606060606060606u) & high) ^ threes);
      if (not_digit != 0) {
        p += __builtin_ctzll(not_digit) / 8;  // the first byte is the lowest
        pos_ = static_cast<std::size_t>(p - text_.data());
        return;
      }
    }
#endif
    while (p < end && static_cast<unsigned char>(*p - '0') < 10) ++p;
    pos_ = static_cast<std::size_t>(p - text_.data());
  }

  void add(JsonKind kind, std::size_t offset, std::uint64_t size, bool escaped = false) {
    // Filled in place: a record put together on the stack and copied whole waits for its parts'
    // stores to land (a store-forwarding stall), which took a fifth of parse_number's time.
    JsonValue& value = values_.emplace_back();
    value.offset = offset;
    value.kind = static_cast<std::uint64_t>(kind);
    value.escaped = escaped ? 1 : 0;
    value.size = size;
  }

  /// The word at pos_ if it is one of `words` (which the caller tries longest first).
  bool accept(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  /// A number: JSON's grammar, or rapidjson's NaN, Inf and Infinity (optionally negative). Only
  /// checked here: a field converts it when it reads it, which lets a large array be converted by
  /// two threads.
  void parse_number() {
    const std::size_t start = pos_;
    const bool negative = peek() == '-';
    if (negative) ++pos_;
    if (peek() == 'I' || peek() == 'N') {
      if (!(!negative && accept("NaN")) && !accept("Infinity") && !accept("Inf")) fail(start, "Invalid value.");
      return add(JsonKind::number, start, pos_ - start);
    }
    if (!is_digit(pos_)) fail(start, "Invalid value.");
    if (text_[pos_] == '0' && is_digit(pos_ + 1)) fail(pos_ + 1, "Leading zeros are not allowed in numbers.");
    skip_digits();
    if (peek() == '.') {
      ++pos_;
      if (!is_digit(pos_)) fail(pos_, "Missing fraction part in number.");
      skip_digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      ++pos_;
      if (peek() == '+' || peek() == '-') ++pos_;
      if (!is_digit(pos_)) fail(pos_, "Missing exponent in number.");
      skip_digits();
    }
    add(JsonKind::number, start, pos_ - start);
  }

  /// A string starting at the quote at pos_.
  void parse_string() {
    const std::size_t start = ++pos_;
    bool escaped = false;
    while (true) {
      if (at_end()) fail(start - 1, "Missing a closing quotation mark in string.");
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') break;
      if (c < 0x20) fail(pos_, "Invalid encoding in string.");
      if (c == '\\') {
        escaped = true;
        const char escape = peek_at(pos_ + 1);
        if (escape == 'u') {
          const std::uint32_t code = checked_hex4(pos_ + 2);
          pos_ += 6;
          if (code >= 0xDC00 && code < 0xE000) fail(pos_ - 6, "The surrogate pair in string is invalid.");
          if (code >= 0xD800 && code < 0xDC00) {
            if (peek_at(pos_) != '\\' || peek_at(pos_ + 1) != 'u') fail(pos_, "The surrogate pair in string is invalid.");
            const std::uint32_t low = checked_hex4(pos_ + 2);
            if (low < 0xDC00 || low >= 0xE000) fail(pos_, "The surrogate pair in string is invalid.");
            pos_ += 6;
          }
          continue;
        }
        if (std::strchr("\"\\/bfnrt", escape) == nullptr || escape == '\0')
          fail(pos_, "Invalid escape character in string.");
        pos_ += 2;
        continue;
      }
      ++pos_;
    }
    add(JsonKind::string, start, pos_ - start, escaped);
    ++pos_;  // the closing quote
  }
  char peek_at(std::size_t at) const { return at < text_.size() ? text_[at] : '\0'; }
  std::uint32_t checked_hex4(std::size_t at) const {
    for (std::size_t k = 0; k < 4; ++k)
      if (hex_digit(peek_at(at + k)) < 0) fail(at, "Incorrect hex digit after \\u escape in string.");
    return hex4(text_.data() + at);
  }

  /// Opens an array or object at pos_.
  void open(JsonKind kind) {
    if (open_.size() + 1 > max_depth_)
      throw LimitExceeded(nesting_error(source_, "JSON", max_depth_, pos_));
    open_.push_back(values_.size());
    add(kind, pos_, 0);
    ++pos_;
  }
  void close() {
    values_[open_.back()].size = values_.size();
    open_.pop_back();
    ++pos_;
  }

  /// An object member's key and colon; pos_ is at the key's quote.
  void parse_key() {
    if (peek() != '"') fail(pos_, "Missing a name for object member.");
    parse_string();
    skip_whitespace();
    if (peek() != ':') fail(pos_, "Missing a colon after a name of object member.");
    ++pos_;
    skip_whitespace();
  }

  /// One value at pos_; returns true if it opened a container (whose contents come next).
  bool parse_value() {
    switch (peek()) {
      case '{':
        open(JsonKind::object);
        skip_whitespace();
        if (peek() == '}') {
          close();
          return false;
        }
        parse_key();
        return true;
      case '[':
        open(JsonKind::array);
        skip_whitespace();
        if (peek() == ']') {
          close();
          return false;
        }
        return true;
      case '"': parse_string(); return false;
      case 't':
      case 'f':
      case 'n': {
        const std::size_t start = pos_;
        if (accept("true") || accept("false"))
          add(JsonKind::boolean, start, pos_ - start);
        else if (accept("null"))
          add(JsonKind::null, start, 4);
        else
          fail(start, "Invalid value.");
        return false;
      }
      default: parse_number(); return false;
    }
  }

  void parse() {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // a UTF-8 byte order mark
    skip_whitespace();
    if (at_end()) fail(pos_, "The document is empty.");
    values_.reserve(std::min<std::size_t>(text_.size() / 8 + 16, std::size_t{1} << 24));
    advise_huge_pages(values_.data(), values_.capacity() * sizeof(JsonValue));
    bool opened = parse_value();
    while (!open_.empty()) {
      skip_whitespace();
      if (opened) {  // the first element or member value of a container just opened
        opened = parse_value();
        continue;
      }
      const bool object = values_[open_.back()].type() == JsonKind::object;
      const char c = peek();
      if (c == ',') {
        ++pos_;
        skip_whitespace();
        if (object) parse_key();
        opened = parse_value();
      } else if (c == (object ? '}' : ']')) {
        close();
      } else {
        fail(pos_, object ? "Missing a comma or '}' after an object member."
                          : "Missing a comma or ']' after an array element.");
      }
    }
    skip_whitespace();
    if (!at_end()) fail(pos_, "The document root must not be followed by other values.");
  }

  std::string_view text_;
  std::string source_;
  std::uint32_t max_depth_;
  std::size_t pos_ = 0;
  std::vector<JsonValue> values_;
  std::vector<std::uint64_t> open_;  // containers being filled, outermost first
};

// ---- Reading ---------------------------------------------------------------------------------

/// cereal input archive over a JsonDocument. Like cereal's JSONInputArchive, it reads members in
/// document order and searches the object when a name does not match the next member.
class JsonReader : public cereal::InputArchive<JsonReader>, public cereal::traits::TextArchive {
 public:
  explicit JsonReader(const JsonDocument& document) : cereal::InputArchive<JsonReader>(this), document_(document) {
    const JsonKind root = document_[0].type();
    if (root != JsonKind::object && root != JsonKind::array)
      throw CorruptFile(std::string("expected an object at the root of the document, found ") + json_kind_name(root));
    enter(0);
  }

  void setNextName(const char* name) { next_name_ = name; }

  void startNode() {
    const std::uint64_t index = current();
    const JsonKind kind = document_[index].type();
    if (kind != JsonKind::object && kind != JsonKind::array)
      throw CorruptFile(std::string("expected an object or an array, found ") + json_kind_name(kind));
    enter(index);
  }

  void finishNode() {
    stack_.pop_back();
    advance();
  }

  /// The number of elements of the array being read (a SizeTag).
  void loadSize(cereal::size_type& size) {
    const Level& level = stack_.back();
    if (document_[level.container].type() != JsonKind::array)
      throw CorruptFile("expected an array, found an object");
    size = 0;
    for (std::uint64_t i = level.container + 1; i < document_[level.container].size; i = document_.next(i)) ++size;
  }

  /// Reads the next `count` elements of the current array as numbers into out[0, count): the loop of
  /// a matrix's data, without cereal's per-value dispatch. Converting text to numbers is most of a
  /// load: large arrays are converted by two threads, each taking half.
  template <class Scalar>
  void loadNumbers(Scalar* out, std::size_t count) {
    Level& level = stack_.back();
    const std::uint64_t first = level.at;
    // A number is one record, so the next `count` elements are the next `count` records until one
    // is not a number, where convert() throws.
    const auto available = static_cast<std::size_t>(std::min<std::uint64_t>(count, end() - first));
    auto convert = [this, out, first](std::size_t from, std::size_t to) {
      for (std::size_t k = from; k < to; ++k) {
        const JsonValue& value = document_[first + k];
        double number = 0;
        if (value.type() != JsonKind::number || !document_.number(value, number)) number = to_double(value);  // throws
        out[k] = static_cast<Scalar>(number);  // a float as cereal reads it: through the double
      }
    };
    loop_.run(available, convert);
    if (available < count) throw CorruptFile("expected another element");
    level.at = first + count;
  }

  void loadValue(bool& value) {
    const JsonValue& found = expect(JsonKind::boolean);
    value = document_.text()[found.offset] == 't';
    advance();
  }
  void loadValue(std::string& value) {
    value = document_.string(expect(JsonKind::string));
    advance();
  }
  void loadValue(std::nullptr_t&) {
    expect(JsonKind::null);
    advance();
  }
  template <class T, std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, int> = 0>
  void loadValue(T& value) {
    const JsonValue& found = document_[current()];
    if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
      value = static_cast<T>(to_double(found));  // a float as cereal reads it: through the double
    } else {  // integers, and long double (exactly, not through a double)
      expect(found, JsonKind::number);
      const std::string_view token = document_.token(found);
      const auto result = std::from_chars(token.data(), token.data() + token.size(), value);
      if (result.ec != std::errc() || result.ptr != token.data() + token.size())
        throw CorruptFile(std::string("expected ") + (std::is_floating_point_v<T> ? "a number" : "an integer") +
                          " in range, found '" + std::string(token) + "'");
    }
    advance();
  }

 private:
  struct Level {
    std::uint64_t container;  // the array or object being read
    std::uint64_t at;         // its current element, or member key; container's end when done
  };

  void enter(std::uint64_t container) { stack_.push_back({container, container + 1}); }
  bool in_object() const { return document_[stack_.back().container].type() == JsonKind::object; }
  std::uint64_t end() const { return document_[stack_.back().container].size; }

  /// The value to read next: the member named by setNextName, if any, else the next in order.
  std::uint64_t current() {
    const char* name = next_name_;
    next_name_ = nullptr;
    Level& level = stack_.back();
    if (name != nullptr && in_object() && !(level.at < end() && key_is(level.at, name))) {
      std::uint64_t key = level.container + 1;
      while (key < end() && !key_is(key, name)) key = document_.next(key + 1);
      if (key >= end()) throw CorruptFile(std::string("expected a member named '") + name + "', which is missing");
      level.at = key;
    }
    if (level.at >= end()) throw CorruptFile(in_object() ? "expected another member" : "expected another element");
    return in_object() ? level.at + 1 : level.at;
  }

  bool key_is(std::uint64_t key, const char* name) const {
    const JsonValue& value = document_[key];
    if (!value.escaped) return document_.token(value) == name;
    return document_.string(value) == name;
  }

  const JsonValue& expect(JsonKind kind) { return expect(document_[current()], kind); }
  const JsonValue& expect(const JsonValue& value, JsonKind kind) const {
    if (value.type() != kind)
      throw CorruptFile(std::string("expected ") + json_kind_name(kind) + ", found " + json_kind_name(value.type()) +
                        (value.type() == JsonKind::number || value.type() == JsonKind::string
                             ? " '" + std::string(document_.token(value)) + "'"
                             : std::string()));
    return value;
  }

  /// A number value as a double, or the error that says what was found instead. Thread-safe.
  double to_double(const JsonValue& value) const {
    double number = 0;
    if (!document_.number(expect(value, JsonKind::number), number))
      throw CorruptFile("expected a number in range, found '" + std::string(document_.token(value)) + "'");
    return number;
  }

  void advance() {
    Level& level = stack_.back();
    level.at = in_object() ? document_.next(level.at + 1) : document_.next(level.at);
  }

  const JsonDocument& document_;
  TwoThreadLoop loop_;
  std::vector<Level> stack_;
  const char* next_name_ = nullptr;
};

// ---- Writing ---------------------------------------------------------------------------------

/// cereal output archive writing indented JSON through one buffer. The document is complete when
/// the archive is destroyed (as with cereal's archives); a failed write sets the stream's badbit.
class JsonWriter : public cereal::OutputArchive<JsonWriter>, public cereal::traits::TextArchive, private BufferedOutput {
 public:
  explicit JsonWriter(std::ostream& out) : cereal::OutputArchive<JsonWriter>(this), BufferedOutput(out) {
    levels_.push_back({State::start_object, 0, 0});
  }
  ~JsonWriter() noexcept {
    finish([this] {
      finishNode();
      buffer_ += '\n';
    });
  }
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

  void setNextName(const char* name) { next_name_ = name; }
  void makeArray() { levels_.back().state = State::start_array; }
  void startNode() {
    begin_value(true);
    levels_.push_back({State::start_object, 0, 0});
  }
  void finishNode() {
    const State state = levels_.back().state;
    levels_.pop_back();
    switch (state) {
      case State::start_array: buffer_ += "[]"; break;
      case State::start_object: buffer_ += "{}"; break;
      case State::in_array:
      case State::in_object:
        newline(levels_.size());
        buffer_ += state == State::in_array ? ']' : '}';
        break;
    }
    flush_if_full();
  }
  /// Starts the next plain value (cereal calls it from the prologue of numbers and strings).
  void writeName() { begin_value(false); }

  /// Writes `count` numbers, next() giving each in turn, as elements of the current array: the loop
  /// of a matrix's data, without cereal's per-value dispatch.
  template <class Next>
  void saveNumbers(std::size_t count, Next&& next) {
    for (std::size_t k = 0; k < count; ++k) {
      begin_value(false);
      saveValue(next());
    }
  }

  void saveValue(bool value) { buffer_ += value ? "true" : "false"; }
  void saveValue(std::nullptr_t) { buffer_ += "null"; }
  void saveValue(const std::string& value) { quote(value); }
  void saveValue(const char* value) { quote(value); }
  template <class T, std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, bool>, int> = 0>
  void saveValue(T value) {
    std::array<char, 64> digits{};
    char* last = digits.data();
    if constexpr (std::is_floating_point_v<T>) {
      if (std::isnan(value)) {
        buffer_ += "NaN";
        return;
      }
      if (std::isinf(value)) {
        buffer_ += value > 0 ? "Infinity" : "-Infinity";
        return;
      }
      // Floats as the double they equal, as cereal writes them: every reader gets the same value.
      using Wide = std::conditional_t<std::is_same_v<T, float>, double, T>;
      last = std::to_chars(digits.data(), digits.data() + digits.size(), static_cast<Wide>(value)).ptr;
      buffer_.append(digits.data(), last);
      if (std::find_if(digits.data(), last, [](char c) { return c == '.' || c == 'e'; }) == last) buffer_ += ".0";
    } else {
      last = std::to_chars(digits.data(), digits.data() + digits.size(), value).ptr;
      buffer_.append(digits.data(), last);
    }
    flush_if_full();
  }

 private:
  enum class State : std::uint8_t { start_object, in_object, start_array, in_array };
  struct Level {
    State state;
    std::uint32_t names;    // unnamed members so far (named value0, value1, ... as cereal does)
    std::uint64_t written;  // elements or members so far
  };
  static constexpr std::uint64_t numbers_per_line = 8;

  void newline(std::size_t depth) {
    buffer_ += '\n';
    buffer_.append(4 * depth, ' ');
  }

  /// Opens the enclosing container if this is its first value, then writes the separator and, in
  /// objects, the member's name.
  void begin_value(bool container) {
    Level& level = levels_.back();
    if (level.state == State::start_object) {
      buffer_ += '{';
      level.state = State::in_object;
    } else if (level.state == State::start_array) {
      buffer_ += '[';
      level.state = State::in_array;
    }
    const std::uint64_t index = level.written++;
    if (level.state == State::in_array) {
      if (index > 0) buffer_ += ',';
      if (container || index % numbers_per_line == 0)
        newline(levels_.size());
      else
        buffer_ += ' ';
      return;
    }
    if (index > 0) buffer_ += ',';
    newline(levels_.size());
    if (next_name_ != nullptr) {
      quote(next_name_);
      next_name_ = nullptr;
    } else {
      quote("value" + std::to_string(level.names++));
    }
    buffer_ += ": ";
  }

  void quote(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    buffer_ += '"';
    for (const char c : text) {
      switch (c) {
        case '"': buffer_ += "\\\""; break;
        case '\\': buffer_ += "\\\\"; break;
        case '\b': buffer_ += "\\b"; break;
        case '\f': buffer_ += "\\f"; break;
        case '\n': buffer_ += "\\n"; break;
        case '\r': buffer_ += "\\r"; break;
        case '\t': buffer_ += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            buffer_ += "\\u00";
            buffer_ += hex[(c >> 4) & 0xF];
            buffer_ += hex[c & 0xF];
          } else {
            buffer_ += c;
          }
      }
    }
    buffer_ += '"';
  }

  std::vector<Level> levels_;
  const char* next_name_ = nullptr;
};

// ---- cereal's hooks: what opens a node, and how each kind of value is written and read --------
// (cereal calls these by argument-dependent lookup; they mirror those of its own JSON archives)

/// What opens no node of its own: plain values, and cereal's wrappers.
template <class T>
struct is_json_leaf : std::bool_constant<std::is_arithmetic_v<T> || std::is_null_pointer_v<T>> {};
template <class C, class Traits, class Alloc>
struct is_json_leaf<std::basic_string<C, Traits, Alloc>> : std::true_type {};
template <class T>
struct is_json_leaf<cereal::NameValuePair<T>> : std::true_type {};
template <class T>
struct is_json_leaf<cereal::DeferredData<T>> : std::true_type {};
template <class T>
struct is_json_leaf<cereal::SizeTag<T>> : std::true_type {};

/// Classes (all but minimally serialized types) are objects, or arrays when they write a SizeTag.
template <class T, class Archive, template <class, class> class HasMinimal>
inline constexpr bool json_node_v = !is_json_leaf<T>::value &&
                                    !cereal::traits::has_minimal_base_class_serialization<T, HasMinimal, Archive>::value &&
                                    !HasMinimal<T, Archive>::value;
template <class T>
inline constexpr bool writes_node_v = json_node_v<T, JsonWriter, cereal::traits::has_minimal_output_serialization>;
template <class T>
inline constexpr bool reads_node_v = json_node_v<T, JsonReader, cereal::traits::has_minimal_input_serialization>;

template <class T, std::enable_if_t<writes_node_v<T>, int> = 0>
void prologue(JsonWriter& ar, const T&) {
  ar.startNode();
}
template <class T, std::enable_if_t<writes_node_v<T>, int> = 0>
void epilogue(JsonWriter& ar, const T&) {
  ar.finishNode();
}
template <class T, std::enable_if_t<reads_node_v<T>, int> = 0>
void prologue(JsonReader& ar, const T&) {
  ar.startNode();
}
template <class T, std::enable_if_t<reads_node_v<T>, int> = 0>
void epilogue(JsonReader& ar, const T&) {
  ar.finishNode();
}

// A SizeTag makes the current node an array (the shared hooks are in text_archive.hpp).
template <class T>
void prologue(JsonWriter& ar, const cereal::SizeTag<T>&) {
  ar.makeArray();
}
template <class T>
void prologue(JsonReader&, const cereal::SizeTag<T>&) {}

// Plain values: a writer starts each one (separator and name); a reader finds it when loading it.
template <class T, std::enable_if_t<std::is_arithmetic_v<T>, int> = 0>
void prologue(JsonWriter& ar, const T&) {
  ar.writeName();
}
template <class C, class Traits, class Alloc>
void prologue(JsonWriter& ar, const std::basic_string<C, Traits, Alloc>&) {
  ar.writeName();
}
inline void prologue(JsonWriter& ar, const std::nullptr_t&) { ar.writeName(); }

inline void CEREAL_SAVE_FUNCTION_NAME(JsonWriter& ar, const std::nullptr_t& value) { ar.saveValue(value); }
inline void CEREAL_LOAD_FUNCTION_NAME(JsonReader& ar, std::nullptr_t& value) { ar.loadValue(value); }

}  // namespace mlpersist::detail

CEREAL_REGISTER_ARCHIVE(mlpersist::detail::JsonWriter)
CEREAL_REGISTER_ARCHIVE(mlpersist::detail::JsonReader)
CEREAL_SETUP_ARCHIVE_TRAITS(mlpersist::detail::JsonReader, mlpersist::detail::JsonWriter)
