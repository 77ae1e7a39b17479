// bnlab bench: the fixed CSV schema, the number format, the reference models' FLOP counts
// (the cnn's 25 MFLOP per sample per training step of issue 4), option validation, and a tiny
// run producing the rows it promises. No timed assertion: speed is what bench reports, not what a
// unit test checks.
#include <catch2/catch.hpp>

#include "bench/bench.hpp"
#include "bench/reference_models.hpp"
#include "core/errors.hpp"
#include "util/csv.hpp"

using namespace bnlab;

TEST_CASE("bench CSV: a fixed header and one cell per column in every row", "[bench]") {
  CHECK(bench_csv_header() ==
        "section,name,model,norm,layout,shape,batch,threads,repeats,ms_median,ms_min,samples_per_s,gb_per_s,"
        "frac_copy_bw,gflop_per_s,frac_peak,floor_ms,x_floor\n");
  BenchRow row;
  row.section = "steps";
  row.name = "train_step";
  row.model = "cnn";
  row.norm = "batch";
  row.shape = "32x1x28x28";
  row.batch = 32;
  row.threads = 1;
  row.timing = {20.0, 19.0, 10, 1};
  row.flops = 32 * 25e6;  // 0.8 GFLOP in 20 ms: 40 GFLOP/s
  row.peak_gflops = 80;
  const auto table = parse_csv(bench_csv_header() + bench_csv_row(row));
  REQUIRE(table.rows.size() == 1);
  REQUIRE(table.rows[0].size() == bench_columns().size());
  auto cell = [&](const char* name) { return table.rows[0][static_cast<std::size_t>(table.column(name))]; };
  CHECK(cell("ms_median") == "20");
  CHECK(cell("samples_per_s") == "1600");
  CHECK(cell("gflop_per_s") == "40");
  CHECK(cell("frac_peak") == "0.5");
  CHECK(cell("floor_ms") == "10");
  CHECK(cell("x_floor") == "2");
  CHECK(cell("gb_per_s").empty());  // not a memory-bound row
  CHECK(cell("frac_copy_bw").empty());

  row.peak_gflops = 0;  // machine section not run: no fractions, no floor
  const auto without = parse_csv(bench_csv_header() + bench_csv_row(row));
  CHECK(without.rows[0][static_cast<std::size_t>(without.column("frac_peak"))].empty());
  CHECK(without.rows[0][static_cast<std::size_t>(without.column("x_floor"))].empty());
}

TEST_CASE("bench numbers: 4 significant digits, plain decimal", "[bench]") {
  CHECK(bench_number(0.5) == "0.5");
  CHECK(bench_number(123456.7) == "123457");
  CHECK(bench_number(1.23456) == "1.235");
  CHECK(bench_number(0.0001234567) == "0.0001235");
  CHECK(bench_number(0) == "0");
  CHECK(bench_number(NAN).empty());
}

TEST_CASE("reference models: the cnn step is 25 MFLOP per sample", "[bench]") {
  const auto cnn = model_flops(reference_model("cnn", "batch"), kReferenceInputShape, kReferenceClasses);
  // conv1 28·28·32·1·9 + conv2 14·14·64·32·9 + fc 3136·128 + classifier 128·10 multiply-adds
  const double macs = 28 * 28 * 32 * 9 + 14 * 14 * 64 * 32 * 9 + 3136 * 128 + 128 * 10;
  CHECK(cnn.forward == Approx(2 * macs));
  CHECK(cnn.train_step == Approx(25e6).epsilon(0.01));  // issue 4: "25 MFLOP per sample per step"
  const auto mlp = model_flops(reference_model("mlp", "none"), kReferenceInputShape, kReferenceClasses);
  CHECK(mlp.forward == Approx(2.0 * (784 * 100 + 100 * 100 + 100 * 100 + 100 * 10)));
  CHECK(mlp.train_step == Approx(3 * mlp.forward - 2.0 * 784 * 100));
  CHECK(reference_model("mlp", "batch").activation == "sigmoid");
  CHECK(reference_model("cnn", "none").norm == "none");
  CHECK(reference_model("cnn", "batch_renorm").norm == "batch_renorm");  // any model.norm kind
  CHECK_THROWS_AS(reference_model("resnet", "batch"), ConfigError);
  CHECK_THROWS_WITH(reference_model("cnn", "batchnorm"), "bench: unknown norm 'batchnorm'");
}

