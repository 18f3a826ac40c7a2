// A stream configuration as liquidfusion runs it (see liquid_fusion_config.h).
#include "plugins/liquid_fusion_config.h"

#include <stdexcept>

using liquid::pipeline::StreamConfigError;

std::unique_ptr<LiquidFusionConfig> LiquidFusionConfig::read(const std::string& path) {
  auto c = std::make_unique<LiquidFusionConfig>();
  c->setup = liquid::pipeline::parse_stream_config(path);
  if (c->setup.head == liquid::pipeline::HeadSource::kNone)
    throw StreamConfigError(c->file() + ": fusion: missing (liquidfusion decides with the configuration's fusion head)");
  c->models = liquid::pipeline::load_models(c->setup);
  for (size_t id = 0; id < c->setup.streams.size(); ++id)
    c->normalization.push_back(liquid::pipeline::feature_normalization(c->setup, c->models, id));
  for (size_t id = 0; id < c->setup.streams.size(); ++id) {
    const auto& n = c->normalization[id];
    const size_t inputs = size_t(c->inputs(int(id)));
    if (!n.mean.empty() && (n.mean.size() != inputs || n.std.size() != inputs))
      throw StreamConfigError(c->file() + ": streams[" + std::to_string(id) + "].encoder.normalization: " +
                              std::to_string(n.mean.size()) + " means and " + std::to_string(n.std.size()) +
                              " deviations; expected " + std::to_string(inputs) + ", the inputs of " + c->describe(int(id)));
  }
  return c;
}

std::unique_ptr<liquid::pipeline::Engine> LiquidFusionConfig::make_engine(
    liquid::pipeline::Engine::DecisionCallback on_decision) const {
  liquid::pipeline::EngineConfig config = setup.engine;  // the decision mode above all
  config.max_batch = 1;     // one frame at a time: the pads' frames interleave in time order
  config.step_threads = 1;
  auto engine = std::make_unique<liquid::pipeline::Engine>(config);
  liquid::pipeline::add_streams(setup, models, *engine);
  engine->set_fusion(liquid::pipeline::make_fusion(setup, models, *engine), std::move(on_decision));
  return engine;
}

int LiquidFusionConfig::stream_for_pad(const std::string& pad, unsigned number, const std::string& stream) const {
  const auto& streams = setup.streams;
  if (!stream.empty()) {
    std::string names;
    for (size_t id = 0; id < streams.size(); ++id) {
      if (streams[id].engine.name == stream) return int(id);
      names += (id ? ", \"" : "\"") + streams[id].engine.name + "\"";
    }
    throw std::runtime_error(file() + ": streams[].name: no stream is named \"" + stream + "\" (" + pad +
                             "::stream); expected one of " + names);
  }
  if (number < streams.size()) return int(number);
  throw std::runtime_error(file() + ": streams: " + pad + " names no stream, and without a name it feeds streams[" +
                           std::to_string(number) + "], but the file has " + std::to_string(streams.size()) +
                           "; set " + pad + "::stream=NAME");
}

int LiquidFusionConfig::inputs(int stream) const {
  return models.at(size_t(setup.streams.at(size_t(stream)).engine.model)).model->input_size();
}

std::string LiquidFusionConfig::describe(int stream) const {
  const auto& s = setup.streams.at(size_t(stream));
  return "streams[" + std::to_string(stream) + "] '" + s.engine.name + "' (model '" + s.model + "', " +
         setup.models.at(size_t(s.engine.model)).second.string() + ")";
}
