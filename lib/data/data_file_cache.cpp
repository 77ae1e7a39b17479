// The data cache files: key, layout, validation, atomic writes. See data_file_cache.hpp.
#include "data/data_file_cache.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <optional>

#include "core/errors.hpp"
#include "data/checksum.hpp"

namespace bnlab {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr char kMagic[8] = {'B', 'N', 'L', 'D', 'A', 'T', 'A', '1'};
// Raised when the file layout, the standardization or the validation split changes.
constexpr int kCacheFormat = 1;
constexpr std::size_t kAlign = 64;
constexpr std::uint64_t kMaxHeader = 1 << 20;

std::size_t round_up(std::size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// A position-sensitive sum of the payload's 64-bit words (Fletcher-style, four lanes): any flipped
// bit, zeroed page or swapped block changes it, and it runs at memory speed, unlike CRC-32.
class PayloadChecksum {
 public:
  // n must be a multiple of 32 bytes.
  void update(const unsigned char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; i += 32)
      for (std::size_t k = 0; k < 4; ++k) {
        std::uint64_t word;
        std::memcpy(&word, p + i + 8 * k, 8);
        sum_[k] += word;
        sum_of_sums_[k] += sum_[k];
      }
  }
  std::string value() const {
    std::uint64_t h = 0;
    for (std::size_t k = 0; k < 4; ++k) h = (h * 0x9E3779B97F4A7C15ull + sum_[k]) * 0xC2B2AE3D27D4EB4Full + sum_of_sums_[k];
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
    return text;
  }

 private:
  std::array<std::uint64_t, 4> sum_{}, sum_of_sums_{};
};

struct Mapping {
  void* addr = MAP_FAILED;
  std::size_t size = 0;
  ~Mapping() {
    if (addr != MAP_FAILED) ::munmap(addr, size);
  }
};

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

json cache_key(const DataConfig& cfg, std::uint64_t seed, const std::vector<std::pair<std::string, std::string>>& files) {
  json checksums = json::array();
  for (const auto& [path, checksum] : files) checksums.push_back({fs::path(path).filename().string(), checksum});
  const auto optional = [](const std::optional<std::int64_t>& v) { return v ? json(*v) : json(); };
  json key = {{"format", kCacheFormat}, {"dataset", cfg.dataset}, {"files", checksums},
              {"train_size", optional(cfg.train_size)}, {"test_size", optional(cfg.test_size)},
              {"val_size", cfg.val_size}};
  if (cfg.dataset == "synthetic") key["seed"] = seed;  // only generated data depends on the seed
  return key;
}

std::string file_name(const json& key) {
  std::uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a 64
  for (const unsigned char c : key.dump()) h = (h ^ c) * 0x100000001b3ull;
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return std::string(text) + ".bin";
}

std::vector<std::pair<std::string, std::string>> checksums_of(const DataConfig& cfg) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& file : data_files(cfg)) out.emplace_back(file.string(), file_checksum(file));
  return out;
}

const char* const kSetNames[3] = {"train", "validation", "test"};
std::array<const Dataset*, 3> sets_of(const DataSplit& s) { return {&s.train, &s.validation, &s.test}; }
std::array<Dataset*, 3> sets_of(DataSplit& s) { return {&s.train, &s.validation, &s.test}; }

std::size_t image_bytes(const Dataset& d) { return static_cast<std::size_t>(d.n * d.sample_size()) * sizeof(float); }
std::size_t label_bytes(const Dataset& d) { return static_cast<std::size_t>(d.n) * sizeof(std::int32_t); }

