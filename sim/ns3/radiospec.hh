// The radio, mobility and run options of um3n-ns3sim's scenarios, and the
// reader of their [radio NAME] and [mobility] sections (radiokeys.cc).
// Apart from ns-3 so that fuzz/fuzz_radiokeys.cc can build the reader
// alone (fuzz/README.md).
#ifndef UM3N_RADIOSPEC_H
#define UM3N_RADIOSPEC_H

#include <cstdint>
#include <string>
#include <vector>

extern "C" {
#include "scenario.h"
}

namespace um3n
{

// [radio NAME] and [mobility] (radiokeys.cc; sim/README.md, "um3n-ns3sim"):
// with standard = 802.11g, 802.11n or 802.11ac the [link NAME] becomes an access point wired to
// the HA, the MN its station; with standard = lte (lte.cc) an LTE cell
// (LENA) whose EPC's packet gateway is wired to the HA.
struct RadioSpec
{
    bool present = false;
    std::string link; // the [link NAME] it replaces
    int line = 0;     // of the [radio NAME] header
    std::string standard = "802.11g"; // or 802.11n, 802.11ac
    double bandGhz = 2.4;             // 802.11n: 2.4 or 5; 802.11ac: 5
    uint32_t widthMhz = 20;           // 802.11n: 20, 40; 802.11ac: 20, 40, 80, 160
    std::string rateControl = "ideal";
    double txPowerDbm = 20, apX = 0, apY = 0;
    double exponent = 3.0, refLossDb = 40.05; // log-distance: free space at 1 m (2.4 GHz)
    uint64_t beaconUs = 102400;
    uint32_t maxMissedBeacons = 10;
};

// Handing the UE over between eNBs (X2), with more than one enb_position.
enum class LteHandover
{
    A3Rsrp,  // ns-3's A3RsrpHandoverAlgorithm: a neighbour better by hysteresis_db
    A2A4Rsrq, // A2A4RsrqHandoverAlgorithm (its defaults)
    None,    // no handover: the UE stays on its first cell
};

const size_t kLteMaxEnbs = 8;

struct LteSpec
{
    bool present = false;
    std::string link;
    int line = 0;
    std::vector<double> enbX, enbY; // one eNB per enb_position key; none given: one at 0 0
    LteHandover handover = LteHandover::A3Rsrp;
    double hysteresisDb = 3.0;     // A3's margin (ns-3's default)
    uint32_t timeToTriggerMs = 256; // A3's time to trigger (ns-3's default)
    double enbTxPowerDbm = 30, ueTxPowerDbm = 23; // LENA's eNB default; a class 3 UE
    double exponent = 3.0, refLossDb = 38.97;     // log-distance: 2.12 GHz free space at 1 m
    uint32_t bandwidthRb = 25;                    // 5 MHz
    std::string scheduler = "pf";
};

// Where the MN is: standing at start, a straight walk, or waypoints.
struct MobilitySpec
{
    bool present = false;
    double startX = 10, startY = 0, speed = 0, dirDeg = 0;
    uint64_t walkFromUs = 0;
    bool straight = false;            // start/speed_mps/direction_deg/walk_from_s given
    std::vector<double> wayT, wayX, wayY; // waypoints (s, m, m), in time order
};

struct Options
{
    uint64_t seed = 1;
    bool plain = false; // no tunnel: each flow on the link the policy picks (the --bench baseline)
    int logLevel = -1;
    RadioSpec radio;
    LteSpec lte;
    MobilitySpec mob;
    std::string pcapDir; // non-empty: link-NAME-{mn,ha}.pcap of every link device here
};

// radiokeys.cc: takes the [radio NAME] and [mobility] sections out of text
// (their lines become comments, so FILE:LINE stays right for the rest) into
// o.radio, o.lte and o.mob; false with err = "FILE:LINE: ..." on a bad key or value.
bool ExtractRadio(const std::string& path, std::string& text, Options& o, std::string& err);
// After the scenario is parsed: the named links exist, and their keys fit a radio.
bool CheckRadio(const sim_scenario* sc, Options& o, std::string& err);

} // namespace um3n

#endif
