#include "experiment/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace bnlab {

namespace {

std::string clock_text(double seconds) {
  const auto s = static_cast<long>(seconds + 0.5);
  char buf[32];
  if (s >= 3600) std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
  else std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
  return buf;
}

bool stderr_is_terminal() {
  const char* term = std::getenv("TERM");
  return ::isatty(STDERR_FILENO) && !(term && std::strcmp(term, "dumb") == 0);
}

std::size_t terminal_width() {
  winsize size{};
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

}  // namespace

std::string describe_swept(const PlannedRun& run) {
  std::string out;
  for (const auto& [key, value] : run.swept) {
    if (!out.empty()) out += ' ';
    out += key + '=' + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  return out;
}

Progress::Progress(ProgressMode mode, std::size_t total)
    : live_((mode == ProgressMode::live || (mode == ProgressMode::automatic && stderr_is_terminal())) &&
            spdlog::should_log(spdlog::level::info)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { clear(); }

void Progress::started(const PlannedRun& run) {
  running_.push_back({run.run_id, 0, 0});
  refresh();
}

void Progress::step(const std::string& run_id, std::int64_t step, std::int64_t total) {
  for (auto& r : running_)
    if (r.run_id == run_id) r.step = step, r.total = total;
  refresh();
}

void Progress::abandoned(const std::string& run_id) {
  std::erase_if(running_, [&](const Running& r) { return r.run_id == run_id; });
  refresh(true);
}

void Progress::skipped() {
  if (total_ > 0) --total_;
  refresh(true);
}

void Progress::finished(const PlannedRun& run, const nlohmann::json& status) {
  std::erase_if(running_, [&](const Running& r) { return r.run_id == run.run_id; });
  ++done_;
  const auto text = [&](const char* key, const char* fallback) {
    const auto it = status.find(key);
    return it != status.end() && it->is_string() ? it->get<std::string>() : std::string(fallback);
  };
  const std::string s = text("status", "failed");
  const std::string swept = describe_swept(run);
  const std::string head = fmt::format("[{}/{}] run {}{}", done_, total_, run.run_id, swept.empty() ? "" : " (" + swept + ")");
  if (s == "failed") {
    ++failed_;
    log(spdlog::level::err, fmt::format("{} failed: {}", head, text("error", "?")));
  } else {
    const auto number = [&](const char* key) {
      const auto it = status.find(key);
      return it != status.end() && it->is_number() ? it->get<double>() : 0.0;
    };
    const std::string text = fmt::format("{} {}: test acc {:.4f}, {} steps, {:.1f} s", head, s, number("final_test_acc"),
                                         static_cast<long long>(number("steps")), number("wall_s"));
    log(live_ ? spdlog::level::debug : spdlog::level::info, text);
  }
  refresh(true);
}

void Progress::log(spdlog::level::level_enum level, const std::string& text) {
  if (!spdlog::should_log(level)) return;
  clear();
  spdlog::log(level, text);
  refresh(true);
}

void Progress::print(const std::string& text) {
  clear();
  std::fprintf(stderr, "%s\n", text.c_str());
  std::fflush(stderr);
  refresh(true);
}

std::string Progress::line() const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double fraction_done = static_cast<double>(done_);
  for (const auto& r : running_)
    if (r.total > 0) fraction_done += static_cast<double>(r.step) / static_cast<double>(r.total);
  fraction_done /= static_cast<double>(std::max<std::size_t>(total_, 1));
  const std::string eta = fraction_done > 0.005 ? clock_text(elapsed * (1 - fraction_done) / fraction_done) : "--:--";
  std::string out = std::to_string(done_) + "/" + std::to_string(total_) + " done, " + std::to_string(running_.size()) +
                    " running, " + std::to_string(failed_) + " failed | " + clock_text(elapsed) + " elapsed, ETA " + eta;
  for (std::size_t i = 0; i < running_.size(); ++i) {
    const auto& r = running_[i];
    out += (i == 0 ? " | " : ", ") + r.run_id + " " + (r.total > 0 ? std::to_string(r.step) + "/" + std::to_string(r.total) : "starting");
  }
  return out;
}

void Progress::refresh(bool now) {
  if (!live_) return;
  const auto t = std::chrono::steady_clock::now();
  if (!now && drawn_ && t - last_draw_ < std::chrono::milliseconds(200)) return;
  std::string text = line();
  const std::size_t width = terminal_width();
  if (text.size() >= width) text.resize(width - 1);  // a wrapped line could not be redrawn in place
  std::fprintf(stderr, "\r\033[K%s", text.c_str());
  std::fflush(stderr);
  drawn_ = true;
  last_draw_ = t;
}

void Progress::clear() {
  if (!live_ || !drawn_) return;
  std::fputs("\r\033[K", stderr);
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace bnlab
