// Command-line values as tensors: .npy, JSON, CSV / TSV and images (inputs.h).
#include "inputs.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include "images.h"
#include "tfjs/npy.h"

namespace tfjs::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kForms =
    "an input is a .npy, .json, .csv, .tsv, .png, .jpg or .jpeg file, @FILE.json, or a JSON "
    "array such as [[1,2]] or [\"a\",\"b\"]";

std::string readFile(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    throw Error(ErrorCode::kNotFound, fmt::format("no such file ({})", kForms), path);
  }
  if (fs::is_directory(path, ec)) {
    throw Error(ErrorCode::kInvalidArgument, fmt::format("a folder, not a file ({})", kForms),
                path);
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) throw Error(ErrorCode::kIo, "cannot read the file", path);
  return ss.str();
}

Tensor floatTensor(std::vector<int64_t> shape, const std::vector<float>& values) {
  Buffer buf = Buffer::allocate(values.size() * sizeof(float));
  if (!values.empty()) std::memcpy(buf.mutableData(), values.data(), values.size() * sizeof(float));
  return Tensor(DType::kFloat32, std::move(shape), std::move(buf), 0);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string position(const std::vector<size_t>& at) {
  if (at.empty()) return "the top level";
  std::string s;
  for (size_t i : at) s += fmt::format("[{}]", i);
  return s;
}

std::string kindOf(const Json& j) {
  if (j.is_array()) return "an array";
  if (j.is_object()) return "an object";
  if (j.is_null()) return "null";
  if (j.is_boolean()) return "a boolean";
  if (j.is_number()) return "a number";
  std::string text = j.dump();
  if (text.size() > 24) text = text.substr(0, 20) + "...\"";
  return "a string (" + text + ")";
}

// The shape comes from the first element at every depth; everything must agree with it.
// `strings` collects the leaves of a JSON array of strings (a string model input); null for
// numbers.
void collect(const Json& j, const std::vector<int64_t>& shape, std::vector<size_t>& at,
             std::vector<float>& values, std::vector<std::string>* strings,
             const std::string& source) {
  const size_t depth = at.size();
  const std::vector<size_t> first(depth, 0);
  if (depth < shape.size()) {
    if (!j.is_array()) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("JSON input: {} is {} but {} is an array: nested arrays must be "
                              "rectangular",
                              position(at), kindOf(j), position(first)),
                  source);
    }
    if (static_cast<int64_t>(j.size()) != shape[depth]) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("JSON input: {} has {} element(s) but {} has {}: nested arrays "
                              "must be rectangular",
                              position(at), j.size(), position(first), shape[depth]),
                  source);
    }
    for (size_t i = 0; i < j.size(); ++i) {
      at.push_back(i);
      collect(j[i], shape, at, values, strings, source);
      at.pop_back();
    }
  } else if (strings && j.is_string()) {
    strings->push_back(j.get<std::string>());
  } else if (strings) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("JSON input: {} is {} among strings: a string input's elements are "
                            "all strings",
                            position(at), kindOf(j)),
                source);
  } else if (j.is_number()) {
    values.push_back(j.get<float>());
  } else if (j.is_boolean()) {
    values.push_back(j.get<bool>() ? 1.0f : 0.0f);
  } else if (j.is_array() && depth > 0) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("JSON input: {} is an array but {} is a number: nested arrays must "
                            "be rectangular",
                            position(at), position(first)),
                source);
  } else {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("JSON input: {} is {}: only numbers and booleans (and arrays of "
                            "them), or strings (and arrays of them) are allowed",
                            position(at), kindOf(j)),
                source);
  }
}

// How a literal is named in messages: "the JSON input [[1,2],[3]]", shortened.
std::string literalName(const std::string& value) {
  return "the JSON input " + (value.size() > 40 ? value.substr(0, 36) + " ..." : value);
}

Json parseJson(std::string_view text, const std::string& source, ErrorCode code) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    std::string why = e.what();
    if (const auto close = why.find("] ");
        why.starts_with("[json.exception") && close != std::string::npos)
      why = why.substr(close + 2);
    throw Error(code, fmt::format("not valid JSON: {}", why), source);
  }
}

int64_t positiveDim(const std::string& s, const std::string& whole) {
  int64_t v = 0;
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size() || v <= 0 || v > 65535) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("--image-size '{}' is not WIDTHxHEIGHT (e.g. 224x224)", whole));
  }
  return v;
}

