#pragma once
// mlpersist's XML archives for cereal. They read and write the documents cereal's own XML archives
// do (a <cereal> root, an element per value named by its field or value0, value1, ..., size="dynamic"
// on sized sequences, xml:space="preserve" on text with outer whitespace), byte for byte when
// writing, so files stay readable by either; but they are made for models of millions of numbers:
//   - the whole file is parsed in place from memory, in one iterative pass that checks well-
//     formedness (matching end tags, entities, attributes) and nesting depth, so a malformed or
//     hostile file is refused with its byte offset before any field is read; elements are 32-byte
//     records pointing into the text, with nothing allocated per element; a large file's two
//     halves are parsed by two threads;
//   - numbers are read by std::from_chars, strictly, and written shortest-exact by std::to_chars;
//   - output goes through one buffer, with no tree built first.
// mlpersist files use a subset of XML: no DOCTYPE (so no custom entities) and no CDATA sections.
#include "mlpersist/core/detail/huge_pages.hpp"
#include "mlpersist/core/detail/text_archive.hpp"
#include "mlpersist/core/detail/text.hpp"
#include "mlpersist/core/detail/threads.hpp"
#include "mlpersist/core/errors.hpp"

#include <cereal/cereal.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace mlpersist::detail {

/// One element of a parsed document. Elements are stored in document order, each followed by its
/// descendants.
struct XmlElement {
  std::uint64_t start;       // offset of the '<' of its start tag (its name follows)
  std::uint64_t descendants; // how many elements follow it inside it
  std::uint64_t text;        // offset of its text: all of its content if it has no child elements
  std::uint32_t text_size;   // (trimmed of outer whitespace, unless it says xml:space="preserve")
  std::uint16_t name_size;
  std::uint8_t has_entities : 1;  // its text holds character or entity references
  std::uint8_t preserve : 1;      // it says xml:space="preserve"
  std::uint8_t nested : 1;        // a child of it has children
  // Named so that a new record's zeroing stores this byte whole: GCC cleared just the three bits
  // above with a read-modify-write, whose read waited for the record's cache line to come from
  // memory, and half the time of each start tag went to that wait.
  std::uint8_t unused : 5;
};

/// A parsed XML document; `text` must outlive it. Throws CorruptFile for malformed text (with the
/// byte offset and the reason) and LimitExceeded for nesting deeper than max_depth; `source` names
/// the input in those messages. Element 0 is the root.
///
/// Documents of 2 MiB or more are parsed by two threads. Another thread parses from the first start
/// tag at or past the middle (the "second half") while this one parses up to it; when this parse
/// arrives there, it takes the other's elements over. Anything the other thread cannot decide alone
/// (an error, or a guess that this parse does not confirm: the tag may lie in a comment) makes this
/// thread parse on by itself, so the elements and the errors are exactly those of a one-thread parse.
class XmlDocument {
 public:
  XmlDocument(std::string_view text, const std::string& source, std::uint32_t max_depth)
      : XmlDocument(text, source, max_depth, text.size() >= helper_thread_min_bytes ? text.size() / 2 : no_second_half) {}

  static constexpr std::size_t no_second_half = std::string_view::npos;

  /// Parses with the second half starting at the first start tag at or after `second_half`, or on one
  /// thread with no_second_half. (Tests compare the two at every offset.)
  XmlDocument(std::string_view text, const std::string& source, std::uint32_t max_depth, std::size_t second_half)
      : text_(text), source_(source), max_depth_(max_depth) {
    parse(second_half);
  }

  const XmlElement& operator[](std::uint64_t index) const {
    return index < elements_.size() ? elements_[index] : second_half_[index - elements_.size()];
  }
  std::uint64_t size() const { return elements_.size() + second_half_.size(); }
  /// The index one past an element's descendants.
  std::uint64_t end(std::uint64_t index) const { return index + 1 + (*this)[index].descendants; }
  /// How many children an element has: without walking them for an array, whose children all hold
  /// text (a walk from each child to the next waits on every record, 11 ms for a million numbers).
  std::uint64_t children(std::uint64_t index) const {
    if (!(*this)[index].nested) return (*this)[index].descendants;
    std::uint64_t count = 0;
    for (std::uint64_t child = index + 1; child < end(index); child = end(child)) ++count;
    return count;
  }

  /// Whether the elements of the second half were parsed by another thread.
  bool parsed_in_two_threads() const { return !second_half_.empty(); }  // a fragment has an element

  std::string_view name(const XmlElement& element) const { return text_.substr(element.start + 1, element.name_size); }
  bool has_children(std::uint64_t index) const { return (*this)[index].descendants > 0; }

  /// An element's text as it is in the file (references undecoded).
  std::string_view raw_text(const XmlElement& element) const { return text_.substr(element.text, element.text_size); }

