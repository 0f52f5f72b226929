#include "connect.h"

#include <vector>

#include "domain.h"

namespace virt {
namespace {

// One libvirt event, copied on the event-loop thread and handed to JS.
struct EventMsg {
  std::string kind;   // "lifecycle" | "deviceRemoved" | "deviceRemovalFailed" | "close"
  std::string name;
  std::string uuid;
  int id = -1;
  int event = 0;
  int detail = 0;
  std::string alias;
};

bool SetString(napi_env env, napi_value obj, const char* key, const std::string& v) {
  napi_value js;
  return napi_create_string_utf8(env, v.c_str(), v.size(), &js) == napi_ok &&
         napi_set_named_property(env, obj, key, js) == napi_ok;
}

bool SetInt(napi_env env, napi_value obj, const char* key, int v) {
  napi_value js;
  return napi_create_int32(env, v, &js) == napi_ok && napi_set_named_property(env, obj, key, js) == napi_ok;
}

// Runs on the JS thread. Plain C N-API on purpose, every failure ignored:
// while a worker thread is being terminated JS can no longer run, and
// node-addon-api would turn the failing calls into C++ exceptions that end in
// std::terminate or a fatal "Error::Error napi_define_properties" abort. An
// exception thrown by the handler stays pending; Node reports it as uncaught.
void CallJs(Napi::Env env, Napi::Function fn, EventMsg* msg) {
  std::unique_ptr<EventMsg> owned(msg);
  if (env == nullptr || fn == nullptr) return;
  napi_env e = env;
  napi_value o;
  if (napi_create_object(e, &o) != napi_ok || !SetString(e, o, "kind", msg->kind)) return;
  bool ok;
  if (msg->kind == "close") {
    ok = SetInt(e, o, "reason", msg->event);
  } else {
    ok = SetString(e, o, "name", msg->name) && SetString(e, o, "uuid", msg->uuid) && SetInt(e, o, "id", msg->id);
    if (ok && msg->kind == "lifecycle") {
      ok = SetInt(e, o, "event", msg->event) && SetInt(e, o, "detail", msg->detail);
    } else if (ok) {
      ok = SetString(e, o, "alias", msg->alias);
    }
  }
  if (!ok) return;
  napi_value recv;
  if (napi_get_undefined(e, &recv) != napi_ok) return;
  napi_call_function(e, recv, fn, 1, &o, nullptr);
}

void Post(void* opaque, EventMsg* msg) {
  auto* sink = static_cast<std::shared_ptr<EventSink>*>(opaque)->get();
  std::lock_guard<std::mutex> lock(sink->mu);
  if (!sink->open || sink->tsfn.NonBlockingCall(msg, CallJs) != napi_ok) delete msg;
}

EventMsg* FromDomain(const char* kind, virDomainPtr dom) {
  auto* m = new EventMsg();
  m->kind = kind;
  const char* name = virDomainGetName(dom);
  if (name != nullptr) m->name = name;
  char uuid[VIR_UUID_STRING_BUFLEN] = {0};
  if (virDomainGetUUIDString(dom, uuid) == 0) m->uuid = uuid;
  m->id = static_cast<int>(virDomainGetID(dom));
  return m;
}

int OnLifecycle(virConnectPtr, virDomainPtr dom, int event, int detail, void* opaque) {
  EventMsg* m = FromDomain("lifecycle", dom);
  m->event = event;
  m->detail = detail;
  Post(opaque, m);
  return 0;
}

void OnDeviceRemoved(virConnectPtr, virDomainPtr dom, const char* alias, void* opaque) {
  EventMsg* m = FromDomain("deviceRemoved", dom);
  if (alias != nullptr) m->alias = alias;
  Post(opaque, m);
}

void OnDeviceRemovalFailed(virConnectPtr, virDomainPtr dom, const char* alias, void* opaque) {
  EventMsg* m = FromDomain("deviceRemovalFailed", dom);
  if (alias != nullptr) m->alias = alias;
  Post(opaque, m);
}

void OnClose(virConnectPtr, int reason, void* opaque) {
  auto* m = new EventMsg();
  m->kind = "close";
  m->event = reason;
  Post(opaque, m);
}

void FreeOpaque(void* opaque) { delete static_cast<std::shared_ptr<EventSink>*>(opaque); }

}  // namespace

Napi::Function Connect::Init(Napi::Env env) {
  return DefineClass(env, "Connect", {
      InstanceMethod("close", &Connect::Close),
      InstanceMethod("isAlive", &Connect::IsAlive),
      InstanceMethod("setKeepAlive", &Connect::SetKeepAlive),
      InstanceMethod("setEventHandler", &Connect::SetEventHandler),
      InstanceMethod("registerDomainEvent", &Connect::RegisterDomainEvent),
      InstanceMethod("deregisterDomainEvent", &Connect::DeregisterDomainEvent),
      InstanceMethod("registerCloseCallback", &Connect::RegisterCloseCallback),
      InstanceMethod("getHostname", &Connect::GetHostname),
      InstanceMethod("getLibVersion", &Connect::GetLibVersion),
      InstanceMethod("getVersion", &Connect::GetVersion),
      InstanceMethod("getURI", &Connect::GetURI),
      InstanceMethod("lookupByName", &Connect::LookupByName),
      InstanceMethod("lookupByUUIDString", &Connect::LookupByUUIDString),
      InstanceMethod("defineXML", &Connect::DefineXML),
      InstanceMethod("createXML", &Connect::CreateXML),
      InstanceMethod("listAllDomains", &Connect::ListAllDomains),
  });
}

Connect::Connect(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Connect>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "Connect cannot be constructed from JS; use open()");
  }
  conn_ = info[0].As<Napi::External<virConnect>>().Data();
}

