// liquid stream CONFIG.json: runs a whole streaming engine from a configuration
// (pipeline/stream_config.h documents the format; pipeline/stream_assembly.h builds it): file and
// MQTT sources on their own threads, their encoders, a liquid cell per stream, the fusion head,
// decisions as JSON lines, an optional neuron trace and periodic checkpoints. Ends when every file source is done, or on Ctrl-C / SIGTERM:
// the sources stop, what is queued is applied (drain), a checkpoint is written, exit code 0.
// A second Ctrl-C quits at once. --restore continues from a checkpoint (pipeline/checkpoint.h).
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>

#include "apps/commands.h"
#include "pipeline/checkpoint.h"
#include "pipeline/decision_json.h"
#include "pipeline/source_adapters.h"
#include "pipeline/source_thread.h"
#include "pipeline/stream_assembly.h"

namespace liquid::apps {

namespace {

using namespace liquid::pipeline;

std::string number(double v) {  // shortest text that reads back as the same double
  char text[32];
  *std::to_chars(text, text + sizeof text - 1, v).ptr = '\0';
  return text;
}

}  // namespace

// Command-line overrides of the configuration, so one file serves runs that differ in a model, the
// decisions' destination or the broker's port.
struct Overrides {
  std::vector<std::string> models;  // NAME=FILE
  std::string decisions, trace;
  int mqtt_port = 0;
};

void apply(const Overrides& o, StreamSetup& setup) {
  for (const std::string& m : o.models) {
    const auto eq = m.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == m.size())
      throw StreamConfigError("--model " + m + ": expected NAME=FILE (NAME a key of the configuration's \"models\")");
    const std::string name = m.substr(0, eq);
    auto it = std::find_if(setup.models.begin(), setup.models.end(), [&](const auto& p) { return p.first == name; });
    if (it == setup.models.end()) throw StreamConfigError("--model " + m + ": \"" + name + "\" is not a key of " + setup.file.string() + "'s \"models\"");
    it->second = m.substr(eq + 1);
  }
  if (!o.decisions.empty()) setup.decisions_out = o.decisions;
  if (!o.trace.empty()) setup.trace_path = o.trace;
  if (o.mqtt_port > 0) setup.mqtt.port = o.mqtt_port;
}

