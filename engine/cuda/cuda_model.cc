#include "engine/cuda/cuda_model.h"

#include <array>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "base/check.h"
#include "base/status_macros.h"
#include "engine/cuda/cuda_blocks.h"
#include "engine/cuda/cuda_cache.h"
#include "engine/cuda/cuda_step.h"
#include "engine/cuda/step_kernels.h"
#include "engine/model/chunk_validation.h"
#include "engine/model/families/family_registry.h"
#include "engine/model/weight_store.h"
#include "kernels/cuda/cuda_check.h"

namespace hybridserve::engine {
namespace {

namespace kc = kernels::cuda;

absl::Status SelectDevice(int device) {
  int count = 0;
  const cudaError_t error = cudaGetDeviceCount(&count);
  if (error != cudaSuccess || count == 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no CUDA device is usable (", cudaGetErrorString(error), "); run with --device cpu"));
  }
  if (device < 0 || device >= count) {
    return absl::InvalidArgumentError(
        absl::StrCat("CUDA device ", device, " does not exist (", count, " found)"));
  }
  return kc::CudaStatus(cudaSetDevice(device), "cudaSetDevice");
}

}  // namespace

kc::DType ResolveCudaDType(CudaDType requested, const Checkpoint& checkpoint) {
  switch (requested) {
    case CudaDType::kF32:
      return kc::DType::kF32;
    case CudaDType::kBF16:
      return kc::DType::kBF16;
    case CudaDType::kF16:
      return kc::DType::kF16;
    case CudaDType::kAuto:
      break;
  }
  bool bf16 = false, f16 = false;
  for (const std::string& name : checkpoint.TensorNames()) {
    const TensorInfo* info = checkpoint.Find(name);
    bf16 |= info->dtype == DType::kBF16;
    f16 |= info->dtype == DType::kF16;
  }
  return bf16 ? kc::DType::kBF16 : f16 ? kc::DType::kF16 : kc::DType::kF32;
}

absl::StatusOr<CudaDType> ParseCudaDType(std::string_view name) {
  if (name == "auto") return CudaDType::kAuto;
  if (name == "f32" || name == "float32") return CudaDType::kF32;
  if (name == "bf16" || name == "bfloat16") return CudaDType::kBF16;
  if (name == "f16" || name == "float16") return CudaDType::kF16;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown dtype '", std::string(name), "'; expected auto, f32, bf16 or f16"));
}

CudaModel::CudaModel(ModelSpec spec, cudaStream_t stream)
    : spec_(std::move(spec)), stream_(stream) {}

CudaModel::~CudaModel() {
  cudaStreamSynchronize(stream_);
  DropGraphs();
  arena_.reset();
  blas_.reset();
  side_blas_.reset();
  if (fork_event_ != nullptr) cudaEventDestroy(fork_event_);
  if (join_event_ != nullptr) cudaEventDestroy(join_event_);
  if (side_stream_ != nullptr) cudaStreamDestroy(side_stream_);
  if (staging_ != nullptr) cudaFreeHost(staging_);
  weights_.reset();
  for (void* p : param_allocations_) cudaFree(p);
  cudaStreamDestroy(stream_);
}

absl::StatusOr<std::unique_ptr<CudaModel>> CudaModel::Load(const std::string& dir,
                                                           const CudaModelOptions& options) {
  HS_ASSIGN_OR_RETURN(ModelSpec spec, LoadModelSpec(dir));
  HS_ASSIGN_OR_RETURN(std::unique_ptr<Checkpoint> checkpoint, Checkpoint::Open(dir));
  return Create(std::move(spec), *checkpoint, options);
}

absl::StatusOr<std::unique_ptr<CudaModel>> CudaModel::Create(ModelSpec spec,
                                                             const Checkpoint& checkpoint,
                                                             const CudaModelOptions& options) {
  HS_RETURN_IF_ERROR(SelectDevice(options.device));
  HS_ASSIGN_OR_RETURN(std::unique_ptr<WeightStore> host, WeightStore::Load(spec, checkpoint));
  const kc::DType dtype = ResolveCudaDType(options.dtype, checkpoint);
  const kc::DType kv_dtype =
      options.kv_dtype == CudaDType::kAuto ? dtype : ResolveCudaDType(options.kv_dtype, checkpoint);
  return Create(std::move(spec), *host, dtype, kv_dtype, options.device);
}

absl::StatusOr<std::unique_ptr<CudaModel>> CudaModel::Create(ModelSpec spec,
                                                             const HostWeights& host,
                                                             kc::DType dtype, kc::DType kv_dtype,
                                                             int device) {
  HS_RETURN_IF_ERROR(SelectDevice(device));
  cudaStream_t stream;
  HS_RETURN_IF_ERROR(kc::CudaStatus(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking),
                                    "cudaStreamCreate"));
  auto model = std::unique_ptr<CudaModel>(new CudaModel(std::move(spec), stream));
  HS_ASSIGN_OR_RETURN(model->weights_, DeviceWeights::Upload(model->spec_, host, dtype));
  model->kv_dtype_ = kv_dtype;
  return Finish(std::move(model));
}

