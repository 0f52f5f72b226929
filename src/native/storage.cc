// File-system calls on instance and volume storage, on the storage pool
// (pool.h), never on libuv's. A call into a dead NFS server or a FUSE daemon
// that never answers blocks its thread in the kernel, possibly for ever; the
// JS side (src/agent/storage-io.ts) stops waiting at its deadline and counts
// the thread as lost until the call returns. The pool grows up to its limit,
// so a few stuck threads never hold up calls on healthy storage, and threads
// that are idle for a while exit again.
#include "storage.h"

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "pool.h"

namespace virt {
namespace {

struct SysError {
  int err = 0;
  std::string syscall;
  std::string path;
};

// Rejects with the errno text and errno (negative, as Node's fs), syscall,
// path; storage-io.ts turns that into a StorageError with Node's `code`.
Napi::Value MakeSysError(Napi::Env env, const SysError& e) {
  Napi::Error js = Napi::Error::New(env, strerror(e.err));
  Napi::Object o = js.Value();
  o.Set("errno", Napi::Number::New(env, -e.err));
  o.Set("syscall", Napi::String::New(env, e.syscall));
  o.Set("path", Napi::String::New(env, e.path));
  return o;
}

using Exec = std::function<bool(SysError&)>;

Napi::Value Submit(Napi::Env env, Exec exec, PromiseJob::ValueFn resolve) {
  auto err = std::make_shared<SysError>();
  return PromiseJob::Submit(
      env, StoragePool(), [exec = std::move(exec), err]() { return exec(*err); }, std::move(resolve),
      [err](Napi::Env env) { return MakeSysError(env, *err); });
}

bool Fail(SysError& e, const char* syscall, const std::string& path) {
  e.err = errno;
  e.syscall = syscall;
  e.path = path;
  return false;
}

Napi::Value Stat(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  auto st = std::make_shared<struct stat>();
  return Submit(
      info.Env(), [path, st](SysError& e) { return stat(path.c_str(), st.get()) == 0 || Fail(e, "stat", path); },
      [st](Napi::Env env) -> Napi::Value {
        Napi::Object o = Napi::Object::New(env);
        o.Set("dev", static_cast<double>(st->st_dev));
        o.Set("ino", static_cast<double>(st->st_ino));
        o.Set("mode", static_cast<double>(st->st_mode));
        o.Set("size", static_cast<double>(st->st_size));
        o.Set("mtimeMs", static_cast<double>(st->st_mtim.tv_sec) * 1000 + st->st_mtim.tv_nsec / 1e6);
        o.Set("isFile", S_ISREG(st->st_mode));
        o.Set("isDirectory", S_ISDIR(st->st_mode));
        o.Set("isBlockDevice", S_ISBLK(st->st_mode));
        return o;
      });
}

Napi::Value Realpath(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  auto out = std::make_shared<std::string>();
  return Submit(
      info.Env(),
      [path, out](SysError& e) {
        char* r = realpath(path.c_str(), nullptr);
        if (r == nullptr) return Fail(e, "realpath", path);
        *out = r;
        free(r);
        return true;
      },
      [out](Napi::Env env) -> Napi::Value { return Napi::String::New(env, *out); });
}

// realpath of each path in one job: an ownership scan resolves every disk of
// every domain on the host, and one pool hop per path cost more than the
// calls. Never rejects for one path: each result is the resolved path or the
// errno (negative, as Node's fs) of that path's failure.
Napi::Value RealpathMany(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsArray()) throw Napi::TypeError::New(env, "paths must be an array of strings");
  Napi::Array arr = info[0].As<Napi::Array>();
  auto paths = std::make_shared<std::vector<std::string>>();
  paths->reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsString()) throw Napi::TypeError::New(env, "paths must be an array of strings");
    paths->push_back(v.As<Napi::String>().Utf8Value());
  }
  auto out = std::make_shared<std::vector<std::string>>(paths->size());
  auto errs = std::make_shared<std::vector<int>>(paths->size(), 0);
  return Submit(
      env,
      [paths, out, errs](SysError&) {
        for (size_t i = 0; i < paths->size(); i++) {
          char* r = realpath((*paths)[i].c_str(), nullptr);
          if (r == nullptr) {
            (*errs)[i] = errno;
            continue;
          }
          (*out)[i] = r;
          free(r);
        }
        return true;
      },
      [out, errs](Napi::Env env) -> Napi::Value {
        Napi::Array res = Napi::Array::New(env, out->size());
        for (size_t i = 0; i < out->size(); i++) {
          if ((*errs)[i] != 0) res.Set(static_cast<uint32_t>(i), Napi::Number::New(env, -(*errs)[i]));
          else res.Set(static_cast<uint32_t>(i), Napi::String::New(env, (*out)[i]));
        }
        return res;
      });
}

