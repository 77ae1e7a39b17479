// The data cache files (data/data_file_cache.hpp): the same data as load_data, mapped; a file is
// trusted only when it is valid for the data asked for; racing writers leave one whole file.
#include <catch2/catch.hpp>

#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <fstream>
#include <thread>

#include "data/data_file_cache.hpp"
#include "temp_dir.hpp"

namespace bnlab {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

DataConfig synthetic_config(std::int64_t train, std::int64_t test, std::int64_t val = 0) {
  DataConfig cfg;
  cfg.dataset = "synthetic";
  cfg.train_size = train;
  cfg.test_size = test;
  cfg.val_size = val;
  return cfg;
}

std::vector<float> pixels(const Dataset& d) { return {d.pixels(), d.pixels() + d.pixel_count()}; }

void check_same(const DataSplit& a, const DataSplit& b) {
  for (auto [x, y] : {std::pair{&a.train, &b.train}, std::pair{&a.validation, &b.validation}, std::pair{&a.test, &b.test}}) {
    CHECK(x->n == y->n);
    CHECK(x->sample_size() == y->sample_size());
    CHECK(pixels(*x) == pixels(*y));  // bit for bit
    CHECK(x->labels == y->labels);
  }
  CHECK(a.pixel_mean == b.pixel_mean);
  CHECK(a.pixel_std == b.pixel_std);
  CHECK(a.source == b.source);
}

// Overwrites `bytes` bytes at `offset` from the end of the file with 0x5a.
void damage(const fs::path& file, std::size_t offset_from_end, std::size_t bytes) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(-static_cast<std::streamoff>(offset_from_end), std::ios::end);
  const std::string junk(bytes, '\x5a');
  f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
}

}  // namespace

TEST_CASE("a data cache file holds what load_data gives, mapped; the second load reuses it", "[data_cache]") {
  spdlog::set_level(spdlog::level::off);
  TempDir tmp;
  const DataConfig cfg = synthetic_config(300, 50, 40);
  const DataSplit direct = load_data(cfg, 7);
  const CachedSplit first = load_data_cached(cfg, 7, tmp / "cache");
  CHECK(first.outcome == CacheOutcome::built);
  CHECK(first.split.train.mapped_images != nullptr);
  CHECK(first.split.train.images.empty());
  check_same(first.split, direct);
  const CachedSplit second = load_data_cached(cfg, 7, tmp / "cache");
  CHECK(second.outcome == CacheOutcome::reused);
  check_same(second.split, direct);
  CHECK(fs::exists(data_cache_file(cfg, 7, tmp / "cache")));
  // Other data, other file: the seed of synthetic data and every size are in the key.
  CHECK(data_cache_file(cfg, 8, tmp / "cache") != data_cache_file(cfg, 7, tmp / "cache"));
  CHECK(data_cache_file(synthetic_config(300, 51, 40), 7, tmp / "cache") != data_cache_file(cfg, 7, tmp / "cache"));
  const CachedSplit other = load_data_cached(cfg, 8, tmp / "cache");
  CHECK(other.outcome == CacheOutcome::built);
  CHECK(pixels(other.split.train) != pixels(direct.train));
}