absl::StatusOr<std::unique_ptr<CudaModel>> CudaModel::CreateRandom(ModelSpec spec, kc::DType dtype,
                                                                   uint64_t seed, int device) {
  HS_RETURN_IF_ERROR(SelectDevice(device));
  cudaStream_t stream;
  HS_RETURN_IF_ERROR(kc::CudaStatus(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking),
                                    "cudaStreamCreate"));
  auto model = std::unique_ptr<CudaModel>(new CudaModel(std::move(spec), stream));
  HS_ASSIGN_OR_RETURN(model->weights_, DeviceWeights::Random(model->spec_, dtype, seed));
  model->kv_dtype_ = dtype;
  return Finish(std::move(model));
}

absl::StatusOr<std::unique_ptr<CudaModel>> CudaModel::Finish(std::unique_ptr<CudaModel> model) {
  HS_ASSIGN_OR_RETURN(model->blas_, kc::Blas::Create(model->stream_));
  // The side stream of parallel branches, with its own cuBLAS handle, and the fork/join events.
  HS_RETURN_IF_ERROR(kc::CudaStatus(
      cudaStreamCreateWithFlags(&model->side_stream_, cudaStreamNonBlocking), "cudaStreamCreate"));
  HS_ASSIGN_OR_RETURN(model->side_blas_, kc::Blas::Create(model->side_stream_));
  for (cudaEvent_t* event : {&model->fork_event_, &model->join_event_}) {
    HS_RETURN_IF_ERROR(
        kc::CudaStatus(cudaEventCreateWithFlags(event, cudaEventDisableTiming), "cudaEventCreate"));
  }
  model->arena_ = std::make_unique<DeviceArena>(model->stream_);
  // Falcon-H1's muP multipliers of the in_proj output segments (z | x | B | C | dt) are constant
  // row scales of in_proj: folded into its rows (and bias) once, instead of a pass over every
  // step's in_proj output. The spec the blocks read then has them at 1.
  for (LayerSpec& layer : model->spec_.layers) {
    if (!layer.mamba2) continue;
    Mamba2Spec& m = *layer.mamba2;
    const int64_t I = m.d_inner, GN = m.n_groups * m.d_state, CD = m.conv_dim();
    struct RowSegment {
      int64_t begin, end;
      float factor;
    };
    const std::array<RowSegment, 5> segments = {{{0, I, m.mup_z},
                                                 {I, 2 * I, m.mup_x},
                                                 {2 * I, 2 * I + GN, m.mup_b},
                                                 {2 * I + GN, 2 * I + 2 * GN, m.mup_c},
                                                 {I + CD, I + CD + m.num_heads, m.mup_dt}}};
    for (const RowSegment& segment : segments) {
      model->weights_->ScaleRows(m.in_proj.weight, segment.begin, segment.end, segment.factor);
      model->weights_->ScaleRows(m.in_proj.bias, segment.begin, segment.end, segment.factor);
    }
    m.mup_z = m.mup_x = m.mup_b = m.mup_c = m.mup_dt = 1.0f;
  }
  // A = -exp(A_log) once per SSM layer.
  for (const LayerSpec& layer : model->spec_.layers) {
    model->has_moe_ |= layer.moe.has_value();
    LayerParams params;
    const TensorRef* a_log = nullptr;
    int64_t n = 0;
    if (layer.mamba2) {
      a_log = &layer.mamba2->a_log;
      n = layer.mamba2->num_heads;
    } else if (layer.mamba1) {
      a_log = &layer.mamba1->a_log;
      n = layer.mamba1->d_inner * layer.mamba1->d_state;
    }
    if (a_log != nullptr) {
      void* a = nullptr;
      HS_RETURN_IF_ERROR(kc::CudaStatus(cudaMalloc(&a, n * sizeof(float)), "cudaMalloc"));
      model->param_allocations_.push_back(a);
      params.a = static_cast<float*>(a);
      NegExp(model->weights_->GetF32(*a_log), n, params.a, model->stream_);
    }
    model->layer_params_.push_back(params);
  }
  HS_RETURN_IF_ERROR(kc::CudaStatus(cudaStreamSynchronize(model->stream_), "model setup"));
  return model;
}