Connect::~Connect() {
  // Garbage collected without close(): drop our reference. Callbacks hold the
  // sink alive; mark it closed so none of them reaches a released function.
  if (sink_) {
    std::lock_guard<std::mutex> lock(sink_->mu);
    if (sink_->open) {
      sink_->open = false;
      sink_->tsfn.Release();
    }
  }
  if (conn_ != nullptr) {
    for (int id : callbacks_) virConnectDomainEventDeregisterAny(conn_, id);
    if (closeCallback_) virConnectUnregisterCloseCallback(conn_, OnClose);
    virConnectClose(conn_);
  }
}

Napi::Value Connect::Open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string uri = ArgString(info, 0, "uri");
  bool readonly = info.Length() > 1 && info[1].ToBoolean().Value();
  auto result = std::make_shared<virConnectPtr>(nullptr);
  return LvWorker::Queue(
      env,
      [uri, readonly, result]() {
        *result = readonly ? virConnectOpenReadOnly(uri.c_str()) : virConnectOpen(uri.c_str());
        return *result != nullptr;
      },
      [result](Napi::Env env) -> Napi::Value {
        auto* data = env.GetInstanceData<AddonData>();
        return data->connectCtor.New({Napi::External<virConnect>::New(env, *result)});
      });
}

virConnectPtr Connect::Acquire() {
  if (conn_ == nullptr) return nullptr;
  virConnectRef(conn_);
  return conn_;
}

Napi::Value Connect::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  virConnectPtr c = conn_;
  conn_ = nullptr;
  if (c == nullptr) return Rejected(env, "connection already closed");
  if (sink_) {
    std::lock_guard<std::mutex> lock(sink_->mu);
    sink_->open = false;
    sink_->tsfn.Release();
  }
  std::vector<int> ids(callbacks_.begin(), callbacks_.end());
  callbacks_.clear();
  bool closeCb = closeCallback_;
  closeCallback_ = false;
  auto rc = std::make_shared<int>(0);
  return LvWorker::Queue(
      env,
      [c, ids, closeCb, rc]() {
        for (int id : ids) virConnectDomainEventDeregisterAny(c, id);
        if (closeCb) virConnectUnregisterCloseCallback(c, OnClose);
        virResetLastError();
        *rc = virConnectClose(c);
        return *rc >= 0;
      },
      [rc](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *rc); });
}

Napi::Value Connect::IsAlive(const Napi::CallbackInfo& info) {
  // Only checks local state of the connection, so it does not block.
  return Napi::Boolean::New(info.Env(), conn_ != nullptr && virConnectIsAlive(conn_) == 1);
}

Napi::Value Connect::SetKeepAlive(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "interval and count must be numbers");
  }
  int interval = info[0].As<Napi::Number>().Int32Value();
  unsigned int count = info[1].As<Napi::Number>().Uint32Value();
  virConnectPtr c = Acquire();
  if (c == nullptr) return Rejected(env, "connection closed");
  auto rc = std::make_shared<int>(0);
  return LvWorker::Queue(
      env, [c, interval, count, rc]() { *rc = virConnectSetKeepAlive(c, interval, count); return *rc >= 0; },
      [rc](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *rc); },
      [c]() { virConnectClose(c); });
}

