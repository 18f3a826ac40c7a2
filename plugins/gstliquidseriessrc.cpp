// liquidseriessrc (see gstliquidseriessrc.h).
//   gst-launch-1.0 liquidseriessrc location=occupancy.txt columns=Temperature,CO2 ! liquidcell model=m.safetensors ! fakesink
#include "plugins/gstliquidseriessrc.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "encoders/series_features.h"
#include "lfm/safetensors.h"
#include "plugins/liquid_features.h"
#include "sensors/csv_series.h"

GST_DEBUG_CATEGORY_STATIC(liquid_series_src_debug);
#define GST_CAT_DEFAULT liquid_series_src_debug

namespace {

enum { PROP_0, PROP_LOCATION, PROP_COLUMNS, PROP_TIME_COLUMN, PROP_IS_LIVE, PROP_SPEED, PROP_MASKS, PROP_TIME_SINCE,
       PROP_NORMALIZATION, PROP_ABSOLUTE_TIMES };

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, sep);)
    if (!item.empty()) out.push_back(item);
  return out;
}

struct Series {
  liquid::sensors::CsvSeries csv;
  std::unique_ptr<liquid::encoders::SeriesFeatures> encoder;
  GstBufferPool* pool = nullptr;
  size_t next_row = 0;
  bool discont = true;  // the next buffer starts a new run (the first, or after a seek)
  bool live = false;
  double speed = 1.0;
  double origin = 0.0;  // not live: PTS = row time - origin (the first row's time, or 0: absolute-times)
  GstClockTime first_running = GST_CLOCK_TIME_NONE;  // live: running time of the first row

  ~Series() { liquid_float_pool_free(pool); }
};

}  // namespace

struct _GstLiquidSeriesSrc {
  GstPushSrc parent;
  // Properties (GST_OBJECT_LOCK).
  gchar *location, *columns, *time_column, *normalization;
  gboolean is_live, masks, time_since, absolute_times;
  gdouble speed;
  Series* series;          // between start() and stop()
  GstClockID clock_id;     // the pacing wait in progress (GST_OBJECT_LOCK)
  gboolean flushing;       // unlock() was called (GST_OBJECT_LOCK)
};

G_DEFINE_TYPE(GstLiquidSeriesSrc, gst_liquid_series_src, GST_TYPE_PUSH_SRC);
GST_ELEMENT_REGISTER_DEFINE(liquidseriessrc, "liquidseriessrc", GST_RANK_NONE, GST_TYPE_LIQUID_SERIES_SRC);

static GstStaticPadTemplate src_template =
    GST_STATIC_PAD_TEMPLATE("src", GST_PAD_SRC, GST_PAD_ALWAYS, GST_STATIC_CAPS(LIQUID_FEATURES_CAPS));

static std::string str(const gchar* s) { return s ? s : ""; }