absl::StatusOr<std::unique_ptr<ModelCache>> CudaModel::CreateCache(int64_t num_blocks,
                                                                   int64_t block_size_tokens,
                                                                   int64_t num_slots) {
  HS_ASSIGN_OR_RETURN(
      std::unique_ptr<CudaCache> cache,
      CudaCache::Create(spec_, num_blocks, block_size_tokens, num_slots, kv_dtype_));
  return std::unique_ptr<ModelCache>(std::move(cache));
}

absl::Status CudaModel::Forward(absl::Span<const SequenceChunk> chunks, ModelCache* model_cache,
                                std::vector<float>* logits) {
  auto* cache = dynamic_cast<CudaCache*>(model_cache);
  if (cache == nullptr) {
    return absl::InvalidArgumentError(
        "the CUDA model runs on a CudaCache (CudaModel::CreateCache)");
  }
  HS_RETURN_IF_ERROR(ValidateChunks(spec_, chunks, *cache));
  arena_->Reset();

  // The batch layout, packed on the host and uploaded in one copy.
  CudaStep step;
  step.weights = weights_.get();
  step.cache = cache;
  step.blas = blas_.get();
  step.arena = arena_.get();
  step.stream = stream_;
  step.comm = comm_;
  const int32_t S = static_cast<int32_t>(chunks.size());
  // A batch of decode steps only runs as a CUDA graph (below) when nothing in the model waits on
  // the host mid-step (MoE routing does; so does the single-GPU all-reduce).
  bool graph = decode_graphs_ && !has_moe_ && S > 0 && (comm_ == nullptr || comm_->capturable());
  int32_t max_blocks = 1, max_rows = 0, max_context = 0;
  std::vector<int32_t> tokens, token_seq, token_slot, start_pos, new_slots;
  std::vector<int64_t> positions;
  step.row_begin.push_back(0);
  for (int32_t s = 0; s < S; ++s) {
    const SequenceChunk& chunk = chunks[s];
    const int32_t rows = static_cast<int32_t>(chunk.tokens.size());
    graph &= chunk.decode && rows == 1;
    for (int32_t t = 0; t < rows; ++t) {
      tokens.push_back(chunk.tokens[t]);
      positions.push_back(chunk.start_position + t);
      token_seq.push_back(s);
      token_slot.push_back(chunk.ssm_slot);
    }
    step.row_begin.push_back(step.row_begin.back() + rows);
    step.slots.push_back(chunk.ssm_slot);
    step.decode.push_back(chunk.decode);
    start_pos.push_back(static_cast<int32_t>(chunk.start_position));
    max_rows = std::max(max_rows, rows);
    max_context = std::max(max_context, static_cast<int32_t>(chunk.start_position) + rows);
    max_blocks = std::max(max_blocks, static_cast<int32_t>(chunk.block_table.size()));
    if (chunk.start_position == 0 && spec_.num_ssm_layers > 0) new_slots.push_back(chunk.ssm_slot);
  }
  if (graph) {
    // A graph serves every step of its batch size whose block tables fit its width: the tables
    // are padded to a power of two, and attention plans its key splits for that many blocks
    // (each sequence still stops at its own length).
    int32_t padded = 1;
    while (padded < max_blocks) padded *= 2;
    max_blocks = padded;
    max_context = static_cast<int32_t>(std::min<int64_t>(
        int64_t{padded} * cache->block_size_tokens(), std::numeric_limits<int32_t>::max()));
  }
  const int32_t T = static_cast<int32_t>(tokens.size());
  step.num_tokens = T;
  std::vector<int32_t> tables(static_cast<size_t>(S) * max_blocks, 0);
  for (int32_t s = 0; s < S; ++s) {
    std::copy(chunks[s].block_table.begin(), chunks[s].block_table.end(),
              tables.begin() + static_cast<size_t>(s) * max_blocks);
  }
  // Rows that need logits (on rank 0 of a tensor-parallel model only).
  std::vector<int32_t> wanted;
  const bool want_logits = comm_ == nullptr || comm_->rank() == 0;
  for (int32_t s = 0; s < S && want_logits; ++s) {
    if (step.rows(s) == 0) continue;
    if (chunks[s].all_logits) {
      for (int32_t r = step.row_begin[s]; r < step.row_begin[s + 1]; ++r) wanted.push_back(r);
    } else {
      wanted.push_back(step.row_begin[s + 1] - 1);
    }
  }
  // Packed int32 layout: tokens | token_seq | token_slot | row_begin | start_pos | slots |
  // new_slots | wanted | tables, then int64 positions.
  std::vector<int32_t> packed;
  auto append = [&packed](const std::vector<int32_t>& v) {
    const size_t at = packed.size();
    packed.insert(packed.end(), v.begin(), v.end());
    return at;
  };
  const size_t at_tokens = append(tokens), at_seq = append(token_seq), at_slot = append(token_slot),
               at_begin = append(step.row_begin), at_start = append(start_pos),
               at_slots = append(step.slots), at_new = append(new_slots),
               at_wanted = append(wanted), at_tables = append(tables);
  // One upload from page-locked memory: positions (int64) first, then the packed ints.
  const int64_t position_bytes = std::max<int64_t>(T, 1) * sizeof(int64_t);
  const int64_t upload_bytes = position_bytes + static_cast<int64_t>(packed.size()) * 4;
  const int64_t V = spec_.vocab_size;
  const int64_t num_rows = static_cast<int64_t>(wanted.size());
  // Logits come back through the staging memory up to kStagedLogitsBytes (a decode step of a
  // few sequences); beyond, straight into the vector (the driver's own staging pipelines large
  // copies faster than a copy into page-locked memory and a second one out of it).
  const int64_t logits_bytes = num_rows * V * static_cast<int64_t>(sizeof(float));
  const bool staged_logits = logits_bytes <= kStagedLogitsBytes;
  HS_ASSIGN_OR_RETURN(void* staging,
                      Staging(std::max(upload_bytes, staged_logits ? logits_bytes : 0)));
  std::memcpy(staging, positions.data(), positions.size() * sizeof(int64_t));
  std::memcpy(static_cast<char*>(staging) + position_bytes, packed.data(), packed.size() * 4);
  char* device_upload = static_cast<char*>(arena_->AllocBytes(upload_bytes));
  HS_CUDA_CHECK(
      cudaMemcpyAsync(device_upload, staging, upload_bytes, cudaMemcpyHostToDevice, stream_));
  int64_t* device_positions = reinterpret_cast<int64_t*>(device_upload);
  int32_t* device_ints = reinterpret_cast<int32_t*>(device_upload + position_bytes);
  step.batch.num_seqs = S;
  step.batch.num_tokens = T;
  step.batch.max_seq_tokens = max_rows;
  step.batch.seq_row_begin = device_ints + at_begin;
  step.batch.seq_start_pos = device_ints + at_start;
  step.batch.token_seq = device_ints + at_seq;
  step.batch.seq_slot = device_ints + at_slots;
  step.batch.block_tables = device_ints + at_tables;
  step.batch.max_blocks = max_blocks;
  step.batch.max_context = max_context;
  step.positions = device_positions;
  step.token_slot = device_ints + at_slot;

  // New sequences start from zero SSM state.
  if (!new_slots.empty()) {
    for (int l = 0; l < cache->num_ssm_layers(); ++l) {
      const SsmLayerShape& shape = cache->ssm_shape(l);
      kc::ZeroSlots(cache->ConvStates(l), shape.conv_channels * shape.conv_width,
                    device_ints + at_new, static_cast<int64_t>(new_slots.size()), stream_);
      kc::ZeroSlots(cache->SsmStates(l), shape.state_floats, device_ints + at_new,
                    static_cast<int64_t>(new_slots.size()), stream_);
    }
  }
  // Per-row dt limits of every SSM layer, made (and uploaded) before the layers.
  for (const LayerSpec& layer : spec_.layers) {
    if (layer.mamba2) {
      step.DtLimits(layer.mamba2->dt_min, layer.mamba2->dt_max, layer.mamba2->decode_dt_min,
                    layer.mamba2->decode_dt_max);
    }
    if (layer.mamba1) {
      constexpr float kInf = std::numeric_limits<float>::infinity();
      step.DtLimits(0.0f, kInf, 0.0f, kInf);
    }
  }

  float* out = num_rows > 0 ? arena_->Alloc<float>(num_rows * V) : nullptr;
  auto layers = [&] {
    RunLayers(step, device_ints + at_tokens, device_ints + at_wanted, num_rows, out);
  };
  if (graph) {
    HS_RETURN_IF_ERROR(
        RunAsGraph({S, max_blocks, cache->id(), arena_->generation(),
                    blas_->scratch_generation() + (side_blas_->scratch_generation() << 32)},
                   layers));
  } else {
    layers();
  }
  const size_t base = logits->size();
  if (!staged_logits) logits->resize(base + static_cast<size_t>(num_rows * V));
  if (num_rows > 0) {
    HS_CUDA_CHECK(cudaMemcpyAsync(staged_logits ? staging : logits->data() + base, out,
                                  logits_bytes, cudaMemcpyDeviceToHost, stream_));
  }
  // The staging buffer is reused by the next step: the copies are done when this returns.
  HS_RETURN_IF_ERROR(kc::CudaStatus(cudaStreamSynchronize(stream_), "forward step"));
  if (staged_logits) {
    const float* host_logits = static_cast<const float*>(staging);
    logits->insert(logits->end(), host_logits, host_logits + num_rows * V);
  }
  return absl::OkStatus();
}

