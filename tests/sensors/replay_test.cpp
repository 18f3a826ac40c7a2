// Tests of sensors/replay and sensors/csv_source: pacing checked exactly against a fake clock, one
// short real-time run on steady_clock with a loose tolerance, and CsvSource on real data.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>

#include "sensors/csv_source.h"
#include "sensors/replay.h"

namespace {

using namespace liquid::sensors;
using std::chrono::duration;
using std::chrono::steady_clock;

const std::string kData = std::string(LIQUID_TEST_DATA) + "/series/";

// Time moves only when Replay sleeps or the test advances it.
class FakeClock : public ReplayClock {
 public:
  time_point now() override { return now_; }
  void sleep_until(time_point t) override {
    sleeps.push_back(seconds_since_origin(t));
    if (t > now_) now_ = t;
  }
  void advance(double s) { now_ += std::chrono::duration_cast<steady_clock::duration>(duration<double>(s)); }
  double seconds_since_origin(time_point t) const { return duration<double>(t - origin_).count(); }
  double elapsed() const { return seconds_since_origin(now_); }

  std::vector<double> sleeps;

 private:
  time_point origin_ = steady_clock::now();
  time_point now_ = origin_;
};

// A source of one-value rows at the given times.
class TimesSource : public Source {
 public:
  explicit TimesSource(std::vector<double> times) : times_(std::move(times)) {}
  bool next(TimedSample& out) override {
    if (k_ >= times_.size()) return false;
    out.time = times_[k_];
    out.payload = SeriesRow{{float(k_)}, {1}};
    ++k_;
    return true;
  }
  std::string describe() const override { return "test times"; }

 private:
  std::vector<double> times_;
  size_t k_ = 0;
};

// Releases every sample; returns the fake clock's elapsed time at each release.
std::vector<double> release_times(Replay& replay, FakeClock& clock) {
  std::vector<double> at;
  TimedSample s;
  while (replay.next(s)) at.push_back(clock.elapsed());
  return at;
}

TEST(Replay, RealTimeReleasesEachSampleAtItsOffsetFromTheFirst) {
  auto clock = std::make_shared<FakeClock>();
  clock->advance(3.0);  // the start is when the first sample goes out, not when the clock began
  Replay replay(std::make_unique<TimesSource>(std::vector<double>{100.0, 100.5, 100.5, 102.0}), {}, clock);
  EXPECT_TRUE(replay.live());
  const auto at = release_times(replay, *clock);
  ASSERT_EQ(at.size(), 4u);
  EXPECT_NEAR(at[0], 3.0, 1e-9);  // at once
  EXPECT_NEAR(at[1], 3.5, 1e-6);
  EXPECT_NEAR(at[2], 3.5, 1e-6);  // a burst: no extra wait
  EXPECT_NEAR(at[3], 5.0, 1e-6);
  EXPECT_EQ(clock->sleeps.size(), 2u);
}

TEST(Replay, SpeedFactorDividesTheWaits) {
  auto clock = std::make_shared<FakeClock>();
  Replay replay(std::make_unique<TimesSource>(std::vector<double>{0.0, 1.0, 3.0}), {.speed = 2.0}, clock);
  const auto at = release_times(replay, *clock);
  ASSERT_EQ(at.size(), 3u);
  EXPECT_NEAR(at[1], 0.5, 1e-6);
  EXPECT_NEAR(at[2], 1.5, 1e-6);
}

TEST(Replay, ZeroOrInfiniteSpeedNeverWaits) {
  for (double speed : {0.0, std::numeric_limits<double>::infinity()}) {
    auto clock = std::make_shared<FakeClock>();
    Replay replay(std::make_unique<TimesSource>(std::vector<double>{0.0, 10.0, 1e6}), {.speed = speed}, clock);
    EXPECT_FALSE(replay.live());
    EXPECT_EQ(release_times(replay, *clock).size(), 3u);
    EXPECT_TRUE(clock->sleeps.empty());
  }
}

TEST(Replay, ALateConsumerGetsLateSamplesAtOnceAndTheScheduleHolds) {
  auto clock = std::make_shared<FakeClock>();
  Replay replay(std::make_unique<TimesSource>(std::vector<double>{0.0, 1.0, 2.0, 3.0}), {}, clock);
  TimedSample s;
  ASSERT_TRUE(replay.next(s));
  clock->advance(2.5);  // the consumer stalls past samples 1 and 2
  ASSERT_TRUE(replay.next(s));
  ASSERT_TRUE(replay.next(s));
  EXPECT_TRUE(clock->sleeps.empty());
  ASSERT_TRUE(replay.next(s));
  EXPECT_NEAR(clock->elapsed(), 3.0, 1e-6);  // sample 3 is still due at start + 3 s
}

TEST(Replay, TimeGoingBackIsAnErrorOrDroppedAndCounted) {
  auto clock = std::make_shared<FakeClock>();
  Replay strict(std::make_unique<TimesSource>(std::vector<double>{0.0, 2.0, 1.0}), {.speed = 0.0}, clock);
  TimedSample s;
  ASSERT_TRUE(strict.next(s));
  ASSERT_TRUE(strict.next(s));
  try {
    strict.next(s);
    FAIL() << "time went back";
  } catch (const SourceError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("test times: sample 3 at 1.000000 s goes back before sample 2 at 2.000000 s"), std::string::npos) << m;
  }
  Replay lenient(std::make_unique<TimesSource>(std::vector<double>{0.0, 2.0, 1.0, 2.0, 3.0}),
                 {.speed = 1.0, .backwards = BackwardsTime::drop}, clock);
  std::vector<double> times;
  while (lenient.next(s)) times.push_back(s.time);
  EXPECT_EQ(times, (std::vector<double>{0.0, 2.0, 2.0, 3.0}));
  EXPECT_EQ(lenient.dropped(), 1u);
}

