// IDX reader: values round-trip through plain and gzipped files, and every kind of broken file
// throws DataError naming the file and the problem (never a crash, never partial data).
#include <catch2/catch.hpp>
#include <unistd.h>

#include <fstream>
#include <iterator>

#include "core/errors.hpp"
#include "data/idx.hpp"
#include "idx_files.hpp"

using namespace bnlab;
using bnlab::test::message_of;
using Catch::Matchers::Contains;

TEST_CASE("IDX images and labels round-trip, plain and gzipped", "[data][idx]") {
  const bool gzip = GENERATE(false, true);
  test::TempDir dir;
  const auto images_path = dir / (gzip ? "img.gz" : "img");
  const auto labels_path = dir / (gzip ? "lbl.gz" : "lbl");
  const auto pixels = test::pattern_pixels(5, 3, 4);
  test::write_idx(images_path, kIdxImagesMagic, {5, 3, 4}, pixels, gzip);
  test::write_idx(labels_path, kIdxLabelsMagic, {5}, test::pattern_labels(5), gzip);

  const IdxImages img = read_idx_images(images_path);
  CHECK(img.count == 5);
  CHECK(img.rows == 3);
  CHECK(img.cols == 4);
  CHECK(img.pixels == pixels);
  CHECK(read_idx_labels(labels_path) == test::pattern_labels(5));
}

TEST_CASE("IDX: an empty file set (0 images) reads as empty", "[data][idx]") {
  test::TempDir dir;
  test::write_idx(dir / "img", kIdxImagesMagic, {0, 28, 28}, {}, false);
  CHECK(read_idx_images(dir / "img").count == 0);
}

TEST_CASE("IDX: broken files throw DataError naming the file", "[data][idx]") {
  test::TempDir dir;
  const bool gzip = GENERATE(false, true);
  const auto path = dir / (gzip ? "broken.gz" : "broken");
  const std::string p = path.string();

  SECTION("missing file") {
    CHECK_THAT(message_of<DataError>([&] { read_idx_images(dir / "nope.gz"); }),
               Contains((dir / "nope.gz").string()) && Contains("not found"));
  }
  SECTION("a directory") {
    CHECK_THAT(message_of<DataError>([&] { read_idx_labels(dir.path()); }),
               Contains(dir.path().string()) && Contains("directory"));
  }
  SECTION("labels file read as images: wrong magic") {
    test::write_idx(path, kIdxLabelsMagic, {5}, test::pattern_labels(5), gzip);
    CHECK_THAT(message_of<DataError>([&] { read_idx_images(path); }),
               Contains(p) && Contains("wrong magic 0x00000801") && Contains("0x00000803"));
  }
  SECTION("not an IDX file at all") {
    test::write_bytes(path, {'<', 'h', 't', 'm', 'l', '>', ' ', ' ', ' ', ' ', ' ', ' ', ' '}, gzip);
    CHECK_THAT(message_of<DataError>([&] { read_idx_labels(path); }),
               Contains(p) && Contains("wrong magic") && Contains("not an IDX file"));
  }
  SECTION("truncated pixels") {
    test::write_idx(path, kIdxImagesMagic, {60000, 28, 28}, std::vector<std::uint8_t>(1000, 7), gzip);
    CHECK_THAT(message_of<DataError>([&] { read_idx_images(path); }),
               Contains(p + ": truncated: expected 47040000 pixel bytes, got 1000"));
  }
  SECTION("truncated labels") {
    test::write_idx(path, kIdxLabelsMagic, {10}, {1, 2, 3}, gzip);
    CHECK_THAT(message_of<DataError>([&] { read_idx_labels(path); }),
               Contains(p) && Contains("expected 10 label bytes, got 3"));
  }
  SECTION("truncated header") {
    test::write_bytes(path, {0, 0, 8, 3, 0, 0}, gzip);
    CHECK_THAT(message_of<DataError>([&] { read_idx_images(path); }), Contains(p) && Contains("header"));
  }
  SECTION("empty file") {
    test::write_bytes(path, {}, gzip);
    CHECK_THAT(message_of<DataError>([&] { read_idx_labels(path); }), Contains(p) && Contains("truncated"));
  }
  SECTION("absurd dimensions") {
    const std::vector<std::uint32_t> dims = GENERATE(std::vector<std::uint32_t>{10, 0, 28},
                                                     std::vector<std::uint32_t>{10, 28, 100000},
                                                     std::vector<std::uint32_t>{0xffffffffu, 28, 28});
    test::write_idx(path, kIdxImagesMagic, dims, std::vector<std::uint8_t>(100, 1), gzip);
    CHECK_THAT(message_of<DataError>([&] { read_idx_images(path); }), Contains(p) && Contains("absurd"));
  }
  SECTION("more data than the header promises") {
    test::write_idx(path, kIdxLabelsMagic, {3}, {1, 2, 3, 4, 5}, gzip);
    CHECK_THAT(message_of<DataError>([&] { read_idx_labels(path); }),
               Contains(p) && Contains("more data than the header promises"));
  }
}

TEST_CASE("IDX: a cut or corrupted gzip stream throws DataError", "[data][idx]") {
  test::TempDir dir;
  const auto good = test::idx_bytes(kIdxImagesMagic, {50, 28, 28}, test::pattern_pixels(50, 28, 28));
  const auto path = dir / "x.gz";
  test::write_bytes(path, good, true);
  std::vector<std::uint8_t> gz;
  {
    std::ifstream in(path, std::ios::binary);
    gz.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  REQUIRE(gz.size() > 100);

  SECTION("cut in the middle") {
    gz.resize(gz.size() / 2);
  }
  SECTION("cut before the CRC trailer") {
    gz.resize(gz.size() - 4);
  }
  SECTION("bytes flipped in the middle") {
    for (std::size_t i = gz.size() / 2; i < gz.size() / 2 + 16; ++i) gz[i] ^= 0x5a;
  }
  test::write_bytes(path, gz, false);  // raw bytes of the damaged .gz
  CHECK_THAT(message_of<DataError>([&] { read_idx_images(path); }), Contains(path.string()));
}

TEST_CASE("IDX: an unreadable file throws DataError", "[data][idx]") {
  if (geteuid() == 0) {
    WARN("running as root: permissions are not enforced, skipping");
    return;
  }
  test::TempDir dir;
  const auto path = dir / "secret";
  test::write_idx(path, kIdxLabelsMagic, {1}, {1}, false);
  std::filesystem::permissions(path, std::filesystem::perms::none);
  CHECK_THAT(message_of<DataError>([&] { read_idx_labels(path); }),
             Contains(path.string()) && Contains("cannot open"));
}
