// Image decoding with libpng and libjpeg-turbo. Both report errors by longjmp: each decoder keeps
// its C state in one function whose locals have trivial destructors (the only C++ object, the
// output vector, belongs to the caller), so a longjmp skips no destructor and frees everything.
#include "images.h"

#include <fmt/format.h>
#include <png.h>

#include <algorithm>
#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <new>

// jpeglib.h needs FILE and size_t first.
#include <jerror.h>
#include <jpeglib.h>

#include "tfjs/error.h"

namespace tfjs::cli {
namespace {

constexpr uint64_t kMaxPixels = uint64_t{1} << 28;

// --- PNG -----------------------------------------------------------------------------------------
struct PngReader {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char message[256];
};

void pngRead(png_structp png, png_bytep out, size_t length) {
  auto* r = static_cast<PngReader*>(png_get_io_ptr(png));
  if (length > r->size - r->pos) png_error(png, "unexpected end of file");
  std::memcpy(out, r->data + r->pos, length);
  r->pos += length;
}

[[noreturn]] void pngFail(png_structp png, png_const_charp message) {
  auto* r = static_cast<PngReader*>(png_get_error_ptr(png));
  std::snprintf(r->message, sizeof r->message, "%s", message);
  png_longjmp(png, 1);
}

void pngWarn(png_structp, png_const_charp) {}

// 0 on success; 1: libpng failed (reader->message); 2: too many pixels; 3: out of memory.
int decodePngC(PngReader* reader, Image* image) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, reader, pngFail, pngWarn);
  if (!png) return 3;
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return 3;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return 1;
  }
  png_set_read_fn(png, reader, pngRead);
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info);
  const png_uint_32 height = png_get_image_height(png, info);
  if (static_cast<uint64_t>(width) * height > kMaxPixels) {
    png_destroy_read_struct(&png, &info, nullptr);
    return 2;
  }
  png_set_expand(png);  // palette → RGB, gray < 8 bits → 8 bits, tRNS → alpha
  png_set_strip_16(png);
  const int passes = png_set_interlace_handling(png);
  png_read_update_info(png, info);
  const int channels = png_get_channels(png, info);
  const size_t rowBytes = png_get_rowbytes(png, info);
  image->width = static_cast<int>(width);
  image->height = static_cast<int>(height);
  image->channels = channels;
  bool allocated = true;
  try {
    image->pixels.assign(rowBytes * height, 0);
  } catch (const std::bad_alloc&) {
    allocated = false;
  }
  if (!allocated || rowBytes != static_cast<size_t>(width) * static_cast<size_t>(channels)) {
    png_destroy_read_struct(&png, &info, nullptr);
    return 3;
  }
  for (int pass = 0; pass < passes; ++pass) {
    for (png_uint_32 y = 0; y < height; ++y) {
      png_read_row(png, image->pixels.data() + y * rowBytes, nullptr);
    }
  }
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return 0;
}

// --- JPEG ----------------------------------------------------------------------------------------
struct JpegFailure {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void jpegFail(j_common_ptr cinfo) {
  auto* f = reinterpret_cast<JpegFailure*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, f->message);
  std::longjmp(f->jump, 1);
}

// libjpeg only warns about a stream that ends early and fills the rest with gray: that is an
// error here. Other warnings (e.g. extraneous bytes before a marker) are ignored, as browsers do.
void jpegMessage(j_common_ptr cinfo, int level) {
  if (level < 0 &&
      (cinfo->err->msg_code == JWRN_JPEG_EOF || cinfo->err->msg_code == JWRN_HIT_MARKER)) {
    jpegFail(cinfo);
  }
}

