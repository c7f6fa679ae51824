// The graph ops of the string family, as tfjs-backend-cpu computes them: StaticRegexReplace
// (a JavaScript RegExp on the decoded text: std::wregex's ECMAScript grammar on UTF-16 units, the
// rewrite's $1 / $& as String.replace reads them), StringNGrams, StringSplit and
// StringToHashBucketFast (TF's Fingerprint64, farmhash's Hash64, as tfjs-core's hash_util).
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
// GCC 12's <regex> trips -Wmaybe-uninitialized inside std::function under the sanitizers'
// -O1 (a false positive in the library's code, not ours).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <regex>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "graph/ops.h"

namespace tfjs::graph {
namespace {

const Value& stringIn(const OpContext& c, size_t k) {
  const Value& v = c.in(k);
  if (v.dtype != DType::kString) {
    c.node.invalid(
        fmt::format("input {} must be of datatype string, got {}", k, dtypeName(v.dtype)));
  }
  return v;
}

ValuePtr stringValue(Shape shape, std::vector<std::string> s) {
  auto v = std::make_shared<Value>();
  v->dtype = DType::kString;
  v->shape = std::move(shape);
  v->s = std::move(s);
  return v;
}

// --- StaticRegexReplace -----------------------------------------------------------------------

// UTF-8 to UTF-16 code units as TextDecoder decodes them (each invalid sequence one U+FFFD).
std::wstring decodeUtf8(const std::string& s) {
  std::wstring out;
  size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<uint8_t>(s[i]);
    int n = b < 0x80             ? 0
            : (b & 0xE0) == 0xC0 ? 1
            : (b & 0xF0) == 0xE0 ? 2
            : (b & 0xF8) == 0xF0 ? 3
                                 : -1;
    uint32_t cp = n == 0 ? b : n == 1 ? b & 0x1F : n == 2 ? b & 0x0F : b & 0x07;
    const uint8_t lo = n == 2 && b == 0xE0 ? 0xA0 : n == 3 && b == 0xF0 ? 0x90 : 0x80;
    const uint8_t hi = n == 2 && b == 0xED ? 0x9F : n == 3 && b == 0xF4 ? 0x8F : 0xBF;
    if (n < 0 || (n == 1 && b < 0xC2) || (n == 3 && b > 0xF4)) {
      out.push_back(0xFFFD);
      ++i;
      continue;
    }
    size_t k = 1;
    for (; k <= static_cast<size_t>(n); ++k) {
      if (i + k >= s.size()) break;
      const auto c = static_cast<uint8_t>(s[i + k]);
      if (c < (k == 1 ? lo : 0x80) || c > (k == 1 ? hi : 0xBF)) break;
      cp = cp << 6 | (c & 0x3F);
    }
    if (k <= static_cast<size_t>(n)) {
      out.push_back(0xFFFD);
      i += k;
      continue;
    }
    if (cp >= 0x10000) {  // a surrogate pair: JavaScript strings are UTF-16
      out.push_back(static_cast<wchar_t>(0xD800 + ((cp - 0x10000) >> 10)));
      out.push_back(static_cast<wchar_t>(0xDC00 + ((cp - 0x10000) & 0x3FF)));
    } else {
      out.push_back(static_cast<wchar_t>(cp));
    }
    i += k;
  }
  return out;
}

// UTF-16 code units to UTF-8 as TextEncoder writes them (a lone surrogate as U+FFFD).
std::string encodeUtf8(const std::wstring& w) {
  std::string out;
  for (size_t k = 0; k < w.size(); ++k) {
    auto cp = static_cast<uint32_t>(w[k]);
    if (cp >= 0xD800 && cp < 0xDC00 && k + 1 < w.size() && w[k + 1] >= 0xDC00 &&
        w[k + 1] < 0xE000) {
      cp = 0x10000 + ((cp - 0xD800) << 10) + (static_cast<uint32_t>(w[++k]) - 0xDC00);
    } else if (cp >= 0xD800 && cp < 0xE000) {
      cp = 0xFFFD;
    }
    if (cp < 0x80) {
      out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out.push_back(static_cast<char>(0xC0 | cp >> 6));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
      out.push_back(static_cast<char>(0xE0 | cp >> 12));
      out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
      out.push_back(static_cast<char>(0xF0 | cp >> 18));
      out.push_back(static_cast<char>(0x80 | (cp >> 12 & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp >> 6 & 0x3F)));
      out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
  }
  return out;
}

// A string attribute as TF.js's operation mapper reads it: the base64 decoded by atob (each byte
// one character, U+0000..U+00FF, not UTF-8) and lowercased (A-Z and U+00C0..U+00DE but U+00D7).
std::wstring attrText(const OpContext& c, const char* key) {
  std::wstring out;
  for (const char ch : c.node.string(key)) {
    auto u = static_cast<uint8_t>(ch);
    if ((u >= 'A' && u <= 'Z') || (u >= 0xC0 && u <= 0xDE && u != 0xD7)) u += 0x20;
    out.push_back(static_cast<wchar_t>(u));
  }
  return out;
}

std::vector<ValuePtr> staticRegexReplace(const OpContext& c) {
  const Value& x = stringIn(c, 0);
  const std::wstring pattern = attrText(c, "pattern");
  const std::wstring rewrite = attrText(c, "rewrite");
  const bool global = c.node.flag("replace_global", true);  // tf.string's default
  std::wregex re;
  try {
    re.assign(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    c.node.invalid(fmt::format("Invalid regular expression: {}", e.what()));
  }
  std::vector<std::string> out;
  out.reserve(x.s.size());
  for (const std::string& s : x.s) {
    try {
      out.push_back(
          encodeUtf8(std::regex_replace(decodeUtf8(s), re, rewrite,
                                        global ? std::regex_constants::format_default
                                               : std::regex_constants::format_first_only)));
    } catch (const std::regex_error& e) {
      c.node.invalid(fmt::format("the regular expression failed: {}", e.what()));
    }
  }
  return {stringValue(x.shape, std::move(out))};
}

// --- StringNGrams -----------------------------------------------------------------------------

struct NGrams {
  std::string separator, leftPad, rightPad;
  int64_t padWidth;
  int64_t pad(int64_t width) const {
    return std::min(padWidth < 0 ? width - 1 : padWidth, width - 1);
  }
  int64_t count(int64_t length, int64_t width) const {
    return std::max<int64_t>(0, length + 2 * pad(width) - width + 1);
  }
  // The `n` ngrams of `width` of the row starting at data[start], appended to out.
  void make(const std::vector<std::string>& data, int64_t start, int64_t n, int64_t width,
            std::vector<std::string>& out) const {
    const int64_t p = pad(width);
    for (int64_t g = 0; g < n; ++g) {
      const int64_t left = std::max<int64_t>(0, p - g);
      const int64_t right = std::max<int64_t>(0, p - (n - (g + 1)));
      const int64_t tokens = width - (left + right);
      const int64_t first = start + (left > 0 ? 0 : g - p);
      std::string s;
      for (int64_t k = 0; k < left; ++k) s += leftPad + separator;
      for (int64_t k = 0; k < tokens - 1; ++k)
        s += data[static_cast<size_t>(first + k)] + separator;
      if (tokens > 0) {  // end with the last token or a right pad
        s += data[static_cast<size_t>(first + tokens - 1)];
        for (int64_t k = 0; k < right; ++k) s += separator + rightPad;
      } else {  // the left padding ended with a separator: end with a right pad
        for (int64_t k = 0; k < right - 1; ++k) s += rightPad + separator;
        s += rightPad;
      }
      out.push_back(std::move(s));
    }
  }
};

std::vector<ValuePtr> stringNGrams(const OpContext& c) {
  const Value& data = c.in(0);
  const Value& splitsV = c.in(1);
  if (data.dtype != DType::kString) c.node.invalid("Data must be of datatype string");
  if (data.shape.size() != 1) {
    c.node.invalid(fmt::format("Data must be a vector, saw: {}", shapeText(data.shape)));
  }
  if (splitsV.dtype != DType::kInt32) c.node.invalid("Data splits must be of datatype int32");
  // The attributes as TF.js reads them (attrText), then UTF-8 encoded (util.encodeString).
  NGrams ng{encodeUtf8(attrText(c, "separator")), encodeUtf8(attrText(c, "left_pad")),
            encodeUtf8(attrText(c, "right_pad")), c.node.integer("pad_width", 0)};
  const std::vector<int64_t> widths = c.node.integers("ngram_widths");
  for (const int64_t w : widths) {
    if (w < 1) c.node.invalid(fmt::format("ngram width {} (must be at least 1)", w));
  }
  const bool preserveShort = c.node.flag("preserve_short_sequences", false);
  const std::vector<int64_t> splits(splitsV.i.begin(), splitsV.i.end());
  const auto size = static_cast<int64_t>(data.s.size());
  if (!splits.empty()) {
    if (splits[0] != 0)
      c.node.invalid(fmt::format("First split value must be 0, got {}", splits[0]));
    for (size_t k = 1; k < splits.size(); ++k) {
      if (splits[k] < splits[k - 1] || splits[k] > size) {
        c.node.invalid(fmt::format("Invalid split value {}, must be in [{}, {}]", splits[k],
                                   splits[k - 1], size));
      }
    }
    if (splits.back() != size) {
      c.node.invalid(fmt::format("Last split value must be data size. Expected {}, got {}", size,
                                 splits.back()));
    }
  }
  std::vector<int32_t> outSplits(splits.size(), 0);
  std::vector<std::string> out;
  if (size == 0 || splits.empty()) {
    return {stringValue({size}, std::vector<std::string>(static_cast<size_t>(size))),
            intValue(splitsV.shape, std::move(outSplits))};
  }
  const int64_t rows = static_cast<int64_t>(splits.size()) - 1;
  // The ngram count and a bound on their bytes, checked before anything is made.
  double total = 0, bytes = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t length = splits[r + 1] - splits[r];
    size_t widest = std::max(ng.leftPad.size(), ng.rightPad.size());
    for (int64_t k = splits[r]; k < splits[r + 1]; ++k) {
      widest = std::max(widest, data.s[static_cast<size_t>(k)].size());
    }
    const auto bound = [&](double n, double w) {
      bytes += n * (w * static_cast<double>(widest) + w * static_cast<double>(ng.separator.size()) +
                    sizeof(std::string));
    };
    int64_t n = 0;
    for (const int64_t w : widths) {
      n += ng.count(length, w);
      bound(static_cast<double>(ng.count(length, w)), static_cast<double>(w));
    }
    if (preserveShort && length > 0 && n == 0) {
      n = 1;
      bound(1, static_cast<double>(length + 2 * std::max<int64_t>(ng.padWidth, 0)));
    }
    total += static_cast<double>(n);
    if (total > static_cast<double>(kMaxElements) ||
        bytes > 4 * static_cast<double>(kMaxElements)) {
      c.node.invalid(
          fmt::format("ngrams over the limit ({:.0f} ngrams, up to {:.0f} bytes)", total, bytes));
    }
    outSplits[static_cast<size_t>(r + 1)] =
        outSplits[static_cast<size_t>(r)] + static_cast<int32_t>(n);
  }
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t length = splits[r + 1] - splits[r];
    const size_t before = out.size();
    for (const int64_t w : widths) ng.make(data.s, splits[r], ng.count(length, w), w, out);
    // preserve_short_sequences: a row with no ngram (but tokens) gives one of all its tokens.
    if (preserveShort && out.size() == before && length > 0) {
      ng.make(data.s, splits[r], 1, length + 2 * ng.padWidth, out);
    }
  }
  const auto n = static_cast<int64_t>(out.size());
  return {stringValue({n}, std::move(out)), intValue(splitsV.shape, std::move(outSplits))};
}

// --- StringSplit ------------------------------------------------------------------------------

std::vector<ValuePtr> stringSplit(const OpContext& c) {
  const Value& input = stringIn(c, 0);
  const Value& delimiter = stringIn(c, 1);
  if (input.shape.size() != 1) {
    c.node.invalid(
        fmt::format("Input should be Tensor1D but received shape {}", shapeText(input.shape)));
  }
  if (!delimiter.shape.empty()) {
    c.node.invalid(fmt::format("Delimiter should be a scalar but received shape {}",
                               shapeText(delimiter.shape)));
  }
  const bool skipEmpty = c.node.flag("skip_empty", true);
  const std::string& delims = delimiter.s.at(0);
  std::vector<int32_t> indices;
  std::vector<std::string> values;
  int64_t widest = 0;
  for (size_t row = 0; row < input.s.size(); ++row) {
    const std::string& s = input.s[row];
    int64_t n = 0;
    const auto add = [&](std::string token) {
      if (skipEmpty && token.empty()) return;
      indices.push_back(static_cast<int32_t>(row));
      indices.push_back(static_cast<int32_t>(n++));
      values.push_back(std::move(token));
    };
    if (s.empty()) {
      // An empty string has no tokens, even without skip_empty.
    } else if (delims.empty()) {  // each byte a token
      for (const char ch : s) add(std::string(1, ch));
    } else {  // split at every byte that is one of the delimiter's bytes
      size_t start = 0;
      for (size_t k = 0; k <= s.size(); ++k) {
        if (k == s.size() || delims.find(s[k]) != std::string::npos) {
          add(s.substr(start, k - start));
          start = k + 1;
        }
      }
    }
    widest = std::max(widest, n);
  }
  const auto count = static_cast<int64_t>(values.size());
  return {intValue({count, 2}, std::move(indices)), stringValue({count}, std::move(values)),
          intValue({2}, {static_cast<int32_t>(input.s.size()), static_cast<int32_t>(widest)})};
}

// --- StringToHashBucketFast -------------------------------------------------------------------

// farmhash's Hash64 (farmhashna), TF's Fingerprint64.
namespace farm {
constexpr uint64_t k0 = 0xc3a5c85c97cb3127ULL;
constexpr uint64_t k1 = 0xb492b66fbe98f273ULL;
constexpr uint64_t k2 = 0x9ae16a3b2f90404fULL;

uint64_t fetch64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}
uint64_t fetch32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}
uint64_t rot(uint64_t v, int s) {
  return s == 0 ? v : (v >> s) | (v << (64 - s));
}
uint64_t shiftMix(uint64_t v) {
  return v ^ (v >> 47);
}
uint64_t hash16(uint64_t u, uint64_t v, uint64_t mul) {
  uint64_t a = (u ^ v) * mul;
  a ^= a >> 47;
  uint64_t b = (v ^ a) * mul;
  b ^= b >> 47;
  return b * mul;
}
std::pair<uint64_t, uint64_t> weak32(const char* s, uint64_t a, uint64_t b) {
  const uint64_t w = fetch64(s), x = fetch64(s + 8), y = fetch64(s + 16), z = fetch64(s + 24);
  a += w;
  b = rot(b + a + z, 21);
  const uint64_t c = a;
  a += x;
  a += y;
  b += rot(a, 44);
  return {a + z, b + c};
}
uint64_t len0to16(const char* s, size_t len) {
  if (len >= 8) {
    const uint64_t mul = k2 + len * 2;
    const uint64_t a = fetch64(s) + k2;
    const uint64_t b = fetch64(s + len - 8);
    const uint64_t c = rot(b, 37) * mul + a;
    const uint64_t d = (rot(a, 25) + b) * mul;
    return hash16(c, d, mul);
  }
  if (len >= 4) {
    const uint64_t mul = k2 + len * 2;
    const uint64_t a = fetch32(s);
    return hash16(len + (a << 3), fetch32(s + len - 4), mul);
  }
  if (len > 0) {
    const uint8_t a = static_cast<uint8_t>(s[0]);
    const uint8_t b = static_cast<uint8_t>(s[len >> 1]);
    const uint8_t c = static_cast<uint8_t>(s[len - 1]);
    const uint32_t y = static_cast<uint32_t>(a) + (static_cast<uint32_t>(b) << 8);
    const uint32_t z = static_cast<uint32_t>(len) + (static_cast<uint32_t>(c) << 2);
    return shiftMix(y * k2 ^ z * k0) * k2;
  }
  return k2;
}
uint64_t len17to32(const char* s, size_t len) {
  const uint64_t mul = k2 + len * 2;
  const uint64_t a = fetch64(s) * k1;
  const uint64_t b = fetch64(s + 8);
  const uint64_t c = fetch64(s + len - 8) * mul;
  const uint64_t d = fetch64(s + len - 16) * k2;
  return hash16(rot(a + b, 43) + rot(c, 30) + d, a + rot(b + k2, 18) + c, mul);
}
uint64_t len33to64(const char* s, size_t len) {
  const uint64_t mul = k2 + len * 2;
  const uint64_t a = fetch64(s) * k2;
  const uint64_t b = fetch64(s + 8);
  const uint64_t c = fetch64(s + len - 8) * mul;
  const uint64_t d = fetch64(s + len - 16) * k2;
  const uint64_t y = rot(a + b, 43) + rot(c, 30) + d;
  const uint64_t z = hash16(y, a + rot(b + k2, 18) + c, mul);
  const uint64_t e = fetch64(s + 16) * mul;
  const uint64_t f = fetch64(s + 24);
  const uint64_t g = (y + fetch64(s + len - 32)) * mul;
  const uint64_t h = (z + fetch64(s + len - 24)) * mul;
  return hash16(rot(e + f, 43) + rot(g, 30) + h, e + rot(f + a, 18) + g, mul);
}
uint64_t hash64(const std::string& str) {
  const char* s = str.data();
  const size_t len = str.size();
  if (len <= 16) return len0to16(s, len);
  if (len <= 32) return len17to32(s, len);
  if (len <= 64) return len33to64(s, len);
  const uint64_t seed = 81;
  uint64_t x = seed, y = seed * k1 + 113, z = shiftMix(y * k2 + 113) * k2;
  std::pair<uint64_t, uint64_t> v{0, 0}, w{0, 0};
  x = x * k2 + fetch64(s);
  const char* end = s + ((len - 1) / 64) * 64;
  const char* last64 = end + ((len - 1) & 63) - 63;
  do {
    x = rot(x + y + v.first + fetch64(s + 8), 37) * k1;
    y = rot(y + v.second + fetch64(s + 48), 42) * k1;
    x ^= w.second;
    y += v.first + fetch64(s + 40);
    z = rot(z + w.first, 33) * k1;
    v = weak32(s, v.second * k1, x + w.first);
    w = weak32(s + 32, z + w.second, y + fetch64(s + 16));
    std::swap(z, x);
    s += 64;
  } while (s != end);
  const uint64_t mul = k1 + ((z & 0xff) << 1);
  s = last64;
  w.first += ((len - 1) & 63);
  v.first += w.first;
  w.first += v.first;
  x = rot(x + y + v.first + fetch64(s + 8), 37) * mul;
  y = rot(y + v.second + fetch64(s + 48), 42) * mul;
  x ^= w.second * 9;
  y += v.first * 9 + fetch64(s + 40);
  z = rot(z + w.first, 33) * mul;
  v = weak32(s, v.second * mul, x + w.first);
  w = weak32(s + 32, z + w.second, y + fetch64(s + 16));
  std::swap(z, x);
  return hash16(hash16(v.first, w.first, mul) + shiftMix(y) * k0 + z,
                hash16(v.second, w.second, mul) + x, mul);
}
}  // namespace farm

std::vector<ValuePtr> stringToHashBucketFast(const OpContext& c) {
  const Value& x = stringIn(c, 0);
  const int64_t buckets = c.node.integer("num_buckets", 0);
  if (buckets <= 0) c.node.invalid("Number of buckets must be at least 1");
  std::vector<int32_t> out(x.s.size());
  for (size_t k = 0; k < out.size(); ++k) {
    // Long.modulo then getLowBitsUnsigned, stored in an Int32Array.
    out[k] = static_cast<int32_t>(
        static_cast<uint32_t>(farm::hash64(x.s[k]) % static_cast<uint64_t>(buckets)));
  }
  return {intValue(x.shape, std::move(out))};
}

constexpr OpRow kRows[] = {
    {"StaticRegexReplace", staticRegexReplace},
    {"StringNGrams", stringNGrams},
    {"StringSplit", stringSplit},
    {"StringToHashBucketFast", stringToHashBucketFast},
};

}  // namespace

std::span<const OpRow> stringOps() {
  return kRows;
}

}  // namespace tfjs::graph