TEST_CASE("a corrupt, truncated or stale data cache file is rebuilt, never trusted", "[data_cache]") {
  spdlog::set_level(spdlog::level::off);
  TempDir tmp;
  const DataConfig cfg = synthetic_config(200, 30);
  const DataSplit direct = load_data(cfg, 3);
  const fs::path file = data_cache_file(cfg, 3, tmp / "cache");
  REQUIRE(load_data_cached(cfg, 3, tmp / "cache").outcome == CacheOutcome::built);

  SECTION("a damaged payload") { damage(file, 5000, 4); }
  SECTION("a damaged header") {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(20);
    f.write("\x01\x02", 2);
  }
  SECTION("a wrong magic") {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.write("XXXX", 4);
  }
  SECTION("a truncated file") { fs::resize_file(file, fs::file_size(file) - 64); }
  SECTION("an empty file") { fs::resize_file(file, 0); }
  SECTION("a file made for other data under this file's name (stale)") {
    const DataConfig other = synthetic_config(200, 31);
    REQUIRE(load_data_cached(other, 3, tmp / "cache").outcome == CacheOutcome::built);
    fs::copy_file(data_cache_file(other, 3, tmp / "cache"), file, fs::copy_options::overwrite_existing);
  }
  const CachedSplit again = load_data_cached(cfg, 3, tmp / "cache");
  CHECK(again.outcome == CacheOutcome::rebuilt);
  check_same(again.split, direct);
  CHECK(load_data_cached(cfg, 3, tmp / "cache").outcome == CacheOutcome::reused);
}

TEST_CASE("a data cache folder that cannot be written: the data come from memory", "[data_cache]") {
  spdlog::set_level(spdlog::level::off);
  TempDir tmp;
  std::ofstream(tmp / "file") << "not a folder";
  const DataConfig cfg = synthetic_config(100, 20);
  const CachedSplit got = load_data_cached(cfg, 1, tmp / "file" / "cache");
  CHECK(got.outcome == CacheOutcome::memory);
  check_same(got.split, load_data(cfg, 1));
}

TEST_CASE("writers racing for one data cache file leave one whole file and no temporaries", "[data_cache]") {
  spdlog::set_level(spdlog::level::off);
  TempDir tmp;
  const DataConfig cfg = synthetic_config(400, 40);
  std::vector<CachedSplit> got(4);
  std::vector<std::thread> writers;
  for (auto& slot : got) writers.emplace_back([&cfg, &tmp, &slot] { slot = load_data_cached(cfg, 5, tmp / "cache"); });
  for (auto& w : writers) w.join();
  const DataSplit direct = load_data(cfg, 5);
  for (const auto& g : got) check_same(g.split, direct);
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(tmp / "cache")) names.push_back(entry.path().filename().string());
  CHECK(names == std::vector<std::string>{data_cache_file(cfg, 5, tmp / "cache").filename().string()});
  CHECK(load_data_cached(cfg, 5, tmp / "cache").outcome == CacheOutcome::reused);
}

TEST_CASE("data cache files of an IDX folder are keyed by the files' checksums", "[data_cache]") {
  spdlog::set_level(spdlog::level::off);
  const fs::path dir = default_fashion_mnist_dir();
  if (!fs::exists(dir / "t10k-labels-idx1-ubyte.gz")) return;  // the dataset package is optional for unit tests
  TempDir tmp;
  DataConfig cfg;
  cfg.train_size = 500;
  cfg.test_size = 100;
  const CachedSplit built = load_data_cached(cfg, 1, tmp / "cache");
  CHECK(built.outcome == CacheOutcome::built);
  check_same(built.split, load_data(cfg, 1));
  CHECK(built.split.files.size() == 4);
  // A copy of the folder: the same bytes, the same file (the folder is not in the key).
  fs::create_directory(tmp / "copy");
  for (const auto& entry : fs::directory_iterator(dir)) fs::copy_file(entry.path(), tmp / "copy" / entry.path().filename());
  const fs::path original = data_cache_file(cfg, 1, tmp / "cache");
  DataConfig copy = cfg;
  copy.dir = (tmp / "copy").string();
  CHECK(data_cache_file(copy, 1, tmp / "cache") == original);
  CHECK(load_data_cached(copy, 1, tmp / "cache").outcome == CacheOutcome::reused);
  // One file with other bytes: another checksum, another file.
  std::ofstream(tmp / "copy" / "t10k-labels-idx1-ubyte.gz", std::ios::app) << "x";
  CHECK(data_cache_file(copy, 1, tmp / "cache") != original);
}

}  // namespace bnlab
