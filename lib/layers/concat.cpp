#include "layers/concat.hpp"

#include "core/errors.hpp"

namespace bnlab {

namespace {
using tag = dnnl::memory::format_tag;
using dt = dnnl::memory::data_type;

// The windows (channel ranges) of md, one per size in `channels`; throws dnnl::error when md's
// layout cannot express one (a channel block split by a window).
std::vector<dnnl::memory::desc> windows(const dnnl::memory::desc& md, const std::vector<std::int64_t>& channels) {
  std::vector<dnnl::memory::desc> out;
  auto dims = md.dims();
  std::int64_t offset = 0;
  for (const auto c : channels) {
    Dims sub = dims;
    sub[1] = c;
    out.push_back(md.submemory_desc(sub, {0, offset, 0, 0}));
    offset += c;
  }
  return out;
}
}  // namespace

void Concat::build(Plan& plan, const std::vector<const Tensor*>& srcs, Mode mode) {
  if (srcs.empty()) throw ShapeError("concat: no inputs");
  const auto first = srcs[0]->dims();
  std::vector<dnnl::memory::desc> mds;
  std::vector<std::int64_t> channels;
  for (const Tensor* src : srcs) {
    const auto dims = src->dims();
    if (dims.size() != 4 || dims[0] != first[0] || dims[2] != first[2] || dims[3] != first[3])
      throw ShapeError("concat: the inputs must be (N, C, H, W) with the same N, H and W, got " + to_string(first) +
                       " and " + to_string(dims));
    mds.push_back(src->desc());
    channels.push_back(dims[1]);
  }
  const auto& eng = ctx_.engine();
  const dnnl::concat::primitive_desc pd(/*concat_dimension=*/1, mds, eng);
  plan.src_mds = mds;
  plan.srcs.clear();
  std::unordered_map<int, dnnl::memory> args;
  for (std::size_t k = 0; k < mds.size(); ++k) {
    plan.srcs.emplace_back(mds[k], eng, nullptr);
    args[DNNL_ARG_MULTIPLE_SRC + static_cast<int>(k)] = plan.srcs.back();
  }
  plan.dst = Tensor(pd.dst_desc(), ctx_);
  args[DNNL_ARG_DST] = plan.dst.mem();
  plan.impl = pd.impl_info_str();
  plan.fwd = Step(make_primitive<dnnl::concat>(pd), std::move(args));
  if (mode != Mode::train) return;

  const auto dst_md = pd.dst_desc();
  diff_dst_ = dnnl::memory(dst_md, eng, nullptr);
  std::vector<dnnl::memory::desc> cut_mds;
  try {
    cut_mds = windows(dst_md, channels);
    channels_last_.read_as(diff_dst_, dst_md, ctx_);  // no copy
  } catch (const dnnl::error&) {
    channels_last_.read_as(diff_dst_, dnnl::memory::desc(dst_md.dims(), dt::f32, tag::nhwc), ctx_);
    cut_mds = windows(channels_last_.mem().get_desc(), channels);
  }
  diff_srcs_.clear();
  windows_.clear();
  cuts_.clear();
  for (std::size_t k = 0; k < mds.size(); ++k) {
    diff_srcs_.emplace_back(mds[k], ctx_);
    // The window shares the buffer of channels_last_.mem() (or of the caller's diff_dst, whose
    // handle backward sets): a memory object per window, its handle set per step.
    const dnnl::memory window(cut_mds[k], eng, nullptr);
    cuts_.push_back(reorder_step(window, diff_srcs_.back().mem(), ctx_));
    windows_.push_back(window);
  }
}

const Tensor& Concat::forward(const std::vector<const Tensor*>& srcs, Mode mode) {
  Plan& plan = mode == Mode::train ? train_ : eval_;
  bool same = !plan.fwd.empty() && srcs.size() == plan.src_mds.size();
  for (std::size_t k = 0; same && k < srcs.size(); ++k) same = srcs[k]->desc() == plan.src_mds[k];
  if (!same) build(plan, srcs, mode);
  for (std::size_t k = 0; k < srcs.size(); ++k) plan.srcs[k].set_data_handle(srcs[k]->data());
  plan.fwd.run(ctx_);
  return plan.dst;
}

const std::vector<Tensor>& Concat::backward(const Tensor& diff_dst) {
  if (cuts_.empty()) throw Error("concat: backward before a training forward");
  if (diff_dst.desc() != diff_dst_.get_desc())
    throw ShapeError("concat: diff_dst " + to_string(diff_dst.dims()) +
                     " does not have the descriptor of the dst forward returned");
  diff_dst_.set_data_handle(diff_dst.data());
  channels_last_.run(ctx_);
  void* whole = channels_last_.mem().get_data_handle();
  for (std::size_t k = 0; k < cuts_.size(); ++k) {
    windows_[k].set_data_handle(whole);  // a window's offset is in its descriptor
    cuts_[k].run(ctx_);
  }
  return diff_srcs_;
}

}  // namespace bnlab
