// format/base64.h — RFC 4648 base64 decoding, for the string attributes of a TF.js graph model
// (model.json writes a GraphDef's bytes fields, `s` attributes among them, as base64).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace tfjs {

// The bytes `text` encodes (standard alphabet, '=' padding optional, no whitespace); nullopt when
// it is not base64.
inline std::optional<std::string> base64Decode(std::string_view text) {
  const auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  unsigned bits = 0;
  int count = 0;
  for (const char c : text) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<char>((bits >> count) & 0xffu));
    }
  }
  return out;
}

}  // namespace tfjs