Tensor imageTensor(const Image& image, const ImageArgs& args, const InputTarget& target,
                   const std::string& source) {
  const bool modelImage = target.shape.size() == 4;
  int channels = args.channels;
  if (channels == 0) {
    const int64_t last = modelImage ? target.shape[3] : -1;
    channels = (last == 1 || last == 3 || last == 4) ? static_cast<int>(last)
               : image.channels <= 2                 ? 1
                                                     : 3;
  }
  int64_t width = image.width, height = image.height;
  if (!args.size.empty()) {
    const auto x = lower(args.size).find('x');
    if (x == std::string::npos) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("--image-size '{}' is not WIDTHxHEIGHT (e.g. 224x224)", args.size));
    }
    width = positiveDim(args.size.substr(0, x), args.size);
    height = positiveDim(args.size.substr(x + 1), args.size);
  } else if (modelImage && target.shape[1] > 0 && target.shape[2] > 0 &&
             (target.shape[1] != height || target.shape[2] != width)) {
    height = target.shape[1];
    width = target.shape[2];
    std::fprintf(stderr,
                 "tfjs: note: %s: resized from %dx%d to %lldx%lld, the size of input '%s' "
                 "(bilinear, as tf.image.resizeBilinear; --image-size WxH to choose)\n",
                 source.c_str(), image.width, image.height, static_cast<long long>(width),
                 static_cast<long long>(height), target.name.c_str());
  }
  std::vector<float> values = imageFloats(image, channels);
  if (width != image.width || height != image.height) {
    values = resizeBilinear(values, image.height, image.width, channels, static_cast<int>(height),
                            static_cast<int>(width));
  }
  if (args.scale == "0..1") {
    for (float& v : values) v = v / 255.0f;
  } else if (args.scale == "-1..1") {
    for (float& v : values) v = v / 127.5f - 1.0f;
  } else if (args.scale != "0..255") {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("--scale '{}' is not one of 0..255, 0..1, -1..1", args.scale));
  }
  return floatTensor({1, height, width, channels}, values);
}

// A bare number (or true / false): a scalar.
std::optional<float> scalarOf(const std::string& s) {
  if (s == "true" || s == "false") return s == "true" ? 1.0f : 0.0f;
  double v = 0;
  const char* e = s.data() + s.size();
  const auto r = std::from_chars(s.data(), e, v);
  if (s.empty() || r.ec != std::errc() || r.ptr != e || !std::isfinite(v)) return std::nullopt;
  return static_cast<float>(v);
}

Tensor forModel(Tensor t) {
  if (t.dtype() != DType::kBool) return t;
  std::vector<float> values;
  for (uint8_t b : t.bools()) values.push_back(b ? 1.0f : 0.0f);
  return floatTensor(t.shape(), values);
}

}  // namespace

void ImageArgs::add(CLI::App& cmd) {
  cmd.add_option("--image-size", size,
                 "resize image inputs to WIDTHxHEIGHT (bilinear as tf.image.resizeBilinear, "
                 "alignCorners and halfPixelCenters false; default: the model input's size when "
                 "known, else the image's)");
  cmd.add_option("--scale", scale,
                 "image pixel values: 0..255 (raw, as tf.browser.fromPixels), 0..1 (/255) or -1..1 "
                 "(/127.5 - 1)")
      ->capture_default_str()
      ->check(CLI::IsMember({"0..255", "0..1", "-1..1"}));
  cmd.add_option("--channels", channels,
                 "image channels: 1 (gray), 3 (RGB, alpha dropped as tf.browser.fromPixels(img, "
                 "3)) or 4 (RGBA); default: the model input's last dimension, else 1 for gray "
                 "images and 3 for colour ones")
      ->check(CLI::IsMember({1, 3, 4}));
}

Tensor tensorFromJson(const Json& j, const std::string& source) {
  std::vector<int64_t> shape;
  for (const Json* p = &j; p->is_array(); p = &(*p)[0]) {
    shape.push_back(static_cast<int64_t>(p->size()));
    if (p->empty()) break;
  }
  // The first leaf decides: strings make a string tensor (for a graph model's string input).
  const Json* leaf = &j;
  while (leaf->is_array() && !leaf->empty()) leaf = &(*leaf)[0];
  std::vector<float> values;
  std::vector<std::string> strings;
  std::vector<size_t> at;
  collect(j, shape, at, values, leaf->is_string() ? &strings : nullptr, source);
  if (leaf->is_string()) return Tensor(shape, std::move(strings));
  return floatTensor(shape, values);
}

