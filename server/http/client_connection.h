// Whether the client of an HTTP request has gone away, for handlers that wait (a non-streaming
// generation) and so never write until they are done.
//
// cpp-httplib 0.11 (Debian 12) gives a handler no handle on its connection (Request has no
// is_connection_closed() before 0.14), so the socket is found by its addresses: the handler runs
// on the thread that owns the connection, which stays open until the handler returns, and one
// socket of this process has exactly the request's local and remote address and port. Closed()
// then polls it for a hang-up without reading from it.
#ifndef HYBRIDSERVE_SERVER_HTTP_CLIENT_CONNECTION_H_
#define HYBRIDSERVE_SERVER_HTTP_CLIENT_CONNECTION_H_

#include "httplib.h"

namespace hybridserve::server::http {

class ClientConnection {
 public:
  // Finds the request's socket; when none matches, Closed() is always false.
  explicit ClientConnection(const httplib::Request& req);

  // True once the client closed or reset the connection (it sent its FIN: it will not read the
  // answer). Does not block.
  bool Closed() const;
  bool found() const { return fd_ >= 0; }

 private:
  int fd_ = -1;  // not owned
};

}  // namespace hybridserve::server::http

#endif  // HYBRIDSERVE_SERVER_HTTP_CLIENT_CONNECTION_H_