TEST_CASE("reference models: resnet20's FLOPs are the products bnlab model counts", "[bench][resnet]") {
  const auto model = reference_model("resnet20", "batch");
  CHECK(model.arch == "resnet");
  CHECK(model.depth == 20);
  const auto resnet = model_flops(model, kReferenceInputShape, kReferenceClasses);
  // Multiply-adds on 28x28 images: the stem; stage 1 (28x28, 16 channels): 6 conv3x3; stage 2
  // (14x14, 32): one conv3x3 from 16, five from 32, the 1x1 projection from 16; stage 3 (7x7, 64)
  // likewise; the classifier 64 -> 10.
  const double stem = 28 * 28 * 16 * 1 * 9;
  const double stage1 = 6.0 * 28 * 28 * 16 * 16 * 9;
  const double stage2 = 14 * 14 * 32 * 16 * 9 + 5.0 * 14 * 14 * 32 * 32 * 9 + 14 * 14 * 32 * 16;
  const double stage3 = 7 * 7 * 64 * 32 * 9 + 5.0 * 7 * 7 * 64 * 64 * 9 + 7 * 7 * 64 * 32;
  const double macs = stem + stage1 + stage2 + stage3 + 64 * 10;
  CHECK(resnet.forward == Approx(2 * macs));
  CHECK(resnet.train_step == Approx(3 * 2 * macs - 2 * stem));  // the stem computes no input gradient
  // Any norm kind a non-recurrent reference model takes builds it.
  CHECK(reference_model("resnet20", "group").norm == "group");
  CHECK_THROWS_WITH(reference_model("resnet20", "batch_input"),
                    "bench: no norm 'batch_input' for the reference model 'resnet20'");
}

TEST_CASE("reference models: the lstm step counts every time step's products", "[bench][lstm]") {
  const auto lstm = model_flops(reference_model("lstm", "batch"), kReferenceInputShape, kReferenceClasses);
  // 28 steps of W_x (512x28) and W_h (512x128) multiply-adds, then the classifier 128·10
  CHECK(lstm.forward == Approx(2.0 * (28 * 512 * (28 + 128) + 128 * 10)));
  CHECK(lstm.train_step == Approx(3 * lstm.forward));
  CHECK(reference_model("lstm", "none").arch == "lstm");
  CHECK_THROWS_WITH(reference_model("lstm", "group"), "bench: no norm 'group' for the reference model 'lstm'");
  CHECK_THROWS_WITH(reference_model("mlp", "batch_input"), "bench: no norm 'batch_input' for the reference model 'mlp'");
}

TEST_CASE("bench options: every problem is reported", "[bench]") {
  CHECK_NOTHROW(validate(BenchOptions{}));
  BenchOptions o;
  o.sections = {"steps", "everything"};
  o.models = {"cnn", "vgg"};
  o.batches = {1, 8};
  o.threads = {0};
  o.timing.repeats = 0;
  try {
    validate(o);
    FAIL("no error");
  } catch (const ConfigError& e) {
    CHECK(e.problems().size() == 5);
    CHECK_THAT(e.what(), Catch::Contains("unknown 'everything' (valid: machine, layers, steps)"));
    CHECK_THAT(e.what(), Catch::Contains("unknown 'vgg'"));
    CHECK_THAT(e.what(), Catch::Contains("batches: 1 is not >= 2"));
  }
}

TEST_CASE("a tiny bench run gives one row per measurement, in order", "[bench]") {
  BenchOptions o;
  o.sections = {"machine", "steps"};
  o.threads = {1};
  o.models = {"mlp"};
  o.batches = {2, 4};
  o.timing = {2, 0.0, 0.0};
  o.matmul_size = 64;
  o.copy_mib = 1;
  std::vector<BenchRow> rows;
  run_bench(o, [&](const BenchRow& r) { rows.push_back(r); });
  REQUIRE(rows.size() == 2 + 2 * 2 * 2);  // matmul, copy; (batch, none) x batches x (train, infer)
  CHECK(rows[0].name == "matmul_f32");
  CHECK(rows[1].name == "copy");
  CHECK(rows[2].name == "train_step");
  CHECK(rows[2].norm == "batch");
  CHECK(rows[2].batch == 2);
  CHECK(rows[3].name == "infer_batch");
  for (const auto& r : rows) {
    CHECK(r.timing.median_ms > 0);
    CHECK(r.timing.min_ms <= r.timing.median_ms);
    CHECK(r.peak_gflops > 0);  // every row carries the machine figures of its thread count
  }
}
