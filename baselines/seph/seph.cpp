// SePH-rnd and SePH-km on LibTorch (double precision). Three steps:
//  1. Training codes H [n, k]: minimise KL(P‖Q) + α/(n·k)·‖|H| − 1‖², with P the label cosine
//     affinities normalised over all pairs and Q_ij ∝ 1 / (1 + ¼‖h_i − h_j‖²), by the t-SNE
//     gradient scheme of the authors' code (momentum, delta-bar-delta gains, zero-mean codes,
//     the lowest-objective iterate kept).
//  2. Per modality, RBF features exp(−‖x − z‖² / (c·s)) over m anchors z, s the mean squared
//     distance between training items, c = kernel_scale (README: why 1 and not 2).
//  3. Per modality and bit, kernel logistic regression onto sign(H) (L-BFGS, all bits at once: the
//     problems are separable, so the joint minimiser is each bit's minimiser).
// Codes: sign(K(x) w) for one modality; the paper's retrieval set fuses both modalities.
#include "seph.h"

#include <torch/torch.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>

#include "common/error.h"
#include "data/dataset.h"
#include "param_set.h"
#include "tensor/tensor_data.h"

namespace cmh::baselines {
namespace {

enum class Anchors { kRandom, kKmeans };

const ParamSet<SephParams>& seph_params() {
  static const ParamSet<SephParams> set =
      ParamSet<SephParams>()
          .add("alpha", &SephParams::alpha, "quantisation weight: KL + alpha/(n k) * sum of (abs(H) - 1)^2", at_least(0))
          .add("kl_iterations", &SephParams::kl_iterations, "gradient steps on the training codes", at_least(1))
          .add("learning_rate", &SephParams::learning_rate, "their step size (times delta-bar-delta gains)", above(0))
          // momentum 1 never forgets a step: the descent does not settle
          .add("momentum", &SephParams::momentum, "their momentum", at_least(0) | below(1))
          .add("max_train", &SephParams::max_train, "at most this many training items (seeded sample) learn the codes",
               at_least(2))
          .add("anchors", &SephParams::anchors, "RBF kernel bases per modality", at_least(1))
          .add("kmeans_iterations", &SephParams::kmeans_iterations,
               "Lloyd iterations for the k-means anchors (seph-km)", at_least(1))
          .add("kernel_scale", &SephParams::kernel_scale,
               "RBF kernel exp(-d^2 / (kernel_scale * s)), s = mean squared distance between training items", above(0))
          // the penalty keeps each regression's minimum finite on separable bits
          .add("klr_reg", &SephParams::klr_reg, "C of the kernel logistic regression penalty C w'K w", above(0))
          .add("klr_iterations", &SephParams::klr_iterations, "L-BFGS iterations per regression", at_least(1))
          .add("database_codes", &SephParams::database_codes,
               "unified: the retrieval set fuses both modalities (the paper's protocol); hash_function: one modality",
               one_of({"unified", "hash_function"}));
  return set;
}

// Squared Euclidean distances [a, b] between the rows of x [a, d] and z [b, d].
torch::Tensor sq_distances(const torch::Tensor& x, const torch::Tensor& z) {
  const auto xx = (x * x).sum(1, true), zz = (z * z).sum(1, true);
  return (xx + zz.t() - 2.0 * x.mm(z.t())).clamp_min(0.0);
}

// Label cosine affinities [n, n] as a distribution over pairs (the authors' minKLD.m): zero
// diagonal, summing to one, floored at the smallest positive double. (minKLD.m also symmetrises
// P; L̃L̃ᵀ already is.)
torch::Tensor pair_distribution(const torch::Tensor& labels) {
  const auto norms = labels.norm(2, 1, true);
  const auto l = torch::where(norms > 0, labels / norms.clamp_min(1e-300), torch::zeros_like(labels));
  auto p = l.mm(l.t());
  p.fill_diagonal_(0.0);
  const double total = p.sum().item<double>();
  if (!(total > 0.0))
    throw InputError("seph: no two training items share a label, so the semantic affinities are all zero");
  return p.div_(total).clamp_min_(DBL_MIN);
}

// Step 1: real-valued training codes [n, k] (sign → the bits the regressions learn). The n × n
// work happens in two buffers reused every step, in place: a fresh tensor that large is a fresh
// memory mapping whose page faults cost far more than the arithmetic, and each pass over n × n
// doubles is memory-bound.
torch::Tensor learn_codes(const torch::Tensor& p, int64_t k, const SephParams& s, torch::Generator& gen,
                          RunContext& ctx, int log_epochs) {
  const int64_t n = p.size(0);
  const auto opts = p.options();
  auto t = torch::empty_like(p), work = torch::empty_like(p);
  const double constant = torch::log_out(work, p).view(-1).dot(p.view(-1)).item<double>();  // Σ P log P
  const double p_off = p.sum().item<double>() - p.diagonal().sum().item<double>();
  const double a = s.alpha / static_cast<double>(n * k);  // the authors' script passes α/bits/n
  auto h = 1e-4 * torch::randn({n, k}, gen, opts);
  auto incs = torch::zeros_like(h), gains = torch::ones_like(h);
  auto best = h.clone();
  double best_cost = std::numeric_limits<double>::infinity();
  for (int64_t it = 1; it <= s.kl_iterations; ++it) {
    // t_ij = 1 / (4 + ‖h_i − h_j‖²) = num_ij / 4, with num = 1 / (1 + ¼‖h_i − h_j‖²) the paper's
    // Student-t on the Hamming distance, zero diagonal; Q = t / Σt. Few passes over n × n.
    const auto norms = (h * h).sum(1, true);  // [n, 1]
    torch::addmm_out(t, norms + 4.0, h, h.t(), 1.0, -2.0);
    t.add_(norms.t()).reciprocal_();
    t.fill_diagonal_(1.0);  // log 1 = 0: the diagonal drops out of Σ P log t
    torch::log_out(work, t);
    t.fill_diagonal_(0.0);
    const double total = t.sum().item<double>();
    // Σ_{i≠j} P log Q (the diagonal's DBL_MIN · log DBL_MIN ≈ 1e-305 is dropped).
    const double p_log_q = work.view(-1).dot(p.view(-1)).item<double>() - std::log(total) * p_off;
    // L = (P − Q) ∘ num = 4 (P ∘ t − t² / Σt); the gradient is (diag(L1) − L) H plus the
    // quantisation term, as the authors' minKLD.m.
    torch::mul_out(work, t, t).mul_(-1.0 / total).addcmul_(p, t);
    const auto grads = 4.0 * (work.sum(1, true) * h - work.mm(h)) + 2.0 * a * (h.abs() - 1.0) * h.sign();
    gains = torch::where(grads.sign() != incs.sign(), gains + 0.2, gains * 0.8).clamp_min(0.01);
    incs = s.momentum * incs - s.learning_rate * (gains * grads);
    h = h + incs;
    h = h - h.mean(0, true);
    // As the authors' code: Q of this step's start, quantisation of its end.
    const double cost = constant - p_log_q + a * (h.abs() - 1.0).pow(2).sum().item<double>();
    if (cost < best_cost) {
      best_cost = cost;
      best = h.clone();
    }
    if (ctx.on_epoch) {
      EpochLog log;
      log.epoch = static_cast<int>(it);
      log.epochs = log_epochs;
      log.values.emplace_back("objective", cost);
      ctx.on_epoch(log);
    }
  }
  return best;
}

// Lloyd's k-means from m distinct random items (MATLAB 'Start','sample'); an emptied cluster takes
// the item farthest from its centre ('EmptyAction','singleton'). Returns the centres [m, d].
torch::Tensor kmeans(const torch::Tensor& x, int64_t m, int64_t iterations, torch::Generator& gen) {
  const int64_t n = x.size(0);
  auto centres = x.index_select(0, torch::randperm(n, gen, torch::kLong).narrow(0, 0, m)).clone();
  auto assign = std::get<1>(sq_distances(x, centres).min(1));
  for (int64_t it = 0; it < iterations; ++it) {
    const auto onehot = torch::one_hot(assign, m).to(x.scalar_type());  // [n, m]
    const auto counts = onehot.sum(0);
    centres = torch::where(counts.unsqueeze(1) > 0, onehot.t().mm(x) / counts.clamp_min(1.0).unsqueeze(1), centres);
    const auto empty = (counts == 0).nonzero().flatten();
    for (int64_t e = 0; e < empty.numel(); ++e) {
      const auto own = sq_distances(x, centres).gather(1, assign.unsqueeze(1)).flatten();
      const int64_t far = own.argmax().item<int64_t>();
      const int64_t c = empty[e].item<int64_t>();
      centres[c].copy_(x[far]);
      assign[far] = c;
    }
    auto next = std::get<1>(sq_distances(x, centres).min(1));
    const bool stable = next.equal(assign);
    assign = next;
    if (stable) break;
  }
  return centres;
}

// One modality's kernel logistic regressions: weights [m, k] minimising, for every bit b,
// Σ_i log(1 + exp(−B_ib (K w_b)_i)) + C w_bᵀ K_mm w_b (minFunc + penalizedKernelL2 in the
// authors' code). The RBF Gram matrices are badly conditioned, so L-BFGS runs on v = P^{1/2} w
// with P = ¼ KᵀK + 2C K_mm, an upper bound of every bit's Hessian (Böhning's bound): the same
// minimiser, reached in far fewer steps. Returns the weights and the final objective.
std::pair<torch::Tensor, double> kernel_logistic(const torch::Tensor& k, const torch::Tensor& k_mm,
                                                 const torch::Tensor& b, const SephParams& s) {
  auto [pe, pv] = torch::linalg_eigh(0.25 * k.t().mm(k) + 2.0 * s.klr_reg * k_mm, "L");
  const double floor = std::max(pe.max().item<double>() * 1e-12, 1e-300);
  const auto to_w = pv.mm(torch::diag(pe.clamp_min(floor).rsqrt())).mm(pv.t());  // P^{-1/2} [m, m]
  const auto kt = k.mm(to_w), kt_mm = to_w.mm(k_mm).mm(to_w);
  torch::AutoGradMode grad_on(true);
  auto v = torch::zeros({k.size(1), b.size(1)}, k.options()).requires_grad_(true);
  torch::optim::LBFGS opt({v}, torch::optim::LBFGSOptions(1.0)
                                   .max_iter(s.klr_iterations)
                                   .max_eval(s.klr_iterations * 5 / 4)
                                   .tolerance_grad(1e-5)
                                   .tolerance_change(1e-9)
                                   .history_size(100)
                                   .line_search_fn("strong_wolfe"));
  auto objective = [&] {
    // softplus(−m) = log(1 + e^{−m}), stable and with the right gradient at m = 0 (where v starts).
    return torch::softplus(-(b * kt.mm(v))).sum() + s.klr_reg * (v * kt_mm.mm(v)).sum();
  };
  opt.step([&] {
    opt.zero_grad();
    auto loss = objective();
    loss.backward();
    return loss;
  });
  torch::NoGradGuard no_grad;
  return {to_w.mm(v.detach()), objective().item<double>()};
}

class Seph final : public Method {
 public:
  explicit Seph(Anchors kind) : kind_(kind), who_(kind == Anchors::kRandom ? "seph-rnd" : "seph-km") {}

