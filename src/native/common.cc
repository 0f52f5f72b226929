#include "common.h"

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

LvWorker::LvWorker(Napi::Env env, ExecFn exec, ResolveFn resolve, ReleaseFn release)
    : Napi::AsyncWorker(env, "virt-libvirt"),
      deferred_(Napi::Promise::Deferred::New(env)),
      exec_(std::move(exec)),
      resolve_(std::move(resolve)),
      release_(std::move(release)) {}

Napi::Promise LvWorker::Queue(Napi::Env env, ExecFn exec, ResolveFn resolve, ReleaseFn release) {
  auto* w = new LvWorker(env, std::move(exec), std::move(resolve), std::move(release));
  Napi::Promise p = w->deferred_.Promise();
  w->Napi::AsyncWorker::Queue();
  return p;
}

void LvWorker::Execute() {
  if (!exec_()) {
    err_ = CaptureError("libvirt call failed");
    SetError(err_.message);
  }
  if (release_) release_();
}

void LvWorker::OnOK() {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  try {
    deferred_.Resolve(resolve_(env));
  } catch (const Napi::Error& e) {
    deferred_.Reject(e.Value());
  }
}

void LvWorker::OnError(const Napi::Error&) {
  Napi::Env env = Env();
  Napi::HandleScope scope(env);
  deferred_.Reject(MakeError(env, err_));
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