  /// An element's text with its references decoded (the parser validated them).
  std::string text(const XmlElement& element) const {
    const std::string_view raw = raw_text(element);
    if (!element.has_entities) return std::string(raw);
    std::string out;
    out.reserve(raw.size());
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      const std::size_t semicolon = raw.find(';', i);
      append_reference(out, raw.substr(i + 1, semicolon - i - 1));
      i = semicolon;
    }
    return out;
  }

 private:
  [[noreturn]] void fail(std::size_t at, const std::string& reason) const {
    throw CorruptFile(source_ + ": malformed XML at byte offset " + std::to_string(at) + ": " + reason);
  }

  // What each byte is to the parser: one table lookup per byte in its loops.
  enum : std::uint8_t { space = 1, ends_name = 2, special_in_text = 4 };
  static constexpr std::array<std::uint8_t, 256> byte_classes = [] {
    std::array<std::uint8_t, 256> classes{};
    for (const unsigned char c : {' ', '\n', '\r', '\t'}) classes[c] = space | ends_name;
    for (const unsigned char c : {'>', '/', '=', '"', '\''}) classes[c] = ends_name;
    for (const unsigned char c : {'<', '&', '\0'}) classes[c] = ends_name | special_in_text;
    return classes;
  }();
  static bool is(char c, std::uint8_t what) { return (byte_classes[static_cast<unsigned char>(c)] & what) != 0; }
  static bool is_space(char c) { return is(c, space); }
  bool at_end() const { return pos_ >= text_.size(); }
  char peek() const { return at_end() ? '\0' : text_[pos_]; }
  bool starts_with(std::string_view prefix) const { return text_.substr(pos_, prefix.size()) == prefix; }
  // The loops over bytes advance a local index: pos_ is a member, which the compiler would otherwise
  // store on every byte (a char may alias it).
  void skip_space() { pos_ = skip(pos_, space, true); }
  /// The first offset from `at` on whose byte is '<', '&' or NUL (or the end). Numbers are most of
  /// a model's text: eight bytes at a time, a run of digits is one or two steps instead of a branch
  /// per byte.
  std::size_t find_special_in_text(std::size_t at) const {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    constexpr std::uint64_t ones = 0x0101010101010101u;
    constexpr std::uint64_t highs = 0x8080808080808080u;
    // The lowest byte flagged by (v - ones) & ~v & highs is v's lowest zero byte.
    auto zero_bytes = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
    const char* const data = text_.data();
    for (; at + 8 <= text_.size(); at += 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, data + at, sizeof word);
      const std::uint64_t found = zero_bytes(word) | zero_bytes(word ^ (ones * '<')) | zero_bytes(word ^ (ones * '&'));
      if (found != 0) return at + static_cast<std::size_t>(__builtin_ctzll(found)) / 8;
    }