  void fit(const data::Dataset& d, const std::vector<int64_t>& train, RunContext& ctx) override {
    p_ = seph_params().read(ctx.params);
    const int64_t k = ctx.bits;
    auto gen = make_generator(ctx.seed);
    auto x1 = feature_rows(d.image, train, who_, torch::kFloat64);  // [n, d1]
    auto x2 = feature_rows(d.text, train, who_, torch::kFloat64);   // [n, d2]
    mean_1_ = x1.mean(0, true);
    mean_2_ = x2.mean(0, true);
    x1 = x1 - mean_1_;
    x2 = x2 - mean_2_;
    auto labels = label_rows(d, train).to(torch::kFloat64);
    int64_t n = x1.size(0);
    if (n > p_.max_train) {
      const auto pick = std::get<0>(torch::randperm(n, gen, torch::kLong).narrow(0, 0, p_.max_train).sort());
      x1 = x1.index_select(0, pick);
      x2 = x2.index_select(0, pick);
      labels = labels.index_select(0, pick);
      ctx.notes.push_back(who_ + ": codes and regressions learned on a seeded sample of " +
                          std::to_string(p_.max_train) +
                          " of the " + std::to_string(n) + " training items (max_train)");
      n = p_.max_train;
    }
    const int log_epochs = static_cast<int>(p_.kl_iterations + 1);
    const auto h = learn_codes(pair_distribution(labels), k, p_, gen, ctx, log_epochs);
    const auto b = torch::where(h >= 0, torch::ones_like(h), -torch::ones_like(h));  // [n, k]

    // s = mean over all ordered pairs (diagonal included) of ‖x_i − x_j‖² = 2 mean‖x‖² − 2‖x̄‖²
    // (the authors' script: mean(z(:)), passed to its kernel as "σ²").
    auto sigma2 = [](const torch::Tensor& x) {
      return 2.0 * (x * x).sum(1).mean().item<double>() - 2.0 * x.mean(0).pow(2).sum().item<double>();
    };
    sigma2_1_ = std::max(sigma2(x1), 1e-300);
    sigma2_2_ = std::max(sigma2(x2), 1e-300);
    int64_t m = std::min(p_.anchors, kind_ == Anchors::kRandom ? n : n / 2);
    if (m < 1) m = 1;
    if (m < p_.anchors)
      ctx.notes.push_back(who_ + ": " + std::to_string(m) + " anchors instead of " + std::to_string(p_.anchors) +
                          " (only " + std::to_string(n) + " training items)");
    if (kind_ == Anchors::kRandom) {
      // The same random items serve both modalities, as in the authors' script.
      const auto pick = std::get<0>(torch::randperm(n, gen, torch::kLong).narrow(0, 0, m).sort());
      z1_ = x1.index_select(0, pick);
      z2_ = x2.index_select(0, pick);
    } else {
      z1_ = kmeans(x1, m, p_.kmeans_iterations, gen);
      z2_ = kmeans(x2, m, p_.kmeans_iterations, gen);
    }
    double loss1 = 0, loss2 = 0;
    std::tie(w1_, loss1) = kernel_logistic(kernel(x1, z1_, sigma2_1_), kernel(z1_, z1_, sigma2_1_), b, p_);
    std::tie(w2_, loss2) = kernel_logistic(kernel(x2, z2_, sigma2_2_), kernel(z2_, z2_, sigma2_2_), b, p_);
    if (ctx.on_epoch) {
      EpochLog log;
      log.epoch = log.epochs = log_epochs;
      log.values.emplace_back("klr_image_objective", loss1);
      log.values.emplace_back("klr_text_objective", loss2);
      ctx.on_epoch(log);
    }
    if (p_.database_codes == "unified")
      ctx.notes.push_back(who_ +
                          ": database_codes = \"unified\" (the paper's protocol): the retrieval set fuses both "
                          "modalities' bit probabilities; queries use one");
  }

