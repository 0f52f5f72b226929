{
  "targets": [
    {
      "target_name": "virt_libvirt",
      "sources": [
        "src/native/addon.cc",
        "src/native/common.cc",
        "src/native/event_loop.cc",
        "src/native/connect.cc",
        "src/native/domain.cc",
        "src/native/describe.cc",
        "src/native/pool.cc",
        "src/native/storage.cc",
        "src/native/lock.cc"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      # NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS: when a worker thread is terminated
      # with a call or event in flight, node-addon-api drops the error the dying
      # environment can no longer receive instead of aborting the process.
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter", "<!@(pkg-config --cflags libvirt)"],
      "libraries": ["<!@(pkg-config --libs libvirt)"]
    },
    {
      # sd_notify for both daemons, without libvirt (src/native/notify.cc).
      "target_name": "virt_notify",
      "sources": ["src/native/notify.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