void write_cache_file(const fs::path& file, const json& key, const DataSplit& split) {
  json header = {{"key", key}, {"name", split.name}, {"source", split.source}, {"pixel_mean", split.pixel_mean},
                 {"pixel_std", split.pixel_std}};
  std::size_t offset = 0;
  PayloadChecksum checksum;
  std::vector<std::pair<const void*, std::size_t>> blocks;  // payload in order, each padded to kAlign
  for (std::size_t i = 0; i < 3; ++i) {
    const Dataset& d = *sets_of(split)[i];
    header["sets"][kSetNames[i]] = {{"n", d.n}, {"channels", d.channels}, {"height", d.height}, {"width", d.width},
                                    {"num_classes", d.num_classes}, {"images", offset}};
    blocks.emplace_back(d.pixels(), image_bytes(d));
    offset += round_up(image_bytes(d));
    header["sets"][kSetNames[i]]["labels"] = offset;
    blocks.emplace_back(d.labels.data(), label_bytes(d));
    offset += round_up(label_bytes(d));
  }
  std::vector<unsigned char> padded;
  for (const auto& [data, bytes] : blocks) {
    padded.assign(round_up(bytes), 0);
    if (bytes > 0) std::memcpy(padded.data(), data, bytes);
    checksum.update(padded.data(), padded.size());
  }
  header["payload_bytes"] = offset;
  header["payload_checksum"] = checksum.value();
  const std::string text = header.dump();
  const std::uint64_t length = text.size();
  const std::size_t start = round_up(16 + text.size());

  // Named as experiment/files.hpp names temporaries (".<name>.tmp.<host>-<pid>"), so that the
  // runner's remove_dead_temporaries clears those of a killed writer; the counter keeps two
  // writers of one process apart.
  static std::atomic<int> counter{0};
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::string name = ".";  // built with += : GCC 12 warns (falsely) about "." + string
  name += file.filename().string();
  name += '.';
  name += std::to_string(counter++);
  name += ".tmp.";
  name += host;
  name += '-';
  name += std::to_string(::getpid());
  const fs::path tmp = file.parent_path() / name;
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(kMagic, 8);
    unsigned char le[8];
    for (int b = 0; b < 8; ++b) le[b] = static_cast<unsigned char>(length >> (8 * b));
    out.write(reinterpret_cast<const char*>(le), 8);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    const std::vector<char> zeros(kAlign, 0);
    out.write(zeros.data(), static_cast<std::streamsize>(start - 16 - text.size()));
    for (const auto& [data, bytes] : blocks) {
      out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
      out.write(zeros.data(), static_cast<std::streamsize>(round_up(bytes) - bytes));
    }
    out.flush();
    if (!out) {
      const int error_number = errno;  // the message names the reason, not the temporary
      std::error_code ec;
      fs::remove(tmp, ec);
      throw IoError(std::string("cannot write it: ") + (error_number ? std::strerror(error_number) : "write error"));
    }
  }
  std::error_code ec;
  fs::rename(tmp, file, ec);
  if (ec) {
    const std::string reason = ec.message();
    fs::remove(tmp, ec);
    throw IoError("cannot rename it into place: " + reason);
  }
}

bool read_exact(int fd, void* buffer, std::size_t bytes, off_t offset) {
  auto* p = static_cast<char*>(buffer);
  while (bytes > 0) {
    const ssize_t got = ::pread(fd, p, bytes, offset);
    if (got <= 0) return false;
    p += got;
    bytes -= static_cast<std::size_t>(got);
    offset += got;
  }
  return true;
}

