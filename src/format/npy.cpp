// NumPy .npy v1.0 encoding and decoding (the files themselves: io/npy_file.cpp).
#include "tfjs/npy.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "format/checked.h"

namespace tfjs {
namespace {

std::string descrOf(const Tensor& t, size_t& width) {
  switch (t.dtype()) {
    case DType::kFloat32:
      width = 4;
      return "<f4";
    case DType::kInt32:
      width = 4;
      return "<i4";
    case DType::kBool:
      width = 1;
      return "|b1";
    case DType::kComplex64:
      width = 8;
      return "<c8";
    case DType::kString: {
      width = 1;
      for (const auto& s : t.strings()) width = std::max(width, s.size());
      return fmt::format("|S{}", width);
    }
    default:
      break;
  }
  throw Error(ErrorCode::kUnsupported,
              fmt::format("dtype {} cannot be written to .npy", dtypeName(t.dtype())));
}

}  // namespace

std::string encodeNpy(const Tensor& t) {
  size_t width = 0;
  const std::string descr = descrOf(t, width);
  std::string shape = "(";
  for (size_t i = 0; i < t.shape().size(); ++i) {
    shape += std::to_string(t.shape()[i]);
    shape += (t.shape().size() == 1 || i + 1 < t.shape().size()) ? "," : "";
    if (i + 1 < t.shape().size()) shape += " ";
  }
  shape += ")";
  std::string header =
      fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}", descr, shape);
  // Pad with spaces so that magic(6)+version(2)+len(2)+header+'\n' is a multiple of 64.
  const size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out("\x93NUMPY\x01\x00", 8);
  const auto hl = static_cast<uint16_t>(header.size());
  out += static_cast<char>(hl & 0xff);
  out += static_cast<char>(hl >> 8);
  out += header;
  if (t.dtype() == DType::kString) {
    for (const auto& s : t.strings()) {
      out += s;
      out.append(width - s.size(), '\0');
    }
  } else {
    out.append(reinterpret_cast<const char*>(t.bytes()), t.byteLength());
  }
  return out;
}

