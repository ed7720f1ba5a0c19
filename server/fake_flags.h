// Test-only flags (--fake-backend and its knobs, --port-file, --testing-load-delay-ms), kept out of
// main.cc so that --help lists only the operator's flags (--helpfull shows these too).
#ifndef HYBRIDSERVE_SERVER_FAKE_FLAGS_H_
#define HYBRIDSERVE_SERVER_FAKE_FLAGS_H_

#include "server/server_config.h"

namespace hybridserve::server {

void ApplyFakeFlags(ServerConfig* config);

}  // namespace hybridserve::server

#endif  // HYBRIDSERVE_SERVER_FAKE_FLAGS_H_