#endif
    return skip(at, special_in_text, false);
  }
  /// The first offset from `at` on whose byte is (or, with while_is false, is not) of the class `what`.
  std::size_t skip(std::size_t at, std::uint8_t what, bool while_is) const {
    const char* const data = text_.data();
    const std::size_t size = text_.size();
    while (at < size && is(data[at], what) == while_is) ++at;
    return at;
  }

  /// Skips the markup at pos_ that opens with `begin` and closes with `end` (a comment, a
  /// processing instruction).
  void skip_past(std::string_view begin, std::string_view end, const char* what) {
    const std::size_t found = text_.find(end, pos_ + begin.size());
    if (found == std::string_view::npos) fail(pos_, std::string("unterminated ") + what);
    pos_ = found + end.size();
  }

  /// Markup other than elements, at pos_ ('<' followed by '!' or '?'): comments and processing
  /// instructions are skipped; anything else is refused.
  void skip_markup() {
    if (starts_with("<!--")) {
      skip_past("<!--", "-->", "comment");
    } else if (starts_with("<?")) {
      skip_past("<?", "?>", "processing instruction");
    } else if (starts_with("<![CDATA[")) {
      fail(pos_, "CDATA sections are not used in mlpersist files");
    } else {
      fail(pos_, "DOCTYPE and other declarations are not allowed in mlpersist files");
    }
  }

  /// A name at pos_.
  std::string_view parse_name(const char* what) {
    const std::size_t start = pos_;
    pos_ = skip(pos_, ends_name, false);
    if (pos_ == start) fail(start, std::string("expected ") + what);
    return text_.substr(start, pos_ - start);
  }

  /// Checks the reference at pos_ ('&'), and moves past it.
  void parse_reference() {
    const std::size_t start = pos_;
    const std::size_t semicolon = text_.find(';', pos_);
    if (semicolon == std::string_view::npos || semicolon - pos_ > 12) fail(start, "unterminated reference ('&' must be written &amp;)");
    std::string ignored;
    if (!append_reference(ignored, text_.substr(pos_ + 1, semicolon - pos_ - 1)))
      fail(start, "unknown reference '" + std::string(text_.substr(pos_, semicolon + 1 - pos_)) + "'");
    pos_ = semicolon + 1;
  }

  /// Appends what the reference `name` (between '&' and ';') stands for; false if it is not valid.
  static bool append_reference(std::string& out, std::string_view name) {
    static constexpr std::pair<std::string_view, char> predefined[] = {
        {"lt", '<'}, {"gt", '>'}, {"amp", '&'}, {"quot", '"'}, {"apos", '\''}};
    for (const auto& [entity, character] : predefined) {
      if (name == entity) {
        out += character;
        return true;
      }
    }
    if (name.size() < 2 || name[0] != '#') return false;
    const bool hex = name[1] == 'x';
    const std::string_view digits = name.substr(hex ? 2 : 1);
    std::uint32_t code = 0;
    const auto result = std::from_chars(digits.data(), digits.data() + digits.size(), code, hex ? 16 : 10);
    if (digits.empty() || result.ec != std::errc() || result.ptr != digits.data() + digits.size()) return false;
    if (code == 0 || code > 0x10FFFF || (code >= 0xD800 && code < 0xE000)) return false;
    append_utf8(out, code);
    return true;
  }

  /// Asks for the text a little ahead of pos_ to be brought into cache. A large document comes
  /// from memory, not cache (its read was long over before the parse), and the parse, one element
  /// at a time, otherwise waited on it: a 51 MB file of a million numbers parsed in 19 ms without
  /// this, in 15 ms with it (at 0.5 to 4 KiB ahead alike).
  void prefetch_ahead() const {
#if defined(__GNUC__)
    constexpr std::size_t distance = 1024;
    if (pos_ + distance < text_.size()) __builtin_prefetch(text_.data() + pos_ + distance);
#endif
  }

  /// A start tag at pos_ ('<'): the element is added, and opened unless it is empty ("/>").
  void parse_start_tag() {
    const std::size_t start = pos_;
    prefetch_ahead();
    if (open_.size() + 1 > max_depth_) throw LimitExceeded(nesting_error(source_, "XML", max_depth_, start));
    if (fragment_ && open_.size() + 1 > outer_end_tags_.size())
      max_relative_depth_ = std::max(max_relative_depth_, open_.size() + 1 - outer_end_tags_.size());
    ++pos_;
    const std::string_view name = parse_name("an element name after '<'");
    if (name.size() > 0xFFFF) fail(start + 1, "element name longer than 65535 bytes");
    XmlElement& element = elements_.emplace_back();  // filled in place, as JsonDocument::add explains
    element.start = start;
    element.name_size = static_cast<std::uint16_t>(name.size());
    if (peek() == '>' && close_plain_leaf(element, name)) return;
    while (true) {
      const std::size_t before = pos_;
      skip_space();
      if (peek() == '>' || starts_with("/>")) break;
      if (pos_ == before) fail(pos_, "expected whitespace, '>' or '/>' in the start tag of <" + std::string(name) + ">");
      const std::string_view attribute = parse_name("an attribute name");
      skip_space();
      if (peek() != '=') fail(pos_, "expected '=' after the attribute name '" + std::string(attribute) + "'");
      ++pos_;
      skip_space();
      const char quote = peek();
      if (quote != '"' && quote != '\'') fail(pos_, "expected a quoted attribute value");
      const std::size_t value_start = ++pos_;
      while (!at_end() && text_[pos_] != quote) {
        if (text_[pos_] == '<') fail(pos_, "'<' in an attribute value");
        if (text_[pos_] == '&')
          parse_reference();
        else
          ++pos_;
      }
      if (at_end()) fail(value_start - 1, "unterminated attribute value");
      if (attribute == "xml:space" && text_.substr(value_start, pos_ - value_start) == "preserve") element.preserve = 1;
      ++pos_;  // the closing quote
    }
    const bool empty = peek() == '/';
    pos_ += empty ? 2 : 1;
    element.text = pos_;
    if (!empty) open_.push_back(elements_.size() - 1);
  }

  /// Most elements of a model are `<name>text</name>`: no attributes, and nothing in the text to
  /// decode or check. At the '>' of such a start tag, this reads the text and the end tag at once
  /// and closes the element, which is then never opened: a 51 MB document of a million numbers
  /// parses in 10 ms instead of 13.7. Returns false, having moved nothing, for any other element:
  /// the general path then parses it, errors included.
  bool close_plain_leaf(XmlElement& element, std::string_view name) {
    const std::size_t start = pos_ + 1;
    const std::size_t at = find_special_in_text(start);  // the '<' of "</name>", if plain
    const std::size_t close = at + 2 + name.size();       // its '>'
    if (!(close < text_.size() && text_[at] == '<' && text_[at + 1] == '/' && same_bytes(text_.data() + at + 2, name) &&
          text_[close] == '>'))
      return false;
    const auto [begin, end] = trimmed(start, at);
    if (end - begin > 0xFFFFFFFFu) return false;
    element.text = begin;
    element.text_size = static_cast<std::uint32_t>(end - begin);
    pos_ = close + 1;
    return true;
  }

  /// The offsets of text[begin, end) without its outer whitespace.
  std::pair<std::size_t, std::size_t> trimmed(std::size_t begin, std::size_t end) const {
    while (begin < end && is_space(text_[begin])) ++begin;
    while (end > begin && is_space(text_[end - 1])) --end;
    return {begin, end};
  }

  /// The end tag at pos_ ("</"), which must close the innermost open element.
  void parse_end_tag() {
    const std::size_t start = pos_;
    XmlElement& element = elements_[open_.back()];
    const std::string_view expected = name(element);
    pos_ += 2;
    const std::size_t after = pos_ + expected.size();
    if (after <= text_.size() && same_bytes(text_.data() + pos_, expected) &&
        (after == text_.size() || is(text_[after], ends_name))) {
      pos_ += expected.size();
    } else {
      const std::string_view found = parse_name("an element name after '</'");
      fail(start, "expected </" + std::string(expected) + ">, found </" + std::string(found) + ">");
    }
    skip_space();
    if (peek() != '>') fail(pos_, "expected '>' to end </" + std::string(expected) + ">");
    ++pos_;
    element.descendants = elements_.size() - open_.back() - 1;
    if (element.descendants > 0) {
      if (open_.size() > 1)
        elements_[open_[open_.size() - 2]].nested = 1;
      else if (fragment_)
        nested_outer_ = true;  // its parent was opened before the fragment
    }
    open_.pop_back();
  }

  /// Whether the bytes at `at` (in bounds) are `expected`'s. Element names are short: a call to
  /// memcmp for each end tag was a sixth of the parse's time.
  static bool same_bytes(const char* at, std::string_view expected) {
    std::size_t i = 0;
    for (; i + 8 <= expected.size(); i += 8) {
      std::uint64_t a = 0;
      std::uint64_t b = 0;
      std::memcpy(&a, at + i, 8);
      std::memcpy(&b, expected.data() + i, 8);
      if (a != b) return false;
    }
    for (; i < expected.size(); ++i)
      if (at[i] != expected[i]) return false;
    return true;
  }

  /// Text at pos_ inside the innermost open element, up to the next '<' (references checked). The
  /// first run of text before any markup is the element's text; later text may only be whitespace.
  void parse_text(bool first_content) {
    const std::size_t start = pos_;
    if (!first_content) {  // usually the indentation before the next tag
      pos_ = skip(pos_, space, true);
      if (peek() == '<') return;
      pos_ = start;
    }
    bool entities = false;
    while (true) {
      pos_ = find_special_in_text(pos_);
      if (at_end()) fail(start, "unterminated element <" + std::string(name(elements_[open_.back()])) + ">");
      if (text_[pos_] == '<') break;
      if (text_[pos_] == '\0') fail(pos_, "NUL character");
      entities = true;
      parse_reference();
    }
    auto [begin, end] = trimmed(start, pos_);
    XmlElement& element = elements_[open_.back()];
    if (!first_content) {
      if (begin != end) fail(begin, "text mixed with elements in <" + std::string(name(element)) + ">");
      return;
    }
    if (element.preserve) {
      begin = start;
      end = pos_;
    }
    if (end - begin > 0xFFFFFFFFu) fail(start, "text longer than 4 GiB");
    element.text = begin;
    element.text_size = static_cast<std::uint32_t>(end - begin);
    element.has_entities = entities ? 1 : 0;
  }

  /// Whitespace, comments and processing instructions, before or after the root element.
  void skip_outside_root() {
    while (true) {
      skip_space();
      if (!starts_with("<!") && !starts_with("<?")) return;
      skip_markup();
    }
  }

  void parse(std::size_t second_half) {
    if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;  // a UTF-8 byte order mark
    skip_outside_root();
    if (at_end()) fail(pos_, "the document is empty");
    if (peek() != '<') fail(pos_, "expected the root element");
    const std::size_t split = second_half == no_second_half ? no_second_half : next_start_tag(second_half);
    reserve_elements(std::min(split, text_.size()));
    std::optional<XmlDocument> second;  // declared before the thread that fills it, joined first
    std::optional<TaskThread> helper;  // none started: this thread parses the second half too
    if (split != no_second_half) {
      try_start(helper, [this, split, &second] {
        try {
          second.emplace(XmlDocument(text_, max_depth_, split, Fragment{}));
        } catch (...) {  // this thread parses that part itself, and finds the error again
        }
      });
    }
    parse_start_tag();
    if (parse_content(split)) {  // at the start tag where the second half begins
      if (helper) helper->join();
      if (!second || !adopt(*second)) {
        parse_start_tag();
        parse_content(no_second_half);
      }
    }
    skip_outside_root();
    if (!at_end()) fail(pos_, "the root element must not be followed by other content");
  }

  void reserve_elements(std::size_t text_size) {
    // An element takes at least 4 bytes ("<a/>"); mlpersist's take 30 or more.
    elements_.reserve(std::min<std::size_t>(text_size / 32 + 16, std::size_t{1} << 24));
    advise_huge_pages(elements_.data(), elements_.capacity() * sizeof(XmlElement));
  }

  /// Parses the content of the open elements until all are closed, or (returning true) up to the
  /// start tag at `stop_at`. A fragment parses on to the end of the text; whatever it finds while
  /// none of its own elements is open belongs to elements opened before it.
  bool parse_content(std::size_t stop_at) {
    while (fragment_ ? !at_end() : !open_.empty()) {
      if (open_.empty()) {
        // In an element opened before the fragment, past its first child: only whitespace and
        // markup may follow (what the error would be, the whole parse decides).
        skip_space();
        if (at_end()) break;
        if (peek() != '<') fail(pos_, "text after an element");
      } else {
        const std::uint64_t parent = open_.back();
        // The parent's first content is its text, unless a child element or other markup came first.
        const bool first_content = elements_[parent].text == pos_ && elements_.size() == parent + 1;
        parse_text(first_content);
      }
      const char after = pos_ + 1 < text_.size() ? text_[pos_ + 1] : '\0';  // at '<'
      if (after == '/') {
        if (open_.empty())
          parse_outer_end_tag();
        else
          parse_end_tag();
      } else if (after == '!' || after == '?') {
        skip_markup();
      } else {
        if (!open_.empty()) {
          XmlElement& element = elements_[open_.back()];
          if (element.text_size > 0 && !(element.preserve && raw_is_blank(element)))
            fail(pos_, "text mixed with elements in <" + std::string(name(element)) + ">");
          element.text_size = 0;
        }
        if (pos_ == stop_at) return true;
        parse_start_tag();
      }
    }
    return false;
  }

  /// The offset of the first '<' at or after `from` that may start an element (not "</", "<!" or
  /// "<?"), or no_second_half.
  std::size_t next_start_tag(std::size_t from) const {
    for (std::size_t at = text_.find('<', from); at != std::string_view::npos && at + 1 < text_.size();
         at = text_.find('<', at + 1)) {
      const char next = text_[at + 1];
      if (next != '/' && next != '!' && next != '?') return at;
    }
    return no_second_half;
  }

  // ---- The second half, parsed as a fragment on another thread ----

  struct Fragment {};
  /// An end tag in a fragment of an element opened before it.
  struct OuterEndTag {
    std::string_view name;
    std::uint64_t elements_before;  // the fragment's elements before it
    std::size_t after;              // the offset past its '>'
    bool nested;                    // an element of the fragment with children is a child of it
  };

  /// Parses text[start, end) as a fragment: `start` is taken to be a start tag in some element's
  /// content. Throws as the whole parse does, but only adopt() knows whether that is an error.
  XmlDocument(std::string_view text, std::uint32_t max_depth, std::size_t start, Fragment)
      : text_(text), max_depth_(max_depth), pos_(start), fragment_(true) {
    reserve_elements(text.size() - start);
    parse_content(no_second_half);
  }

  /// An end tag at pos_ in a fragment with none of its own elements open.
  void parse_outer_end_tag() {
    pos_ += 2;
    const std::string_view closed = parse_name("an element name after '</'");
    skip_space();
    if (peek() != '>') fail(pos_, "expected '>' to end </" + std::string(closed) + ">");
    ++pos_;
    outer_end_tags_.push_back({closed, elements_.size(), pos_, nested_outer_});
    nested_outer_ = false;
  }

  /// Takes over the elements of `second`, the fragment parsed from pos_ (a start tag) to the end of
  /// the text, if they are what this parse would find there: its end tags of outer elements must
  /// close exactly the elements open here, innermost first, and its elements must not be nested
  /// deeper than max_depth. The root is then closed, and pos_ is past its end tag. Returns false,
  /// changing nothing, if they are not. (Its elements are moved, not copied: they count their
  /// descendants, so nothing in them depends on how many elements come before.)
  bool adopt(XmlDocument& second) {
    const std::vector<OuterEndTag>& closes = second.outer_end_tags_;
    if (closes.size() != open_.size() || open_.size() + second.max_relative_depth_ > max_depth_) return false;
    for (std::size_t i = 0; i < closes.size(); ++i)
      if (closes[i].name != name(elements_[open_[open_.size() - 1 - i]])) return false;
    for (const OuterEndTag& close : closes) {
      XmlElement& element = elements_[open_.back()];
      element.descendants = elements_.size() + close.elements_before - open_.back() - 1;
      element.nested |= close.nested;
      if (open_.size() > 1) elements_[open_[open_.size() - 2]].nested = 1;  // `element` has children
      open_.pop_back();
    }
    second_half_ = std::move(second.elements_);
    pos_ = closes.back().after;
    return true;
  }

  bool raw_is_blank(const XmlElement& element) const {
    for (const char c : raw_text(element))
      if (!is_space(c)) return false;
    return true;
  }

  std::string_view text_;
  std::string source_;
  std::uint32_t max_depth_;
  std::size_t pos_ = 0;
  std::vector<XmlElement> elements_;
  std::vector<std::uint64_t> open_;  // elements being filled, outermost first
  std::vector<XmlElement> second_half_;  // the second thread's elements, which follow elements_
  // A fragment's: its end tags of elements opened before it, and its greatest nesting depth, from
  // its start (the depth of the element it starts with is 1).
  bool fragment_ = false;
  std::vector<OuterEndTag> outer_end_tags_;
  bool nested_outer_ = false;  // since the last of them, an element with children closed at the top
  std::size_t max_relative_depth_ = 0;
};

