// tokenizer.json decoders: ByteLevel, Replace, ByteFallback, Fuse, Strip, Metaspace, and
// Sequence of these. A decoder rewrites the list of token strings ("decode chain"); the final
// text is the concatenation of what the last decoder returns.
#ifndef HYBRIDSERVE_ENGINE_TOKENIZER_DECODERS_H_
#define HYBRIDSERVE_ENGINE_TOKENIZER_DECODERS_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace hybridserve::engine {

class Decoder {
 public:
  virtual ~Decoder() = default;
  virtual void DecodeChain(std::vector<std::string>* tokens) const = 0;
  // True when the chain turns <0xNN> tokens into bytes (a ByteFallback decoder is present).
  virtual bool HasByteFallback() const { return false; }
  // True when the chain maps GPT-2 byte-level characters back to bytes (a ByteLevel decoder).
  virtual bool HasByteLevel() const { return false; }
};

absl::StatusOr<std::unique_ptr<Decoder>> ParseDecoder(const nlohmann::json& j);

// Whether token is a byte-fallback token "<0xNN>"; stores the byte.
bool ParseByteToken(const std::string& token, unsigned char* byte);

}  // namespace hybridserve::engine

#endif  // HYBRIDSERVE_ENGINE_TOKENIZER_DECODERS_H_
