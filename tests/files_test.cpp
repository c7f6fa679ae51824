// io/files.h: the one size-capped reader and the one atomic writer every reader and writer uses.
#include "io/files.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "test_util.h"
#include "tfjs/error.h"
#include "tfjs/io.h"
#include "tfjs/npy.h"
#include "tfjs/tensor.h"

namespace tfjs {
namespace {

ErrorCode codeOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.code();
  }
  ADD_FAILURE() << "no error";
  return ErrorCode::kIo;
}

size_t entries(const fs::path& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

TEST(Files, ReadFileCappedReadsRefusesAndNamesTheFile) {
  test::TempDir tmp;
  test::writeText(tmp / "a.json", "{\"x\": 1}");
  EXPECT_EQ(io::readFileCapped((tmp / "a.json").string(), 8), "{\"x\": 1}");
  EXPECT_EQ(codeOf([&] { io::readFileCapped((tmp / "a.json").string(), 7); }),
            ErrorCode::kTooLarge);
  EXPECT_EQ(codeOf([&] { io::readFileCapped((tmp / "missing").string(), 8); }),
            ErrorCode::kNotFound);
  EXPECT_EQ(codeOf([&] { io::readFileCapped(tmp.path().string(), 8); }), ErrorCode::kIo);
  // A FIFO with no writer is refused at once, not waited on.
  ASSERT_EQ(::mkfifo((tmp / "fifo").c_str(), 0600), 0);
  EXPECT_EQ(codeOf([&] { io::readFileCapped((tmp / "fifo").string(), 8); }), ErrorCode::kIo);
  try {
    io::readFileCapped((tmp / "a.json").string(), 3, "the --metadata file 'm'");
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the --metadata file 'm' holds 8 bytes"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("a.json"), std::string::npos) << e.what();
  }
}

TEST(Files, AtomicFileLeavesNothingUntilCommittedAndNeverClobbers) {
  test::TempDir tmp;
  const fs::path out = tmp / "out.bin";
  {
    io::AtomicFile f(out.string(), false);
    f.write("half");
    EXPECT_TRUE(fs::exists(f.path()));
    EXPECT_FALSE(fs::exists(out));
  }  // not committed: the temporary file is gone
  EXPECT_EQ(entries(tmp.path()), 0u);
  {
    io::AtomicFile f(out.string(), false);
    f.write("whole");
    f.commit(/*sync=*/true);
  }
  EXPECT_EQ(test::readText(out), "whole");
  // An existing output is refused (before anything is written), and stays as it was.
  EXPECT_EQ(codeOf([&] { io::AtomicFile(out.string(), false); }), ErrorCode::kExists);
  EXPECT_EQ(codeOf([&] { writeFileAtomic(out.string(), "new"); }), ErrorCode::kExists);
  EXPECT_EQ(test::readText(out), "whole");
  writeFileAtomic(out.string(), "new", {.overwrite = true});
  EXPECT_EQ(test::readText(out), "new");
  EXPECT_EQ(entries(tmp.path()), 1u);
  // A folder is never replaced; a missing parent folder is named.
  fs::create_directory(tmp / "dir");
  EXPECT_EQ(codeOf([&] { writeFileAtomic((tmp / "dir").string(), "x", {.overwrite = true}); }),
            ErrorCode::kExists);
  EXPECT_EQ(codeOf([&] { writeFileAtomic((tmp / "no" / "x").string(), "x"); }),
            ErrorCode::kNotFound);
}

TEST(Files, NpyWritesAreAtomic) {
  test::TempDir tmp;
  const fs::path p = tmp / "x.npy";
  writeNpy(tensor({1, 2, 3}, {3}), p.string());
  writeNpy(tensor({4, 5}, {2}), p.string());  // replaces, as numpy.save does
  EXPECT_EQ(readNpy(p.string()).shape(), (std::vector<int64_t>{2}));
  EXPECT_EQ(entries(tmp.path()), 1u);
  fs::create_directory(tmp / "d.npy");
  EXPECT_EQ(codeOf([&] { writeNpy(tensor({1}, {1}), (tmp / "d.npy").string()); }),
            ErrorCode::kExists);
  EXPECT_EQ(entries(tmp.path()), 2u);
}

}  // namespace
}  // namespace tfjs
