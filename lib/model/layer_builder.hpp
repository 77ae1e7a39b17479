// Builds the layers of a planned network (layer_plan.hpp) into a Network: each entry the plan did
// not skip becomes one layer under the name the plan gave it, blocks become Sequence, Residual and
// Branches (blocks.hpp). The plan decided every shape, default and fusion; nothing is decided here.
#pragma once

#include <vector>

#include "core/random.hpp"
#include "model/layer_spec.hpp"
#include "model/model_config.hpp"
#include "model/network.hpp"

namespace bnlab {

// Adds the layers of `planned` to `net`; rng seeds dropout and noisy norms in forward order (as
// the mlp/cnn builder does). Norms the plan marked zero_init get gamma = 0 (the initializers
// touch weights only, init.hpp).
void build_planned(Network& net, const std::vector<LayerSpec>& planned, const NormConfig& norm, Rng& rng);

}  // namespace bnlab
