#include "server/http/client_connection.h"

#include <dirent.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>
#include <string>

namespace hybridserve::server::http {
namespace {

// The numeric host and the port of an address (as cpp-httplib writes Request::remote_addr).
bool HostAndPort(const sockaddr_storage& address, socklen_t length, std::string* host, int* port) {
  if (address.ss_family != AF_INET && address.ss_family != AF_INET6) return false;
  char host_buffer[NI_MAXHOST];
  char port_buffer[NI_MAXSERV];
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&address), length, host_buffer,
                  sizeof(host_buffer), port_buffer, sizeof(port_buffer),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return false;
  }
  *host = host_buffer;
  *port = std::atoi(port_buffer);
  return true;
}

bool IsRequestSocket(int fd, const httplib::Request& req) {
  struct stat info;
  if (fstat(fd, &info) != 0 || !S_ISSOCK(info.st_mode)) return false;
  sockaddr_storage address;
  socklen_t length = sizeof(address);
  std::string host;
  int port = 0;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      !HostAndPort(address, length, &host, &port) || port != req.local_port) {
    return false;
  }
  length = sizeof(address);
  return getpeername(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
         HostAndPort(address, length, &host, &port) && port == req.remote_port &&
         host == req.remote_addr;
}

}  // namespace

ClientConnection::ClientConnection(const httplib::Request& req) {
  if (req.remote_port <= 0 || req.local_port <= 0) return;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return;
  const int dir_fd = dirfd(dir);
  while (const dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dir_fd) continue;
    if (IsRequestSocket(static_cast<int>(fd), req)) {
      fd_ = static_cast<int>(fd);
      break;
    }
  }
  closedir(dir);
}

bool ClientConnection::Closed() const {
  if (fd_ < 0) return false;
  pollfd entry = {.fd = fd_, .events = POLLRDHUP, .revents = 0};
  if (poll(&entry, 1, 0) <= 0) return false;
  return (entry.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

}  // namespace hybridserve::server::http