  eval::PackedBits encode_image(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs(logits_image(d, items));
  }
  eval::PackedBits encode_text(const data::Dataset& d, const std::vector<int64_t>& items) override {
    return pack_signs(logits_text(d, items));
  }
  // The paper's retrieval set has both modalities: sign(p1 p2 − (1 − p1)(1 − p2)) = sign(p1 + p2 − 1),
  // p_v = σ(logit_v), the authors' fusion.
  std::optional<eval::PackedBits> encode_database(const data::Dataset& d, const std::vector<int64_t>& items) override {
    if (p_.database_codes != "unified") return std::nullopt;
    return pack_signs(torch::sigmoid(logits_image(d, items)) + torch::sigmoid(logits_text(d, items)) - 1.0);
  }

 private:
  // RBF features [a, m]: exp(−‖x − z‖² / (kernel_scale · s)), s the modality's mean squared distance.
  torch::Tensor kernel(const torch::Tensor& x, const torch::Tensor& z, double s) const {
    return torch::exp(-sq_distances(x, z) / (p_.kernel_scale * s));
  }
  torch::Tensor logits_image(const data::Dataset& d, const std::vector<int64_t>& items) const {
    const auto x = feature_rows(d.image, items, who_, torch::kFloat64) - mean_1_;
    return kernel(x, z1_, sigma2_1_).mm(w1_);
  }
  torch::Tensor logits_text(const data::Dataset& d, const std::vector<int64_t>& items) const {
    const auto x = feature_rows(d.text, items, who_, torch::kFloat64) - mean_2_;
    return kernel(x, z2_, sigma2_2_).mm(w2_);
  }

