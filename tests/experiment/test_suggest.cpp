// The "did you mean" heuristic behind config error messages.
#include <catch2/catch.hpp>

#include "experiment/schema.hpp"
#include "experiment/suggest.hpp"

using namespace bnlab;

TEST_CASE("edit distance counts insertions, deletions, substitutions, swaps", "[suggest]") {
  CHECK(edit_distance("hidden", "hidden") == 0);
  CHECK(edit_distance("hiden", "hidden") == 1);
  CHECK(edit_distance("trian", "train") == 1);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("", "abc") == 3);
}

TEST_CASE("closest handles case, acronyms, edit distance, prefixes and nothing when far", "[suggest]") {
  const std::vector<std::string> optimizer{"lr", "momentum", "weight_decay", "lr_base_batch", "lr_scaling"};
  CHECK(closest("learning_rate", optimizer) == "lr");
  CHECK(closest("wd", optimizer) == "weight_decay");
  CHECK(closest("momentun", optimizer) == "momentum");
  CHECK(closest("ReLU", {"relu", "sigmoid", "tanh"}) == "relu");
  CHECK(closest("batch", {"batch_size", "steps"}) == "batch_size");
  const std::vector<std::string> norms{"none", "batch", "layer", "group", "batch_renorm", "ghost_batch"};
  CHECK(closest("batchnorm", norms) == "batch");
  CHECK(closest("BatchNorm", norms) == "batch");
  CHECK(closest("batch_re", norms) == "batch_renorm");
  CHECK(closest("layernorm", norms) == "layer");
  CHECK_FALSE(closest("xyz", optimizer));
  CHECK_FALSE(closest("", optimizer));
}

TEST_CASE("closest_key: within a section, across sections, misspelled section", "[suggest]") {
  CHECK(closest_key("model.hiden") == "model.hidden");
  CHECK(closest_key("train.lr") == "optimizer.lr");
  CHECK(closest_key("optimiser.lr") == "optimizer.lr");
  CHECK(closest_key("lr") == "optimizer.lr");
}
