// cni_sys.node: the libc calls of @cni/ns and @cni/netlink as a Node-API addon, for the plugin
// bundle in dist/cni/bin. Each function takes and returns what libc's does (-1 and errno on
// failure; errno() reads the errno of the last call), so the TypeScript callers treat it and
// koffi alike. It exists for start-up time only: loading it costs ~0.1 ms, loading koffi and
// declaring the same functions ~3 ms, and every plugin process that touches a namespace pays it.
// koffi stays the fallback wherever this file was not built.
//
// Self-contained on purpose: the Node-API declarations it uses are below (Node-API is a stable
// C ABI), so building it needs a C compiler and nothing from Node.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

// ---- Node-API (js_native_api.h / node_api.h), the subset used here ----
typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status; // napi_ok is 0
typedef napi_value (*napi_callback)(napi_env env, napi_callback_info info);
typedef enum {
  napi_undefined,
  napi_null,
  napi_boolean,
  napi_number,
  napi_string,
  napi_symbol,
  napi_object,
  napi_function,
  napi_external,
  napi_bigint,
} napi_valuetype;
#define NAPI_AUTO_LENGTH SIZE_MAX
extern napi_status napi_get_cb_info(napi_env, napi_callback_info, size_t *, napi_value *, napi_value *, void **);
extern napi_status napi_typeof(napi_env, napi_value, napi_valuetype *);
extern napi_status napi_get_value_int32(napi_env, napi_value, int32_t *);
extern napi_status napi_get_value_int64(napi_env, napi_value, int64_t *);
extern napi_status napi_get_value_uint32(napi_env, napi_value, uint32_t *);
extern napi_status napi_get_value_string_utf8(napi_env, napi_value, char *, size_t, size_t *);
extern napi_status napi_create_int32(napi_env, int32_t, napi_value *);
extern napi_status napi_create_int64(napi_env, int64_t, napi_value *);
extern napi_status napi_create_uint32(napi_env, uint32_t, napi_value *);
extern napi_status napi_create_function(napi_env, const char *, size_t, napi_callback, void *, napi_value *);
extern napi_status napi_set_named_property(napi_env, napi_value, const char *, napi_value);
extern napi_status napi_is_typedarray(napi_env, napi_value, _Bool *);
extern napi_status napi_get_typedarray_info(napi_env, napi_value, int *, size_t *, void **, napi_value *, size_t *);
extern napi_status napi_get_element(napi_env, napi_value, uint32_t, napi_value *);
extern napi_status napi_set_element(napi_env, napi_value, uint32_t, napi_value);
extern napi_status napi_get_array_length(napi_env, napi_value, uint32_t *);
extern napi_status napi_throw_type_error(napi_env, const char *, const char *);
extern napi_status napi_get_null(napi_env, napi_value *);
typedef void (*napi_finalize)(napi_env env, void *data, void *hint);
extern napi_status napi_create_external_buffer(napi_env, size_t, void *, napi_finalize, void *, napi_value *);
// Node >= 20.4 (experimental there, stable in 22): weak, so that the addon loads without it.
extern napi_status node_api_create_external_string_latin1(napi_env, char *, size_t, napi_finalize, void *,
                                                          napi_value *, _Bool *) __attribute__((weak));

static int last_errno;

#define MAX_ARGS 6
#define ARGS(n)                                                                                    \
  size_t argc = (n);                                                                               \
  napi_value argv[MAX_ARGS];                                                                       \
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < (n))                     \
    return type_error(env, "missing arguments");

