// Programmer-invariant checks. These abort with a message naming the file, line and condition;
// they are for bugs in our own code, never for bad outside input (that returns absl::Status).
#ifndef HYBRIDSERVE_BASE_CHECK_H_
#define HYBRIDSERVE_BASE_CHECK_H_

#include <cstdio>
#include <cstdlib>

namespace hybridserve::base {

[[noreturn]] inline void CheckFailed(const char* file, int line, const char* condition,
                                     const char* message) {
  std::fprintf(stderr, "%s:%d: check failed: %s%s%s\n", file, line, condition,
               message[0] != '\0' ? ": " : "", message);
  std::fflush(stderr);
  std::abort();
}

}  // namespace hybridserve::base

#define HS_CHECK(condition)                                                 \
  do {                                                                      \
    if (!(condition)) {                                                     \
      ::hybridserve::base::CheckFailed(__FILE__, __LINE__, #condition, ""); \
    }                                                                       \
  } while (false)

#define HS_CHECK_MSG(condition, message)                                           \
  do {                                                                             \
    if (!(condition)) {                                                            \
      ::hybridserve::base::CheckFailed(__FILE__, __LINE__, #condition, (message)); \
    }                                                                              \
  } while (false)

#endif  // HYBRIDSERVE_BASE_CHECK_H_
