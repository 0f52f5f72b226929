#include "pool.h"

#include <chrono>
#include <system_error>
#include <thread>

#include "common.h"

namespace virt {

WorkPool::WorkPool(size_t max, int idleExitMs) : max_(max < 1 ? 1 : max), idleExitMs_(idleExitMs) {}

void WorkPool::Submit(std::shared_ptr<Delivery> delivery, Job* job) {
  std::lock_guard<std::mutex> lock(mu_);
  queue_.push_back(Task{std::move(delivery), job});
  // More queued jobs than threads waiting for one: start another, up to max.
  if (queue_.size() > idle_ && threads_ < max_) Spawn();
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

std::shared_ptr<Delivery> Delivery::Create(Napi::Env env) {
  std::shared_ptr<Delivery> d(new Delivery());
  // The function owns one reference, dropped in Finalize.
  auto* hold = new std::shared_ptr<Delivery>(d);
  napi_value name;
  napi_create_string_utf8(env, "virt-libvirt-pool", NAPI_AUTO_LENGTH, &name);
  napi_status s = napi_create_threadsafe_function(env, nullptr, nullptr, name, 0, 1, hold, Finalize, hold, CallJs, &d->tsfn_);
  if (s != napi_ok) {
    delete hold;
    throw Napi::Error::New(env, "cannot create the worker pool's thread-safe function");
  }
  // Only jobs in flight keep the event loop alive (see Submit / CallJs).
  napi_unref_threadsafe_function(env, d->tsfn_);
  d->open_ = true;
  return d;
}

void Delivery::Submit(Napi::Env env, WorkPool& pool, Job* job) {
  if (inflight_++ == 0) napi_ref_threadsafe_function(env, tsfn_);
  pool.Submit(DeliveryOf(env), job);
}

void Delivery::Post(Job* job) {
  std::lock_guard<std::mutex> lock(mu_);
  if (open_ && napi_call_threadsafe_function(tsfn_, job, napi_tsfn_nonblocking) == napi_ok) return;
  // The environment is gone: the job's JS handles died with it. Leak the
  // small object rather than release handles of a dead environment here.
}

void Delivery::CallJs(napi_env env, napi_value, void* context, void* data) {
  // env == nullptr: the function is being deleted with jobs still queued, and
  // `context` may already be freed. Drop the job (see Post).
  if (env == nullptr || context == nullptr) return;
  auto* job = static_cast<Job*>(data);
  Delivery* self = static_cast<std::shared_ptr<Delivery>*>(context)->get();
  try {
    job->Complete(Napi::Env(env));
  } catch (...) {
    // An environment being torn down cannot take the result; nothing to do.
  }
  delete job;
  if (self->inflight_ > 0 && --self->inflight_ == 0) napi_unref_threadsafe_function(env, self->tsfn_);
}

void Delivery::Finalize(napi_env, void* data, void*) {
  auto* hold = static_cast<std::shared_ptr<Delivery>*>(data);
  {
    std::lock_guard<std::mutex> lock((*hold)->mu_);
    (*hold)->open_ = false;  // no pool thread touches the function after this
  }
  delete hold;
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
