#include "engine/weights/safetensors_file.h"

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/weights/dtype.h"
#include "engine/weights/safetensors_writer.h"
#include "engine/weights/tensor_info.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/weights/weights_test_files.h"

namespace hybridserve::engine {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_files::AsBytes;
using testing_files::RawSafetensors;
using testing_files::ScratchDir;
using testing_files::WriteBytes;

// Opens `bytes` written to `name` in a scratch dir and expects failure with `code`, a message
// naming the file and every string in `must_mention`.
void ExpectOpenFails(const std::string& name, const std::string& bytes, absl::StatusCode code,
                     const std::vector<std::string>& must_mention) {
  ScratchDir dir;
  const std::string path = dir.File(name);
  WriteBytes(path, bytes);
  const auto file = SafetensorsFile::Open(path);
  ASSERT_FALSE(file.ok()) << "opened " << name;
  EXPECT_EQ(file.status().code(), code) << file.status();
  const std::string message(file.status().message());
  EXPECT_THAT(message, HasSubstr(name));
  for (const std::string& word : must_mention) EXPECT_THAT(message, HasSubstr(word));
}

TEST(SafetensorsFileTest, RoundTripsAllDtypesAndShapes) {
  ScratchDir dir;
  const std::string path = dir.File("model.safetensors");
  const std::vector<float> scalar = {42.5f};
  std::vector<uint16_t> bf16(12), f16(12);
  std::vector<float> f32_314(12);
  for (int i = 0; i < 12; ++i) {
    f32_314[i] = 0.5f * i - 3.0f;
    bf16[i] = FloatToBf16(f32_314[i]);
    f16[i] = FloatToF16(f32_314[i]);
  }
  const std::vector<uint16_t> half_scalar = {FloatToF16(-1.5f)};
  const std::vector<TensorToWrite> tensors = {
      {"z.scalar_f32", DType::kF32, {}, AsBytes(scalar)},
      {"y.empty_bf16", DType::kBF16, {0}, {}},
      {"x.f32", DType::kF32, {3, 1, 4}, AsBytes(f32_314)},
      {"w.bf16", DType::kBF16, {3, 1, 4}, AsBytes(bf16)},
      {"v.f16", DType::kF16, {3, 1, 4}, AsBytes(f16)},
      {"u.scalar_f16", DType::kF16, {}, AsBytes(half_scalar)},
      {"t.empty_f32", DType::kF32, {2, 0}, {}},
      {"s.empty_f16", DType::kF16, {0}, {}},
  };
  ASSERT_TRUE(WriteSafetensors(path, tensors, {{"format", "pt"}, {"note", "x"}}).ok());

  const auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->path(), path);
  EXPECT_THAT((*file)->metadata(),
              ElementsAre(std::pair<const std::string, std::string>("format", "pt"),
                          std::pair<const std::string, std::string>("note", "x")));
  // Header order is the order written, not sorted.
  ASSERT_EQ((*file)->tensors().size(), tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    const TensorInfo& info = (*file)->tensors()[i];
    EXPECT_EQ(info.name, tensors[i].name);
    EXPECT_EQ(info.dtype, tensors[i].dtype);
    EXPECT_EQ(info.shape, tensors[i].shape);
    ASSERT_EQ(info.num_bytes, tensors[i].data.size());
    if (info.num_bytes > 0) {
      EXPECT_EQ(std::memcmp(info.data, tensors[i].data.data(), info.num_bytes), 0) << info.name;
    }
    EXPECT_EQ((*file)->Find(tensors[i].name), &info);
  }
  EXPECT_EQ((*file)->Find("missing"), nullptr);
  EXPECT_EQ((*file)->Find("x"), nullptr);

  const TensorInfo* scalar_info = (*file)->Find("z.scalar_f32");
  EXPECT_EQ(scalar_info->num_elements(), 1);
  EXPECT_EQ((*file)->Find("y.empty_bf16")->num_elements(), 0);
  EXPECT_EQ((*file)->Find("t.empty_f32")->num_elements(), 0);

  // Values survive the trip through each dtype (all are exact in 16 bits).
  for (const char* name : {"x.f32", "w.bf16", "v.f16"}) {
    const TensorInfo* info = (*file)->Find(name);
    ASSERT_EQ(info->num_elements(), 12);
    std::vector<float> out(12);
    ConvertToFloat(*info, 0, 12, out.data());
    EXPECT_EQ(out, f32_314) << name;
  }
  float value = 0;
  ConvertToFloat(*(*file)->Find("u.scalar_f16"), 0, 1, &value);
  EXPECT_EQ(value, -1.5f);
}