// The split in `file` if it is valid for `key`; else nullopt and `problem` says why (empty when
// there is no file).
std::optional<DataSplit> open_cache_file(const fs::path& file, const json& key, std::string& problem) {
  problem.clear();
  const auto fail = [&](std::string why) {
    problem = std::move(why);
    return std::optional<DataSplit>();
  };
  Fd f{::open(file.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) {
    if (errno != ENOENT) problem = std::string("cannot open: ") + std::strerror(errno);
    return std::nullopt;
  }
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return fail("cannot stat");
  const auto size = static_cast<std::size_t>(st.st_size);
  unsigned char head[16];
  if (size < 16 || !read_exact(f.fd, head, 16, 0) || std::memcmp(head, kMagic, 8) != 0)
    return fail("not a data cache file (bad magic)");
  std::uint64_t length = 0;
  for (int b = 0; b < 8; ++b) length |= std::uint64_t{head[8 + b]} << (8 * b);
  if (length > kMaxHeader || 16 + length > size) return fail("corrupt header length");
  std::string text(length, '\0');
  json header;
  try {
    if (!read_exact(f.fd, text.data(), length, 16)) throw IoError("short read");
    header = json::parse(text);
    if (header.at("key") != key) return fail("stale: made for other data files or options");
    const std::size_t start = round_up(16 + length);
    const auto payload = header.at("payload_bytes").get<std::size_t>();
    if (start + payload != size) return fail("truncated or padded: size does not match its header");
    for (const char* name : kSetNames) {
      const json& s = header.at("sets").at(name);
      const auto n = s.at("n").get<std::int64_t>();
      const auto sample = s.at("channels").get<std::int64_t>() * s.at("height").get<std::int64_t>() * s.at("width").get<std::int64_t>();
      if (n < 0 || sample < 1 || s.at("images").get<std::size_t>() + static_cast<std::size_t>(n * sample) * 4 > payload ||
          s.at("labels").get<std::size_t>() + static_cast<std::size_t>(n) * 4 > payload)
        return fail(std::string("corrupt header: set ") + name + " does not fit the file");
    }
    PayloadChecksum checksum;
    std::vector<unsigned char> buffer(1 << 20);  // read, not mapped: checking leaves the mapping cold
    for (std::size_t done = 0; done < payload; done += buffer.size()) {
      const std::size_t bytes = std::min(buffer.size(), payload - done);
      if (!read_exact(f.fd, buffer.data(), bytes, static_cast<off_t>(start + done))) throw IoError("short read");
      checksum.update(buffer.data(), bytes);
    }
    if (checksum.value() != header.at("payload_checksum").get<std::string>())
      return fail("corrupt: the payload does not match its checksum");

    auto mapping = std::make_shared<Mapping>();
    mapping->addr = ::mmap(nullptr, size, PROT_READ, MAP_SHARED, f.fd, 0);
    if (mapping->addr == MAP_FAILED) return fail(std::string("cannot map: ") + std::strerror(errno));
    mapping->size = size;
    const auto* payload_begin = static_cast<const unsigned char*>(mapping->addr) + start;
    DataSplit split;
    split.name = header.at("name").get<std::string>();
    split.source = header.at("source").get<std::string>();
    split.pixel_mean = header.at("pixel_mean").get<double>();
    split.pixel_std = header.at("pixel_std").get<double>();
    for (std::size_t i = 0; i < 3; ++i) {
      const json& s = header.at("sets").at(kSetNames[i]);
      Dataset& d = *sets_of(split)[i];
      d.n = s.at("n").get<std::int64_t>();
      d.channels = s.at("channels").get<std::int64_t>();
      d.height = s.at("height").get<std::int64_t>();
      d.width = s.at("width").get<std::int64_t>();
      d.num_classes = s.at("num_classes").get<std::int64_t>();
      const auto* labels = reinterpret_cast<const std::int32_t*>(payload_begin + s.at("labels").get<std::size_t>());
      d.labels.assign(labels, labels + d.n);
      if (d.n > 0) {
        d.mapped_images = reinterpret_cast<const float*>(payload_begin + s.at("images").get<std::size_t>());
        d.storage = mapping;
      }
    }
    return split;
  } catch (const std::exception& e) {
    problem = std::string("corrupt header (") + e.what() + ")";
    return std::nullopt;
  }
}

}  // namespace

fs::path data_cache_file(const DataConfig& cfg, std::uint64_t seed, const fs::path& folder) {
  return folder / file_name(cache_key(cfg, seed, checksums_of(cfg)));
}

CachedSplit load_data_cached(const DataConfig& cfg, std::uint64_t seed, const fs::path& folder) {
  const auto checksums = checksums_of(cfg);
  const json key = cache_key(cfg, seed, checksums);
  const fs::path file = folder / file_name(key);
  std::string problem;
  if (auto split = open_cache_file(file, key, problem)) {
    split->files = checksums;
    return {std::move(*split), CacheOutcome::reused};
  }
  if (!problem.empty()) spdlog::warn("data cache {}: {}; rebuilding it", file.string(), problem);
  const CacheOutcome outcome = problem.empty() ? CacheOutcome::built : CacheOutcome::rebuilt;
  DataSplit fresh = load_data(cfg, seed);
  try {
    fs::create_directories(folder);
    write_cache_file(file, key, fresh);
  } catch (const std::exception& e) {
    spdlog::warn("data cache {}: {}; using the data from memory", file.string(), e.what());
    return {std::move(fresh), CacheOutcome::memory};
  }
  // Map what was written, so this run reads the data as every later one will.
  if (auto split = open_cache_file(file, key, problem)) {
    split->files = fresh.files;
    return {std::move(*split), outcome};
  }
  spdlog::warn("data cache {}: {} right after writing it; using the data from memory", file.string(), problem);
  return {std::move(fresh), CacheOutcome::memory};
}

}  // namespace bnlab