static napi_value type_error(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static int get_int(napi_env env, napi_value v, int32_t *out) { return napi_get_value_int32(env, v, out) == 0; }

// The first n arguments, all int32.
static int get_ints(napi_env env, napi_value *argv, size_t n, int32_t *out) {
  for (size_t i = 0; i < n; i++)
    if (!get_int(env, argv[i], &out[i])) return 0;
  return 1;
}

static int get_i64(napi_env env, napi_value v, int64_t *out) { return napi_get_value_int64(env, v, out) == 0; }

// A Buffer/TypedArray (its bytes), or null/undefined (NULL).
static int get_ptr(napi_env env, napi_value v, void **ptr, size_t *len) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != 0) return 0;
  if (t == napi_null || t == napi_undefined) {
    *ptr = NULL;
    if (len) *len = 0;
    return 1;
  }
  _Bool is = 0;
  if (napi_is_typedarray(env, v, &is) != 0 || !is) return 0;
  int type;
  size_t n;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &type, &n, ptr, &ab, &off) != 0) return 0;
  // element size of the typed array: Buffers and Uint8Arrays are what the callers pass
  static const size_t sizes[] = {1, 1, 1, 2, 2, 4, 4, 4, 8, 8, 8};
  if (len) *len = n * (type >= 0 && type < 11 ? sizes[type] : 1);
  return 1;
}

// A string (malloc'd, NUL-terminated) or null/undefined (NULL). Returns 0 on a type error.
static int get_str(napi_env env, napi_value v, char **out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != 0) return 0;
  if (t == napi_null || t == napi_undefined) {
    *out = NULL;
    return 1;
  }
  if (t != napi_string) return 0;
  size_t n;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &n) != 0) return 0;
  char *s = malloc(n + 1);
  if (!s) return 0;
  if (napi_get_value_string_utf8(env, v, s, n + 1, &n) != 0) {
    free(s);
    return 0;
  }
  *out = s;
  return 1;
}

static napi_value ret_int(napi_env env, int64_t rc) {
  if (rc < 0) last_errno = errno;
  napi_value out;
  napi_create_int64(env, rc, &out);
  return out;
}

static napi_value js_errno(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value out;
  napi_create_int32(env, last_errno, &out);
  return out;
}

static napi_value js_socket(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t a[3];
  if (!get_ints(env, argv, 3, a)) return type_error(env, "socket(domain, type, protocol)");
  return ret_int(env, socket(a[0], a[1], a[2]));
}

static napi_value js_bind(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd, len;
  void *p;
  size_t n;
  if (!get_int(env, argv[0], &fd) || !get_ptr(env, argv[1], &p, &n) || !get_int(env, argv[2], &len) ||
      len < 0 || (size_t)len > n)
    return type_error(env, "bind(fd, addr, len)");
  return ret_int(env, bind(fd, p, (socklen_t)len));
}

static napi_value js_setsockopt(napi_env env, napi_callback_info info) {
  ARGS(5);
  int32_t fd, level, name, len;
  void *p;
  size_t n;
  if (!get_int(env, argv[0], &fd) || !get_int(env, argv[1], &level) || !get_int(env, argv[2], &name) ||
      !get_ptr(env, argv[3], &p, &n) || !get_int(env, argv[4], &len) || len < 0 || (size_t)len > n)
    return type_error(env, "setsockopt(fd, level, name, value, len)");
  return ret_int(env, setsockopt(fd, level, name, p, (socklen_t)len));
}

// getsockname(fd, addr, [len]): len is in/out through the array's first element, as koffi's
// _Inout_ pointer.
static napi_value js_getsockname(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd;
  void *p;
  size_t n;
  napi_value lv;
  uint32_t len;
  if (!get_int(env, argv[0], &fd) || !get_ptr(env, argv[1], &p, &n) || napi_get_element(env, argv[2], 0, &lv) != 0 ||
      napi_get_value_uint32(env, lv, &len) != 0 || len > n)
    return type_error(env, "getsockname(fd, addr, [len])");
  socklen_t sl = len;
  int rc = getsockname(fd, p, &sl);
  if (rc == 0) {
    napi_create_uint32(env, sl, &lv);
    napi_set_element(env, argv[2], 0, lv);
  }
  return ret_int(env, rc);
}

