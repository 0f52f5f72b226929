// The binding's own worker threads. libvirt calls and storage I/O never run
// on libuv's thread pool: a call stuck in the kernel (a dead NFS server, a
// FUSE daemon that never answers) would otherwise hold one of libuv's four
// threads, and four of them stop every fs call of the process, the journal's
// writes included.
//
// A WorkPool is a FIFO queue served by up to `max` detached threads, started
// on demand. Results go back to the JS thread of the environment (main thread
// or worker_threads Worker) that submitted the job through that environment's
// Delivery (a queue and a uv_async handle). Pools are process-wide and never destroyed
// (a thread may be blocked in a call forever; exit() ends it).
#pragma once

#include <napi.h>
#include <uv.h>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

namespace virt {

class Delivery;

// One unit of work: Run() on a pool thread, then Complete() on the JS thread.
class Job {
 public:
  virtual ~Job() = default;
  virtual void Run() = 0;
  virtual void Complete(Napi::Env env) = 0;
};

struct PoolStats {
  size_t max = 0;       // thread limit
  size_t threads = 0;   // started and not exited
  size_t busy = 0;      // running a job
  size_t queued = 0;    // waiting for a thread
};

class WorkPool {
 public:
  // `idleExitMs` > 0: threads idle that long exit (an elastic pool); 0: they stay.
  WorkPool(size_t max, int idleExitMs);

  void Submit(std::shared_ptr<Delivery> delivery, Job* job);
  // Raising starts threads as work needs them; lowering lets the surplus exit when idle.
  void SetMax(size_t max);
  PoolStats Stats();

 private:
  struct Task {
    std::shared_ptr<Delivery> delivery;
    Job* job;
  };
  void Spawn();  // with mu_ held
  void Loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  size_t max_;
  size_t threads_ = 0;
  size_t idle_ = 0;
  size_t busy_ = 0;
  const int idleExitMs_;
};

// The two process-wide pools (created on first use, never freed).
WorkPool& LibvirtPool();
WorkPool& StoragePool();

// Hands finished jobs back to one JS environment. Keeps the environment's
// event loop alive while it has jobs in flight (like a pending libuv request)
// and lets it exit once none is left. After the environment is torn down,
// finished jobs are dropped, never delivered.
//
// Finished jobs go into a queue under the Delivery's own mutex, and the JS
// thread is woken with uv_async_send AFTER that mutex is released, never
// while a pool thread holds a lock the JS thread needs next. (A
// ThreadSafeFunction signals while holding its queue lock: the JS thread,
// woken on the same CPU, preempts the pool thread and then blocks on that
// lock until the pool thread runs again — two extra context switches per
// completion.) The JS thread drains the queue in one wake, within a callback
// scope, so promise continuations run right after.
class Delivery {
 public:
  static std::shared_ptr<Delivery> Create(Napi::Env env);

  // JS thread: queue `job` on `pool`.
  void Submit(Napi::Env env, WorkPool& pool, Job* job);
  // Pool thread: the job ran; complete it on the JS thread (or drop it).
  void Post(Job* job);

 private:
  struct Handle;
  static void OnAsync(uv_async_t* async);
  static void Cleanup(void* arg);
  void Drain();

  std::mutex mu_;
  bool open_ = false;
  std::vector<Job*> done_;        // finished, not yet completed (mu_)
  std::atomic<int> senders_{0};   // pool threads between the open_ check and uv_async_send
  Handle* handle_ = nullptr;      // JS thread; freed after uv_close
  napi_env env_ = nullptr;
  size_t inflight_ = 0;           // JS thread only
};

// A job that settles a promise: `exec` runs on the pool thread and returns
// false on failure; `resolve` / `reject` build the value on the JS thread.
class PromiseJob : public Job {
 public:
  using ExecFn = std::function<bool()>;
  using ValueFn = std::function<Napi::Value(Napi::Env)>;

  static Napi::Promise Submit(Napi::Env env, WorkPool& pool, ExecFn exec, ValueFn resolve, ValueFn reject);

  void Run() override;
  void Complete(Napi::Env env) override;

 private:
  PromiseJob(Napi::Env env, ExecFn exec, ValueFn resolve, ValueFn reject);

  Napi::Promise::Deferred deferred_;
  ExecFn exec_;
  ValueFn resolve_;
  ValueFn reject_;
  bool ok_ = false;
};

// The Delivery of an environment (kept in its AddonData).
std::shared_ptr<Delivery> DeliveryOf(Napi::Env env);

}  // namespace virt