// ---- Reading ---------------------------------------------------------------------------------

/// cereal input archive over an XmlDocument whose root is <cereal>. Like cereal's XMLInputArchive,
/// it reads child elements in document order and searches the parent when a name does not match
/// the next child.
class XmlReader : public cereal::InputArchive<XmlReader>, public cereal::traits::TextArchive {
 public:
  explicit XmlReader(const XmlDocument& document) : cereal::InputArchive<XmlReader>(this), document_(document) {
    stack_.push_back({0, 1});
  }
  XmlReader(const XmlReader&) = delete;
  XmlReader& operator=(const XmlReader&) = delete;

  void setNextName(const char* name) { next_name_ = name; }

  /// Enters the next child element (or the one named by setNextName).
  void startNode() {
    const char* name = next_name_;
    next_name_ = nullptr;
    Level& level = stack_.back();
    const std::uint64_t end = document_.end(level.element);
    if (name != nullptr && !(level.child < end && document_.name(document_[level.child]) == name)) {
      std::uint64_t child = level.element + 1;
      while (child < end && document_.name(document_[child]) != name) child = document_.end(child);
      if (child >= end) throw CorruptFile(std::string("expected an element <") + name + ">, which is missing");
      level.child = child;
    }
    check_child(level);
    stack_.push_back({level.child, level.child + 1});
  }
  void finishNode() {
    stack_.pop_back();
    Level& level = stack_.back();
    level.child = document_.end(level.child);
  }

