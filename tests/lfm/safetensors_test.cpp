// safetensors reading and writing: round trips per dtype, the ncps reference files in tests/data, and
// one case per malformed input, each checking that the message names the culprit.
#include "lfm/safetensors.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>

namespace liquid::lfm {
namespace {

namespace fs = std::filesystem;
const fs::path kData = LIQUID_TEST_DATA;
constexpr float kInf = std::numeric_limits<float>::infinity();

::testing::AssertionResult mentions(const std::string& message, std::string_view part) {
  if (message.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << message << "\" does not mention \"" << part << "\"";
}

template <typename F>
std::string format_error_of(F&& load) {
  try {
    load();
  } catch (const FormatError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no FormatError thrown";
  return "";
}

// A file from a hand-written header and `data_bytes` zero bytes of data.
std::vector<std::byte> raw_file(const std::string& header, std::size_t data_bytes) {
  std::vector<std::byte> out(8 + header.size() + data_bytes);
  for (int i = 0; i < 8; ++i) out[i] = std::byte((header.size() >> (8 * i)) & 0xff);
  std::memcpy(out.data() + 8, header.data(), header.size());
  return out;
}

// The header of one F32 tensor 'w' with the given JSON for its shape and data_offsets.
std::string header_of_w(const std::string& shape, const std::string& offsets) {
  return R"({"w": {"dtype": "F32", "shape": )" + shape + R"(, "data_offsets": )" + offsets + "}}";
}

std::string error_of_header(const std::string& header, std::size_t data_bytes) {
  const auto bytes = raw_file(header, data_bytes);
  return format_error_of([&] { SafetensorsFile::read_memory(bytes, "bad.safetensors"); });
}

std::vector<std::byte> read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> chars((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::byte> out(chars.size());
  std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

std::uint16_t bits16(const Tensor& t, std::size_t i) {
  return std::uint16_t(std::to_integer<unsigned>(t.data[2 * i]) | std::to_integer<unsigned>(t.data[2 * i + 1]) << 8);
}

SafetensorsFile round_trip(const SafetensorsFile& file) {
  return SafetensorsFile::read_memory(file.write_memory(), "round trip");
}

TEST(SafetensorsRoundTrip, F32TensorsComeBackBitForBitWithTheirShapes) {
  const std::vector<float> values = {0.0f, -0.0f, 1.5f, -3.25e-3f, 1e-45f, 3.4e38f, kInf, -kInf, std::nanf("")};
  SafetensorsFile file;
  file.add_tensor("w", {3, 3}, values);
  file.add_tensor("empty", {0, 4}, std::vector<float>{});
  const auto back = round_trip(file);
  EXPECT_EQ(back.names(), (std::vector<std::string>{"empty", "w"}));
  EXPECT_EQ(back.tensor("w").dtype, DType::kF32);
  EXPECT_EQ(back.tensor("w").shape, (Shape{3, 3}));
  EXPECT_EQ(back.tensor("empty").shape, (Shape{0, 4}));
  EXPECT_EQ(back.tensor("w").data, file.tensor("w").data);
  const auto got = back.as_float("w");
  for (std::size_t i = 0; i + 1 < values.size(); ++i) EXPECT_EQ(got[i], values[i]) << i;
  EXPECT_TRUE(std::signbit(got[1]));
  EXPECT_TRUE(std::isnan(got[8]));
}

TEST(SafetensorsRoundTrip, F64TensorsKeepEveryDoubleExactly) {
  const std::vector<double> values = {0.1, -1e-300, 1e300, 4.9e-324, 2.0 / 3.0, -0.0};
  SafetensorsFile file;
  file.add_tensor("d", {2, 3}, values);
  const auto back = round_trip(file);
  EXPECT_EQ(back.tensor("d").dtype, DType::kF64);
  EXPECT_EQ(back.as_double("d"), values);
  const auto as_float = back.as_float("d");  // beyond float's range: rounded, never undefined
  EXPECT_EQ(as_float[0], 0.1f);
  EXPECT_EQ(as_float[2], kInf);
  EXPECT_EQ(as_float[3], 0.0f);
}

TEST(SafetensorsRoundTrip, F16AndBf16KeepValuesWithinTheirPrecision) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-10.0f, 10.0f);
  std::vector<float> values(200);
  for (float& v : values) v = dist(rng);
  SafetensorsFile file;
  file.add_tensor("h", {10, 20}, values, DType::kF16);
  file.add_tensor("b", {200}, values, DType::kBF16);
  const auto back = round_trip(file);
  const auto h = back.as_float("h");
  const auto b = back.as_float("b");
  for (std::size_t i = 0; i < values.size(); ++i) {
    // Half a unit in the last place: 2^-11 relative for F16 (10 mantissa bits), 2^-8 for BF16 (7).
    EXPECT_LE(std::fabs(h[i] - values[i]), std::ldexp(std::fabs(values[i]), -11)) << i;
    EXPECT_LE(std::fabs(b[i] - values[i]), std::ldexp(std::fabs(values[i]), -8)) << i;
  }
  EXPECT_EQ(back.tensor("h").dtype, DType::kF16);
  EXPECT_EQ(back.tensor("b").dtype, DType::kBF16);
}

// Expected bits from numpy: np.array(x, dtype=np.float64).astype(np.float16).view(np.uint16).
TEST(SafetensorsRoundTrip, F16EncodingRoundsToNearestEvenAndKeepsSpecialValues) {
  const std::vector<double> values = {1.0, 65504.0, 65519.0, 65520.0, std::ldexp(1.0, -14), std::ldexp(1.0, -24),
                                      std::ldexp(1.0, -25), 3 * std::ldexp(1.0, -25), -0.0, HUGE_VAL, -HUGE_VAL,
                                      1 + std::ldexp(1.0, -11), 1 + 3 * std::ldexp(1.0, -11),
                                      1 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40), 0.1, -2.5e-6};
  const std::vector<std::uint16_t> expected = {0x3c00, 0x7bff, 0x7bff, 0x7c00, 0x0400, 0x0001, 0x0000, 0x0002,
                                               0x8000, 0x7c00, 0xfc00, 0x3c00, 0x3c02, 0x3c01, 0x2e66, 0x802a};
  SafetensorsFile file;
  file.add_tensor("h", {16}, values, DType::kF16);
  file.add_tensor("nan", {1}, std::vector<float>{std::nanf("")}, DType::kF16);
  const Tensor& h = file.tensor("h");
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(bits16(h, i), expected[i]) << "value " << values[i];
  const auto decoded = h.to_double();
  EXPECT_EQ(decoded[5], std::ldexp(1.0, -24));  // smallest subnormal decodes exactly
  EXPECT_EQ(decoded[14], 0.0999755859375);
  EXPECT_EQ(decoded[9], HUGE_VAL);
  EXPECT_TRUE(std::isnan(file.as_float("nan")[0]));
}

// Expected bits from numpy: b = float32 bits; (b + 0x7fff + ((b >> 16) & 1)) >> 16.
TEST(SafetensorsRoundTrip, Bf16EncodingRoundsToNearestEvenAndKeepsSpecialValues) {
  const std::vector<float> values = {1.0f, 1 + std::ldexp(1.0f, -8), 1 + 3 * std::ldexp(1.0f, -8),
                                     std::numeric_limits<float>::max(), 1e-40f, -3e-39f, 0.1f, -kInf};
  const std::vector<std::uint16_t> expected = {0x3f80, 0x3f80, 0x3f82, 0x7f80, 0x0001, 0x8021, 0x3dcd, 0xff80};
  SafetensorsFile file;
  file.add_tensor("b", {8}, values, DType::kBF16);
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(bits16(file.tensor("b"), i), expected[i]) << i;
}

TEST(SafetensorsRoundTrip, MetadataAndFilesOnDiskComeBack) {
  SafetensorsFile file;
  file.set_metadata("config", R"({"model": "CfC", "units": 8})");
  file.set_metadata("format", "pt");
  file.add_tensor("a.weight", {2, 2}, std::vector<float>{1, 2, 3, 4});
  const auto seed = std::to_string(::testing::UnitTest::GetInstance()->random_seed());
  const fs::path path = fs::temp_directory_path() / ("safetensors_test_" + seed + ".safetensors");
  file.write_file(path);
  const auto back = SafetensorsFile::read_file(path);
  fs::remove(path);
  EXPECT_EQ(back.metadata(), file.metadata());
  EXPECT_EQ(back.as_float("a.weight"), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(back.source_name(), path.string());
}

TEST(SafetensorsRoundTrip, HeaderIsPaddedSoTheDataStartsEightByteAligned) {
  SafetensorsFile file;
  file.add_tensor("zeta", {1}, std::vector<float>{1});
  file.add_tensor("alpha", {3}, std::vector<float>{1, 2, 3});
  const auto bytes = file.write_memory();
  std::uint64_t n = 0;
  for (int i = 0; i < 8; ++i) n |= std::uint64_t(std::to_integer<unsigned>(bytes[i])) << (8 * i);
  EXPECT_EQ(n % 8, 0u);
  EXPECT_EQ(bytes.size(), 8 + n + 16);
  const std::string header(reinterpret_cast<const char*>(bytes.data()) + 8, n);
  EXPECT_TRUE(mentions(header, R"("alpha":{"data_offsets":[0,12])"));  // sorted names, offsets in that order
  EXPECT_TRUE(mentions(header, R"("zeta":{"data_offsets":[12,16])"));
}

// Values printed by /usr/bin/python3 with numpy, reading the file independently:
//   b = open(p, 'rb').read(); n = struct.unpack('<Q', b[:8])[0]; h = json.loads(b[8:8 + n])
//   np.frombuffer(b[8 + n + s:8 + n + e], '<f4').reshape(shape) for each data_offsets [s, e]
TEST(SafetensorsReferenceFiles, CfcDefaultHoldsTheNcpsWeightsAndInputs) {
  const auto file = SafetensorsFile::read_file(kData / "cfc_default.safetensors");
  EXPECT_EQ(file.names().size(), 25u);
  EXPECT_TRUE(file.metadata().empty());
  const auto ff1 = file.get("param.rnn_cell.ff1.weight", {8, 16}).to_float();
  EXPECT_EQ(ff1[0], 0.46608716f);
  EXPECT_EQ(ff1[3 * 16 + 5], 0.32543123f);
  EXPECT_EQ(ff1[7 * 16 + 15], -0.44246513f);
  double sum = 0;
  for (float v : ff1) sum += v;
  EXPECT_NEAR(sum, 3.9606712460517883, 1e-12);
  const auto input = file.get("input", {3, 7, 5}).to_float();
  EXPECT_EQ(input[0], -0.6027625f);
  EXPECT_EQ(input[(1 * 7 + 3) * 5 + 2], 0.0898989f);
  EXPECT_EQ(input[(2 * 7 + 6) * 5 + 4], 0.24624683f);
  EXPECT_EQ(file.get("timespans", {3, 7}).to_float()[1 * 7 + 2], 0.4076805f);
}

TEST(SafetensorsReferenceFiles, LtcNcpHoldsItsLeakConductances) {
  const auto file = SafetensorsFile::read_file(kData / "ltc_ncp.safetensors");
  EXPECT_EQ(file.names().size(), 37u);
  EXPECT_TRUE(file.contains("param.rnn_cell.sparsity_mask"));
  const auto gleak = file.get("param.rnn_cell.gleak", {11}).to_double();
  EXPECT_EQ(gleak.front(), double(0.43480697f));
  EXPECT_EQ(gleak.back(), double(0.022360235f));
  const auto mu = file.get("param.rnn_cell.sensory_mu", {4, 11}).to_float();
  EXPECT_EQ(mu.front(), 0.79093724f);
  EXPECT_EQ(mu.back(), 0.73730063f);
}

TEST(SafetensorsReferenceFiles, EveryReferenceFileSurvivesAWriteAndReread) {
  int files = 0;
  for (const auto& entry : fs::directory_iterator(kData)) {
    if (entry.path().extension() != ".safetensors") continue;
    ++files;
    const auto file = SafetensorsFile::read_file(entry.path());
    const auto back = round_trip(file);
    ASSERT_EQ(back.names(), file.names()) << entry.path();
    for (const auto& name : file.names()) {
      EXPECT_EQ(back.tensor(name).shape, file.tensor(name).shape) << name;
      EXPECT_EQ(back.tensor(name).data, file.tensor(name).data) << name;
    }
  }
  EXPECT_EQ(files, 10);
}

TEST(SafetensorsLoaderHelper, WrongShapeNamesFileTensorAndBothShapes) {
  SafetensorsFile file;
  file.add_tensor("rnn_cell.ff1.weight", {8, 16}, std::vector<float>(128));
  const auto loaded = SafetensorsFile::read_memory(file.write_memory(), "model.safetensors");
  EXPECT_EQ(format_error_of([&] { loaded.get("rnn_cell.ff1.weight", {8, 13}); }),
            "model.safetensors: tensor 'rnn_cell.ff1.weight' has shape [8, 16], expected [8, 13]");
  EXPECT_EQ(format_error_of([&] { loaded.get("rnn_cell.ff2.weight", {8, 13}); }),
            "model.safetensors: tensor 'rnn_cell.ff2.weight' is missing, expected shape [8, 13]");
  EXPECT_TRUE(mentions(format_error_of([&] { loaded.tensor("nope"); }), "no tensor 'nope'"));
}

TEST(SafetensorsLoaderHelper, AddTensorRejectsReservedDuplicateAndMismatchedInput) {
  SafetensorsFile file;
  file.add_tensor("w", {2}, std::vector<float>{1, 2});
  EXPECT_THROW(file.add_tensor("w", {2}, std::vector<float>{1, 2}), std::invalid_argument);
  EXPECT_THROW(file.add_tensor("__metadata__", {1}, std::vector<float>{1}), std::invalid_argument);
  EXPECT_THROW(file.add_tensor("x", {2, 2}, std::vector<float>{1, 2, 3}), std::invalid_argument);
  EXPECT_THROW(file.add_tensor("y", {-1}, std::vector<float>{}), std::invalid_argument);
}

TEST(SafetensorsLoaderHelper, UnknownEntryFieldsAreIgnoredLikeThePythonLibraryDoes) {
  const auto bytes = raw_file(header_of_w(R"([1], "note": {"by": ["hand", 1]})", "[0, 4]"), 4);
  EXPECT_EQ(SafetensorsFile::read_memory(bytes).get("w", {1}).to_float(), std::vector<float>{0.0f});
}

TEST(SafetensorsErrors, MissingFileIsNamed) {
  const auto message = format_error_of([] { SafetensorsFile::read_file("/nonexistent/model.safetensors"); });
  EXPECT_TRUE(mentions(message, "/nonexistent/model.safetensors: no such file"));
  EXPECT_TRUE(mentions(format_error_of([] { SafetensorsFile::read_file(kData); }), "not a regular file"));
}

TEST(SafetensorsErrors, FileShorterThanTheLengthFieldIsRejected) {
  const std::vector<std::byte> bytes(5);
  const auto message = format_error_of([&] { SafetensorsFile::read_memory(bytes, "tiny.safetensors"); });
  EXPECT_EQ(message, "tiny.safetensors: file is 5 bytes, shorter than the 8-byte header length");
}

TEST(SafetensorsErrors, HeaderLengthPastTheEndOfTheFileIsRejected) {
  auto bytes = raw_file("{}", 0);
  bytes[0] = std::byte{200};
  const auto message = format_error_of([&] { SafetensorsFile::read_memory(bytes, "short.safetensors"); });
  EXPECT_EQ(message, "short.safetensors: header length 200 runs past the end of the file (10 bytes)");
}

TEST(SafetensorsErrors, AbsurdHeaderLengthIsRejectedBeforeAllocating) {
  auto bytes = raw_file("{}", 0);
  bytes[7] = std::byte{0x7f};  // about 9e18 bytes
  const auto message = format_error_of([&] { SafetensorsFile::read_memory(bytes); });
  EXPECT_TRUE(mentions(message, "exceeds the limit of 100000000 bytes"));
}

TEST(SafetensorsErrors, HeaderThatIsNotJsonOrNotAnObjectIsRejected) {
  EXPECT_TRUE(mentions(error_of_header(R"({"w": {"dtype": )", 0), "bad.safetensors: header is not valid JSON"));
  EXPECT_TRUE(mentions(error_of_header("[1, 2]    ", 0), "header must be a JSON object, got an array"));
}

TEST(SafetensorsErrors, UnknownDtypeIsNamedWithTheSupportedOnes) {
  const auto message = error_of_header(R"({"w": {"dtype": "I32", "shape": [1], "data_offsets": [0, 4]}})", 4);
  EXPECT_EQ(message,
            R"(bad.safetensors: tensor 'w': dtype "I32" is not supported; expected one of F16, BF16, F32, F64)");
}

TEST(SafetensorsErrors, ShapeMustBeAListOfNonNegativeIntegers) {
  for (const std::string shape : {"[-1, 2]", "[2.5]", "\"3\"", "[[1]]"}) {
    const auto message = error_of_header(header_of_w(shape, "[0, 4]"), 4);
    EXPECT_TRUE(mentions(message, "tensor 'w': shape must be a list of non-negative integers")) << shape;
  }
  std::string rank_65 = "[1";
  for (int i = 0; i < 64; ++i) rank_65 += ",1";
  EXPECT_TRUE(mentions(error_of_header(header_of_w(rank_65 + "]", "[0, 4]"), 4),
                       "tensor 'w': shape has more than 64 dimensions"));
  const auto huge = error_of_header(header_of_w("[4611686018427387904, 4]", "[0, 4]"), 4);
  EXPECT_TRUE(mentions(huge, "tensor 'w': shape [4611686018427387904, 4] is too large"));
}

TEST(SafetensorsErrors, MissingFieldIsNamed) {
  const auto message = error_of_header(R"({"w": {"dtype": "F32", "data_offsets": [0, 4]}})", 4);
  EXPECT_TRUE(mentions(message, "tensor 'w': missing field 'shape'"));
}

TEST(SafetensorsErrors, DataOffsetsMustBeAnOrderedPairInsideTheDataSection) {
  EXPECT_TRUE(mentions(error_of_header(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4]}})", 4),
                       "tensor 'w': data_offsets must be [begin, end] with non-negative integers, got a list of 1"));
  EXPECT_TRUE(mentions(error_of_header(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}})", 4),
                       "got more than two values"));
  EXPECT_TRUE(mentions(error_of_header(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [0, -4]}})", 4),
                       "got -4"));
  EXPECT_TRUE(mentions(error_of_header(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}})", 4),
                       "tensor 'w': data_offsets [4, 0] end before they begin"));
  EXPECT_TRUE(mentions(error_of_header(R"({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}})", 4),
                       "tensor 'w': data_offsets [0, 8] run past the end of the data section (4 bytes)"));
}