void CudaModel::RunLayers(CudaStep& step, const int32_t* device_tokens,
                          const int32_t* device_wanted, int64_t num_rows, float* logits_out) {
  const int64_t T = step.num_tokens;
  const int64_t D = spec_.hidden_size;
  float* h = arena_->Alloc<float>(T * D);  // [T, D]
  kc::Embedding(weights_->dtype(), device_tokens, T, weights_->Get(spec_.embedding), D,
                spec_.embedding_multiplier, h, stream_);
  const float* e0 = nullptr;
  bool zamba = false;
  for (const LayerSpec& layer : spec_.layers) zamba |= layer.zamba_shared.has_value();
  if (zamba) {
    float* copy = arena_->Alloc<float>(T * D);
    kc::CopyRows(h, D, copy, D, T, D, stream_);
    e0 = copy;
  }

  float* normed = arena_->Alloc<float>(T * D);
  float* mixed = arena_->Alloc<float>(T * D);
  float* branch = arena_->Alloc<float>(T * D);
  // The pre-norms also leave their result rounded for the GEMMs that read it (prefill).
  const kc::RoundedRows normed_rounded =
      step.RoundsInputs(T) ? step.NewRounded(T, D) : kc::RoundedRows{};
  auto norm = [&](const float* x, const NormSpec& spec) {
    kc::RmsNorm(x, D, kc::DType::kF32, weights_->GetF32(spec.weight), T, D, spec.eps, normed, D,
                stream_, normed_rounded);
    if (normed_rounded.data != nullptr) step.rounded[normed] = normed_rounded;
  };
  // On one GPU the blocks add their outputs to the residual stream themselves (the residual
  // multiplier rides on their output GEMMs); a shard's partial outputs are summed first.
  const bool add_to_residual = comm_ == nullptr;
  for (size_t l = 0; l < spec_.layers.size(); ++l) {
    const LayerSpec& layer = spec_.layers[l];
    const DeviceArena::Mark layer_mark = arena_->mark();
    if (layer.mixer != MixerKind::kNone) {
      const float* norm_in = h;
      if (layer.zamba_shared) {
        CudaZambaShared(step, *layer.zamba_shared, h, e0, branch);
        step.rounded.erase(normed);
        kc::CopyRows(h, D, normed, D, T, D, stream_);
        kc::Axpy(1.0f, branch, D, normed, D, T, D, stream_);
        norm_in = normed;
      }
      norm(norm_in, layer.mixer_norm);
      // h += residual_multiplier * (attention_out_multiplier * attention + ssm_out_multiplier *
      // mamba), each branch's multiplier and sum carried by its output GEMM.
      float* out = add_to_residual ? h : mixed;
      const float rm = add_to_residual ? layer.residual_multiplier : 1.0f;
      bool have = add_to_residual;
      if (layer.attention && layer.mamba2 && add_to_residual && T <= kc::Blas::kMaxDecodeRows) {
        // A parallel hybrid's decode step: the attention branch (a string of small kernels) runs
        // on the side stream while the Mamba2 branch runs here.
        RunParallelBranches(step, layer, layer_params_[l].a, normed, h);
        have = true;
      } else {
        if (layer.attention) {
          CudaAttention(step, *layer.attention, normed, layer.attention_in_multiplier, out,
                        rm * layer.attention_out_multiplier, have);
          have = true;
        }
        if (layer.mamba2) {
          CudaMamba2(step, *layer.mamba2, layer_params_[l].a, normed, out,
                     rm * layer.ssm_out_multiplier, have);
          have = true;
        }
      }
      if (layer.mamba1) {
        CudaMamba1(step, *layer.mamba1, layer_params_[l].a, normed, out,
                   rm * layer.ssm_out_multiplier, have);
        have = true;
      }
      if (!add_to_residual) {
        if (!have)
          HS_CUDA_CHECK(cudaMemsetAsync(mixed, 0, static_cast<size_t>(T) * D * 4, stream_));
        step.AllReduce(mixed, T * D);
        kc::Axpy(layer.residual_multiplier, mixed, D, h, D, T, D, stream_);
      }
    }
    if (layer.mlp || layer.moe) {
      norm(h, layer.ffn_norm);
      if (add_to_residual && !layer.moe) {
        CudaMlp(step, *layer.mlp, normed, T, h, true, layer.residual_multiplier);
      } else {
        bool have = false;
        if (layer.mlp) {
          CudaMlp(step, *layer.mlp, normed, T, mixed, false, 1.0f);
          have = true;
        }
        if (layer.moe) CudaMoe(step, *layer.moe, normed, mixed, /*accumulate=*/have);
        step.AllReduce(mixed, T * D);
        kc::Axpy(layer.residual_multiplier, mixed, D, h, D, T, D, stream_);
      }
    }
    step.rounded.erase(normed);
    arena_->Release(layer_mark);
  }

  if (num_rows == 0) return;
  float* last = arena_->Alloc<float>(num_rows * D);
  kc::GatherRows(h, D, device_wanted, num_rows, last, stream_);
  kc::RmsNorm(last, D, kc::DType::kF32, weights_->GetF32(spec_.final_norm.weight), num_rows, D,
              spec_.final_norm.eps, last, D, stream_);
  const int64_t V = spec_.vocab_size;
  CudaLinear(step, spec_.lm_head, last, D, num_rows, logits_out, V);
  if (spec_.logits_multiplier != 1.0f) {
    kc::Scale(logits_out, num_rows * V, spec_.logits_multiplier, stream_);
  }
}