  template <class Size>
  void loadSize(Size& size) {
    size = static_cast<Size>(document_.children(stack_.back().element));
  }

  /// Reads the next `count` child elements as numbers into out[0, count): the loop of a matrix's
  /// data. Converting text to numbers is most of a load: large arrays are converted by two
  /// threads, each taking half.
  template <class Scalar>
  void loadNumbers(Scalar* out, std::size_t count) {
    Level& level = stack_.back();
    const std::uint64_t first = level.child;
    // Elements first, first + 1, ... are the next children as long as each is a leaf, which
    // convert() checks; if there are fewer records than that, the walk one child at a time finds
    // the error.
    if (first + count > document_.end(level.element)) {
      for (std::size_t k = 0; k < count; ++k) {
        check_child(level);
        out[k] = from_text<Scalar>(leaf_text(level.child, decoded_));
        level.child = document_.end(level.child);
      }
      return;
    }
    loop_.run(count, [&](std::size_t from, std::size_t to) { convert(out, first, from, to); });
    level.child = first + count;
  }

  void loadValue(std::string& value) { value = document_.text(leaf()); }
  void loadValue(char& value) {  // cereal writes a char as the character itself
    const std::string text = document_.text(leaf());
    if (text.size() != 1) throw CorruptFile("expected one character, found '" + text + "'");
    value = text[0];
  }
  template <class T, std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, char>, int> = 0>
  void loadValue(T& value) {
    if constexpr (sizeof(T) == 1 && !std::is_same_v<T, bool>) {  // as cereal: one-byte integers as numbers
      value = static_cast<T>(narrow_integer<std::conditional_t<std::is_signed_v<T>, std::int32_t, std::uint32_t>, T>());
    } else {
      value = from_text<T>(leaf_text());
    }
  }