TEST(SafetensorsErrors, DeeplyNestedHeadersAreRejectedEarly) {
  const std::string deep = std::string(1000, '[') + std::string(1000, ']');
  EXPECT_TRUE(mentions(error_of_header(header_of_w(R"([1], "note": )" + deep, "[0, 4]"), 4),
                       "tensor 'w': field 'note' nests deeper than 16 levels"));
  EXPECT_TRUE(mentions(error_of_header(deep, 0), "header must be a JSON object, got an array"));
}

TEST(SafetensorsErrors, DataOffsetsMustMatchShapeAndDtype) {
  const auto message = error_of_header(R"({"w": {"dtype": "F64", "shape": [2, 3], "data_offsets": [0, 24]}})", 24);
  EXPECT_TRUE(mentions(message, "tensor 'w': data_offsets [0, 24] hold 24 bytes, but shape [2, 3] of F64 needs 48"));
}

TEST(SafetensorsErrors, OverlapsGapsAndUncoveredBytesAreRejected) {
  const std::string a = R"({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, )";
  EXPECT_TRUE(mentions(error_of_header(a + R"("b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}})", 12),
                       "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]"));
  EXPECT_TRUE(mentions(error_of_header(a + R"("b": {"dtype": "F32", "shape": [1], "data_offsets": [12, 16]}})", 16),
                       "tensor 'b': data_offsets [12, 16] leave a gap of 4 bytes after byte 8"));
  EXPECT_TRUE(mentions(error_of_header(a + R"("b": {"dtype": "F32", "shape": [1], "data_offsets": [8, 12]}})", 20),
                       "tensors cover 12 bytes of the 20-byte data section"));
}