TEST(Replay, RejectsBadSpeedsAndTimes) {
  EXPECT_THROW(Replay(std::make_unique<TimesSource>(std::vector<double>{0.0}), {.speed = -1.0}), std::invalid_argument);
  EXPECT_THROW(Replay(std::make_unique<TimesSource>(std::vector<double>{0.0}), {.speed = std::nan("")}),
               std::invalid_argument);
  EXPECT_THROW(Replay(nullptr), std::invalid_argument);
  TimedSample s;
  Replay nan_time(std::make_unique<TimesSource>(std::vector<double>{std::nan("")}), {.speed = 0.0});
  EXPECT_THROW(nan_time.next(s), SourceError);
  auto clock = std::make_shared<FakeClock>();
  Replay far(std::make_unique<TimesSource>(std::vector<double>{0.0, 1e12}), {}, clock);  // ~32,000 years
  ASSERT_TRUE(far.next(s));
  EXPECT_THROW(far.next(s), SourceError);
}

// The one test on the real clock: 0.3 s of samples, loose bounds for a loaded machine.
TEST(Replay, RealClockPacesAShortCsv) {
  CsvSeries series;
  series.columns = {"x"};
  for (int k = 0; k < 4; ++k) {
    series.times.push_back(50.0 + 0.2 * k);  // 0.6 s of data at speed 2: 0.3 s
    series.lines.push_back(k + 1);
    series.values.push_back(float(k));
    series.present.push_back(1);
  }
  Replay replay(std::make_unique<CsvSource>(std::move(series), "memory"), {.speed = 2.0});
  TimedSample s;
  const auto start = steady_clock::now();
  int n = 0;
  while (replay.next(s)) ++n;
  const double elapsed = duration<double>(steady_clock::now() - start).count();
  EXPECT_EQ(n, 4);
  EXPECT_GE(elapsed, 0.29);
  EXPECT_LT(elapsed, 0.45);
}

TEST(CsvSource, YieldsRowsWithMasksReusingTheSamplesBuffers) {
  CsvOptions o;
  o.time_parts = {"year", "month", "day", "hour"};
  o.value_columns = {"pm2.5", "TEMP"};
  CsvSource source(kData + "prsa_beijing_head.csv", o, 3);
  EXPECT_NE(source.describe().find("prsa_beijing_head.csv (48 rows; time 'year+month+day+hour'; values 'pm2.5', 'TEMP')"),
            std::string::npos)
      << source.describe();
  TimedSample s;
  ASSERT_TRUE(source.next(s));
  const auto& row = std::get<SeriesRow>(s.payload);
  const float* buffer = row.values.data();
  EXPECT_EQ(s.stream, 3);
  EXPECT_EQ(s.time, 1262304000.0);
  EXPECT_EQ(row.present, (std::vector<unsigned char>{0, 1}));
  EXPECT_TRUE(std::isnan(row.values[0]));
  EXPECT_FLOAT_EQ(row.values[1], -11.0f);
  int n = 1;
  while (source.next(s)) {
    EXPECT_EQ(std::get<SeriesRow>(s.payload).values.data(), buffer);
    ++n;
  }
  EXPECT_EQ(n, 48);
  source.rewind();
  ASSERT_TRUE(source.next(s));
  EXPECT_EQ(s.time, 1262304000.0);
}

TEST(CsvSource, ReplaysOccupancyAsFastAsPossible) {
  Replay replay(std::make_unique<CsvSource>(kData + "occupancy_datatest_head.txt"), {.speed = 0.0});
  EXPECT_NE(replay.describe().find("as fast as possible of CSV series"), std::string::npos) << replay.describe();
  TimedSample s;
  int n = 0;
  double last = 0;
  while (replay.next(s)) {
    EXPECT_EQ(std::get<SeriesRow>(s.payload).values.size(), 6u);
    last = s.time;
    ++n;
  }
  EXPECT_EQ(n, 30);
  EXPECT_EQ(last, 1422886740.0 + 29 * 60);  // 14:19 + 29 min in the excerpt
  EXPECT_THROW(CsvSource(kData + "no_such_file.csv"), CsvError);
}

}  // namespace
