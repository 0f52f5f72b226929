// What the agent reports about a domain, read in ONE job on the libvirt pool:
// state, activity, persistence, managed-save image and XML (optionally after
// the lookup, or for every domain of a listing). Five separate calls are five
// thread hops and five completions on the JS thread; this is one of each.
// A failed step rejects with the libvirt error and `call` naming the libvirt
// function that failed, so src/libvirt/errors.ts translates it as if that
// call had been made alone.
#include "describe.h"

#include <cstdlib>
#include <vector>

#include "connect.h"
#include "domain.h"
#include "pool.h"

namespace virt {
namespace {

struct Facts {
  int state = 0;
  int reason = 0;
  int active = 0;
  int persistent = 0;
  int managedSave = 0;
  std::string xml;
  // describe.all(..., withInactive): the definition of a persistent domain too.
  bool hasInactive = false;
  std::string inactiveXml;
};

struct Failure {
  LvError error;
  const char* call = "";
};

struct XmlChoice {
  unsigned int flags = 0;
  // Add VIR_DOMAIN_XML_INACTIVE when the domain is persistent (its definition
  // rather than its live state: what Destroy keeps for the disks to remove).
  bool inactiveIfPersistent = false;
};

bool Fail(Failure& f, const char* call) {
  f.call = call;
  f.error = CaptureError("libvirt call failed");
  return false;
}

// Pool thread. Same calls, same order as the separate ones made.
bool ReadFacts(virDomainPtr d, XmlChoice xml, Facts& out, Failure& f) {
  if (virDomainGetState(d, &out.state, &out.reason, 0) < 0) return Fail(f, "virDomainGetState");
  if ((out.active = virDomainIsActive(d)) < 0) return Fail(f, "virDomainIsActive");
  if ((out.persistent = virDomainIsPersistent(d)) < 0) return Fail(f, "virDomainIsPersistent");
  if ((out.managedSave = virDomainHasManagedSaveImage(d, 0)) < 0) return Fail(f, "virDomainHasManagedSaveImage");
  unsigned int flags = xml.flags;
  if (xml.inactiveIfPersistent && out.persistent == 1) flags |= VIR_DOMAIN_XML_INACTIVE;
  char* x = virDomainGetXMLDesc(d, flags);
  if (x == nullptr) return Fail(f, "virDomainGetXMLDesc");
  out.xml = x;
  free(x);
  return true;
}

// Pool thread: the definition of a persistent domain ("" for a transient one).
bool ReadInactive(virDomainPtr d, XmlChoice xml, Facts& out, Failure& f) {
  out.hasInactive = true;
  if (out.persistent != 1) return true;
  char* x = virDomainGetXMLDesc(d, xml.flags | VIR_DOMAIN_XML_INACTIVE);
  if (x == nullptr) return Fail(f, "virDomainGetXMLDesc");
  out.inactiveXml = x;
  free(x);
  return true;
}

Napi::Object FactsObject(Napi::Env env, const Facts& f) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("state", f.state);
  o.Set("reason", f.reason);
  o.Set("active", f.active == 1);
  o.Set("persistent", f.persistent == 1);
  o.Set("managedSave", f.managedSave == 1);
  o.Set("xml", Napi::String::New(env, f.xml));
  if (f.hasInactive) o.Set("inactiveXml", Napi::String::New(env, f.inactiveXml));
  return o;
}

Napi::Value FailureValue(Napi::Env env, const Failure& f) {
  Napi::Object e = MakeError(env, f.error).As<Napi::Object>();
  e.Set("call", Napi::String::New(env, f.call));
  return e;
}

XmlChoice ArgXml(const Napi::CallbackInfo& info, size_t i) {
  XmlChoice x;
  x.flags = ArgFlags(info, i);
  x.inactiveIfPersistent = info.Length() > i + 1 && info[i + 1].ToBoolean().Value();
  return x;
}

template <typename T>
T* Unwrapped(const Napi::CallbackInfo& info, size_t i, Napi::FunctionReference& ctor, const char* what) {
  if (info.Length() <= i || !info[i].IsObject() || !info[i].As<Napi::Object>().InstanceOf(ctor.Value())) {
    throw Napi::TypeError::New(info.Env(), std::string(what) + " expected");
  }
  return Napi::ObjectWrap<T>::Unwrap(info[i].As<Napi::Object>());
}

// describe.domain(domain, xmlFlags, inactiveIfPersistent) -> Promise<facts>
Napi::Value DescribeDomain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* data = env.GetInstanceData<AddonData>();
  Domain* dom = Unwrapped<Domain>(info, 0, data->domainCtor, "Domain");
  XmlChoice xml = ArgXml(info, 1);
  virDomainPtr d = dom->Acquire();
  auto facts = std::make_shared<Facts>();
  auto failure = std::make_shared<Failure>();
  return PromiseJob::Submit(
      env, LibvirtPool(),
      [d, xml, facts, failure]() {
        bool ok = ReadFacts(d, xml, *facts, *failure);
        virDomainFree(d);
        return ok;
      },
      [facts](Napi::Env env) -> Napi::Value { return FactsObject(env, *facts); },
      [failure](Napi::Env env) { return FailureValue(env, *failure); });
}

