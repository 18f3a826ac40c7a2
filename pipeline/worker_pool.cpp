// Fork-join pool for the engine's cell steps.
#include "pipeline/worker_pool.h"

#include <stdexcept>
#include <string>

namespace liquid::pipeline {

WorkerPool::WorkerPool(int threads) {
  if (threads < 1) throw std::invalid_argument("WorkerPool: threads must be at least 1, got " + std::to_string(threads));
  for (int t = 1; t < threads; ++t) helpers_.emplace_back([this, t] { helper(t); });
}

WorkerPool::~WorkerPool() {
  stop_.store(true, std::memory_order_release);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  for (auto& h : helpers_) h.join();
}

void WorkerPool::take_tasks(int thread) {
  for (int t; (t = next_task_.fetch_add(1, std::memory_order_relaxed)) < tasks_;) {
    try {
      call_(fn_, thread, t);
    } catch (...) {
      // Only the first error is kept; the flag makes the store race-free.
      if (!failed_.exchange(true)) error_ = std::current_exception();
    }
  }
}

void WorkerPool::helper(int thread) {
  uint64_t seen = 0;
  for (;;) {
    generation_.wait(seen, std::memory_order_acquire);
    seen = generation_.load(std::memory_order_acquire);
    if (stop_.load(std::memory_order_acquire)) return;
    take_tasks(thread);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) pending_.notify_one();
  }
}

void WorkerPool::run_erased(int tasks, void* fn, Call call) {
  tasks_ = tasks;
  fn_ = fn;
  call_ = call;
  failed_.store(false, std::memory_order_relaxed);
  error_ = nullptr;
  next_task_.store(0, std::memory_order_relaxed);
  pending_.store(static_cast<int>(helpers_.size()), std::memory_order_relaxed);
  // The release here publishes tasks_, fn_ and call_ to the helpers' acquire load.
  generation_.fetch_add(1, std::memory_order_acq_rel);
  generation_.notify_all();
  take_tasks(0);
  for (int p; (p = pending_.load(std::memory_order_acquire)) != 0;) pending_.wait(p, std::memory_order_acquire);
  if (error_) std::rethrow_exception(error_);
}

}  // namespace liquid::pipeline
