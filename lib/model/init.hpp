// Weight initializers (init.scheme), applied to every conv2d and linear weight; biases start at 0,
// norm gamma at 1 and beta at 0. fan_in = in_features (or in_channels*k*k), fan_out likewise.
//   normal:  N(0, std²)                               (init.std required)
//   uniform: U(-a, a), a = std·√3 (same variance as normal(std)); without std a = 1/√fan_in
//   xavier:  U(-a, a), a = √(6 / (fan_in + fan_out))  (Glorot & Bengio 2010; PyTorch xavier_uniform_)
//   he:      N(0, 2 / fan_in)                          (He et al. 2015; PyTorch kaiming_normal_)
// Layers are visited in order with one seeded stream, so a seed fixes every weight.
#pragma once

#include <cstdint>

#include "model/model_config.hpp"
#include "model/network.hpp"

namespace bnlab {

void initialize(Network& net, const InitConfig& config, std::uint64_t seed);

}  // namespace bnlab
