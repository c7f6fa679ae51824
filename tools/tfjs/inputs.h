// The values of `tfjs predict --input`, `tfjs train --x/--y` and `tfjs convert --sample`: one
// tensor from a command-line word, which is one of
//   FILE.npy                    a NumPy array (any numeric dtype; see tfjs/npy.h)
//   [[1,2],[3,4]]  or  10       a JSON literal: nested arrays of numbers (booleans are 1 / 0),
//                               float32; a bare number is a scalar (shape []); or of strings
//                               (["a b","c"], "word"): a string tensor, for string graph inputs
//   @FILE.json  or  FILE.json   a JSON file with the same content
//   FILE.csv  or  FILE.tsv      rows of numbers → [rows, columns] float32; a first row that is not
//                               numbers is a header (skipped, with a note); '#' lines are comments
//   FILE.png / .jpg / .jpeg     an image → [1, height, width, channels] float32 (ImageArgs)
// Bool arrays become float32 0 / 1 (a model's inputs are numbers); int32 stays int32.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "tfjs/artifacts.h"
#include "tfjs/tensor.h"

namespace tfjs::cli {

// --image-size, --scale and --channels: how an image becomes a tensor.
struct ImageArgs {
  std::string size;              // "WxH"; empty: the model input's height and width when known
  std::string scale = "0..255";  // "0..255" (raw, as tf.browser.fromPixels), "0..1", "-1..1"
  int channels = 0;  // 1, 3 or 4; 0: the model input's last dimension when it is one of them,
                     // else 1 for a gray image and 3 (RGB) for a colour one
  void add(CLI::App& cmd);
};

// What the value is for, when known: fits images to a model input.
struct InputTarget {
  std::string name;            // the model input's name, for notes
  std::vector<int64_t> shape;  // its shape (-1: unknown); empty when unknown
};

// Reads one value (see above). Throws tfjs::Error: kNotFound for a missing file,
// kInvalidArgument for an unusable literal or an unknown extension, kSchema / kInvalidJson /
// kTruncated for a file that cannot be read as what its extension says, naming the position.
Tensor readInput(const std::string& value, const ImageArgs& image = {},
                 const InputTarget& target = {});

// JSON (nested arrays of numbers or booleans, or one number) → float32. Errors name the
// position, e.g. "[1][0]". `source` names the literal or the file.
Tensor tensorFromJson(const Json& j, const std::string& source);
// Delimited text (CSV: ',', TSV: '\t') → float32 [rows, columns]. A header row is skipped and
// returned in `header` (empty when there was none).
Tensor tensorFromDelimited(std::string_view text, char separator, const std::string& source,
                           std::string* header);

}  // namespace tfjs::cli
