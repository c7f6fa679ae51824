// Keras's naming rules where tfjs-cpp must name things as Keras does (default layer names in the
// builder, the places of layers in a `.keras` file's state tree), in one place below both.
#pragma once

#include <algorithm>
#include <cctype>
#include <string>

namespace tfjs {

// Keras's naming.to_snake_case: drop non-word characters, then re.sub("(.)([A-Z][a-z]+)",
// r"\1_\2"), then re.sub("([a-z])([A-Z])", r"\1_\2"), then lower case. Written as loops with
// the regexes' left-to-right, non-overlapping matching (std::regex trips GCC 12's
// maybe-uninitialized warning under the sanitizers).
inline std::string kerasSnakeCase(const std::string& name) {
  auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
  std::string s;
  for (char c : name) {
    if (upper(c) || lower(c) || (c >= '0' && c <= '9') || c == '_') s += c;
  }
  std::string a;
  for (size_t i = 0; i < s.size();) {
    if (i + 2 < s.size() && upper(s[i + 1]) && lower(s[i + 2])) {
      a += s[i];
      a += '_';
      a += s[i + 1];
      size_t j = i + 2;
      while (j < s.size() && lower(s[j])) a += s[j++];
      i = j;
    } else {
      a += s[i++];
    }
  }
  std::string b;
  for (size_t i = 0; i < a.size();) {
    if (i + 1 < a.size() && lower(a[i]) && upper(a[i + 1])) {
      b += a[i];
      b += '_';
      b += a[i + 1];
      i += 2;
    } else {
      b += a[i++];
    }
  }
  std::transform(b.begin(), b.end(), b.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return b;
}

}  // namespace tfjs
