// Test helper: runs the real hybridserve binary (HS_HYBRIDSERVE_PATH) with --fake-backend on
// free loopback ports, waits until it is ready, and stops it with SIGTERM.
#ifndef HYBRIDSERVE_TESTS_SERVER_SERVER_PROCESS_H_
#define HYBRIDSERVE_TESTS_SERVER_SERVER_PROCESS_H_

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "httplib.h"
#include "nlohmann/json.hpp"

namespace hybridserve::server::testing {

class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> extra_args) {
    char pattern[] = "/tmp/hs-server-test-XXXXXX";
    dir_ = mkdtemp(pattern);
    const std::string port_file = dir_ + "/ports.json";
    std::vector<std::string> args = {
        HS_HYBRIDSERVE_PATH, "--fake-backend",      "--host=127.0.0.1",        "--http-port=0",
        "--grpc-port=0",     "--log-level=warning", "--port-file=" + port_file};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (std::string& arg : args) argv.push_back(arg.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
    for (int i = 0; i < 600 && !std::filesystem::exists(port_file); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::ifstream in(port_file);
    std::stringstream text;
    text << in.rdbuf();
    const nlohmann::json ports = nlohmann::json::parse(text.str(), nullptr, false);
    if (ports.is_object()) http_port_ = ports.value("http_port", 0);
    // The backend loads after the front ends listen: wait until /ready says 200 (slow under the
    // sanitizers), so each test starts against a ready server.
    if (http_port_ > 0) {
      httplib::Client client("127.0.0.1", http_port_);
      for (int i = 0; i < 600; ++i) {
        httplib::Result res = client.Get("/ready");
        if (res && res->status == 200) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }

  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    std::filesystem::remove_all(dir_);
  }

  int http_port() const { return http_port_; }
  // Sends SIGTERM and returns the exit status (-1 unless it exited normally).
  int Terminate() {
    kill(pid_, SIGTERM);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int http_port_ = 0;
};

}  // namespace hybridserve::server::testing

#endif  // HYBRIDSERVE_TESTS_SERVER_SERVER_PROCESS_H_