 private:
  struct Level {
    std::uint64_t element;  // the element being read
    std::uint64_t child;    // its next child; its end when done
  };

  template <class Wide, class T>
  Wide narrow_integer() {
    const auto wide = from_text<Wide>(leaf_text());
    if (wide < static_cast<Wide>(std::numeric_limits<T>::min()) || wide > static_cast<Wide>(std::numeric_limits<T>::max()))
      throw CorruptFile("expected an integer in range, found '" + std::to_string(wide) + "'");
    return wide;
  }

  /// Reads elements first + k for k in [from, to) into out[k]; each must be a leaf. Thread-safe.
  template <class Scalar>
  void convert(Scalar* out, std::uint64_t first, std::size_t from, std::size_t to) const {
    std::string decoded;
    for (std::size_t k = from; k < to; ++k) out[k] = from_text<Scalar>(leaf_text(first + k, decoded));
  }

  void check_child(const Level& level) const {
    if (level.child >= document_.end(level.element))
      throw CorruptFile("expected another element in <" + std::string(document_.name(document_[level.element])) + ">");
  }

  /// An element (by default the current one), which must hold text rather than elements.
  const XmlElement& leaf(std::uint64_t index) const {
    if (document_.has_children(index))
      throw CorruptFile("expected text in <" + std::string(document_.name(document_[index])) + ">, found elements");
    return document_[index];
  }
  const XmlElement& leaf() const { return leaf(stack_.back().element); }

