// Fork-join for the engine's cell steps: run(tasks, fn) runs fn(thread, task) for every task on the
// calling thread plus the pool's helper threads and returns when all are done. The engine calls it
// once per round of a batch, so it must be cheap: helpers sleep on a C++20 atomic wait (a futex,
// after a short spin) and the call allocates nothing.
#pragma once

#include <atomic>
#include <cstdint>
#include <exception>
#include <thread>
#include <vector>

namespace liquid::pipeline {

class WorkerPool {
 public:
  // `threads` counts the caller: 1 means no helper threads at all.
  explicit WorkerPool(int threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  int threads() const { return static_cast<int>(helpers_.size()) + 1; }

  // fn(int thread, int task), thread in [0, threads()); the caller is thread 0. An exception from
  // a task is rethrown here once every thread has finished.
  template <typename F>
  void run(int tasks, F& fn) {
    if (helpers_.empty() || tasks <= 1) {
      for (int t = 0; t < tasks; ++t) fn(0, t);
      return;
    }
    run_erased(tasks, &fn, [](void* f, int thread, int task) { (*static_cast<F*>(f))(thread, task); });
  }

 private:
  using Call = void (*)(void*, int, int);
  void run_erased(int tasks, void* fn, Call call);
  void helper(int thread);
  void take_tasks(int thread);

  std::vector<std::thread> helpers_;
  std::atomic<uint64_t> generation_{0};  // bumped to start a job (or to stop)
  std::atomic<int> next_task_{0}, pending_{0};
  int tasks_ = 0;
  void* fn_ = nullptr;
  Call call_ = nullptr;
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
};

}  // namespace liquid::pipeline