void CudaModel::RunParallelBranches(CudaStep& step, const LayerSpec& layer, const float* a,
                                    const float* normed, float* h) {
  // Both branches read the normed rows; the attention's output projection adds to h on the side
  // stream, and the Mamba2 one after it (the join), so h is never written by both at once.
  const float rm = layer.residual_multiplier;
  HS_CUDA_CHECK(cudaEventRecord(fork_event_, stream_));
  HS_CUDA_CHECK(cudaStreamWaitEvent(side_stream_, fork_event_, 0));
  CudaStep side = step;
  side.stream = side_stream_;
  side.blas = side_blas_.get();
  const cudaStream_t main_alloc = arena_->set_alloc_stream(side_stream_);
  CudaAttention(side, *layer.attention, normed, layer.attention_in_multiplier, h,
                rm * layer.attention_out_multiplier, /*accumulate=*/true);
  arena_->set_alloc_stream(main_alloc);
  HS_CUDA_CHECK(cudaEventRecord(join_event_, side_stream_));
  const float* y = CudaMamba2Mix(step, *layer.mamba2, a, normed);
  HS_CUDA_CHECK(cudaStreamWaitEvent(stream_, join_event_, 0));
  CudaMamba2Out(step, *layer.mamba2, y, h, rm * layer.ssm_out_multiplier, /*accumulate=*/true);
}