  /// An element's text, decoded into `decoded` only if it holds references (numbers never do).
  std::string_view leaf_text(std::uint64_t index, std::string& decoded) const {
    const XmlElement& element = leaf(index);
    if (!element.has_entities) return document_.raw_text(element);
    decoded = document_.text(element);
    return decoded;
  }
  std::string_view leaf_text() { return leaf_text(stack_.back().element, decoded_); }

  const XmlDocument& document_;
  TwoThreadLoop loop_;
  std::vector<Level> stack_;
  const char* next_name_ = nullptr;
  std::string decoded_;  // leaf_text()'s, for text with references
};

// ---- Writing ---------------------------------------------------------------------------------

/// cereal output archive writing, through one buffer, the indented document cereal's XML archive
/// writes. The document is complete when the archive is destroyed (as with cereal's archives); a
/// failed write sets the stream's badbit.
class XmlWriter : public cereal::OutputArchive<XmlWriter>, public cereal::traits::TextArchive, private BufferedOutput {
 public:
  explicit XmlWriter(std::ostream& out) : cereal::OutputArchive<XmlWriter>(this), BufferedOutput(out) {
    buffer_ += "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<cereal";
    levels_.push_back({"cereal", 0, 0, State::start_tag});
  }
  ~XmlWriter() noexcept {
    finish([this] {
      finishNode();
      buffer_ += '\n';  // rapidxml ends the document with an empty line
    });
  }
  XmlWriter(const XmlWriter&) = delete;
  XmlWriter& operator=(const XmlWriter&) = delete;

  void setNextName(const char* name) { next_name_ = name; }

  /// Starts a child element of the current one, named by setNextName or value0, value1, ...
  void startNode() {
    Level& parent = levels_.back();
    open_children(parent);
    const std::size_t depth = levels_.size();
    buffer_.append(depth, '\t');
    buffer_ += '<';
    Level child{next_name_, 0, 0, State::start_tag};
    if (next_name_ == nullptr) child.number = parent.names++;
    next_name_ = nullptr;
    append_name(child);
    levels_.push_back(child);
  }
  void finishNode() {
    const Level level = levels_.back();
    levels_.pop_back();
    switch (level.state) {
      case State::start_tag: buffer_ += "/>\n"; break;
      case State::children: buffer_.append(levels_.size(), '\t'); [[fallthrough]];
      case State::text:
        buffer_ += "</";
        append_name(level);
        buffer_ += ">\n";
        break;
    }
    flush_if_full();
  }
  /// Writes `count` numbers, next() giving each in turn, as children of the current element (named
  /// value0, value1, ...): the loop of a matrix's data, without cereal's per-value dispatch.
  template <class Next>
  void saveNumbers(std::size_t count, Next&& next) {
    if (count == 0) return;
    open_children(levels_.back());
    const std::size_t depth = levels_.size();
    for (std::size_t k = 0; k < count; ++k) {
      // One element is one line, put together here and appended once.
      std::array<char, 24> index{};  // at most 20 digits
      std::array<char, 32> number{};  // at most 24 characters
      const char* const index_end = std::to_chars(index.begin(), index.end(), levels_.back().names++).ptr;
      const char* const number_end = std::to_chars(number.begin(), number.end(), next()).ptr;
      std::array<char, 128> line{};  // long enough for the longest index and number
      char* at = line.data();
      auto put = [&at](const char* begin, const char* end) {
        std::memcpy(at, begin, static_cast<std::size_t>(end - begin));
        at += end - begin;
      };
      auto put_text = [&put](std::string_view text) { put(text.data(), text.data() + text.size()); };
      put_text("<value");
      put(index.data(), index_end);
      put_text(">");
      put(number.data(), number_end);
      put_text("</value");
      put(index.data(), index_end);
      put_text(">\n");
      buffer_.append(depth, '\t');
      buffer_.append(line.data(), static_cast<std::size_t>(at - line.data()));
      flush_if_full();
    }
  }

