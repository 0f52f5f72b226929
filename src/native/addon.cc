// Entry point of the project-owned libvirt binding (see README: why not node-libvirt).
#include "common.h"
#include "connect.h"
#include "describe.h"
#include "domain.h"
#include "event_loop.h"
#include "pool.h"
#include "storage.h"

#include <dlfcn.h>

namespace virt {
namespace {

// libvirt prints every error to stderr by default; the agent reports them itself.
void QuietErrors(void*, virErrorPtr) {}

// libxml2 (libvirt's XML parser) prints parser warnings such as "I/O warning :
// failed to load external entity" (test:///missing.xml) through its generic
// error handler straight to stderr; libvirt reports the failure anyway. The
// handler is per thread: set it here and as the default for threads that
// first use libxml2 later (the binding's pools). Looked up at run time so the
// build needs no libxml2 headers; libvirt has already loaded the library.
void QuietXml(void*, const char*, ...) {}

void SilenceLibxml() {
  void* lib = dlopen("libxml2.so.2", RTLD_NOW | RTLD_NOLOAD);
  if (lib == nullptr) return;
  using SetFn = void (*)(void*, void (*)(void*, const char*, ...));
  for (const char* sym : {"xmlSetGenericErrorFunc", "xmlThrDefSetGenericErrorFunc"}) {
    auto fn = reinterpret_cast<SetFn>(dlsym(lib, sym));
    if (fn != nullptr) fn(nullptr, QuietXml);
  }
  dlclose(lib);
}

Napi::Value GetLibraryVersion(const Napi::CallbackInfo& info) {
  unsigned long v = 0;
  if (virGetVersion(&v, nullptr, nullptr) < 0) throw Napi::Error::New(info.Env(), "virGetVersion failed");
  return Napi::Number::New(info.Env(), static_cast<double>(v));
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  virSetErrorFunc(nullptr, QuietErrors);
  SilenceLibxml();
  if (virInitialize() < 0) throw Napi::Error::New(env, "virInitialize failed");
  if (!AcquireEventLoop(env)) throw Napi::Error::New(env, "cannot register libvirt's default event loop");

  auto* data = new AddonData();
  Napi::Function connect = Connect::Init(env);
  Napi::Function domain = Domain::Init(env);
  data->connectCtor = Napi::Persistent(connect);
  data->domainCtor = Napi::Persistent(domain);
  data->delivery = Delivery::Create(env);
  env.SetInstanceData<AddonData>(data);

  exports.Set("open", Napi::Function::New(env, Connect::Open, "open"));
  exports.Set("getLibraryVersion", Napi::Function::New(env, GetLibraryVersion, "getLibraryVersion"));
  exports.Set("Connect", connect);
  exports.Set("Domain", domain);
  exports.Set("libvirtPool", LibvirtPoolExports(env));
  exports.Set("storage", StorageExports(env));
  exports.Set("describe", DescribeExports(env));
  exports.Set("lockFile", Napi::Function::New(env, LockFile, "lockFile"));
  exports.Set("unlockFile", Napi::Function::New(env, UnlockFile, "unlockFile"));
  return exports;
}

}  // namespace virt

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return virt::Init(env, exports); }

NODE_API_MODULE(virt_libvirt, InitAddon)
