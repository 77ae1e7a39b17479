// The normalization kinds `model.norm` can name, for code that checks a config without building
// a network (lib/experiment's schema): no layer and no oneDNN header behind it.
#pragma once

#include <string>
#include <vector>

namespace bnlab {

// Valid values of model.norm, "none" first (defined next to the factory, model/norms.cpp).
const std::vector<std::string>& norm_kinds();

// The values model.norm takes with model.arch "lstm" (layers/lstm.hpp): none, batch_input
// (Laurent et al.), batch (BN-LSTM, Cooijmans et al.), layer (LN-LSTM, Ba et al.). "batch" and
// "layer" keep their meaning (normalize over the batch / over a sample's features); batch_input
// exists only for the LSTM, whose input and recurrent paths an MLP or CNN does not have.
const std::vector<std::string>& lstm_norm_kinds();

// Every value model.norm may take (norm_kinds() and the LSTM-only ones): what the schema accepts.
const std::vector<std::string>& model_norm_values();

}  // namespace bnlab