Napi::Value Unlink(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  return Submit(
      info.Env(), [path](SysError& e) { return unlink(path.c_str()) == 0 || Fail(e, "unlink", path); },
      [](Napi::Env env) -> Napi::Value { return env.Undefined(); });
}

Napi::Value Rmdir(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  return Submit(
      info.Env(), [path](SysError& e) { return rmdir(path.c_str()) == 0 || Fail(e, "rmdir", path); },
      [](Napi::Env env) -> Napi::Value { return env.Undefined(); });
}

Napi::Value Readlink(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  auto out = std::make_shared<std::string>();
  return Submit(
      info.Env(),
      [path, out](SysError& e) {
        char buf[PATH_MAX];
        ssize_t n = readlink(path.c_str(), buf, sizeof buf);
        if (n < 0) return Fail(e, "readlink", path);
        out->assign(buf, static_cast<size_t>(n));
        return true;
      },
      [out](Napi::Env env) -> Napi::Value { return Napi::String::New(env, *out); });
}

// mkdir -p: each missing component with `mode`; an existing directory is fine.
Napi::Value Mkdir(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "mode must be a number");
  mode_t mode = static_cast<mode_t>(info[1].As<Napi::Number>().Uint32Value());
  return Submit(
      info.Env(),
      [path, mode](SysError& e) {
        for (size_t i = 1; i <= path.size(); i++) {
          if (i < path.size() && path[i] != '/') continue;
          std::string part = path.substr(0, i);
          if (mkdir(part.c_str(), mode) == 0 || errno == EEXIST) continue;
          return Fail(e, "mkdir", part);
        }
        struct stat st;
        if (stat(path.c_str(), &st) != 0) return Fail(e, "stat", path);
        if (!S_ISDIR(st.st_mode)) {
          errno = ENOTDIR;
          return Fail(e, "mkdir", path);
        }
        return true;
      },
      [](Napi::Env env) -> Napi::Value { return env.Undefined(); });
}

// nftw has no user pointer: the walk state of the calling pool thread.
thread_local SysError* t_walkError = nullptr;
thread_local double t_removed = 0;

int RemoveEntry(const char* path, const struct stat*, int type, struct FTW*) {
  int rc = (type == FTW_DP || type == FTW_D) ? rmdir(path) : unlink(path);
  if (rc != 0 && errno != ENOENT) {
    Fail(*t_walkError, (type == FTW_DP || type == FTW_D) ? "rmdir" : "unlink", path);
    return 1;
  }
  if (rc == 0) t_removed++;
  return 0;
}

// rm -r: depth first, never following symlinks (FTW_PHYS) nor entering
// another file system mounted below (FTW_MOUNT).
Napi::Value RmTree(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  auto removed = std::make_shared<double>(0);
  return Submit(
      info.Env(),
      [path, removed](SysError& e) {
        struct stat st;
        if (lstat(path.c_str(), &st) != 0) return Fail(e, "lstat", path);
        t_walkError = &e;
        t_removed = 0;
        int rc = nftw(path.c_str(), RemoveEntry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
        *removed = t_removed;
        t_walkError = nullptr;
        if (rc == -1) return Fail(e, "nftw", path);
        return rc == 0;
      },
      [removed](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, *removed); });
}

Napi::Value Readdir(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  auto names = std::make_shared<std::vector<std::string>>();
  return Submit(
      info.Env(),
      [path, names](SysError& e) {
        DIR* d = opendir(path.c_str());
        if (d == nullptr) return Fail(e, "opendir", path);
        errno = 0;
        while (struct dirent* ent = readdir(d)) {
          if (strcmp(ent->d_name, ".") != 0 && strcmp(ent->d_name, "..") != 0) names->emplace_back(ent->d_name);
        }
        bool ok = errno == 0 || Fail(e, "readdir", path);
        closedir(d);
        return ok;
      },
      [names](Napi::Env env) -> Napi::Value {
        Napi::Array arr = Napi::Array::New(env, names->size());
        for (size_t i = 0; i < names->size(); i++) arr.Set(static_cast<uint32_t>(i), (*names)[i]);
        return arr;
      });
}