absl::StatusOr<void*> CudaModel::Staging(int64_t bytes) {
  if (bytes <= staging_bytes_) return staging_;
  if (staging_ != nullptr) {
    HS_RETURN_IF_ERROR(kc::CudaStatus(cudaFreeHost(staging_), "cudaFreeHost"));
    staging_ = nullptr;
    staging_bytes_ = 0;
  }
  const int64_t grown = std::max<int64_t>(bytes, int64_t{1} << 20);
  HS_RETURN_IF_ERROR(kc::CudaStatus(cudaMallocHost(&staging_, grown), "cudaMallocHost"));
  staging_bytes_ = grown;
  return staging_;
}

void CudaModel::DropGraphs() {
  for (auto& [key, exec] : graphs_) cudaGraphExecDestroy(exec);
  graphs_.clear();
  graph_candidates_.clear();
}

absl::Status CudaModel::RunAsGraph(const GraphKey& key, const std::function<void()>& layers) {
  // Graphs hold the addresses of the arena's and cuBLAS scratch buffers: when either moved,
  // every graph is stale.
  const int64_t arena_generation = std::get<3>(key), blas_generation = std::get<4>(key);
  if (arena_generation != graph_arena_generation_ || blas_generation != graph_blas_generation_) {
    DropGraphs();
    graph_arena_generation_ = arena_generation;
    graph_blas_generation_ = blas_generation;
  }
  if (auto it = graphs_.find(key); it != graphs_.end()) {
    ++graph_launches_;
    return kc::CudaStatus(cudaGraphLaunch(it->second, stream_), "cudaGraphLaunch");
  }
  auto candidate = graph_candidates_.find(key);
  if (candidate == graph_candidates_.end() || candidate->second > arena_->capacity_bytes()) {
    // First sight of this shape (or its scratch did not fit the arena yet): run it as is and
    // remember what it needed; the next step of this shape is captured.
    layers();
    graph_candidates_[key] = arena_->high_water_bytes();
    return absl::OkStatus();
  }
  HS_RETURN_IF_ERROR(kc::CudaStatus(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeRelaxed),
                                    "cudaStreamBeginCapture"));
  layers();
  cudaGraph_t captured = nullptr;
  HS_RETURN_IF_ERROR(
      kc::CudaStatus(cudaStreamEndCapture(stream_, &captured), "capturing a decode step"));
  // The same allocations as the eager run of this shape, inside the arena: no overflow buffer
  // (a stream-ordered allocation) was recorded.
  HS_CHECK(!arena_->overflowed());
  cudaGraphExec_t exec = nullptr;
  const cudaError_t error = cudaGraphInstantiate(&exec, captured, 0);
  cudaGraphDestroy(captured);
  HS_RETURN_IF_ERROR(kc::CudaStatus(error, "cudaGraphInstantiate"));
  if (graphs_.size() >= kMaxGraphs) DropGraphs();
  graphs_[key] = exec;
  ++graph_launches_;
  return kc::CudaStatus(cudaGraphLaunch(exec, stream_), "cudaGraphLaunch");
}

}  // namespace hybridserve::engine
