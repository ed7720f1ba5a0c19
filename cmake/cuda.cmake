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
      # Hopper machine code plus generic PTX for other GPUs, unless the user chose (52 and 75 are
      # nvcc's own defaults before and since CUDA 13, which CMake caches when none is given).
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

# NCCL (tensor parallelism over several GPUs) is optional within the CUDA build: without it, only
# single-GPU models and the single-GPU simulated split of the tests are available.
set(HYBRIDSERVE_HAVE_NCCL OFF)
if(HYBRIDSERVE_HAVE_CUDA)
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
  find_library(NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR})
  if(NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
    set(HYBRIDSERVE_HAVE_NCCL ON)
  endif()
  message(STATUS "hybridserve: NCCL ${HYBRIDSERVE_HAVE_NCCL} ${NCCL_LIBRARY}")
endif()
