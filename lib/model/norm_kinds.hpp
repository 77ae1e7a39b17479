// The normalization kinds `model.norm` can name, for code that checks a config without building
// a network (lib/experiment's schema): no layer and no oneDNN header behind it.
#pragma once

#include <string>
#include <vector>

namespace bnlab {

// Valid values of model.norm, "none" first (defined next to the factory, model/norms.cpp).
const std::vector<std::string>& norm_kinds();

}  // namespace bnlab
