// libFuzzer target: um3n-ns3sim's reader of the [radio NAME] and [mobility]
// sections (sim/ns3/radiokeys.cc), then sim/scenario.c on what it leaves,
// then the check of the radios against the links (CheckRadio), as main.cc
// runs them. Any input must give success or one error line naming
// "fuzz.ini:LINE: ..." (an error of scenario.c may also name an
// outages_file or signals_file); the text handed on keeps every line (the
// radio's become comments, so later errors keep their line numbers); what
// is accepted lies within the documented ranges. Needs radiokeys.cc (C++,
// no ns-3), sim/scenario.c and its helpers, inih.
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include "radiospec.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace
{

bool
Mentions(const std::string& s, const char* word)
{
    return s.find(word) != std::string::npos;
}

void
CheckError(const std::string& in, const std::string& err)
{
    bool otherFile = Mentions(in, "outages_file") || Mentions(in, "signals_file");

    if ((err.compare(0, 9, "fuzz.ini:") != 0 && !otherFile) || err.find('\n') != err.npos)
        abort(); // the error contract: one line naming file and line
}

size_t
Lines(const std::string& s)
{
    size_t n = 0;

    for (char c : s)
        n += c == '\n';
    return n + (!s.empty() && s.back() != '\n');
}

// What ExtractRadio accepted is within the ranges radiokeys.cc documents.
void
CheckRanges(const um3n::Options& o)
{
    const um3n::RadioSpec& r = o.radio;
    const um3n::LteSpec& l = o.lte;
    const um3n::MobilitySpec& m = o.mob;

    if (r.present && (r.txPowerDbm < -10 || r.txPowerDbm > 30 || r.exponent < 1 ||
                      r.exponent > 8 || r.beaconUs % 1024 || r.maxMissedBeacons < 1))
        abort();
    bool g = r.standard == "802.11g", n = r.standard == "802.11n";
    if (r.present && (!(g || n || r.standard == "802.11ac") || (g && r.bandGhz != 2.4) ||
                      (!g && !n && r.bandGhz != 5) || (r.bandGhz != 2.4 && r.bandGhz != 5) ||
                      r.widthMhz > (g ? 20u : n ? 40u : 160u) || r.widthMhz < 20))
        abort(); // the band and width fit the standard
    if (l.present && (l.bandwidthRb == 0 || l.bandwidthRb > 100 || l.enbTxPowerDbm > 50 ||
                      (l.scheduler != "pf" && l.scheduler != "rr") || l.enbX.empty() ||
                      l.enbX.size() > um3n::kLteMaxEnbs || l.enbX.size() != l.enbY.size() ||
                      l.hysteresisDb < 0 || l.hysteresisDb > 15 || l.timeToTriggerMs > 5120))
        abort(); // at least one eNB (0 0 when none is given), at most eight
    if (m.speed < 0 || m.speed > 100 || !std::isfinite(m.startX) || !std::isfinite(m.startY))
        abort();
    for (size_t k = 1; k < m.wayT.size(); k++)
        if (!(m.wayT[k] > m.wayT[k - 1]))
            abort(); // waypoint times increase
    if (!m.wayT.empty() && m.straight)
        abort(); // never both
}

} // namespace

int
LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    static sim_scenario sc;
    std::string in(reinterpret_cast<const char*>(data), size), text = in, err;
    um3n::Options o;
    char perr[SIM_ERR_MAX];

    if (!um3n::ExtractRadio("fuzz.ini", text, o, err)) {
        CheckError(in, err);
        return 0;
    }
    if (Lines(text) != Lines(in))
        abort(); // every line kept, the radio's as comments
    CheckRanges(o);
    if (sim_scenario_parse("fuzz.ini", text.data(), text.size(), &sc, perr, sizeof(perr))) {
        CheckError(in, perr);
        sim_scenario_free(&sc);
        return 0;
    }
    if (!um3n::CheckRadio(&sc, o, err))
        CheckError(in, err);
    sim_scenario_free(&sc);
    return 0;
}
