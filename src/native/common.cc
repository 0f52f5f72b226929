#include "common.h"

#include "pool.h"

namespace virt {

LvError CaptureError(const char* fallback) {
  LvError out;
  virErrorPtr e = virGetLastError();
  if (e != nullptr) {
    out.code = e->code;
    out.domain = e->domain;
    out.level = e->level;
    out.int1 = e->int1;
    out.message = e->message != nullptr ? e->message : fallback;
  } else {
    out.code = VIR_ERR_INTERNAL_ERROR;
    out.message = fallback;
  }
  virResetLastError();
  return out;
}

Napi::Value MakeError(Napi::Env env, const LvError& err) {
  Napi::Error js = Napi::Error::New(env, err.message);
  Napi::Object obj = js.Value();
  obj.Set("name", Napi::String::New(env, "LibvirtError"));
  obj.Set("code", Napi::Number::New(env, err.code));
  obj.Set("domain", Napi::Number::New(env, err.domain));
  obj.Set("level", Napi::Number::New(env, err.level));
  obj.Set("int1", Napi::Number::New(env, err.int1));
  return obj;
}

Napi::Promise LvWorker::Queue(Napi::Env env, ExecFn exec, ResolveFn resolve, ReleaseFn release) {
  auto err = std::make_shared<LvError>();
  return PromiseJob::Submit(
      env, LibvirtPool(),
      [exec = std::move(exec), release = std::move(release), err]() {
        bool ok = exec();
        if (!ok) *err = CaptureError("libvirt call failed");
        if (release) release();
        return ok;
      },
      std::move(resolve), [err](Napi::Env env) { return MakeError(env, *err); });
}

std::string ArgString(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (info.Length() <= i || !info[i].IsString()) {
    throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a string");
  }
  return info[i].As<Napi::String>().Utf8Value();
}

unsigned int ArgFlags(const Napi::CallbackInfo& info, size_t i) {
  if (info.Length() <= i || info[i].IsUndefined()) return 0;
  if (!info[i].IsNumber()) throw Napi::TypeError::New(info.Env(), "flags must be a number");
  return info[i].As<Napi::Number>().Uint32Value();
}

Napi::Value Rejected(Napi::Env env, const std::string& message) {
  auto d = Napi::Promise::Deferred::New(env);
  LvError e;
  e.code = VIR_ERR_INVALID_CONN;
  e.message = message;
  d.Reject(MakeError(env, e));
  return d.Promise();
}

}  // namespace virt