static gboolean gst_liquid_series_src_start(GstBaseSrc* base) {
  auto* self = GST_LIQUID_SERIES_SRC(base);
  GST_OBJECT_LOCK(self);
  const std::string location = str(self->location), columns = str(self->columns), time_column = str(self->time_column),
                    normalization = str(self->normalization);
  liquid::encoders::SeriesFeaturesOptions options;
  options.masks = self->masks;
  options.time_since = self->time_since;
  auto series = std::make_unique<Series>();
  series->live = self->is_live;
  series->speed = self->speed;
  const bool absolute = self->absolute_times;
  GST_OBJECT_UNLOCK(self);
  if (location.empty()) {
    GST_ELEMENT_ERROR(self, RESOURCE, NOT_FOUND, ("liquidseriessrc: no CSV file set"),
                      ("set the 'location' property"));
    return FALSE;
  }
  liquid::sensors::CsvOptions csv;
  for (const auto& c : split(columns, ',')) csv.value_columns.emplace_back(c);
  const auto parts = split(time_column, '+');
  if (parts.size() == 1) csv.time_column = liquid::sensors::CsvColumn(parts[0]);
  else for (const auto& p : parts) csv.time_parts.emplace_back(p);
  try {
    series->csv = liquid::sensors::read_csv_series(location, csv);
  } catch (...) {
    GST_ELEMENT_ERROR(self, RESOURCE, READ, ("liquidseriessrc: cannot read '%s'", location.c_str()),
                      ("%s", liquid_current_exception_text().c_str()));
    return FALSE;
  }
  liquid::encoders::SeriesNormalization norm;
  try {
    if (!normalization.empty()) {
      const auto file = liquid::lfm::SafetensorsFile::read_file(normalization);
      const auto it = file.metadata().find(liquid::encoders::kNormalizationKey);
      if (it == file.metadata().end())
        throw std::runtime_error(normalization + ": no '" + liquid::encoders::kNormalizationKey + "' metadata");
      norm = liquid::encoders::SeriesNormalization::from_json(it->second, normalization);
    }
    series->encoder = std::make_unique<liquid::encoders::SeriesFeatures>(series->csv.columns, norm, options);
  } catch (...) {
    GST_ELEMENT_ERROR(self, LIBRARY, SETTINGS, ("liquidseriessrc: cannot set up the series encoder for '%s'",
                                                location.c_str()),
                      ("%s", liquid_current_exception_text().c_str()));
    return FALSE;
  }
  if (series->csv.rows() > 0 && !absolute) series->origin = series->csv.times[0];
  if (absolute && series->csv.rows() > 0 && series->csv.times[0] < 0) {
    GST_ELEMENT_ERROR(self, STREAM, FORMAT, ("liquidseriessrc: '%s' line %d: time %g s is before 0, which "
                                             "absolute-times cannot stamp", location.c_str(), series->csv.lines[0],
                                             series->csv.times[0]),
                      ("unset absolute-times to stamp rows relative to the first"));
    return FALSE;
  }
  series->pool = liquid_float_pool_new(nullptr, series->encoder->width());
  if (!series->pool) return FALSE;
  gst_base_src_set_live(base, series->live);
  GST_INFO_OBJECT(self, "%s: %zu rows of %zu columns -> width %d", location.c_str(), series->csv.rows(),
                  series->csv.width(), series->encoder->width());
  GST_OBJECT_LOCK(self);
  self->series = series.release();
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_liquid_series_src_stop(GstBaseSrc* base) {
  auto* self = GST_LIQUID_SERIES_SRC(base);
  GST_OBJECT_LOCK(self);
  Series* series = self->series;
  self->series = nullptr;
  GST_OBJECT_UNLOCK(self);
  delete series;
  return TRUE;
}

static GstCaps* gst_liquid_series_src_get_caps(GstBaseSrc* base, GstCaps* filter) {
  auto* self = GST_LIQUID_SERIES_SRC(base);
  GstCaps* caps;
  GST_OBJECT_LOCK(self);
  if (self->series)
    caps = gst_caps_new_simple(LIQUID_FEATURES_MEDIA_TYPE, "width", G_TYPE_INT, self->series->encoder->width(), "rate",
                               GST_TYPE_FRACTION, 0, 1, nullptr);
  else
    caps = gst_static_pad_template_get_caps(&src_template);
  GST_OBJECT_UNLOCK(self);
  if (filter) {
    GstCaps* both = gst_caps_intersect_full(filter, caps, GST_CAPS_INTERSECT_FIRST);
    gst_caps_unref(caps);
    caps = both;
  }
  return caps;
}

// Live pacing: waits on the pipeline clock until `running` (running time); FALSE when unlocked.
static gboolean wait_until(GstLiquidSeriesSrc* self, GstClock* clock, GstClockTime running) {
  GstClockID id = gst_clock_new_single_shot_id(clock, gst_element_get_base_time(GST_ELEMENT(self)) + running);
  GST_OBJECT_LOCK(self);
  if (self->flushing) {
    GST_OBJECT_UNLOCK(self);
    gst_clock_id_unref(id);
    return FALSE;
  }
  self->clock_id = id;
  GST_OBJECT_UNLOCK(self);
  const GstClockReturn ret = gst_clock_id_wait(id, nullptr);
  GST_OBJECT_LOCK(self);
  self->clock_id = nullptr;
  GST_OBJECT_UNLOCK(self);
  gst_clock_id_unref(id);
  return ret != GST_CLOCK_UNSCHEDULED;
}

static GstFlowReturn gst_liquid_series_src_create(GstPushSrc* push, GstBuffer** out) {
  auto* self = GST_LIQUID_SERIES_SRC(push);
  Series& s = *self->series;
  if (s.next_row >= s.csv.rows()) return GST_FLOW_EOS;
  const size_t row = s.next_row;
  const double since_first = s.csv.times[row] - s.csv.times[0];
  GstClockTime pts = liquid_seconds_to_time(s.csv.times[row] - s.origin);
  if (s.live) {
    if (GstClock* clock = gst_element_get_clock(GST_ELEMENT(self))) {
      gboolean ok = TRUE;
      if (!GST_CLOCK_TIME_IS_VALID(s.first_running))  // the first row is due now
        s.first_running = gst_clock_get_time(clock) - gst_element_get_base_time(GST_ELEMENT(self));
      else
        ok = wait_until(self, clock, s.first_running + liquid_seconds_to_time(since_first / s.speed));
      gst_object_unref(clock);
      if (!ok) return GST_FLOW_FLUSHING;
      pts = s.first_running + liquid_seconds_to_time(since_first);
    }
  }
  GstBuffer* buf = nullptr;
  const GstFlowReturn ret = gst_buffer_pool_acquire_buffer(s.pool, &buf, nullptr);
  if (ret != GST_FLOW_OK) return ret;
  GstMapInfo map;
  gst_buffer_map(buf, &map, GST_MAP_WRITE);
  try {
    s.encoder->encode_row(s.csv.times[row], s.csv.row(row), s.csv.row_present(row), reinterpret_cast<float*>(map.data));
  } catch (...) {
    gst_buffer_unmap(buf, &map);
    gst_buffer_unref(buf);
    GST_ELEMENT_ERROR(self, STREAM, FAILED, ("liquidseriessrc: line %d: %s", s.csv.lines[row],
                                             liquid_current_exception_text().c_str()),
                      (nullptr));
    return GST_FLOW_ERROR;
  }
  gst_buffer_unmap(buf, &map);
  GST_BUFFER_PTS(buf) = pts;
  GST_BUFFER_DTS(buf) = GST_CLOCK_TIME_NONE;
  GST_BUFFER_DURATION(buf) = GST_CLOCK_TIME_NONE;  // irregular: the next row's time is not known yet
  GST_BUFFER_OFFSET(buf) = row;
  GST_BUFFER_OFFSET_END(buf) = row + 1;
  if (s.discont) GST_BUFFER_FLAG_SET(buf, GST_BUFFER_FLAG_DISCONT);
  s.discont = false;
  s.next_row++;
  *out = buf;
  return GST_FLOW_OK;
}

// Files (not live) seek in time: the next row is the first at or after the segment's start (times
// relative to the first row, or absolute with absolute-times), the encoder starts afresh (its time-since channels), and that row's
// buffer is DISCONT. A rate other than 1 or a stop are GstBaseSrc's; the rows keep their own times.
static gboolean gst_liquid_series_src_is_seekable(GstBaseSrc* base) {
  auto* self = GST_LIQUID_SERIES_SRC(base);
  GST_OBJECT_LOCK(self);
  const gboolean live = self->is_live;
  GST_OBJECT_UNLOCK(self);
  return !live;
}

static gboolean gst_liquid_series_src_do_seek(GstBaseSrc* base, GstSegment* segment) {
  auto* self = GST_LIQUID_SERIES_SRC(base);
  Series* s = self->series;
  if (s == nullptr || segment->format != GST_FORMAT_TIME) return FALSE;
  const double start = liquid_time_to_seconds(segment->start);
  size_t row = 0;
  while (row < s->csv.rows() && s->csv.times[row] - s->origin < start - 1e-9) ++row;
  s->next_row = row;
  s->discont = true;
  s->encoder->reset();
  segment->time = segment->start;
  segment->position = segment->start;
  GST_DEBUG_OBJECT(self, "seek to %" GST_TIME_FORMAT ": row %zu of %zu", GST_TIME_ARGS(segment->start), row,
                   s->csv.rows());
  return TRUE;
}

// Duration: the last row's PTS (its time after the first's, or its own time with absolute-times).
static gboolean gst_liquid_series_src_query(GstBaseSrc* base, GstQuery* query) {
  auto* self = GST_LIQUID_SERIES_SRC(base);
  if (GST_QUERY_TYPE(query) == GST_QUERY_DURATION && self->series && self->series->csv.rows() > 0) {
    GstFormat format;
    gst_query_parse_duration(query, &format, nullptr);
    if (format == GST_FORMAT_TIME) {
      const auto& times = self->series->csv.times;
      gst_query_set_duration(query, GST_FORMAT_TIME, liquid_seconds_to_time(times.back() - self->series->origin));
      return TRUE;
    }
  }
  return GST_BASE_SRC_CLASS(gst_liquid_series_src_parent_class)->query(base, query);
}

static gboolean gst_liquid_series_src_unlock(GstBaseSrc* base) {
  auto* self = GST_LIQUID_SERIES_SRC(base);
  GST_OBJECT_LOCK(self);
  self->flushing = TRUE;
  if (self->clock_id) gst_clock_id_unschedule(self->clock_id);
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static gboolean gst_liquid_series_src_unlock_stop(GstBaseSrc* base) {
  auto* self = GST_LIQUID_SERIES_SRC(base);
  GST_OBJECT_LOCK(self);
  self->flushing = FALSE;
  GST_OBJECT_UNLOCK(self);
  return TRUE;
}

static void gst_liquid_series_src_set_property(GObject* object, guint id, const GValue* value, GParamSpec* pspec) {
  auto* self = GST_LIQUID_SERIES_SRC(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_LOCATION: g_free(self->location); self->location = g_value_dup_string(value); break;
    case PROP_COLUMNS: g_free(self->columns); self->columns = g_value_dup_string(value); break;
    case PROP_TIME_COLUMN: g_free(self->time_column); self->time_column = g_value_dup_string(value); break;
    case PROP_NORMALIZATION: g_free(self->normalization); self->normalization = g_value_dup_string(value); break;
    case PROP_IS_LIVE:
      self->is_live = g_value_get_boolean(value);
      // Now, not at start(): GstBaseSrc reads it before start() to answer the READY->PAUSED state
      // change with NO_PREROLL, without which a live pipeline never prerolls.
      GST_OBJECT_UNLOCK(self);
      gst_base_src_set_live(GST_BASE_SRC(self), g_value_get_boolean(value));
      GST_OBJECT_LOCK(self);
      break;
    case PROP_SPEED: self->speed = g_value_get_double(value); break;
    case PROP_MASKS: self->masks = g_value_get_boolean(value); break;
    case PROP_TIME_SINCE: self->time_since = g_value_get_boolean(value); break;
    case PROP_ABSOLUTE_TIMES: self->absolute_times = g_value_get_boolean(value); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_liquid_series_src_get_property(GObject* object, guint id, GValue* value, GParamSpec* pspec) {
  auto* self = GST_LIQUID_SERIES_SRC(object);
  GST_OBJECT_LOCK(self);
  switch (id) {
    case PROP_LOCATION: g_value_set_string(value, self->location); break;
    case PROP_COLUMNS: g_value_set_string(value, self->columns); break;
    case PROP_TIME_COLUMN: g_value_set_string(value, self->time_column); break;
    case PROP_NORMALIZATION: g_value_set_string(value, self->normalization); break;
    case PROP_IS_LIVE: g_value_set_boolean(value, self->is_live); break;
    case PROP_SPEED: g_value_set_double(value, self->speed); break;
    case PROP_MASKS: g_value_set_boolean(value, self->masks); break;
    case PROP_TIME_SINCE: g_value_set_boolean(value, self->time_since); break;
    case PROP_ABSOLUTE_TIMES: g_value_set_boolean(value, self->absolute_times); break;
    default: G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec); break;
  }
  GST_OBJECT_UNLOCK(self);
}

static void gst_liquid_series_src_finalize(GObject* object) {
  auto* self = GST_LIQUID_SERIES_SRC(object);
  g_free(self->location);
  g_free(self->columns);
  g_free(self->time_column);
  g_free(self->normalization);
  delete self->series;
  G_OBJECT_CLASS(gst_liquid_series_src_parent_class)->finalize(object);
}

static void gst_liquid_series_src_class_init(GstLiquidSeriesSrcClass* klass) {
  auto* gobject_class = G_OBJECT_CLASS(klass);
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* base_class = GST_BASE_SRC_CLASS(klass);
  gobject_class->set_property = gst_liquid_series_src_set_property;
  gobject_class->get_property = gst_liquid_series_src_get_property;
  gobject_class->finalize = gst_liquid_series_src_finalize;

  const auto flags = GParamFlags(G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS | GST_PARAM_MUTABLE_READY);
  g_object_class_install_property(gobject_class, PROP_LOCATION,
      g_param_spec_string("location", "Location", "CSV file to read (one row per sample, a time column)", nullptr, flags));
  g_object_class_install_property(gobject_class, PROP_COLUMNS,
      g_param_spec_string("columns", "Columns",
                          "Comma-separated value columns by header name, in output order; unset: every column "
                          "but the time (and row-id) column",
                          nullptr, flags));
  g_object_class_install_property(gobject_class, PROP_TIME_COLUMN,
      g_param_spec_string("time-column", "Time column",
                          "The time column's name (any format liquid parses: seconds, ISO dates, ...), or date "
                          "parts joined by '+' such as year+month+day+hour; unset: the first column",
                          nullptr, flags));
  g_object_class_install_property(gobject_class, PROP_NORMALIZATION,
      g_param_spec_string("normalization", "Normalization",
                          "Model file whose 'liquid.normalization' metadata (from `liquid train`) gives each "
                          "column's mean and std; unset: values as read",
                          nullptr, flags));
  g_object_class_install_property(gobject_class, PROP_IS_LIVE,
      g_param_spec_boolean("is-live", "Is live",
                           "Act as a live source, pacing rows on the pipeline clock at their recorded times "
                           "(divided by speed); false: as fast as downstream takes them",
                           FALSE, flags));
  g_object_class_install_property(gobject_class, PROP_SPEED,
      g_param_spec_double("speed", "Speed",
                          "Live pacing speed: 1 real time, 60 a minute of recording a second (timestamps keep "
                          "the real gaps)",
                          1e-6, 1e9, 1.0, flags));
  g_object_class_install_property(gobject_class, PROP_MASKS,
      g_param_spec_boolean("masks", "Masks", "Append a 1/0 observed channel per column (missing values are 0 "
                           "after normalisation, so the mask tells the model they are missing)", TRUE, flags));
  g_object_class_install_property(gobject_class, PROP_TIME_SINCE,
      g_param_spec_boolean("time-since", "Time since",
                           "Append per column the seconds since its previous observation", TRUE, flags));
  // Why: to fuse the series with streams recorded elsewhere on one timeline (liquidfusion), the
  // rows need their own times, not the time since the file's first row.
  g_object_class_install_property(gobject_class, PROP_ABSOLUTE_TIMES,
      g_param_spec_boolean("absolute-times", "Absolute times",
                           "Not live: stamp each row with its own time (PTS = the time column in seconds, e.g. "
                           "Unix time for dates) instead of its time since the first row", FALSE, flags));

  gst_element_class_add_static_pad_template(element_class, &src_template);
  gst_element_class_set_static_metadata(
      element_class, "Liquid series source", "Source/Sensor",
      "Reads a CSV time series as feature frames (values, missing-value masks, time since last observation) "
      "stamped with the rows' own irregular times",
      "liquid project");

  base_class->start = GST_DEBUG_FUNCPTR(gst_liquid_series_src_start);
  base_class->stop = GST_DEBUG_FUNCPTR(gst_liquid_series_src_stop);
  base_class->get_caps = GST_DEBUG_FUNCPTR(gst_liquid_series_src_get_caps);
  base_class->unlock = GST_DEBUG_FUNCPTR(gst_liquid_series_src_unlock);
  base_class->is_seekable = GST_DEBUG_FUNCPTR(gst_liquid_series_src_is_seekable);
  base_class->do_seek = GST_DEBUG_FUNCPTR(gst_liquid_series_src_do_seek);
  base_class->query = GST_DEBUG_FUNCPTR(gst_liquid_series_src_query);
  base_class->unlock_stop = GST_DEBUG_FUNCPTR(gst_liquid_series_src_unlock_stop);
  GST_PUSH_SRC_CLASS(klass)->create = GST_DEBUG_FUNCPTR(gst_liquid_series_src_create);
  GST_DEBUG_CATEGORY_INIT(liquid_series_src_debug, "liquidseriessrc", 0, "liquid CSV series source");
}

static void gst_liquid_series_src_init(GstLiquidSeriesSrc* self) {
  self->location = self->columns = self->time_column = self->normalization = nullptr;
  self->is_live = FALSE;
  self->masks = TRUE;
  self->time_since = TRUE;
  self->absolute_times = FALSE;
  self->speed = 1.0;
  self->series = nullptr;
  self->clock_id = nullptr;
  self->flushing = FALSE;
  gst_base_src_set_format(GST_BASE_SRC(self), GST_FORMAT_TIME);
}