// send(fd, buf, len, flags) and recv(fd, buf, len, flags): the same arguments.
static napi_value send_or_recv(napi_env env, napi_callback_info info, int is_send) {
  ARGS(4);
  int32_t fd, flags;
  int64_t len;
  void *p;
  size_t n;
  if (!get_int(env, argv[0], &fd) || !get_ptr(env, argv[1], &p, &n) || !get_i64(env, argv[2], &len) ||
      !get_int(env, argv[3], &flags) || len < 0 || (size_t)len > n)
    return type_error(env, is_send ? "send(fd, buf, len, flags)" : "recv(fd, buf, len, flags)");
  return ret_int(env, is_send ? send(fd, p, (size_t)len, flags) : recv(fd, p, (size_t)len, flags));
}

static napi_value js_send(napi_env env, napi_callback_info info) { return send_or_recv(env, info, 1); }

static napi_value js_recv(napi_env env, napi_callback_info info) { return send_or_recv(env, info, 0); }

static napi_value js_close(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t fd;
  if (!get_int(env, argv[0], &fd)) return type_error(env, "close(fd)");
  return ret_int(env, close(fd));
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  ARGS(3);
  char *path;
  int32_t flags, mode;
  if (!get_int(env, argv[1], &flags) || !get_int(env, argv[2], &mode) || !get_str(env, argv[0], &path) || !path)
    return type_error(env, "open(path, flags, mode)");
  napi_value out = ret_int(env, open(path, flags, (mode_t)mode)); // errno kept before free
  free(path);
  return out;
}

// ioctl(fd, request, buffer)
static napi_value js_ioctl(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd;
  int64_t req;
  void *p;
  if (!get_int(env, argv[0], &fd) || !get_i64(env, argv[1], &req) || !get_ptr(env, argv[2], &p, NULL))
    return type_error(env, "ioctl(fd, request, buffer)");
  return ret_int(env, ioctl(fd, (unsigned long)req, p));
}

// ioctl(fd, request, integer)
static napi_value js_ioctl_int(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t fd;
  int64_t req, arg;
  if (!get_int(env, argv[0], &fd) || !get_i64(env, argv[1], &req) || !get_i64(env, argv[2], &arg))
    return type_error(env, "ioctlInt(fd, request, value)");
  return ret_int(env, ioctl(fd, (unsigned long)req, (unsigned long)arg));
}

static napi_value js_setns(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t a[2];
  if (!get_ints(env, argv, 2, a)) return type_error(env, "setns(fd, nstype)");
  return ret_int(env, setns(a[0], a[1]));
}

static napi_value js_unshare(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t flags;
  if (!get_int(env, argv[0], &flags)) return type_error(env, "unshare(flags)");
  return ret_int(env, unshare(flags));
}

// mount(source, target, fstype, flags, data): source, fstype and data may be null; data, when
// given, is a string.
static napi_value js_mount(napi_env env, napi_callback_info info) {
  ARGS(5);
  char *src = NULL, *target = NULL, *fstype = NULL, *data = NULL;
  int64_t flags;
  napi_value rv;
  if (!get_i64(env, argv[3], &flags) || !get_str(env, argv[0], &src)) return type_error(env, "mount(source, ...)");
  if (!get_str(env, argv[1], &target) || !target || !get_str(env, argv[2], &fstype) || !get_str(env, argv[4], &data)) {
    free(src);
    free(target);
    free(fstype);
    return type_error(env, "mount(source, target, fstype, flags, data)");
  }
  rv = ret_int(env, mount(src, target, fstype, (unsigned long)flags, data)); // errno kept before free
  free(src);
  free(target);
  free(fstype);
  free(data);
  return rv;
}

static napi_value js_umount2(napi_env env, napi_callback_info info) {
  ARGS(2);
  char *target;
  int32_t flags;
  if (!get_int(env, argv[1], &flags) || !get_str(env, argv[0], &target) || !target)
    return type_error(env, "umount2(target, flags)");
  napi_value out = ret_int(env, umount2(target, flags)); // errno kept before free
  free(target);
  return out;
}

