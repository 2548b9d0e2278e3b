// What the sans-IO engines get from um3n-ns3sim (core/engine.h's um3n_env):
// memory from the C heap, log lines stamped with simulated time, a seed mixed
// from the run's, and um3n-sim's fixed MN-HA key and identification base
// (sim/world.c), so that the same scenario and seed give the same bytes in
// both simulators' registrations.
#include "ns3sim.hh"

#include <cstdio>
#include <cstdlib>
#include <cstring>

extern "C" {
#include "wire.h"
}

using namespace ns3;

namespace um3n
{

const uint8_t kEngineKey[32] = "um3n-sim fixed MN-HA test key!!";
const uint64_t kEngineNtpBase = (uint64_t)3976214400u << 32;

namespace
{

// splitmix64's finaliser: one run seed, independent streams per engine.
uint64_t
MixSeed(uint64_t seed, uint64_t salt)
{
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (salt + 1);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void*
EnvAlloc(void*, size_t size)
{
    return calloc(1, size);
}

void
EnvFree(void*, void* p)
{
    free(p);
}

void
EnvLog(void* ctx, int level, const char* msg)
{
    std::fprintf(stderr, "[%10.6f] %s %d %s\n", Simulator::Now().GetSeconds(),
                 static_cast<const char*>(ctx), level, msg);
}

} // namespace

void
InitEngineEnv(um3n_env* env, const char* name, int logLevel, uint64_t seed, uint64_t salt)
{
    *env = um3n_env{};
    env->ctx = const_cast<char*>(name); // only read back by EnvLog
    env->log = logLevel >= 0 ? EnvLog : nullptr;
    env->log_level = logLevel;
    env->alloc = EnvAlloc;
    env->free = EnvFree;
    env->seed = MixSeed(seed, salt);
}

int
HaGetKey(void* ctx, uint32_t home, uint32_t spi, uint8_t* key, size_t* keyLen)
{
    const um3n_addr* mnHome = static_cast<const um3n_addr*>(ctx);

    if (home != um3n_addr_v4(mnHome) || spi != UM3N_SPI_HMAC_SHA256_MIN ||
        *keyLen < sizeof(kEngineKey))
        return -1;
    std::memcpy(key, kEngineKey, sizeof(kEngineKey));
    *keyLen = sizeof(kEngineKey);
    return 0;
}

} // namespace um3n