// describe.lookup(connect, byUuid, key, xmlFlags, inactiveIfPersistent) -> Promise<{domain, facts}>
Napi::Value LookupDescribe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* data = env.GetInstanceData<AddonData>();
  Connect* conn = Unwrapped<Connect>(info, 0, data->connectCtor, "Connect");
  bool byUuid = info.Length() > 1 && info[1].ToBoolean().Value();
  std::string key = ArgString(info, 2, byUuid ? "uuid" : "name");
  XmlChoice xml = ArgXml(info, 3);
  virConnectPtr c = conn->Acquire();
  if (c == nullptr) return Rejected(env, "connection closed");
  auto dom = std::make_shared<virDomainPtr>(nullptr);
  auto facts = std::make_shared<Facts>();
  auto failure = std::make_shared<Failure>();
  return PromiseJob::Submit(
      env, LibvirtPool(),
      [c, byUuid, key, xml, dom, facts, failure]() {
        *dom = byUuid ? virDomainLookupByUUIDString(c, key.c_str()) : virDomainLookupByName(c, key.c_str());
        bool ok = *dom != nullptr ? ReadFacts(*dom, xml, *facts, *failure)
                                  : Fail(*failure, byUuid ? "virDomainLookupByUUIDString" : "virDomainLookupByName");
        if (!ok && *dom != nullptr) {
          virDomainFree(*dom);
          *dom = nullptr;
        }
        virConnectClose(c);
        return ok;
      },
      [dom, facts](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("domain", WrapDomain(env, *dom));  // takes over the reference
        o.Set("facts", FactsObject(env, *facts));
        return o;
      },
      [failure](Napi::Env env) { return FailureValue(env, *failure); });
}

struct Listed {
  virDomainPtr dom = nullptr;
  bool ok = false;
  Facts facts;
  Failure failure;
};

// describe.all(connect, listFlags, xmlFlags, withInactive) -> Promise<Array<{domain, facts} | {domain, error}>>
// A domain whose reads fail (undefined while listed) comes back with `error`.
// withInactive: facts.inactiveXml holds a persistent domain's definition
// (virDomainGetXMLDesc with VIR_DOMAIN_XML_INACTIVE added), "" for a transient one.
Napi::Value DescribeAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto* data = env.GetInstanceData<AddonData>();
  Connect* conn = Unwrapped<Connect>(info, 0, data->connectCtor, "Connect");
  unsigned int listFlags = ArgFlags(info, 1);
  XmlChoice xml;
  xml.flags = ArgFlags(info, 2);
  bool withInactive = info.Length() > 3 && info[3].ToBoolean().Value();
  virConnectPtr c = conn->Acquire();
  if (c == nullptr) return Rejected(env, "connection closed");
  auto list = std::make_shared<std::vector<Listed>>();
  auto failure = std::make_shared<Failure>();
  return PromiseJob::Submit(
      env, LibvirtPool(),
      [c, listFlags, xml, withInactive, list, failure]() {
        virDomainPtr* doms = nullptr;
        int n = virConnectListAllDomains(c, &doms, listFlags);
        bool ok = n >= 0 || Fail(*failure, "virConnectListAllDomains");
        if (ok) {
          list->resize(static_cast<size_t>(n));
          for (int i = 0; i < n; i++) {
            Listed& l = (*list)[static_cast<size_t>(i)];
            l.dom = doms[i];
            l.ok = ReadFacts(l.dom, xml, l.facts, l.failure);
            if (l.ok && withInactive) l.ok = ReadInactive(l.dom, xml, l.facts, l.failure);
          }
          free(doms);
        }
        virConnectClose(c);
        return ok;
      },
      [list](Napi::Env env) -> Napi::Value {
        Napi::Array arr = Napi::Array::New(env, list->size());
        for (size_t i = 0; i < list->size(); i++) {
          Listed& l = (*list)[i];
          Napi::Object o = Napi::Object::New(env);
          o.Set("domain", WrapDomain(env, l.dom));
          if (l.ok) o.Set("facts", FactsObject(env, l.facts));
          else o.Set("error", FailureValue(env, l.failure));
          arr.Set(static_cast<uint32_t>(i), o);
        }
        list->clear();
        return arr;
      },
      [failure](Napi::Env env) { return FailureValue(env, *failure); });
}

}  // namespace

Napi::Object DescribeExports(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("domain", Napi::Function::New(env, DescribeDomain, "domain"));
  o.Set("lookup", Napi::Function::New(env, LookupDescribe, "lookup"));
  o.Set("all", Napi::Function::New(env, DescribeAll, "all"));
  return o;
}

}  // namespace virt
