#include "lfm/backbone/genome.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace liquid::lfm::backbone {
namespace {

struct Token {
  std::string_view text;
  size_t index = 0;  // 1-based
  size_t pos = 0;    // 0-based character offset in the genome
};

[[noreturn]] void fail(const Token& t, const std::string& what) {
  throw std::invalid_argument("genome: token " + std::to_string(t.index) + " '" + std::string(t.text) +
                              "' at character " + std::to_string(t.pos + 1) + ": " + what);
}

// A positive decimal integer, the whole of `s`.
int parse_int(const Token& t, std::string_view s, const std::string& field) {
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 1)
    fail(t, field + " must be a positive integer, got '" + std::string(s) + "'");
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(sep, start);
    out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

void parse_attn(const Token& t, std::string_view args, int d, BlockSpec& b) {
  if (!args.empty())
    for (std::string_view opt : split(args, ',')) {
      // Longest prefix first: "hd" before "h".
      if (opt.starts_with("hd")) b.head_dim = parse_int(t, opt.substr(2), "attn head dim (hdN)");
      else if (opt.starts_with("kv")) b.kv_heads = parse_int(t, opt.substr(2), "attn kv heads (kvN)");
      else if (opt.starts_with("h")) b.heads = parse_int(t, opt.substr(1), "attn heads (hN)");
      else if (opt.starts_with("w")) b.window = parse_int(t, opt.substr(1), "attn window (wN)");
      else fail(t, "unknown attn option '" + std::string(opt) + "' (expected hN, kvN, hdN or wN)");
    }
  if (b.heads == 0) b.heads = b.head_dim ? std::max(1, d / b.head_dim) : std::max(1, d / 16);
  if (b.head_dim == 0) {
    if (d % b.heads != 0) fail(t, "d = " + std::to_string(d) + " is not divisible by heads; give hdN");
    b.head_dim = d / b.heads;
  }
  if (b.kv_heads == 0) b.kv_heads = b.heads % 2 == 0 ? b.heads / 2 : b.heads;
  if (b.heads % b.kv_heads != 0) fail(t, "kv heads must divide heads (" + std::to_string(b.heads) + ")");
  if (b.head_dim % 2 != 0) fail(t, "head dim must be even (rotary pairs), got " + std::to_string(b.head_dim));
}

BlockSpec parse_block(const Token& t, int d) {
  const size_t colon = t.text.find(':');
  const std::string_view name = t.text.substr(0, colon);
  const std::string_view args = colon == std::string_view::npos ? std::string_view() : t.text.substr(colon + 1);
  if (colon != std::string_view::npos && args.empty()) fail(t, "empty arguments after ':'");
  BlockSpec b;
  if (name == "conv") {
    b.kind = BlockKind::kConv;
    if (!args.empty()) b.kernel = parse_int(t, args, "conv kernel");
  } else if (name == "attn") {
    b.kind = BlockKind::kAttn;
    parse_attn(t, args, d, b);
  } else if (name == "liquid") {
    b.kind = BlockKind::kLiquid;
    b.units = d;
    if (!args.empty()) {
      const auto parts = split(args, ',');
      if (parts.size() > 2) fail(t, "expected liquid:U or liquid:U,bN");
      b.units = parse_int(t, parts[0], "liquid units");
      if (parts.size() == 2) {
        if (!parts[1].starts_with("b")) fail(t, "expected ,bN (backbone units), got '" + std::string(parts[1]) + "'");
        b.backbone_units = parse_int(t, parts[1].substr(1), "liquid backbone units (bN)");
      }
    }
  } else if (name == "mlp") {
    b.kind = BlockKind::kMlp;
    if (!args.empty()) b.ratio = parse_int(t, args, "mlp hidden ratio");
  } else if (name == "moe") {
    b.kind = BlockKind::kMoe;
    b.ratio = 1;
    const auto parts = split(args, ',');
    const size_t x = parts[0].find('x');
    if (args.empty() || x == std::string_view::npos) fail(t, "expected moe:ExK (E experts, top-K), e.g. moe:8x2");
    b.experts = parse_int(t, parts[0].substr(0, x), "moe experts E");
    b.top_k = parse_int(t, parts[0].substr(x + 1), "moe top-K");
    if (b.top_k > b.experts) fail(t, "top-K must be <= experts");
    if (parts.size() > 2) fail(t, "expected moe:ExK or moe:ExK,fR");
    if (parts.size() == 2) {
      if (!parts[1].starts_with("f")) fail(t, "expected ,fR (expert hidden ratio), got '" + std::string(parts[1]) + "'");
      b.ratio = parse_int(t, parts[1].substr(1), "moe expert hidden ratio (fR)");
    }
  } else {
    fail(t, "unknown block kind '" + std::string(name) + "' (expected conv, attn, liquid, mlp or moe)");
  }
  return b;
}

}  // namespace

