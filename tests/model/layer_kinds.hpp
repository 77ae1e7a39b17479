// A network's top-level layers as one line of kinds ("linear batch_norm+relu linear"), so that a
// test states the layer sequence it expects in one readable string.
#pragma once

#include <cstddef>
#include <string>

#include "layers/norm.hpp"
#include "model/network.hpp"

namespace bnlab::test {

// "+relu" marks a norm that applies the ReLU itself (fused or as its own step: layers/norm.hpp).
inline std::string layer_kinds(const Network& net) {
  std::string out;
  for (std::size_t i = 0; i < net.size(); ++i) {
    if (i) out += ' ';  // (not `(i ? " " : "") + kind`: GCC 12 warns falsely on it)
    out += net.layer(i).kind();
    if (const auto* norm = dynamic_cast<const Norm*>(&net.layer(i)); norm && norm->relu()) out += "+relu";
  }
  return out;
}

}  // namespace bnlab::test
