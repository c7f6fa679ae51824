// PNG (libpng) and JPEG (libjpeg-turbo) decoding and TF.js's bilinear resize, for image inputs
// of the `tfjs` command (inputs.h).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tfjs::cli {

// 8-bit pixels, row-major, interleaved: channels is 1 (gray), 2 (gray + alpha), 3 (RGB) or
// 4 (RGBA). No gamma or colour-profile conversion is applied (as tf.node.decodeImage).
struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;
};

// Decodes a PNG: palettes are expanded to RGB, transparency to an alpha channel, 16-bit samples
// keep their high byte, gray below 8 bits is scaled to 8. Throws tfjs::Error(kSchema) naming
// `source` and what is wrong (truncated, corrupt, not a PNG), kTooLarge beyond 2^28 pixels.
Image decodePng(std::string_view bytes, const std::string& source);
// Decodes a JPEG to RGB (or gray for grayscale JPEGs). A truncated or corrupt stream is an error
// (kSchema), not a gray-filled image.
Image decodeJpeg(std::string_view bytes, const std::string& source);

// Interleaved float pixels of `image` with `channels` channels (1, 3 or 4): alpha is dropped or
// added (255), gray is repeated to RGB, RGB becomes gray as tf.image.rgbToGrayscale does
// (0.2989 R + 0.587 G + 0.114 B).
std::vector<float> imageFloats(const Image& image, int channels);

// tf.image.resizeBilinear(x, [newHeight, newWidth]) with TF.js's defaults alignCorners = false
// and halfPixelCenters = false, on one interleaved [height, width, channels] image; computed as
// TF.js's cpu backend does (in double precision, rounded to float32 once).
std::vector<float> resizeBilinear(const std::vector<float>& in, int height, int width, int channels,
                                  int newHeight, int newWidth);

}  // namespace tfjs::cli