  Anchors kind_;
  std::string who_;
  SephParams p_;
  torch::Tensor mean_1_, mean_2_;  // [1, d1], [1, d2]
  torch::Tensor z1_, z2_;          // anchors [m, d1], [m, d2]
  torch::Tensor w1_, w2_;          // regression weights [m, k]
  double sigma2_1_ = 1, sigma2_2_ = 1;  // s per modality: mean squared distance between training items
};

MethodInfo seph_info(Anchors kind) {
  MethodInfo m;
  const bool rnd = kind == Anchors::kRandom;
  m.name = rnd ? "seph-rnd" : "seph-km";
  m.display = rnd ? "SePH-rnd" : "SePH-km";
  m.kind = MethodKind::kShallow;
  m.summary = std::string("KL-matched training codes, kernel logistic regression on RBF features over ") +
              (rnd ? "random training items" : "k-means centres");
  m.citation = "Lin, Ding, Hu & Wang, Semantics-Preserving Hashing for Cross-View Retrieval, CVPR 2015";
  m.folder = "baselines/seph";
  m.params = seph_params().table();
  m.create = [kind] { return std::make_unique<Seph>(kind); };
  return m;
}

}  // namespace

MethodInfo seph_rnd_method_info() { return seph_info(Anchors::kRandom); }
MethodInfo seph_km_method_info() { return seph_info(Anchors::kKmeans); }

}  // namespace cmh::baselines
