// Early-return helpers for absl::Status / absl::StatusOr<T>.
#ifndef HYBRIDSERVE_BASE_STATUS_MACROS_H_
#define HYBRIDSERVE_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define HS_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::absl::Status hs_status_ = (expr);      \
    if (!hs_status_.ok()) return hs_status_; \
  } while (false)

#define HS_STATUS_CONCAT_INNER_(a, b) a##b
#define HS_STATUS_CONCAT_(a, b) HS_STATUS_CONCAT_INNER_(a, b)

#define HS_ASSIGN_OR_RETURN(lhs, expr) \
  HS_ASSIGN_OR_RETURN_IMPL_(HS_STATUS_CONCAT_(hs_statusor_, __COUNTER__), lhs, expr)

#define HS_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr)     \
  auto statusor = (expr);                                  \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // HYBRIDSERVE_BASE_STATUS_MACROS_H_
