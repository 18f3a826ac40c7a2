// Checkpoints: the engine's whole mutable state (engine.h, EngineState) in a safetensors file
// (lfm/safetensors.h, the project's tensor format), so a run that is stopped or killed continues
// from its last checkpoint exactly as if it had never stopped.
//
// File layout. Tensors, all stored without conversion (F32 as F32, doubles as F64), hence bit-exact:
//   model.K.h, model.K.c     [streams of model K, state_size]  (c only with mixed memory)
//   stream.last_time, stream.fused_time                  F64 [streams]
//   stream.has_time, stream.samples, stream.dropped_late F64 [streams]  (counters exact below 2^53)
//   latest                   F32 [sum of the streams' output sizes]
//   decision.values          F32 [head names]  (when a decision was made)
//   fusion.state             F64 [n]           (when the fusion model has state)
// Metadata: "liquid.checkpoint" holds JSON {"version": 1, "engine": SIGNATURE, "state": {the
// scalars: samples, rate clock, last decision's time/argmax/samples}, "extra": {...}} and
// "liquid.engine" a copy of SIGNATURE for people reading the file.
//
// SIGNATURE describes the configuration the state belongs to: every model (its configuration and a
// hash of its weights), every stream (name, model, sizes, dt_scale, first_dt, timeout, late
// policy), the fusion head (kind, names, input size) and the decision mode. Restoring into an
// engine whose signature differs is refused with a CheckpointError naming the first difference,
// e.g. "occ.ckpt: streams[1].name is \"hall\" in the checkpoint but \"kitchen\" in this engine".
// Batching and threading settings are not part of it: they do not change any result.
//
// What a checkpoint does not hold: the sources' positions and the encoders' history (time since a
// channel's last observation, audio windows, the previous video frame). `liquid stream --restore`
// rebuilds them for file sources by running the encoders over the samples up to each stream's
// checkpointed time without feeding the engine (cmd_stream.cpp).
#pragma once

#include <filesystem>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "pipeline/engine.h"

namespace liquid::pipeline {

class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The configuration signature described above.
nlohmann::json engine_signature(const Engine& engine);

// Writes `path` atomically (a temporary file, then rename): a crash mid-write leaves the previous
// checkpoint intact. `extra` is stored as given (e.g. the command line's bookkeeping). Must not run
// concurrently with process() (call it on the engine's thread, or with the runner stopped).
void save_checkpoint(const Engine& engine, const std::filesystem::path& path, const nlohmann::json& extra = {});

// Restores `engine` from `path`; returns the file's "extra". Throws CheckpointError naming the file
// when it is not a checkpoint, is damaged, or belongs to another configuration; the engine is then
// unchanged.
nlohmann::json load_checkpoint(Engine& engine, const std::filesystem::path& path);

}  // namespace liquid::pipeline
