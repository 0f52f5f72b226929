#include "pool.h"

#include <pthread.h>
#include <sched.h>

#include <chrono>
#include <system_error>
#include <thread>

#include "common.h"

namespace virt {

WorkPool::WorkPool(size_t max, int idleExitMs) : max_(max < 1 ? 1 : max), idleExitMs_(idleExitMs) {}

void WorkPool::Submit(std::shared_ptr<Delivery> delivery, Job* job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(Task{std::move(delivery), job});
    // More queued jobs than threads waiting for one: start another, up to max.
    if (queue_.size() > idle_ && threads_ < max_) Spawn();
  }
  // After unlocking: the woken thread does not wake only to block on mu_.
  cv_.notify_one();
}

void WorkPool::Spawn() {
  try {
    std::thread(&WorkPool::Loop, this).detach();
    threads_++;
  } catch (const std::system_error&) {
    // Out of threads: the job waits for one that is running already.
  }
}

void WorkPool::SetMax(size_t max) {
  std::lock_guard<std::mutex> lock(mu_);
  max_ = max < 1 ? 1 : max;
  while (queue_.size() > idle_ && threads_ < max_) Spawn();
  cv_.notify_all();  // surplus idle threads see the new limit and exit
}

PoolStats WorkPool::Stats() {
  std::lock_guard<std::mutex> lock(mu_);
  return PoolStats{max_, threads_, busy_, queue_.size()};
}

void WorkPool::Loop() {
  // SCHED_BATCH: a pool thread woken for a job does not preempt the thread
  // that woke it (the JS thread, in the middle of a turn of its event loop);
  // it runs on an idle core at once, or when the JS thread yields. Without
  // it, on a busy machine every submit cost the JS thread a context switch
  // and the job's run time. Same CPU share otherwise; needs no privilege.
  sched_param param{};
  pthread_setschedparam(pthread_self(), SCHED_BATCH, &param);
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    while (queue_.empty() && threads_ <= max_) {
      idle_++;
      bool expired = false;
      if (idleExitMs_ > 0) {
        expired = cv_.wait_for(lock, std::chrono::milliseconds(idleExitMs_)) == std::cv_status::timeout;
      } else {
        cv_.wait(lock);
      }
      idle_--;
      if (expired && queue_.empty()) {
        threads_--;
        return;
      }
    }
    if (threads_ > max_) {  // lowered by SetMax: the surplus leaves
      threads_--;
      return;
    }
    Task task = std::move(queue_.front());
    queue_.pop_front();
    busy_++;
    lock.unlock();
    task.job->Run();
    task.delivery->Post(task.job);
    task.delivery.reset();
    lock.lock();
    busy_--;
  }
}

// Leaked on purpose: threads blocked in a call may outlive every environment,
// and static destruction at exit must not tear the queue down under them.
WorkPool& LibvirtPool() {
  static WorkPool* pool = new WorkPool(8, 0);
  return *pool;
}

WorkPool& StoragePool() {
  static WorkPool* pool = new WorkPool(32, 10000);
  return *pool;
}

// ---------------------------------------------------------------------------

// The uv handle and what its callback needs; freed in the close callback.
struct Delivery::Handle {
  uv_async_t async;
  std::shared_ptr<Delivery> owner;  // keeps the Delivery alive while the handle is open
  napi_async_context context = nullptr;
  napi_ref resource = nullptr;
};

std::shared_ptr<Delivery> Delivery::Create(Napi::Env env) {
  std::shared_ptr<Delivery> d(new Delivery());
  uv_loop_t* loop = nullptr;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || loop == nullptr) {
    throw Napi::Error::New(env, "cannot reach the event loop of this environment");
  }
  auto* h = new Handle();
  if (uv_async_init(loop, &h->async, OnAsync) != 0) {
    delete h;
    throw Napi::Error::New(env, "cannot create the worker pool's async handle");
  }
  h->async.data = h;
  h->owner = d;
  // Completions run JS (promise settlements): give them an async context, so
  // they run in a callback scope and their continuations run right after.
  Napi::Object resource = Napi::Object::New(env);
  napi_create_reference(env, resource, 1, &h->resource);
  napi_async_init(env, resource, Napi::String::New(env, "virt-libvirt-pool"), &h->context);
  // Only jobs in flight keep the event loop alive (see Submit / Drain).
  uv_unref(reinterpret_cast<uv_handle_t*>(&h->async));
  d->handle_ = h;
  d->env_ = env;
  d->open_ = true;
  napi_add_env_cleanup_hook(env, Cleanup, d.get());
  return d;
}