static napi_value js_flock(napi_env env, napi_callback_info info) {
  ARGS(2);
  int32_t a[2];
  if (!get_ints(env, argv, 2, a)) return type_error(env, "flock(fd, operation)");
  return ret_int(env, flock(a[0], a[1]));
}

static napi_value js_memfd_create(napi_env env, napi_callback_info info) {
  ARGS(2);
  char *name;
  int32_t flags;
  if (!get_int(env, argv[1], &flags) || !get_str(env, argv[0], &name) || !name)
    return type_error(env, "memfdCreate(name, flags)");
  napi_value out = ret_int(env, memfd_create(name, (unsigned)flags)); // errno kept before free
  free(name);
  return out;
}

// A JS array of strings as a NULL-terminated, malloc'd vector (strings malloc'd too).
static char **get_strv(napi_env env, napi_value arr) {
  uint32_t n;
  if (napi_get_array_length(env, arr, &n) != 0) return NULL;
  char **v = calloc((size_t)n + 1, sizeof(char *));
  if (!v) return NULL;
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    if (napi_get_element(env, arr, i, &e) != 0 || !get_str(env, e, &v[i]) || !v[i]) {
      for (uint32_t j = 0; j < i; j++) free(v[j]);
      free(v);
      return NULL;
    }
  }
  return v;
}

static void free_strv(char **v) {
  if (!v) return;
  for (char **p = v; *p; p++) free(*p);
  free(v);
}

// spawn(path, argv, envp, stdin, stdout, stderr): posix_spawn with the three fds as the child's
// 0, 1 and 2, default signal handlers and an empty signal mask (Node ignores SIGPIPE and may
// block signals; child_process gives a child the same). Returns the pid, or -1 with errno().
static napi_value js_spawn(napi_env env, napi_callback_info info) {
  ARGS(6);
  int32_t fds[3];
  for (int i = 0; i < 3; i++)
    if (!get_int(env, argv[3 + i], &fds[i])) return type_error(env, "spawn(path, argv, envp, in, out, err)");
  char *path = NULL;
  if (!get_str(env, argv[0], &path) || !path) return type_error(env, "spawn(path, ...)");
  char **av = get_strv(env, argv[1]);
  char **ev = get_strv(env, argv[2]);
  if (!av || !ev) {
    free(path);
    free_strv(av);
    free_strv(ev);
    return type_error(env, "spawn(path, argv: string[], envp: string[], ...)");
  }
  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  sigset_t all, none;
  pid_t pid = -1;
  int rc = posix_spawn_file_actions_init(&fa);
  if (rc == 0) {
    for (int i = 0; i < 3 && rc == 0; i++) rc = posix_spawn_file_actions_adddup2(&fa, fds[i], i);
    if (rc == 0) rc = posix_spawnattr_init(&attr);
    if (rc == 0) {
      sigfillset(&all);
      sigemptyset(&none);
      posix_spawnattr_setsigdefault(&attr, &all);
      posix_spawnattr_setsigmask(&attr, &none);
      posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
      rc = posix_spawn(&pid, path, &fa, &attr, av, ev);
      posix_spawnattr_destroy(&attr);
    }
    posix_spawn_file_actions_destroy(&fa);
  }
  free(path);
  free_strv(av);
  free_strv(ev);
  if (rc != 0) {
    errno = rc;
    return ret_int(env, -1);
  }
  return ret_int(env, pid);
}

// waitpid(pid, [status], options): the status goes to the array's first element.
static napi_value js_waitpid(napi_env env, napi_callback_info info) {
  ARGS(3);
  int32_t pid, options;
  if (!get_int(env, argv[0], &pid) || !get_int(env, argv[2], &options))
    return type_error(env, "waitpid(pid, [status], options)");
  int status = 0;
  int rc = waitpid(pid, &status, options);
  if (rc >= 0) {
    napi_value sv;
    napi_create_int32(env, status, &sv);
    napi_set_element(env, argv[1], 0, sv);
  }
  return ret_int(env, rc);
}