TEST(SafetensorsFileTest, ConvertsSubRangesOfEachDtype) {
  ScratchDir dir;
  const std::string path = dir.File("range.safetensors");
  const std::vector<float> f32 = {0.0f, 1.0f, 2.0f, 3.0f, 4.0f, 5.0f};
  // 0.25, 0.5, 0.75, 1.0, -1.0 by their published bit patterns.
  const std::vector<uint16_t> bf16 = {0x3e80, 0x3f00, 0x3f40, 0x3f80, 0xbf80};
  const std::vector<uint16_t> f16 = {0x3400, 0x3800, 0x3a00, 0x3c00, 0xbc00};
  // f16 first with an odd element count so later tensors start unaligned for their dtype.
  const std::vector<TensorToWrite> tensors = {{"h", DType::kF16, {5}, AsBytes(f16)},
                                              {"b", DType::kBF16, {5}, AsBytes(bf16)},
                                              {"f", DType::kF32, {2, 3}, AsBytes(f32)}};
  ASSERT_TRUE(WriteSafetensors(path, tensors).ok());
  const auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  std::vector<float> out(3);
  ConvertToFloat(*(*file)->Find("h"), 2, 3, out.data());
  EXPECT_THAT(out, ElementsAre(0.75f, 1.0f, -1.0f));
  ConvertToFloat(*(*file)->Find("b"), 1, 3, out.data());
  EXPECT_THAT(out, ElementsAre(0.5f, 0.75f, 1.0f));
  ConvertToFloat(*(*file)->Find("f"), 3, 3, out.data());
  EXPECT_THAT(out, ElementsAre(3.0f, 4.0f, 5.0f));
}

TEST(SafetensorsFileTest, AcceptsHandWrittenFileWithHolesAndEmptyTensors) {
  // Two zero-element tensors at the same offset do not overlap anything.
  const std::string header = R"({"e1":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                             R"("e2":{"dtype":"BF16","shape":[5,0],"data_offsets":[4,4]},)"
                             R"("a":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}}   )";
  const std::string data = std::string("\x00\x3c\x00\xc0", 4);
  ScratchDir dir;
  const std::string path = dir.File("hand.safetensors");
  WriteBytes(path, RawSafetensors(header, data));
  const auto file = SafetensorsFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  ASSERT_EQ((*file)->tensors().size(), 3u);
  EXPECT_EQ((*file)->tensors()[0].name, "e1");
  EXPECT_TRUE((*file)->metadata().empty());
  float out[2];
  ConvertToFloat(*(*file)->Find("a"), 0, 2, out);
  EXPECT_EQ(out[0], 1.0f);
  EXPECT_EQ(out[1], -2.0f);
}

TEST(SafetensorsFileTest, MissingFileIsNotFound) {
  ScratchDir dir;
  const auto file = SafetensorsFile::Open(dir.File("nope.safetensors"));
  EXPECT_EQ(file.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(file.status().message()), HasSubstr("nope.safetensors"));
}

TEST(SafetensorsFileTest, DirectoryIsRejected) {
  ScratchDir dir;
  const auto file = SafetensorsFile::Open(dir.path().string());
  EXPECT_EQ(file.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SafetensorsFileCorruptTest, ShorterThanHeaderLength) {
  ExpectOpenFails("short.safetensors", "", absl::StatusCode::kDataLoss, {});
  ExpectOpenFails("short7.safetensors", std::string(7, '\x01'), absl::StatusCode::kDataLoss, {});
}

TEST(SafetensorsFileCorruptTest, TruncatedData) {
  ScratchDir dir;
  const std::string path = dir.File("cut.safetensors");
  const std::vector<float> a = {1, 2, 3, 4}, b = {5, 6, 7, 8};
  const std::vector<TensorToWrite> tensors = {{"first.weight", DType::kF32, {4}, AsBytes(a)},
                                              {"last.weight", DType::kF32, {4}, AsBytes(b)}};
  ASSERT_TRUE(WriteSafetensors(path, tensors).ok());
  const std::string bytes = testing_files::ReadBytes(path);
  ExpectOpenFails("cut.safetensors", bytes.substr(0, bytes.size() - 5), absl::StatusCode::kDataLoss,
                  {"\"last.weight\"", "truncated"});
}

TEST(SafetensorsFileCorruptTest, HeaderLengthBeyondFile) {
  const std::string header = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
  std::string bytes = RawSafetensors(header, "abcd");
  bytes.replace(0, 8, testing_files::LittleEndian64(4096));
  ExpectOpenFails("long_header.safetensors", bytes, absl::StatusCode::kDataLoss, {"4096"});
}

TEST(SafetensorsFileCorruptTest, AbsurdHeaderLength) {
  std::string bytes = testing_files::LittleEndian64(uint64_t{1} << 62) + "{}";
  ExpectOpenFails("absurd.safetensors", bytes, absl::StatusCode::kInvalidArgument, {});
}

TEST(SafetensorsFileCorruptTest, BadJsonHeader) {
  ExpectOpenFails("badjson.safetensors",
                  RawSafetensors(R"({"a":{"dtype":"F32","shape":[1],)", "abcd"),
                  absl::StatusCode::kInvalidArgument, {"JSON"});
  ExpectOpenFails("notobject.safetensors", RawSafetensors(R"([1, 2])", ""),
                  absl::StatusCode::kInvalidArgument, {"object"});
  ExpectOpenFails("badutf8.safetensors", RawSafetensors("{\"\xff\": 1}", ""),
                  absl::StatusCode::kInvalidArgument, {});
}

TEST(SafetensorsFileCorruptTest, EntryNotAnObject) {
  ExpectOpenFails("entry.safetensors", RawSafetensors(R"({"layer.w": [0, 4]})", "abcd"),
                  absl::StatusCode::kInvalidArgument, {"\"layer.w\""});
}

TEST(SafetensorsFileCorruptTest, MissingOrWrongTypedFields) {
  const std::vector<std::string> headers = {
      R"({"t.w":{"shape":[1],"data_offsets":[0,4]}})",
      R"({"t.w":{"dtype":"F32","data_offsets":[0,4]}})",
      R"({"t.w":{"dtype":"F32","shape":[1]}})",
      R"({"t.w":{"dtype":32,"shape":[1],"data_offsets":[0,4]}})",
      R"({"t.w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}})",
      R"({"t.w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}})",
      R"({"t.w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})",
      R"({"t.w":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}})",
      R"({"t.w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})",
      R"({"t.w":{"dtype":"F32","shape":[1],"data_offsets":{"begin":0}}})",
  };
  for (const std::string& header : headers) {
    SCOPED_TRACE(header);
    ExpectOpenFails("fields.safetensors", RawSafetensors(header, "abcd"),
                    absl::StatusCode::kInvalidArgument, {"\"t.w\""});
  }
}