Genome parse_genome(std::string_view text, int d) {
  std::vector<Token> tokens;
  for (size_t i = 0; i < text.size();) {
    if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n') {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t' && text[j] != '\n') ++j;
    tokens.push_back({text.substr(i, j - i), tokens.size() + 1, i});
    i = j;
  }
  Genome g;
  size_t first = 0;
  if (!tokens.empty() && tokens[0].text.size() > 1 && tokens[0].text[0] == 'd' &&
      std::isdigit(static_cast<unsigned char>(tokens[0].text[1]))) {
    g.d = parse_int(tokens[0], tokens[0].text.substr(1), "width dN");
    if (d != 0 && d != g.d)
      fail(tokens[0], "width d" + std::to_string(g.d) + " disagrees with the given d = " + std::to_string(d));
    first = 1;
  } else {
    if (d < 1) throw std::invalid_argument("genome: no width: start with dN (e.g. d64) or pass d");
    g.d = d;
  }
  if (first == tokens.size()) throw std::invalid_argument("genome: no blocks (expected e.g. 'd64 conv:3 mlp:4')");
  for (size_t i = first; i < tokens.size(); ++i) g.blocks.push_back(parse_block(tokens[i], g.d));
  return g;
}

std::string to_string(const BlockSpec& b) {
  const auto s = [](int v) { return std::to_string(v); };
  switch (b.kind) {
    case BlockKind::kConv: return "conv:" + s(b.kernel);
    case BlockKind::kAttn:
      return "attn:h" + s(b.heads) + ",kv" + s(b.kv_heads) + ",hd" + s(b.head_dim) +
             (b.window ? ",w" + s(b.window) : "");
    case BlockKind::kLiquid: return "liquid:" + s(b.units) + (b.backbone_units ? ",b" + s(b.backbone_units) : "");
    case BlockKind::kMlp: return "mlp:" + s(b.ratio);
    case BlockKind::kMoe: return "moe:" + s(b.experts) + "x" + s(b.top_k) + ",f" + s(b.ratio);
  }
  return "?";
}

std::string to_string(const Genome& g) {
  // Appended piece by piece: GCC 12 warns falsely (-Wrestrict, bug 105329) on "lit" + string here.
  std::string out(1, 'd');
  out.append(std::to_string(g.d));
  for (const auto& b : g.blocks) {
    out.push_back(' ');
    out.append(to_string(b));
  }
  return out;
}

GenomeCounts count(const BlockSpec& b, int d_int, int64_t context) {
  const int64_t d = d_int;
  GenomeCounts c;
  int64_t p = d;  // the unit's pre-norm
  int64_t active = 0;
  switch (b.kind) {
    case BlockKind::kConv:
      p += 3 * d * d + d * b.kernel + d * d;
      c.state_floats = (b.kernel - 1) * d;
      break;
    case BlockKind::kAttn: {
      const int64_t q = int64_t(b.heads) * b.head_dim, kv = int64_t(b.kv_heads) * b.head_dim;
      p += d * q + 2 * d * kv + q * d + 2 * b.head_dim;
      c.state_floats = 2 * kv * (b.window ? std::min<int64_t>(context, b.window) : context);
      break;
    }
    case BlockKind::kLiquid: {
      const int64_t u = b.units, bb = b.backbone_units, z = bb ? bb : d + u;
      if (bb) p += (d + u) * bb + bb;  // backbone Linear
      p += 4 * (z * u + u);            // ff1, ff2, time_a, time_b
      p += d * u;                      // out_proj
      c.state_floats = u;
      break;
    }
    case BlockKind::kMlp: p += 3 * d * (int64_t(b.ratio) * d); break;
    case BlockKind::kMoe: {
      const int64_t expert = 3 * d * (int64_t(b.ratio) * d), router = int64_t(b.experts) * d;
      p += router + b.experts * expert;
      active = -int64_t(b.experts - b.top_k) * expert;  // experts a token does not visit
      break;
    }
  }
  c.parameters = p;
  c.active_parameters = p + active;
  c.state_bytes = c.state_floats * int64_t(sizeof(float));
  return c;
}

GenomeCounts count(const Genome& g, int64_t context) {
  GenomeCounts total;
  total.parameters = total.active_parameters = g.d;  // final norm
  for (const auto& b : g.blocks) {
    const GenomeCounts c = count(b, g.d, context);
    total.parameters += c.parameters;
    total.active_parameters += c.active_parameters;
    total.state_floats += c.state_floats;
  }
  total.state_bytes = total.state_floats * int64_t(sizeof(float));
  return total;
}

}  // namespace liquid::lfm::backbone