// mapFile(path, asString): the file mapped read-only (mmap) as an external Latin-1 string
// (asString) or an external Buffer, for the plugin entry's bundle and code cache. V8 then reads
// them from the page cache: no Buffer to fill, no copy into a string on the V8 heap, and none of
// the page faults of that fresh memory (each costs ~14 us on the machines we measured: reading
// a bundle and its cache took ~2 ms). null (errno()) when the file cannot be opened or mapped;
// as a string, also when this Node cannot make external strings (the entry then reads the file).
// The mapping lives as long as the process. A Buffer from here must not be written to.
static napi_value js_map_file(napi_env env, napi_callback_info info) {
  ARGS(2);
  char *path;
  int32_t as_string;
  if (!get_int(env, argv[1], &as_string) || !get_str(env, argv[0], &path) || !path)
    return type_error(env, "mapFile(path, asString)");
  napi_value out = NULL;
  napi_get_null(env, &out);
  if (as_string && !node_api_create_external_string_latin1) {
    free(path);
    last_errno = ENOSYS;
    return out;
  }
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  free(path);
  if (fd < 0) {
    last_errno = errno;
    return out;
  }
  struct stat st;
  void *p = MAP_FAILED;
  if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
    p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  else
    errno = st.st_size == 0 ? ENODATA : EINVAL;
  last_errno = errno;
  close(fd);
  if (p == MAP_FAILED) return out;
  napi_value v;
  _Bool copied = 0;
  napi_status status = as_string
                           ? node_api_create_external_string_latin1(env, p, (size_t)st.st_size, NULL, NULL, &v, &copied)
                           : napi_create_external_buffer(env, (size_t)st.st_size, p, NULL, NULL, &v);
  if (status != 0) {
    munmap(p, (size_t)st.st_size);
    last_errno = EINVAL;
    return out;
  }
  if (copied) munmap(p, (size_t)st.st_size); // Node copied it (a V8 sandbox build)
  return v;
}

// exit(code): _exit(2). The plugin entry leaves this way once a verb's output is written (it is
// written synchronously): Node's teardown of its environment, V8 and the platform's worker
// threads is skipped, which process.exit() still runs (~2 ms here).
static napi_value js_exit(napi_env env, napi_callback_info info) {
  ARGS(1);
  int32_t code;
  if (!get_int(env, argv[0], &code)) return type_error(env, "exit(code)");
  _exit(code & 0xff);
}

static void def(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value f;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &f) == 0) napi_set_named_property(env, exports, name, f);
}

__attribute__((visibility("default"))) napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  def(env, exports, "errno", js_errno);
  def(env, exports, "socket", js_socket);
  def(env, exports, "bind", js_bind);
  def(env, exports, "setsockopt", js_setsockopt);
  def(env, exports, "getsockname", js_getsockname);
  def(env, exports, "send", js_send);
  def(env, exports, "recv", js_recv);
  def(env, exports, "close", js_close);
  def(env, exports, "open", js_open);
  def(env, exports, "ioctl", js_ioctl);
  def(env, exports, "ioctlInt", js_ioctl_int);
  def(env, exports, "setns", js_setns);
  def(env, exports, "unshare", js_unshare);
  def(env, exports, "mount", js_mount);
  def(env, exports, "umount2", js_umount2);
  def(env, exports, "flock", js_flock);
  def(env, exports, "memfdCreate", js_memfd_create);
  def(env, exports, "spawn", js_spawn);
  def(env, exports, "waitpid", js_waitpid);
  def(env, exports, "exit", js_exit);
  def(env, exports, "mapFile", js_map_file);
  return exports;
}

// Node-API version this addon needs (Node looks this symbol up; without it, it assumes 8).
__attribute__((visibility("default"))) int32_t node_api_module_get_api_version_v1(void) { return 8; }
