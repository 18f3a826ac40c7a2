// Architectures as genomes: a short text form of a backbone, after STAR's backbone genome
// (Thomas et al. 2024, arXiv:2411.17800) but readable. Every token is one pre-norm residual unit
//   x <- x + f(RMSNorm(x))
// and the backbone ends with a final RMSNorm. Grammar (tokens separated by spaces):
//
//   genome := [ "d" WIDTH ] block { block }
//   block  := "conv"   [ ":" K ]                    gated short convolution, kernel K (default 3)
//           | "attn"   [ ":" opt { "," opt } ]      GQA + RoPE + QK-norm; opt is one of
//                                                   hN heads (default max(1, d/16)), kvN kv heads
//                                                   (default h/2 if h even, else h), hdN head dim
//                                                   (default d/h), wN sliding window (default full)
//           | "liquid" [ ":" U [ ",b" N ] ]          CfC token mixer, U units (default d), optional
//                                                   backbone MLP of N units (default none)
//           | "mlp"    [ ":" R ]                    SwiGLU MLP, hidden width R·d (default 4)
//           | "moe"    ":" E "x" K [ ",f" R ]        E SwiGLU experts, top-K routing, each expert of
//                                                   hidden width R·d (default 1)
//
// Example: "d64 liquid:64 conv:3 conv:3 attn:w512 conv:3 moe:8x2". LFM2's layer (conv + its own
// MLP) is two tokens: "conv:3 mlp:4". The width d comes from the "d" prefix or the caller; printing
// gives the canonical form: the prefix and every argument explicit, defaults resolved
// ("d64 liquid:64 conv:3 conv:3 attn:h4,kv2,hd16,w512 conv:3 moe:8x2,f1").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace liquid::lfm::backbone {

enum class BlockKind { kConv, kAttn, kLiquid, kMlp, kMoe };

struct BlockSpec {
  BlockKind kind = BlockKind::kConv;
  int kernel = 3;                                          // conv
  int heads = 0, kv_heads = 0, head_dim = 0, window = 0;  // attn (window 0 = full)
  int units = 0, backbone_units = 0;                       // liquid
  int ratio = 4;                                           // mlp: hidden = ratio d; moe: per expert
  int experts = 0, top_k = 0;                              // moe
  bool operator==(const BlockSpec&) const = default;
};

struct Genome {
  int d = 0;
  std::vector<BlockSpec> blocks;
  bool operator==(const Genome&) const = default;
};

// Parses the text form. d: the width when the text has no "d" prefix (0: the prefix is required;
// both given must agree). Throws std::invalid_argument naming the token, its 1-based index and
// character position, and what was expected.
Genome parse_genome(std::string_view text, int d = 0);
std::string to_string(const Genome& genome);
std::string to_string(const BlockSpec& block);  // one token, canonical

struct GenomeCounts {
  int64_t parameters = 0;         // every weight, norms included
  int64_t active_parameters = 0;  // used per token (MoE: router + top-k experts)
  int64_t state_floats = 0;       // per stream at the given context length
  int64_t state_bytes = 0;        // float32
};
// Counts without building: attention's KV cache holds min(context, window) tokens.
GenomeCounts count(const Genome& genome, int64_t context);
GenomeCounts count(const BlockSpec& block, int d, int64_t context);  // one unit, its norm included

}  // namespace liquid::lfm::backbone