int run_stream(const std::string& config_path, const std::string& restore, const Overrides& overrides) {
  StreamSetup setup = parse_stream_config(config_path);
  apply(overrides, setup);
  const std::vector<ModelFile> models = load_models(setup);
  Engine engine(setup.engine);
  add_streams(setup, models, engine);

  // Decisions as JSON lines, written on the engine's worker thread.
  std::FILE* out = setup.decisions_out == "-" ? stdout : std::fopen(setup.decisions_out.c_str(), "w");
  if (!out) throw std::runtime_error(setup.decisions_out + ": cannot open for writing (outputs.decisions)");
  std::vector<std::string> stream_names;
  for (int id = 0; id < engine.stream_count(); ++id) stream_names.push_back(engine.stream_name(id));
  std::unique_ptr<DecisionJson> json;
  uint64_t decisions = 0;
  if (std::unique_ptr<FusionModel> head = make_fusion(setup, models, engine)) {
    json = std::make_unique<DecisionJson>(head->names(), stream_names);
    engine.set_fusion(std::move(head), [&](const Decision& d) {
      std::fputs(json->line(d).c_str(), out);
      std::fflush(out);  // a consumer reading a pipe sees every decision at once
      ++decisions;
    });
  }
  if (!setup.trace_path.empty()) {
    const TraceLayout layout = engine.trace_layout();
    if (setup.trace_path.extension() == ".csv")
      engine.add_trace_sink(std::make_shared<CsvTraceWriter>(setup.trace_path, layout));
    else
      engine.add_trace_sink(std::make_shared<BinaryTraceWriter>(setup.trace_path, layout));
  }
  if (!restore.empty()) {
    load_checkpoint(engine, restore);
    std::fprintf(stderr, "liquid stream: restored %s (%llu samples applied before)\n", restore.c_str(),
                 static_cast<unsigned long long>(engine.samples()));
  }

  // Signals go to one thread that asks everything to stop; a second Ctrl-C quits at once.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGUSR1}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  StopFlag stop;
  auto clock = std::make_shared<InterruptibleClock>(stop);
  StreamSources built = build_sources(setup, models, engine, !restore.empty(), stop, clock);
  std::atomic<bool> interrupted{false};
  std::thread signal_thread([&] {
    for (;;) {
      int sig = 0;
      sigwait(&signals, &sig);
      if (sig == SIGUSR1) return;  // the end of the run
      if (interrupted.exchange(true)) std::_Exit(130);
      std::fprintf(stderr, "liquid stream: stopping (draining the queues; Ctrl-C again to quit at once)\n");
      stop.request();
      if (built.mqtt) built.mqtt->stop();
    }
  });

  const auto checkpoint = [&](const Engine& e) {
    save_checkpoint(e, setup.checkpoint_path, {{"config", setup.file.string()}, {"samples", e.samples()}});
  };
  auto last_checkpoint = std::chrono::steady_clock::now();
  RunnerConfig rc{.max_batch_frames = setup.batch_frames};
  if (!setup.checkpoint_path.empty())
    rc.after_batch = [&](Engine& e) {
      const auto now = std::chrono::steady_clock::now();
      if (std::chrono::duration<double>(now - last_checkpoint).count() < setup.checkpoint_period) return;
      checkpoint(e);
      last_checkpoint = now;
    };
  std::string error;
  {
    Runner runner(engine, rc);
    std::vector<Input*> inputs;
    for (const StreamSpec& s : setup.streams) inputs.push_back(s.source.kind == SourceKind::kMqtt ? nullptr : &runner.add_input(s.queue));
    Input* mqtt_input = built.mqtt ? &runner.add_input(setup.streams[built.mqtt_streams[0]].queue) : nullptr;
    runner.start();
    std::unique_ptr<MergedSource> merged;  // outlives the threads
    std::vector<std::unique_ptr<SourceThread>> threads;
    if (setup.time_ordered) {
      // One thread reads every file source in time order: the engine sees one timeline.
      std::vector<std::unique_ptr<sensors::Source>> parts;
      std::vector<SourceThread::Route> routes;
      Input* input = nullptr;
      for (size_t id = 0; id < setup.streams.size(); ++id)
        if (built.sources[id]) {
          parts.push_back(std::move(built.sources[id]));
          routes.push_back({&built.encoder(static_cast<int>(id)), static_cast<int>(id)});
          if (!input) input = inputs[id];
        }
      if (!parts.empty()) {
        merged = std::make_unique<MergedSource>(std::move(parts));
        threads.push_back(std::make_unique<SourceThread>(*merged, std::move(routes), *input));
      }
    }
    for (size_t id = 0; id < setup.streams.size(); ++id)
      if (built.sources[id]) {
        threads.push_back(std::make_unique<SourceThread>(*built.sources[id], built.encoder(static_cast<int>(id)), *inputs[id],
                                                         static_cast<int>(id)));
      }
    if (built.mqtt) {
      std::vector<SourceThread::Route> routes;
      for (int id : built.mqtt_streams) routes.push_back({built.encoders[id].get(), id});
      threads.push_back(std::make_unique<SourceThread>(*built.mqtt, std::move(routes), *mqtt_input));
    }
    for (auto& t : threads) {
      try {
        t->join();
      } catch (const std::exception& e) {
        if (error.empty()) error = e.what();
        stop.request();  // one source failed: end the run, keeping what was applied
        if (built.mqtt) built.mqtt->stop();
      }
    }
    try {
      runner.stop(CloseMode::kDrain);
    } catch (const std::exception& e) {
      if (error.empty()) error = e.what();
    }
  }
  pthread_kill(signal_thread.native_handle(), SIGUSR1);
  signal_thread.join();
  if (!setup.checkpoint_path.empty()) {
    checkpoint(engine);
    std::fprintf(stderr, "liquid stream: checkpoint %s\n", setup.checkpoint_path.string().c_str());
  }
  if (out != stdout) std::fclose(out);
  for (int id = 0; id < engine.stream_count(); ++id)
    std::fprintf(stderr, "liquid stream: %s: %llu samples, %llu late dropped, last t=%s\n", engine.stream_name(id).c_str(),
                 static_cast<unsigned long long>(engine.stats(id).samples),
                 static_cast<unsigned long long>(engine.stats(id).dropped_late), number(engine.last_time(id)).c_str());
  if (built.mqtt)
    std::fprintf(stderr, "liquid stream: mqtt: %llu received, %llu rejected%s%s\n",
                 static_cast<unsigned long long>(built.mqtt->received()), static_cast<unsigned long long>(built.mqtt->rejected()),
                 built.mqtt->rejected() ? "; last: " : "", built.mqtt->last_rejection().c_str());
  std::fprintf(stderr, "liquid stream: %llu decisions%s\n", static_cast<unsigned long long>(decisions),
               interrupted ? " (interrupted)" : "");
  if (!error.empty()) throw std::runtime_error(error);
  return 0;
}

Command add_stream_command(CLI::App& app) {
  struct Options {
    std::string config, restore;
    Overrides overrides;
  };
  auto opt = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("stream", "Run a streaming engine from a JSON configuration (see samples/stream/)");
  cmd->add_option("config", opt->config, "Engine configuration (.json); format in pipeline/stream_config.h")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--restore", opt->restore, "Continue from this checkpoint (made by the same configuration)")
      ->check(CLI::ExistingFile);
  cmd->add_option("--model", opt->overrides.models, "Use this model file instead: NAME=FILE (NAME a key of \"models\"; repeatable)");
  cmd->add_option("--decisions", opt->overrides.decisions, "Write the decisions here instead of outputs.decisions (- for stdout)");
  cmd->add_option("--trace", opt->overrides.trace, "Write the neuron trace here instead of outputs.trace (.csv or binary)");
  cmd->add_option("--mqtt-port", opt->overrides.mqtt_port, "Broker port instead of mqtt.port")->check(CLI::Range(1, 65535));
  return [opt]() { return run_stream(opt->config, opt->restore, opt->overrides); };
}

}  // namespace liquid::apps
