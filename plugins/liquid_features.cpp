// Helpers shared by the liquid elements (see liquid_features.h).
#include "plugins/liquid_features.h"

#include <cmath>
#include <exception>

GstBufferPool* liquid_float_pool_new(GstCaps* caps, int width) {
  GstBufferPool* pool = gst_buffer_pool_new();
  GstStructure* config = gst_buffer_pool_get_config(pool);
  // min 4: enough for a queue of a few frames before the pool grows (max 0 = unbounded).
  gst_buffer_pool_config_set_params(config, caps, static_cast<guint>(width) * sizeof(float), 4, 0);
  if (!gst_buffer_pool_set_config(pool, config) || !gst_buffer_pool_set_active(pool, TRUE)) {
    GST_WARNING("cannot configure a buffer pool for %d floats", width);
    gst_object_unref(pool);
    return nullptr;
  }
  return pool;
}

void liquid_float_pool_free(GstBufferPool*& pool) {
  if (pool == nullptr) return;
  gst_buffer_pool_set_active(pool, FALSE);
  gst_object_unref(pool);
  pool = nullptr;
}

gboolean liquid_frames_of(GstBuffer* buffer, size_t bytes, int width, LiquidFrames* frames) {
  const size_t frame_bytes = static_cast<size_t>(width) * sizeof(float);
  if (width <= 0 || bytes == 0 || bytes % frame_bytes != 0) return FALSE;
  frames->count = bytes / frame_bytes;
  frames->pts = GST_BUFFER_PTS(buffer);
  frames->hop = 0;
  if (frames->count > 1) {
    if (!GST_BUFFER_DURATION_IS_VALID(buffer)) return FALSE;
    frames->hop = GST_BUFFER_DURATION(buffer) / frames->count;
  }
  return TRUE;
}

GstClockTime liquid_seconds_to_time(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return 0;
  return static_cast<GstClockTime>(std::llround(seconds * GST_SECOND));
}

std::string liquid_current_exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}