// 0 on success; 1: libjpeg failed (failure->message); 2: too many pixels; 3: out of memory.
int decodeJpegC(const uint8_t* data, size_t size, JpegFailure* failure, Image* image) {
  jpeg_decompress_struct cinfo;
  std::memset(&cinfo, 0, sizeof cinfo);
  cinfo.err = jpeg_std_error(&failure->mgr);
  failure->mgr.error_exit = jpegFail;
  failure->mgr.emit_message = jpegMessage;
  if (setjmp(failure->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return 1;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  cinfo.out_color_space = cinfo.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  if (static_cast<uint64_t>(cinfo.image_width) * cinfo.image_height > kMaxPixels) {
    jpeg_destroy_decompress(&cinfo);
    return 2;
  }
  jpeg_start_decompress(&cinfo);
  image->width = static_cast<int>(cinfo.output_width);
  image->height = static_cast<int>(cinfo.output_height);
  image->channels = cinfo.output_components;
  const size_t rowBytes = static_cast<size_t>(cinfo.output_width) * cinfo.output_components;
  bool allocated = true;
  try {
    image->pixels.assign(rowBytes * cinfo.output_height, 0);
  } catch (const std::bad_alloc&) {
    allocated = false;
  }
  if (!allocated) {
    jpeg_destroy_decompress(&cinfo);
    return 3;
  }
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = image->pixels.data() + cinfo.output_scanline * rowBytes;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return 0;
}

Error decodeError(int rc, const char* format, const char* message, const std::string& source) {
  if (rc == 2) {
    return Error(ErrorCode::kTooLarge,
                 fmt::format("the {} image has more than {} pixels", format, kMaxPixels), source);
  }
  if (rc == 3) {
    return Error(ErrorCode::kTooLarge, fmt::format("out of memory decoding the {} image", format),
                 source);
  }
  return Error(ErrorCode::kSchema,
               fmt::format("cannot decode the {} image: {} (is the file truncated or corrupt?)",
                           format, message),
               source);
}

}  // namespace

Image decodePng(std::string_view bytes, const std::string& source) {
  if (bytes.size() < 8 || png_sig_cmp(reinterpret_cast<png_const_bytep>(bytes.data()), 0, 8)) {
    throw Error(ErrorCode::kSchema, "not a PNG file (no PNG signature)", source);
  }
  PngReader reader{reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 0, {}};
  Image image;
  const int rc = decodePngC(&reader, &image);
  if (rc != 0) throw decodeError(rc, "PNG", reader.message, source);
  return image;
}

Image decodeJpeg(std::string_view bytes, const std::string& source) {
  if (bytes.size() < 3 || static_cast<uint8_t>(bytes[0]) != 0xff ||
      static_cast<uint8_t>(bytes[1]) != 0xd8) {
    throw Error(ErrorCode::kSchema, "not a JPEG file (no SOI marker)", source);
  }
  JpegFailure failure;
  std::memset(&failure, 0, sizeof failure);
  Image image;
  const int rc =
      decodeJpegC(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), &failure, &image);
  if (rc != 0) throw decodeError(rc, "JPEG", failure.message, source);
  return image;
}

std::vector<float> imageFloats(const Image& image, int channels) {
  const size_t n = static_cast<size_t>(image.width) * static_cast<size_t>(image.height);
  const int from = image.channels;
  const bool color = from >= 3;
  const bool alpha = from == 2 || from == 4;
  std::vector<float> out(n * static_cast<size_t>(channels));
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = image.pixels.data() + i * static_cast<size_t>(from);
    float* q = out.data() + i * static_cast<size_t>(channels);
    const float r = p[0], g = color ? p[1] : p[0], b = color ? p[2] : p[0];
    const float a = alpha ? p[from - 1] : 255.0f;
    if (channels == 1) {
      q[0] = color ? 0.2989f * r + 0.587f * g + 0.114f * b : r;
    } else {
      q[0] = r;
      q[1] = g;
      q[2] = b;
      if (channels == 4) q[3] = a;
    }
  }
  return out;
}

std::vector<float> resizeBilinear(const std::vector<float>& in, int height, int width, int channels,
                                  int newHeight, int newWidth) {
  // tfjs-backend-cpu's ResizeBilinear with alignCorners = false, halfPixelCenters = false.
  const double rowRatio = static_cast<double>(height) / newHeight;
  const double colRatio = static_cast<double>(width) / newWidth;
  const size_t c = static_cast<size_t>(channels);
  std::vector<float> out(static_cast<size_t>(newHeight) * static_cast<size_t>(newWidth) * c);
  auto at = [&](int y, int x, size_t k) -> double {
    return in[(static_cast<size_t>(y) * static_cast<size_t>(width) + static_cast<size_t>(x)) * c +
              k];
  };
  for (int r = 0; r < newHeight; ++r) {
    const double fracRow = rowRatio * r;
    const int rowFloor = std::max(0, static_cast<int>(std::floor(fracRow)));
    const double rowFrac = fracRow - rowFloor;
    const int rowCeil = std::min(height - 1, static_cast<int>(std::ceil(fracRow)));
    for (int col = 0; col < newWidth; ++col) {
      const double fracCol = colRatio * col;
      const int colFloor = std::max(0, static_cast<int>(std::floor(fracCol)));
      const double colFrac = fracCol - colFloor;
      const int colCeil = std::min(width - 1, static_cast<int>(std::ceil(fracCol)));
      for (size_t k = 0; k < c; ++k) {
        const double topLeft = at(rowFloor, colFloor, k), topRight = at(rowFloor, colCeil, k);
        const double bottomLeft = at(rowCeil, colFloor, k), bottomRight = at(rowCeil, colCeil, k);
        const double top = topLeft + (topRight - topLeft) * colFrac;
        const double bottom = bottomLeft + (bottomRight - bottomLeft) * colFrac;
        out[(static_cast<size_t>(r) * static_cast<size_t>(newWidth) + static_cast<size_t>(col)) *
                c +
            k] = static_cast<float>(top + (bottom - top) * rowFrac);
      }
    }
  }
  return out;
}

}  // namespace tfjs::cli
