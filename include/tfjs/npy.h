// tfjs/npy.h — NumPy .npy files (format version 1.0) for tensors on the command line.
//
// float32 → '<f4', int32 → '<i4', bool → '|b1', complex64 → '<c8', string → '|S<n>' (fixed-width
// bytes, n = the longest element, as numpy stores bytes arrays). Writes are atomic (temporary
// file + rename). Reading accepts the same dtypes plus the other numeric ones, converted as TF.js
// converts typed arrays: float16 / float64 to float32; int8/16/64 and uint8/16/32/64 to int32
// (64-bit values wrap); big-endian ('>') byte orders too. It refuses Fortran order and object
// arrays (pickles), naming the dtype or header field at fault.
#pragma once

#include <string>

#include "tfjs/tensor.h"

namespace tfjs {

// The bytes of a .npy file holding `tensor`.
std::string encodeNpy(const Tensor& tensor);
// Writes `tensor` to `path` atomically. Throws tfjs::Error(kIo) on failure.
void writeNpy(const Tensor& tensor, const std::string& path);
// Reads a .npy file. Throws tfjs::Error(kSchema / kUnsupported / kIo) naming the file.
Tensor readNpy(const std::string& path);
Tensor decodeNpy(std::string_view bytes, const std::string& source = "<npy>");

}  // namespace tfjs