  void appendAttribute(const char* name, const char* value) {
    buffer_ += ' ';
    buffer_ += name;
    buffer_ += "=\"";
    escape(value);
    buffer_ += '"';
  }

  void saveValue(const std::string& value) {
    if (!value.empty() && (is_space(value.front()) || is_space(value.back()))) appendAttribute("xml:space", "preserve");
    begin_text();
    escape(value);
  }
  void saveValue(char value) { saveValue(std::string(1, value)); }
  template <class T, std::enable_if_t<std::is_arithmetic_v<T> && !std::is_same_v<T, char>, int> = 0>
  void saveValue(T value) {
    begin_text();
    if constexpr (sizeof(T) == 1 && !std::is_same_v<T, bool>)  // as cereal: one-byte integers as numbers
      append_text(buffer_, static_cast<int>(value));
    else
      append_text(buffer_, value);
  }

 private:
  enum class State : std::uint8_t { start_tag, text, children };
  struct Level {
    const char* name;      // null: "value" followed by number
    std::uint64_t number;  // its index among its parent's unnamed children
    std::uint64_t names;   // unnamed children so far
    State state;
  };

  static bool is_space(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

  /// Ends the start tag of `level` before its first child.
  void open_children(Level& level) {
    if (level.state != State::start_tag) return;
    buffer_ += ">\n";
    level.state = State::children;
  }

  void append_name(const Level& level) {
    if (level.name != nullptr) {
      buffer_ += level.name;
    } else {
      buffer_ += "value";
      append_text(buffer_, level.number);
    }
  }

  void begin_text() {
    buffer_ += '>';
    levels_.back().state = State::text;
  }

  /// The five characters XML reserves become references, as rapidxml writes them.
  void escape(std::string_view text) {
    for (const char c : text) {
      switch (c) {
        case '<': buffer_ += "&lt;"; break;
        case '>': buffer_ += "&gt;"; break;
        case '&': buffer_ += "&amp;"; break;
        case '"': buffer_ += "&quot;"; break;
        case '\'': buffer_ += "&apos;"; break;
        default: buffer_ += c;
      }
    }
  }

  std::vector<Level> levels_;
  const char* next_name_ = nullptr;
};

// ---- cereal's hooks (found by argument-dependent lookup; they mirror those of cereal's XML
// archives): every value but a minimally serialized one is an element ----------------------------

/// cereal's wrappers, which open no element of their own.
template <class T>
struct is_xml_wrapper : std::false_type {};
template <class T>
struct is_xml_wrapper<cereal::NameValuePair<T>> : std::true_type {};
template <class T>
struct is_xml_wrapper<cereal::DeferredData<T>> : std::true_type {};
template <class T>
struct is_xml_wrapper<cereal::SizeTag<T>> : std::true_type {};

template <class T, class Archive, template <class, class> class HasMinimal>
inline constexpr bool xml_node_v = !is_xml_wrapper<T>::value &&
                                   !cereal::traits::has_minimal_base_class_serialization<T, HasMinimal, Archive>::value &&
                                   !HasMinimal<T, Archive>::value;

template <class T, std::enable_if_t<xml_node_v<T, XmlWriter, cereal::traits::has_minimal_output_serialization>, int> = 0>
void prologue(XmlWriter& ar, const T&) {
  ar.startNode();
}
template <class T, std::enable_if_t<xml_node_v<T, XmlWriter, cereal::traits::has_minimal_output_serialization>, int> = 0>
void epilogue(XmlWriter& ar, const T&) {
  ar.finishNode();
}
template <class T, std::enable_if_t<xml_node_v<T, XmlReader, cereal::traits::has_minimal_input_serialization>, int> = 0>
void prologue(XmlReader& ar, const T&) {
  ar.startNode();
}
template <class T, std::enable_if_t<xml_node_v<T, XmlReader, cereal::traits::has_minimal_input_serialization>, int> = 0>
void epilogue(XmlReader& ar, const T&) {
  ar.finishNode();
}

// A SizeTag marks its element size="dynamic" (the shared hooks are in text_archive.hpp).
template <class T>
void prologue(XmlWriter& ar, const cereal::SizeTag<T>&) {
  ar.appendAttribute("size", "dynamic");
}
template <class T>
void prologue(XmlReader&, const cereal::SizeTag<T>&) {}

}  // namespace mlpersist::detail

CEREAL_REGISTER_ARCHIVE(mlpersist::detail::XmlWriter)
CEREAL_REGISTER_ARCHIVE(mlpersist::detail::XmlReader)
CEREAL_SETUP_ARCHIVE_TRAITS(mlpersist::detail::XmlReader, mlpersist::detail::XmlWriter)
