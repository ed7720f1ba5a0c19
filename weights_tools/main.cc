#include <cstdio>
int main() { std::puts("hybridtool"); return 0; }