Napi::Value Connect::SetEventHandler(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsFunction()) throw Napi::TypeError::New(env, "handler must be a function");
  if (conn_ == nullptr) throw Napi::Error::New(env, "connection closed");
  if (sink_) throw Napi::Error::New(env, "event handler already set");
  sink_ = std::make_shared<EventSink>();
  // The function keeps the process alive until close(): a daemon waiting on
  // events must not exit, and a closed connection leaves no handle behind.
  // When the environment goes away first (a Worker terminated without
  // close()), it deletes the function: the finalizer closes the sink so the
  // event thread never posts to a freed function.
  auto* hold = new std::shared_ptr<EventSink>(sink_);
  sink_->tsfn = Napi::ThreadSafeFunction::New(
      env, info[0].As<Napi::Function>(), "virt-libvirt-events", 0, 1, hold,
      [](Napi::Env, std::shared_ptr<EventSink>* h) {
        {
          std::lock_guard<std::mutex> lock((*h)->mu);
          (*h)->open = false;
        }
        delete h;
      });
  return env.Undefined();
}

Napi::Value Connect::RegisterDomainEvent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "eventId must be a number");
  int eventId = info[0].As<Napi::Number>().Int32Value();
  virConnectDomainEventGenericCallback cb;
  switch (eventId) {
    case VIR_DOMAIN_EVENT_ID_LIFECYCLE: cb = VIR_DOMAIN_EVENT_CALLBACK(OnLifecycle); break;
    case VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED: cb = VIR_DOMAIN_EVENT_CALLBACK(OnDeviceRemoved); break;
    case VIR_DOMAIN_EVENT_ID_DEVICE_REMOVAL_FAILED:
      cb = VIR_DOMAIN_EVENT_CALLBACK(OnDeviceRemovalFailed);
      break;
    default: throw Napi::RangeError::New(env, "unsupported event id " + std::to_string(eventId));
  }
  if (!sink_) throw Napi::Error::New(env, "setEventHandler() must be called first");
  virConnectPtr c = Acquire();
  if (c == nullptr) return Rejected(env, "connection closed");
  auto* opaque = new std::shared_ptr<EventSink>(sink_);
  auto id = std::make_shared<int>(-1);
  // The resolver touches `this`: keep the JS object (and so this Connect)
  // from being collected while the call is in flight.
  auto self = std::make_shared<Napi::ObjectReference>(Napi::Persistent(info.This().As<Napi::Object>()));
  return LvWorker::Queue(
      env,
      [c, eventId, cb, opaque, id]() {
        *id = virConnectDomainEventRegisterAny(c, nullptr, eventId, cb, opaque, FreeOpaque);
        if (*id < 0) delete opaque;  // libvirt did not take ownership
        return *id >= 0;
      },
      [this, self, id](Napi::Env env) -> Napi::Value {
        callbacks_.insert(*id);
        return Napi::Number::New(env, *id);
      },
      [c]() { virConnectClose(c); });
}

Napi::Value Connect::DeregisterDomainEvent(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "callbackId must be a number");
  int id = info[0].As<Napi::Number>().Int32Value();
  virConnectPtr c = Acquire();
  if (c == nullptr) return Rejected(env, "connection closed");
  callbacks_.erase(id);
  return LvWorker::Queue(
      env, [c, id]() { return virConnectDomainEventDeregisterAny(c, id) >= 0; },
      [](Napi::Env env) -> Napi::Value { return env.Undefined(); },
      [c]() { virConnectClose(c); });
}

Napi::Value Connect::RegisterCloseCallback(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!sink_) throw Napi::Error::New(env, "setEventHandler() must be called first");
  if (closeCallback_) return Rejected(env, "close callback already registered");
  virConnectPtr c = Acquire();
  if (c == nullptr) return Rejected(env, "connection closed");
  auto* opaque = new std::shared_ptr<EventSink>(sink_);
  closeCallback_ = true;
  return LvWorker::Queue(
      env,
      [c, opaque]() {
        bool ok = virConnectRegisterCloseCallback(c, OnClose, opaque, FreeOpaque) >= 0;
        if (!ok) delete opaque;
        return ok;
      },
      [](Napi::Env env) -> Napi::Value { return env.Undefined(); },
      [c]() { virConnectClose(c); });
}