Tensor tensorFromDelimited(std::string_view text, char separator, const std::string& source,
                           std::string* header) {
  if (header) header->clear();
  std::vector<float> values;
  size_t columns = 0, rows = 0, firstLine = 0, lineNo = 0;
  const char* what = separator == '\t' ? "TSV" : "CSV";
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (lineNo == 1 && line.starts_with("\xef\xbb\xbf")) line.remove_prefix(3);  // a UTF-8 BOM
    const auto nonBlank = line.find_first_not_of(" \t");
    if (nonBlank == std::string_view::npos || line[nonBlank] == '#') continue;
    std::vector<float> row;
    std::string bad;
    size_t badColumn = 0;
    size_t start = 0;
    while (true) {
      size_t stop = line.find(separator, start);
      if (stop == std::string_view::npos) stop = line.size();
      std::string_view field = line.substr(start, stop - start);
      while (!field.empty() && (field.front() == ' ' || field.front() == '\t'))
        field.remove_prefix(1);
      while (!field.empty() && (field.back() == ' ' || field.back() == '\t'))
        field.remove_suffix(1);
      if (field.size() >= 2 && field.front() == '"' && field.back() == '"') {
        field = field.substr(1, field.size() - 2);
      }
      if (!field.empty() && field.front() == '+') field.remove_prefix(1);
      double v = 0;
      const auto r = std::from_chars(field.data(), field.data() + field.size(), v);
      if (bad.empty() &&
          (field.empty() || r.ec != std::errc() || r.ptr != field.data() + field.size())) {
        bad = field.empty() ? "an empty field" : fmt::format("'{}'", field);
        badColumn = row.size() + 1;
      }
      row.push_back(static_cast<float>(v));
      if (stop == line.size()) break;
      start = stop + 1;
    }
    if (!bad.empty()) {
      // A first row with words (not merely an empty field) is a header.
      if (rows == 0 && header && firstLine == 0 && bad != "an empty field") {
        *header = std::string(line);
        firstLine = lineNo;
        columns = row.size();
        continue;
      }
      throw Error(
          ErrorCode::kInvalidArgument,
          fmt::format("{} line {}, column {}: {} is not a number", what, lineNo, badColumn, bad),
          source);
    }
    if (rows == 0 && firstLine == 0) {
      columns = row.size();
      firstLine = lineNo;
    } else if (row.size() != columns) {
      throw Error(ErrorCode::kInvalidArgument,
                  fmt::format("{} line {} has {} value(s) but line {} has {}: every row needs the "
                              "same number of columns",
                              what, lineNo, row.size(), firstLine, columns),
                  source);
    }
    values.insert(values.end(), row.begin(), row.end());
    ++rows;
  }
  if (rows == 0) {
    throw Error(ErrorCode::kInvalidArgument,
                fmt::format("the {} file has no rows of numbers{}", what,
                            header && !header->empty() ? " (only a header row)" : ""),
                source);
  }
  return floatTensor({static_cast<int64_t>(rows), static_cast<int64_t>(columns)}, values);
}

Tensor readInput(const std::string& value, const ImageArgs& image, const InputTarget& target) {
  if (value.empty())
    throw Error(ErrorCode::kInvalidArgument, fmt::format("an empty input: {}", kForms));
  const auto nonBlank = value.find_first_not_of(" \t\n");
  if (nonBlank != std::string::npos && (value[nonBlank] == '[' || value[nonBlank] == '"')) {
    return tensorFromJson(parseJson(value, literalName(value), ErrorCode::kInvalidArgument),
                          literalName(value));
  }
  if (value[0] == '@') {
    const std::string path = value.substr(1);
    return tensorFromJson(parseJson(readFile(path), path, ErrorCode::kInvalidJson), path);
  }
  std::error_code ec;
  if (const auto scalar = scalarOf(value); scalar && !fs::exists(value, ec)) {
    return floatTensor({}, {*scalar});
  }
  const std::string ext = lower(fs::path(value).extension().string());
  if (ext == ".npy") return forModel(readNpy(value));
  if (ext == ".json") {
    return tensorFromJson(parseJson(readFile(value), value, ErrorCode::kInvalidJson), value);
  }
  if (ext == ".csv" || ext == ".tsv") {
    std::string header;
    Tensor t = tensorFromDelimited(readFile(value), ext == ".csv" ? ',' : '\t', value, &header);
    if (!header.empty()) {
      std::fprintf(stderr, "tfjs: note: %s: skipped the header row: %s\n", value.c_str(),
                   header.c_str());
    }
    return t;
  }
  if (ext == ".png") return imageTensor(decodePng(readFile(value), value), image, target, value);
  if (ext == ".jpg" || ext == ".jpeg") {
    return imageTensor(decodeJpeg(readFile(value), value), image, target, value);
  }
  if (!fs::exists(value, ec)) {
    throw Error(ErrorCode::kNotFound, fmt::format("no such file ({})", kForms), value);
  }
  throw Error(ErrorCode::kInvalidArgument,
              fmt::format("unknown extension '{}' ({})", ext.empty() ? "(none)" : ext, kForms),
              value);
}

}  // namespace tfjs::cli