Tensor decodeNpy(std::string_view b, const std::string& source) {
  auto bad = [&](const std::string& why) { return Error(ErrorCode::kSchema, why, source); };
  if (b.size() < 10 || b.substr(0, 6) != std::string_view("\x93NUMPY", 6)) {
    throw bad("not a .npy file (no \\x93NUMPY magic)");
  }
  const auto major = static_cast<uint8_t>(b[6]);
  size_t hl, off;
  if (major == 1) {
    hl = static_cast<uint8_t>(b[8]) | (static_cast<size_t>(static_cast<uint8_t>(b[9])) << 8);
    off = 10;
  } else if (major == 2 || major == 3) {
    if (b.size() < 12) throw bad("truncated .npy header");
    hl = 0;
    for (int i = 0; i < 4; ++i)
      hl |= static_cast<size_t>(static_cast<uint8_t>(b[8 + i])) << (8 * i);
    off = 12;
  } else {
    throw bad(fmt::format(".npy format version {} is not supported", major));
  }
  if (hl > b.size() - off) throw bad("truncated .npy header");
  const std::string header(b.substr(off, hl));
  const std::string_view data = b.substr(off + hl);
  auto field = [&](const std::string& key) -> std::string {
    const auto k = header.find("'" + key + "'");
    if (k == std::string::npos) throw bad(fmt::format("the .npy header has no '{}'", key));
    auto v = header.find(':', k);
    if (v == std::string::npos) throw bad("malformed .npy header");
    ++v;
    while (v < header.size() && header[v] == ' ') ++v;
    if (v >= header.size()) throw bad("malformed .npy header");
    if (header[v] == '\'') {
      const auto e = header.find('\'', v + 1);
      if (e == std::string::npos) throw bad("malformed .npy header");
      return header.substr(v + 1, e - v - 1);
    }
    if (header[v] == '(') {
      const auto e = header.find(')', v);
      if (e == std::string::npos) throw bad("malformed .npy header");
      return header.substr(v + 1, e - v - 1);
    }
    const auto e = header.find_first_of(",}", v);
    return header.substr(v, e == std::string::npos ? std::string::npos : e - v);
  };
  const std::string descr = field("descr");
  if (field("fortran_order").rfind("False", 0) != 0) {
    throw Error(ErrorCode::kUnsupported, "Fortran-ordered .npy arrays are not supported", source);
  }
  std::vector<int64_t> shape;
  const std::string dims = field("shape");
  size_t i = 0;
  while (i < dims.size()) {
    while (i < dims.size() && (dims[i] == ' ' || dims[i] == ',')) ++i;
    if (i >= dims.size()) break;
    size_t j = i;
    while (j < dims.size() && std::isdigit(static_cast<unsigned char>(dims[j]))) ++j;
    if (j == i) throw bad(fmt::format("bad .npy shape ({})", dims));
    if (j - i > 18) throw Error(ErrorCode::kShapeOverflow, "a .npy dimension is too large", source);
    shape.push_back(std::stoll(dims.substr(i, j - i)));
    i = j;
  }
  const uint64_t n = elementCount(shape);
  auto need = [&](uint64_t width) {
    if (checkedMul(n, width) > data.size()) {
      throw Error(
          ErrorCode::kTruncated,
          fmt::format(".npy data holds {} bytes, the header needs {}", data.size(), n * width),
          source);
    }
  };
  auto numeric = [&](DType dt, uint64_t width) {
    need(width);
    Buffer buf = Buffer::allocate(static_cast<size_t>(n * width));
    if (n) std::memcpy(buf.mutableData(), data.data(), static_cast<size_t>(n * width));
    return Tensor(dt, shape, std::move(buf), 0);
  };
  if (descr == "<f4") return numeric(DType::kFloat32, 4);
  if (descr == "<i4") return numeric(DType::kInt32, 4);
  if (descr == "|b1") return numeric(DType::kBool, 1);
  if (descr == "<c8") return numeric(DType::kComplex64, 8);
  // Other numeric dtypes are converted as TF.js's tf.tensor does with typed arrays: every
  // integer type to int32 (64-bit values wrap), float16 / float64 to float32. '>' (big-endian)
  // and '=' / '|' (native: little-endian here) byte orders are read.
  const char order = descr.empty() ? '?' : descr[0];
  const char kind = descr.size() > 1 ? descr[1] : '?';
  uint64_t w = 0;
  if (descr.size() == 3 && std::isdigit(static_cast<unsigned char>(descr[2]))) w = descr[2] - '0';
  const bool known = (order == '<' || order == '>' || order == '=' || order == '|') &&
                     ((kind == 'f' && (w == 2 || w == 4 || w == 8)) ||
                      ((kind == 'i' || kind == 'u') && (w == 1 || w == 2 || w == 4 || w == 8)) ||
                      (kind == 'b' && w == 1));
  if (known && !(order == '|' && w > 1)) {
    need(w);
    const bool swap = order == '>' && w > 1;
    const DType dt = kind == 'f' ? DType::kFloat32 : kind == 'b' ? DType::kBool : DType::kInt32;
    const size_t outWidth = dt == DType::kBool ? 1 : 4;
    Buffer buf = Buffer::allocate(static_cast<size_t>(n * outWidth));
    for (uint64_t k = 0; k < n; ++k) {
      uint8_t raw[8];
      std::memcpy(raw, data.data() + k * w, static_cast<size_t>(w));
      if (swap) std::reverse(raw, raw + w);
      uint64_t bits = 0;
      std::memcpy(&bits, raw, static_cast<size_t>(w));  // little-endian host
      uint8_t* dst = buf.mutableData() + k * outWidth;
      if (kind == 'b') {
        *dst = bits != 0;
      } else if (kind == 'f') {
        float f;
        if (w == 2) {
          f = halfToFloat(static_cast<uint16_t>(bits));
        } else if (w == 4) {
          std::memcpy(&f, &bits, 4);
        } else {
          double v;
          std::memcpy(&v, &bits, 8);
          f = static_cast<float>(v);
        }
        std::memcpy(dst, &f, 4);
      } else {
        int64_t v;
        if (kind == 'u') {
          v = static_cast<int64_t>(bits);
        } else {
          // Sign-extend from `w` bytes.
          const unsigned shift = static_cast<unsigned>(64 - 8 * w);
          v = static_cast<int64_t>(bits << shift) >> shift;
        }
        const auto x = static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
        std::memcpy(dst, &x, 4);
      }
    }
    return Tensor(dt, shape, std::move(buf), 0);
  }
  if (descr.size() > 2 && descr[0] == '|' && descr[1] == 'S') {
    const uint64_t width = std::stoull(descr.substr(2));
    need(width);
    std::vector<std::string> strings;
    for (uint64_t k = 0; k < n; ++k) {
      std::string s(data.substr(static_cast<size_t>(k * width), static_cast<size_t>(width)));
      s.erase(s.find_last_not_of('\0') + 1);
      strings.push_back(std::move(s));
    }
    return Tensor(shape, std::move(strings));
  }
  if (descr == "|O") {
    throw Error(ErrorCode::kUnsupported, ".npy object arrays (pickles) are refused", source);
  }
  throw Error(
      ErrorCode::kUnsupported,
      fmt::format(".npy dtype '{}' is not supported (supported: float16/32/64, int8/16/32/64, "
                  "uint8/16/32/64, bool, complex64 and byte strings)",
                  descr),
      source);
}

}  // namespace tfjs