Napi::Value Connect::StringCall(const Napi::CallbackInfo& info, char* (*fn)(virConnectPtr)) {
  Napi::Env env = info.Env();
  virConnectPtr c = Acquire();
  if (c == nullptr) return Rejected(env, "connection closed");
  auto out = std::make_shared<std::string>();
  return LvWorker::Queue(
      env,
      [c, out, fn]() {
        char* str = fn(c);  // libvirt allocates; we free
        if (str == nullptr) return false;
        *out = str;
        free(str);
        return true;
      },
      [out](Napi::Env env) -> Napi::Value { return Napi::String::New(env, *out); },
      [c]() { virConnectClose(c); });
}

Napi::Value Connect::VersionCall(const Napi::CallbackInfo& info, int (*fn)(virConnectPtr, unsigned long*)) {
  Napi::Env env = info.Env();
  virConnectPtr c = Acquire();
  if (c == nullptr) return Rejected(env, "connection closed");
  auto v = std::make_shared<unsigned long>(0);
  return LvWorker::Queue(
      env, [c, v, fn]() { return fn(c, v.get()) >= 0; },
      [v](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, static_cast<double>(*v)); },
      [c]() { virConnectClose(c); });
}

Napi::Value Connect::GetHostname(const Napi::CallbackInfo& info) { return StringCall(info, virConnectGetHostname); }

Napi::Value Connect::GetURI(const Napi::CallbackInfo& info) { return StringCall(info, virConnectGetURI); }

Napi::Value Connect::GetLibVersion(const Napi::CallbackInfo& info) { return VersionCall(info, virConnectGetLibVersion); }

Napi::Value Connect::GetVersion(const Napi::CallbackInfo& info) { return VersionCall(info, virConnectGetVersion); }

Napi::Value Connect::DomainCall(const Napi::CallbackInfo& info,
                                std::function<virDomainPtr(virConnectPtr)> fn) {
  Napi::Env env = info.Env();
  virConnectPtr c = Acquire();
  if (c == nullptr) return Rejected(env, "connection closed");
  auto dom = std::make_shared<virDomainPtr>(nullptr);
  return LvWorker::Queue(
      env, [c, dom, fn]() { *dom = fn(c); return *dom != nullptr; },
      [dom](Napi::Env env) -> Napi::Value { return WrapDomain(env, *dom); },
      [c]() { virConnectClose(c); });
}

Napi::Value Connect::LookupByName(const Napi::CallbackInfo& info) {
  std::string name = ArgString(info, 0, "name");
  return DomainCall(info, [name](virConnectPtr c) { return virDomainLookupByName(c, name.c_str()); });
}

Napi::Value Connect::LookupByUUIDString(const Napi::CallbackInfo& info) {
  std::string uuid = ArgString(info, 0, "uuid");
  return DomainCall(info, [uuid](virConnectPtr c) { return virDomainLookupByUUIDString(c, uuid.c_str()); });
}

Napi::Value Connect::DefineXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, 0, "xml");
  unsigned int flags = ArgFlags(info, 1);
  return DomainCall(info, [xml, flags](virConnectPtr c) { return virDomainDefineXMLFlags(c, xml.c_str(), flags); });
}

Napi::Value Connect::CreateXML(const Napi::CallbackInfo& info) {
  std::string xml = ArgString(info, 0, "xml");
  unsigned int flags = ArgFlags(info, 1);
  return DomainCall(info, [xml, flags](virConnectPtr c) { return virDomainCreateXML(c, xml.c_str(), flags); });
}

Napi::Value Connect::ListAllDomains(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  unsigned int flags = ArgFlags(info, 0);
  virConnectPtr c = Acquire();
  if (c == nullptr) return Rejected(env, "connection closed");
  auto list = std::make_shared<std::vector<virDomainPtr>>();
  return LvWorker::Queue(
      env,
      [c, flags, list]() {
        virDomainPtr* doms = nullptr;
        int n = virConnectListAllDomains(c, &doms, flags);
        if (n < 0) return false;
        list->assign(doms, doms + n);
        free(doms);
        return true;
      },
      [list](Napi::Env env) -> Napi::Value {
        Napi::Array arr = Napi::Array::New(env, list->size());
        for (size_t i = 0; i < list->size(); i++) arr.Set(static_cast<uint32_t>(i), WrapDomain(env, (*list)[i]));
        list->clear();
        return arr;
      },
      [c]() { virConnectClose(c); });
}

}  // namespace virt
