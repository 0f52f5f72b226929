// libvirt's default event loop on a dedicated thread. Keepalive, the close
// callback and domain events all need a running loop; libuv must never be
// touched from it (events reach JS through a ThreadSafeFunction).
#include "event_loop.h"

#include <libvirt/libvirt.h>

#include <atomic>
#include <mutex>
#include <thread>

namespace virt {
namespace {

std::mutex g_mu;
int g_users = 0;          // environments (main thread + workers) using the loop
bool g_registered = false;
std::atomic<bool> g_stop{false};
// A pointer, never a static std::thread: exit() (process.exit(), an uncaught
// exception) skips env cleanup, and destroying a still-joinable std::thread
// at static destruction calls std::terminate (abort, exit code 134).
std::thread* g_thread = nullptr;

void Noop(int, void*) {}

void RunLoop() {
  while (!g_stop.load()) {
    if (virEventRunDefaultImpl() < 0) break;
  }
}

void ReleaseLoop(void*) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (--g_users > 0) return;
  g_stop = true;
  // A timer firing at once wakes the poll() the loop thread is blocked in.
  int timer = virEventAddTimeout(0, Noop, nullptr, nullptr);
  if (g_thread != nullptr) {
    g_thread->join();
    delete g_thread;
    g_thread = nullptr;
  }
  if (timer >= 0) virEventRemoveTimeout(timer);
}

}  // namespace

bool AcquireEventLoop(napi_env env) {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_registered) {
    // Must happen before any connection is opened.
    if (virEventRegisterDefaultImpl() < 0) return false;
    g_registered = true;
  }
  if (g_users++ == 0) {
    g_stop = false;
    g_thread = new std::thread(RunLoop);
  }
  napi_add_env_cleanup_hook(env, ReleaseLoop, nullptr);
  return true;
}

}  // namespace virt
