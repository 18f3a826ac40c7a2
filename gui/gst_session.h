// A gst-launch pipeline description using the liquid elements as a dashboard Session:
//   liquid-dashboard "filesrc location=x.wav ! wavparse ! ... ! liquidcell model=m.safetensors ! fakesink"
// The pipeline is built with gst_parse_launch in this process (the liquid elements registered
// statically, liquid_gst_register_elements: no GST_PLUGIN_PATH needed) and watched from its bus:
//   - a bus sync handler, on the streaming threads, turns every "liquid-decision" element message
//     (plugins/liquid_decision.h) into the views' data and drops it: the streams table's counters,
//     the neuron traces (the "states" of liquidcell's and liquidfusion's messages: post-states=true
//     is set on every cell and fusion; a fusion's states are those of the pad that decided) and, for one
//     element (the liquidfusion if there is one, else the last liquidcell), the decisions plotted;
//     a change of an element's class is an alert. It writes into the session's seqlocked rings and
//     atomics (never waiting for the GUI; the streaming threads take turns on one writer mutex);
//   - every other message goes to the bus queue, which the GUI thread pops without waiting
//     (poll_events): an ERROR is the session's error, EOS its end; the rest is dropped.
// Rows of the streams table: one per liquidcell, one per liquidfusion sink pad. A row fed by video
// (a liquidvideofeatures upstream) has a preview: the output of the liquidoverlay its cell feeds
// decisions to, else the frames entering liquidvideofeatures (pad probes, one copy per 40 ms).
// open_pipeline prerolls (PAUSED, at most ~3 s) so that a description that fails at once (unknown
// element, missing model, caps that do not negotiate) is an error of the open, with GStreamer's
// message, and the window keeps its previous session. Start = PLAYING, Pause = PAUSED; the pipeline
// sets its own pace (a sink with sync=true plays in real time), so speed and step do not apply.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "gui/session.h"

namespace liquid::gui {

// True when `text` reads as a pipeline description rather than a file name (it links with " ! ").
bool looks_like_pipeline(const std::string& text);

// The description a *.gst / *.pipeline file holds: its lines joined, '#' comment lines left out,
// and a leading "gst-launch-1.0" (with its options) too, so a copied command line works.
std::string read_pipeline_file(const std::filesystem::path& path);

// Builds the pipeline, prerolls it and returns it paused. Throws std::runtime_error with
// GStreamer's message (the parse error, or the first ERROR posted while prerolling).
std::unique_ptr<Session> open_pipeline(const std::string& description, const std::string& title);

}  // namespace liquid::gui