// Small files only (sysfs attributes, /proc/self/mountinfo): at most maxBytes.
Napi::Value ReadFile(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  if (!info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "maxBytes must be a number");
  size_t max = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
  auto out = std::make_shared<std::string>();
  return Submit(
      info.Env(),
      [path, max, out](SysError& e) {
        int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return Fail(e, "open", path);
        char buf[65536];
        for (;;) {
          ssize_t n = read(fd, buf, sizeof buf);
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) {
            Fail(e, "read", path);
            close(fd);
            return false;
          }
          if (n == 0) break;
          if (out->size() + static_cast<size_t>(n) > max) {
            errno = EFBIG;
            Fail(e, "read", path);
            close(fd);
            return false;
          }
          out->append(buf, static_cast<size_t>(n));
        }
        close(fd);
        return true;
      },
      [out](Napi::Env env) -> Napi::Value { return Napi::String::New(env, *out); });
}

// Writes to an existing file (a sysfs attribute); never creates one.
Napi::Value WriteFile(const Napi::CallbackInfo& info) {
  std::string path = ArgString(info, 0, "path");
  std::string data = ArgString(info, 1, "data");
  return Submit(
      info.Env(),
      [path, data](SysError& e) {
        int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) return Fail(e, "open", path);
        size_t off = 0;
        while (off < data.size()) {
          ssize_t n = write(fd, data.data() + off, data.size() - off);
          if (n < 0 && errno == EINTR) continue;
          if (n < 0) {
            Fail(e, "write", path);
            close(fd);
            return false;
          }
          off += static_cast<size_t>(n);
        }
        if (close(fd) != 0) return Fail(e, "close", path);
        return true;
      },
      [](Napi::Env env) -> Napi::Value { return env.Undefined(); });
}

Napi::Value PoolStatsObject(Napi::Env env, WorkPool& pool) {
  PoolStats s = pool.Stats();
  Napi::Object o = Napi::Object::New(env);
  o.Set("max", static_cast<double>(s.max));
  o.Set("threads", static_cast<double>(s.threads));
  o.Set("busy", static_cast<double>(s.busy));
  o.Set("queued", static_cast<double>(s.queued));
  return o;
}

size_t ArgCount(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "threads must be a number");
  int64_t n = info[0].As<Napi::Number>().Int64Value();
  if (n < 1 || n > 1024) throw Napi::RangeError::New(info.Env(), "threads must be 1-1024");
  return static_cast<size_t>(n);
}

}  // namespace

Napi::Object StorageExports(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("stat", Napi::Function::New(env, Stat, "stat"));
  o.Set("realpath", Napi::Function::New(env, Realpath, "realpath"));
  o.Set("realpathMany", Napi::Function::New(env, RealpathMany, "realpathMany"));
  o.Set("unlink", Napi::Function::New(env, Unlink, "unlink"));
  o.Set("rmdir", Napi::Function::New(env, Rmdir, "rmdir"));
  o.Set("rmTree", Napi::Function::New(env, RmTree, "rmTree"));
  o.Set("readdir", Napi::Function::New(env, Readdir, "readdir"));
  o.Set("readlink", Napi::Function::New(env, Readlink, "readlink"));
  o.Set("mkdir", Napi::Function::New(env, Mkdir, "mkdir"));
  o.Set("readFile", Napi::Function::New(env, ReadFile, "readFile"));
  o.Set("writeFile", Napi::Function::New(env, WriteFile, "writeFile"));
  o.Set("setMaxThreads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    StoragePool().SetMax(ArgCount(info));
    return info.Env().Undefined();
  }, "setMaxThreads"));
  o.Set("stats", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return PoolStatsObject(info.Env(), StoragePool());
  }, "stats"));
  return o;
}

Napi::Object LibvirtPoolExports(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("setMaxThreads", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    LibvirtPool().SetMax(ArgCount(info));
    return info.Env().Undefined();
  }, "setMaxThreads"));
  o.Set("stats", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value {
    return PoolStatsObject(info.Env(), LibvirtPool());
  }, "stats"));
  return o;
}

}  // namespace virt
