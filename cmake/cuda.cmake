# Detects CUDA. The CUDA backend is optional: a CPU-only build works anywhere.
set(HYBRIDSERVE_HAVE_CUDA OFF)
if(NOT HYBRIDSERVE_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  if(NOT CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    if(NOT CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES MATCHES "^(52|75)$")
      # Hopper machine code plus generic PTX for other GPUs (52 and 75 are CMake's defaults
      # before and since CUDA 13, i.e. no -DCMAKE_CUDA_ARCHITECTURES given).
      set(CMAKE_CUDA_ARCHITECTURES 90a-real 80-virtual)
    endif()
    set(CMAKE_CUDA_STANDARD 20)
    if(NOT DEFINED CMAKE_CUDA20_STANDARD_COMPILE_OPTION)
      # CMake < 3.26 does not know nvcc's C++20 flag (nvcc has had it since CUDA 12.0).
      set(CMAKE_CUDA20_STANDARD_COMPILE_OPTION "-std=c++20")
      set(CMAKE_CUDA20_EXTENSION_COMPILE_OPTION "-std=c++20")
    endif()
    set(HYBRIDSERVE_HAVE_CUDA ON)
  elseif(HYBRIDSERVE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "HYBRIDSERVE_CUDA=ON but no CUDA compiler was found; install the CUDA toolkit "
                        "or configure with -DHYBRIDSERVE_CUDA=OFF")
  endif()
endif()
message(STATUS "hybridserve: CUDA backend ${HYBRIDSERVE_HAVE_CUDA}")