TEST(SafetensorsFileCorruptTest, UnsupportedDtype) {
  ExpectOpenFails("int8.safetensors",
                  RawSafetensors(R"({"model.embed_tokens.weight":{"dtype":"I8","shape":[4],)"
                                 R"("data_offsets":[0,4]}})",
                                 "abcd"),
                  absl::StatusCode::kInvalidArgument,
                  {"\"model.embed_tokens.weight\"", "I8", "BF16"});
}

TEST(SafetensorsFileCorruptTest, NegativeDimension) {
  ExpectOpenFails(
      "neg.safetensors",
      RawSafetensors(R"({"n.w":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}})", ""),
      absl::StatusCode::kInvalidArgument, {"\"n.w\"", "-1"});
}

TEST(SafetensorsFileCorruptTest, ShapeOverflow) {
  ExpectOpenFails("overflow.safetensors",
                  RawSafetensors(R"({"big.w":{"dtype":"F32","shape":[4294967296,4294967296],)"
                                 R"("data_offsets":[0,0]}})",
                                 ""),
                  absl::StatusCode::kInvalidArgument, {"\"big.w\"", "overflow"});
}

TEST(SafetensorsFileCorruptTest, ShapeOffsetMismatch) {
  ExpectOpenFails("model.safetensors",
                  RawSafetensors(R"({"model.layers.0.mamba.A_log":{"dtype":"F32","shape":[4],)"
                                 R"("data_offsets":[0,64]}})",
                                 std::string(64, '\0')),
                  absl::StatusCode::kInvalidArgument,
                  {"tensor \"model.layers.0.mamba.A_log\"", "[0, 64]", "[4]", "16 bytes"});
}

TEST(SafetensorsFileCorruptTest, OffsetsEndBeforeBegin) {
  ExpectOpenFails("order.safetensors",
                  RawSafetensors(R"({"r.w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})",
                                 std::string(8, '\0')),
                  absl::StatusCode::kInvalidArgument, {"\"r.w\""});
}

TEST(SafetensorsFileCorruptTest, OverlappingOffsets) {
  ExpectOpenFails("overlap.safetensors",
                  RawSafetensors(R"({"a.w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                                 R"("b.w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                 std::string(12, '\0')),
                  absl::StatusCode::kInvalidArgument, {"\"a.w\"", "\"b.w\"", "overlap"});
}

TEST(SafetensorsFileCorruptTest, OffsetsPastEnd) {
  ExpectOpenFails("past.safetensors",
                  RawSafetensors(R"({"p.w":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                                 std::string(8, '\0')),
                  absl::StatusCode::kDataLoss, {"\"p.w\"", "[4, 12]"});
}

TEST(SafetensorsFileCorruptTest, MetadataNotAStringMap) {
  ExpectOpenFails("meta1.safetensors", RawSafetensors(R"({"__metadata__": ["pt"]})", ""),
                  absl::StatusCode::kInvalidArgument, {"__metadata__"});
  ExpectOpenFails("meta2.safetensors", RawSafetensors(R"({"__metadata__": {"format": 3}})", ""),
                  absl::StatusCode::kInvalidArgument, {"__metadata__", "\"format\""});
}

}  // namespace
}  // namespace hybridserve::engine
