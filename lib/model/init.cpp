#include "model/init.hpp"

#include <cmath>

#include "core/errors.hpp"
#include "core/random.hpp"

namespace bnlab {

void initialize(Network& net, const InitConfig& config, std::uint64_t seed) {
  Rng rng(derive_seed(seed, 0x1417));
  for (Param* p : net.params()) {  // every leaf's, in forward order
    if (p->name != "weight") continue;  // biases stay 0, gamma 1, beta 0
    const Dims dims = p->value.dims();  // (out, in) or (out, in, k, k)
    const double receptive = dims.size() == 4 ? static_cast<double>(dims[2] * dims[3]) : 1.0;
    const double fan_in = static_cast<double>(dims[1]) * receptive;
    const double fan_out = static_cast<double>(dims[0]) * receptive;
    std::vector<float> w(static_cast<std::size_t>(p->value.numel()));
    const auto& scheme = config.scheme;
    if (scheme == "normal") {
      if (!config.std) throw ConfigError("init.std: required when init.scheme is normal");
      for (auto& v : w) v = static_cast<float>(rng.normal(0.0, *config.std));
    } else if (scheme == "uniform") {
      const double a = config.std ? *config.std * std::sqrt(3.0) : 1.0 / std::sqrt(fan_in);
      for (auto& v : w) v = static_cast<float>(rng.uniform(-a, a));
    } else if (scheme == "xavier") {
      const double a = std::sqrt(6.0 / (fan_in + fan_out));
      for (auto& v : w) v = static_cast<float>(rng.uniform(-a, a));
    } else if (scheme == "he") {
      const double std = std::sqrt(2.0 / fan_in);
      for (auto& v : w) v = static_cast<float>(rng.normal(0.0, std));
    } else {
      throw ConfigError("init.scheme: unknown scheme '" + scheme + "'");
    }
    p->value.from_vector(w);
  }
}

}  // namespace bnlab