TEST(SafetensorsErrors, TruncatedReferenceFileNamesTheTensorThatNoLongerFits) {
  auto bytes = read_bytes(kData / "cfc_default.safetensors");
  bytes.resize(bytes.size() - 4);
  const auto message = format_error_of([&] { SafetensorsFile::read_memory(bytes, "cut.safetensors"); });
  EXPECT_TRUE(mentions(message, "cut.safetensors: tensor 'timespans': data_offsets [8004, 8088] run past the end"));
}

TEST(SafetensorsErrors, MetadataValuesMustBeStrings) {
  EXPECT_TRUE(mentions(error_of_header(R"({"__metadata__": {"format": "pt", "units": 8}})", 0),
                       "__metadata__ 'units' must be a string, got 8"));
  EXPECT_TRUE(mentions(error_of_header(R"({"__metadata__": ["pt"]})", 0), "__metadata__ must be an object of strings"));
}

TEST(SafetensorsErrors, DuplicateNamesAreRejectedInsteadOfSilentlyOverwritten) {
  const std::string w = R"("w": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]})";
  const auto twice = error_of_header("{" + w + ", " + w + "}", 4);
  EXPECT_TRUE(mentions(twice, "bad.safetensors: 'w' appears twice in the header"));
  const auto field_twice = error_of_header(header_of_w(R"([1], "shape": [1])", "[0, 4]"), 4);
  EXPECT_TRUE(mentions(field_twice, "tensor 'w': key 'shape' appears twice"));
}

}  // namespace
}  // namespace liquid::lfm