void Delivery::Submit(Napi::Env env, WorkPool& pool, Job* job) {
  if (inflight_++ == 0 && handle_ != nullptr) uv_ref(reinterpret_cast<uv_handle_t*>(&handle_->async));
  pool.Submit(DeliveryOf(env), job);
}

void Delivery::Post(Job* job) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!open_) return;  // the environment is gone: drop the job (its JS handles died with it)
    wake = done_.empty();
    done_.push_back(job);
    // Counted under the lock: Cleanup waits for us before closing the handle.
    if (wake) senders_.fetch_add(1, std::memory_order_acq_rel);
  }
  if (wake) {
    // Outside the lock: lock-free, and the woken JS thread finds mu_ free.
    uv_async_send(&handle_->async);
    senders_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void Delivery::OnAsync(uv_async_t* async) {
  auto* h = static_cast<Handle*>(async->data);
  if (h->owner) h->owner->Drain();
}

void Delivery::Drain() {
  if (handle_ == nullptr) return;
  std::vector<Job*> jobs;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs.swap(done_);
  }
  if (jobs.empty()) return;
  napi_env env = env_;
  napi_handle_scope handles;
  napi_open_handle_scope(env, &handles);
  napi_value resource = nullptr;
  napi_get_reference_value(env, handle_->resource, &resource);
  napi_callback_scope scope = nullptr;
  // Closing the scope runs the microtasks the completions queued.
  napi_open_callback_scope(env, resource, handle_->context, &scope);
  for (Job* job : jobs) {
    try {
      job->Complete(Napi::Env(env));
    } catch (...) {
      // An environment being torn down cannot take the result; nothing to do.
    }
    delete job;
  }
  if (scope != nullptr) napi_close_callback_scope(env, scope);
  napi_close_handle_scope(env, handles);
  inflight_ = inflight_ > jobs.size() ? inflight_ - jobs.size() : 0;
  if (inflight_ == 0) uv_unref(reinterpret_cast<uv_handle_t*>(&handle_->async));
}

void Delivery::Cleanup(void* arg) {
  auto* self = static_cast<Delivery*>(arg);
  std::vector<Job*> dropped;
  {
    std::lock_guard<std::mutex> lock(self->mu_);
    self->open_ = false;  // no pool thread queues or signals after this
    dropped.swap(self->done_);
  }
  // A pool thread that passed the check may still be signalling: let it finish.
  while (self->senders_.load(std::memory_order_acquire) > 0) std::this_thread::yield();
  // Jobs finished but never delivered: their JS handles die with the
  // environment; leak the small objects rather than touch them here.
  (void)dropped;
  Handle* h = self->handle_;
  self->handle_ = nullptr;
  if (h == nullptr) return;
  napi_async_destroy(self->env_, h->context);
  napi_delete_reference(self->env_, h->resource);
  uv_close(reinterpret_cast<uv_handle_t*>(&h->async), [](uv_handle_t* handle) {
    delete static_cast<Handle*>(handle->data);
  });
}

std::shared_ptr<Delivery> DeliveryOf(Napi::Env env) {
  return env.GetInstanceData<AddonData>()->delivery;
}

// ---------------------------------------------------------------------------

PromiseJob::PromiseJob(Napi::Env env, ExecFn exec, ValueFn resolve, ValueFn reject)
    : deferred_(Napi::Promise::Deferred::New(env)),
      exec_(std::move(exec)),
      resolve_(std::move(resolve)),
      reject_(std::move(reject)) {}

Napi::Promise PromiseJob::Submit(Napi::Env env, WorkPool& pool, ExecFn exec, ValueFn resolve, ValueFn reject) {
  auto* job = new PromiseJob(env, std::move(exec), std::move(resolve), std::move(reject));
  Napi::Promise p = job->deferred_.Promise();
  DeliveryOf(env)->Submit(env, pool, job);
  return p;
}

void PromiseJob::Run() { ok_ = exec_(); }

void PromiseJob::Complete(Napi::Env env) {
  Napi::HandleScope scope(env);
  try {
    if (ok_) deferred_.Resolve(resolve_(env));
    else deferred_.Reject(reject_(env));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  }
}

}  // namespace virt
