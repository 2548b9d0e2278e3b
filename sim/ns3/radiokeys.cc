// [radio NAME] and [mobility]: sections of um3n-ns3sim's scenarios that
// um3n-sim's parser (sim/scenario.c) does not know, so um3n-sim refuses them
// with FILE:LINE. This driver takes them out of the text before that parser
// sees it, leaving a comment on each of their lines so that the other
// sections' errors keep their line numbers (sim/README.md, "um3n-ns3sim").
// A [radio NAME] section is read whole before its keys are judged: its
// standard key (802.11g, 802.11n, 802.11ac or lte) decides which keys it may
// have.
#include "radiospec.hh"

#include <cmath>
#include <cstdlib>
#include <sstream>

namespace um3n
{
namespace
{

std::string
Trim(const std::string& s)
{
    size_t a = s.find_first_not_of(" \t\r"), b = s.find_last_not_of(" \t\r");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

// Reads exactly n numbers separated by blanks, each within [lo, hi].
bool
Numbers(const std::string& v, double* out, int n, double lo, double hi)
{
    std::istringstream in(v);
    std::string tok;
    int k = 0;

    while (in >> tok) {
        char* end = nullptr;
        double x = std::strtod(tok.c_str(), &end);

        if (k == n || *end || !std::isfinite(x) || x < lo || x > hi)
            return false;
        out[k++] = x;
    }
    return k == n;
}

bool
RadioKey(RadioSpec& r, const std::string& k, const std::string& v, std::string& why)
{
    double x[2];

    if (k == "standard") {
        if (v == "802.11g" || v == "802.11n" || v == "802.11ac")
            return r.standard = v, true;
        why = "expected standard = 802.11g, 802.11n, 802.11ac or lte";
    } else if (k == "band_ghz") {
        if (v == "2.4" || v == "5")
            return r.bandGhz = v == "5" ? 5 : 2.4, true;
        why = "expected band_ghz = 2.4|5";
    } else if (k == "channel_width_mhz") {
        for (int mhz : {20, 40, 80, 160})
            if (Numbers(v, x, 1, mhz, mhz))
                return r.widthMhz = (uint32_t)mhz, true;
        why = "expected channel_width_mhz = 20|40|80|160";
    } else if (k == "rate_control") {
        if (v == "ideal" || v == "minstrel")
            return r.rateControl = v, true;
        why = "expected rate_control = ideal|minstrel";
    } else if (k == "tx_power_dbm") {
        if (Numbers(v, x, 1, -10, 30))
            return r.txPowerDbm = x[0], true;
        why = "expected tx_power_dbm in -10..30";
    } else if (k == "ap_position") {
        if (Numbers(v, x, 2, -1e5, 1e5))
            return r.apX = x[0], r.apY = x[1], true;
        why = "expected ap_position = X Y (metres)";
    } else if (k == "loss_exponent") {
        if (Numbers(v, x, 1, 1, 8))
            return r.exponent = x[0], true;
        why = "expected loss_exponent in 1..8";
    } else if (k == "reference_loss_db") {
        if (Numbers(v, x, 1, 0, 200))
            return r.refLossDb = x[0], true;
        why = "expected reference_loss_db in 0..200 (loss at 1 m)";
    } else if (k == "beacon_interval_ms") {
        if (Numbers(v, x, 1, 10, 10000))
            return r.beaconUs = (uint64_t)(x[0] * 1000 / 1024 + 0.5) * 1024, true; // whole TUs
        why = "expected beacon_interval_ms in 10..10000";
    } else if (k == "max_missed_beacons") {
        if (Numbers(v, x, 1, 1, 1000) && x[0] == std::floor(x[0]))
            return r.maxMissedBeacons = (uint32_t)x[0], true;
        why = "expected max_missed_beacons, an integer in 1..1000";
    } else {
        why = "unknown key '" + k + "' in [radio]; expected standard, band_ghz, " +
              "channel_width_mhz, rate_control, tx_power_dbm, ap_position, loss_exponent, " +
              "reference_loss_db, beacon_interval_ms or max_missed_beacons";
    }
    return false;
}

bool
LteKey(LteSpec& s, const std::string& k, const std::string& v, std::string& why)
{
    double x[2];

    if (k == "standard") {
        return true; // lte: how the section was chosen
    } else if (k == "enb_position") {
        if (s.enbX.size() == kLteMaxEnbs) {
            why = "expected at most " + std::to_string(kLteMaxEnbs) + " enb_position keys";
            return false;
        }
        if (Numbers(v, x, 2, -1e5, 1e5))
            return s.enbX.push_back(x[0]), s.enbY.push_back(x[1]), true;
        why = "expected enb_position = X Y (metres; repeat the key for more eNBs)";
    } else if (k == "handover") {
        if (v == "a3-rsrp" || v == "a2-a4-rsrq" || v == "none")
            return s.handover = v == "none"         ? LteHandover::None
                                : v == "a2-a4-rsrq" ? LteHandover::A2A4Rsrq
                                                    : LteHandover::A3Rsrp,
                   true;
        why = "expected handover = a3-rsrp|a2-a4-rsrq|none";
    } else if (k == "hysteresis_db") {
        // ns-3 rounds it to the 0.5 dB steps of 3GPP's hysteresis field.
        if (Numbers(v, x, 1, 0, 15))
            return s.hysteresisDb = x[0], true;
        why = "expected hysteresis_db in 0..15";
    } else if (k == "time_to_trigger_ms") {
        // The values 3GPP's TimeToTrigger field can take (TS 36.331).
        for (int t : {0, 40, 64, 80, 100, 128, 160, 256, 320, 480, 512, 640, 1024, 1280, 2560,
                      5120})
            if (Numbers(v, x, 1, t, t))
                return s.timeToTriggerMs = (uint32_t)t, true;
        why = "expected time_to_trigger_ms = 0|40|64|80|100|128|160|256|320|480|512|640|1024|"
              "1280|2560|5120 (TS 36.331)";
    } else if (k == "tx_power_dbm") {
        if (Numbers(v, x, 1, -10, 50))
            return s.enbTxPowerDbm = x[0], true;
        why = "expected tx_power_dbm (the eNB's) in -10..50";
    } else if (k == "ue_tx_power_dbm") {
        if (Numbers(v, x, 1, -40, 30))
            return s.ueTxPowerDbm = x[0], true;
        why = "expected ue_tx_power_dbm in -40..30";
    } else if (k == "loss_exponent") {
        if (Numbers(v, x, 1, 1, 8))
            return s.exponent = x[0], true;
        why = "expected loss_exponent in 1..8";
    } else if (k == "reference_loss_db") {
        if (Numbers(v, x, 1, 0, 200))
            return s.refLossDb = x[0], true;
        why = "expected reference_loss_db in 0..200 (loss at 1 m)";
    } else if (k == "bandwidth_rb") {
        // The bandwidths LTE defines (1.4, 3, 5, 10, 15, 20 MHz).
        for (int rb : {6, 15, 25, 50, 75, 100})
            if (Numbers(v, x, 1, rb, rb))
                return s.bandwidthRb = (uint32_t)rb, true;
        why = "expected bandwidth_rb = 6|15|25|50|75|100 (resource blocks)";
    } else if (k == "scheduler") {
        if (v == "pf" || v == "rr")
            return s.scheduler = v, true;
        why = "expected scheduler = pf|rr (proportional fair, round robin)";
    } else {
        why = "unknown key '" + k + "' in an LTE [radio]; expected standard, enb_position, " +
              "tx_power_dbm, ue_tx_power_dbm, loss_exponent, reference_loss_db, " +
              "bandwidth_rb, scheduler, handover, hysteresis_db or time_to_trigger_ms";
    }
    return false;
}

bool
MobilityKey(MobilitySpec& r, const std::string& k, const std::string& v, std::string& why)
{
    double x[3];

    if (k == "waypoint") {
        if (r.straight) {
            why = "waypoint: expected either waypoints or a straight walk (start, speed_mps, "
                  "direction_deg, walk_from_s), not both";
            return false;
        }
        if (Numbers(v, x, 3, -1e5, 1e5) && x[0] >= 0 &&
            (r.wayT.empty() || x[0] > r.wayT.back())) {
            r.wayT.push_back(x[0]);
            r.wayX.push_back(x[1]);
            r.wayY.push_back(x[2]);
            return true;
        }
        why = "expected waypoint = T X Y (seconds, metres), T >= 0 and after the previous one";
        return false;
    }
    if (!r.wayT.empty()) {
        why = k + ": expected either waypoints or a straight walk, not both";
        return false;
    }
    r.straight = true;
    if (k == "start") {
        if (Numbers(v, x, 2, -1e5, 1e5))
            return r.startX = x[0], r.startY = x[1], true;
        why = "expected start = X Y (metres)";
    } else if (k == "speed_mps") {
        if (Numbers(v, x, 1, 0, 100))
            return r.speed = x[0], true;
        why = "expected speed_mps in 0..100";
    } else if (k == "direction_deg") {
        if (Numbers(v, x, 1, -360, 360))
            return r.dirDeg = x[0], true;
        why = "expected direction_deg in -360..360 (0: +x, 90: +y)";
    } else if (k == "walk_from_s") {
        if (Numbers(v, x, 1, 0, 604800))
            return r.walkFromUs = (uint64_t)(x[0] * 1e6 + 0.5), true;
        why = "expected walk_from_s in 0..604800";
    } else {
        why = "unknown key '" + k + "' in [mobility]; expected start, speed_mps, " +
              "direction_deg, walk_from_s or waypoint";
    }
    return false;
}

// One [radio NAME] section's lines, judged at its end.
struct Pending
{
    std::string link;
    int line = 0;
    std::vector<std::pair<int, std::pair<std::string, std::string>>> keys; // line, k, v
};

// The band and channel width fit the standard: 802.11g is 2.4 GHz and 20
// MHz, 802.11n 20 or 40 MHz in either band, 802.11ac 5 GHz (its default
// width ns-3's 80 MHz); the reference loss follows the band unless given.
bool
WifiBand(const std::string& path, const Pending& p, RadioSpec& r, std::string& err)
{
    bool g = r.standard == "802.11g", n = r.standard == "802.11n", refLossGiven = false;
    int bandLine = 0, widthLine = 0, line = 0; // where the keys were given (0: not)
    std::string why;

    for (const auto& e : p.keys) {
        bandLine = e.second.first == "band_ghz" ? e.first : bandLine;
        widthLine = e.second.first == "channel_width_mhz" ? e.first : widthLine;
        refLossGiven = refLossGiven || e.second.first == "reference_loss_db";
    }
    if (!g && !n) { // 802.11ac
        r.bandGhz = bandLine ? r.bandGhz : 5;
        r.widthMhz = widthLine ? r.widthMhz : 80;
    }
    if (bandLine && !n && r.bandGhz != (g ? 2.4 : 5)) {
        line = bandLine;
        why = r.standard + " is on " + (g ? "2.4" : "5") + " GHz only";
    } else if (widthLine && r.widthMhz > (g ? 20u : n ? 40u : 160u)) {
        line = widthLine;
        why = "channel_width_mhz: " + r.standard + " allows " + (g ? "20" : "20 or 40") + " MHz";
    }
    if (line)
        return err = path + ":" + std::to_string(line) + ": [radio " + p.link + "] " + why, false;
    if (!refLossGiven)
        r.refLossDb = r.bandGhz == 5 ? 46.67 : 40.05; // free space at 1 m
    return true;
}

bool
FlushRadio(const std::string& path, const Pending& p, Options& o, std::string& err)
{
    bool lte = false;

    for (const auto& e : p.keys)
        lte = e.second.first == "standard" ? e.second.second == "lte" : lte;
    std::string head = path + ":" + std::to_string(p.line) + ": ";
    if (lte ? o.lte.present : o.radio.present)
        return err = head + (lte ? "expected one LTE [radio NAME] section (one cell)"
                                 : "expected one WiFi [radio NAME] section (one access point)"),
               false;
    if (lte) {
        o.lte.present = true;
        o.lte.link = p.link;
        o.lte.line = p.line;
    } else {
        o.radio.present = true;
        o.radio.link = p.link;
        o.radio.line = p.line;
    }
    for (const auto& e : p.keys) {
        std::string why;
        const std::string &k = e.second.first, &v = e.second.second;

        if (!(lte ? LteKey(o.lte, k, v, why) : RadioKey(o.radio, k, v, why)))
            return err = path + ":" + std::to_string(e.first) + ": [radio " + p.link + "] " + why,
                   false;
    }
    if (lte && o.lte.enbX.empty()) {
        o.lte.enbX.push_back(0);
        o.lte.enbY.push_back(0);
    }
    return lte || WifiBand(path, p, o.radio, err);
}

} // namespace

bool
ExtractRadio(const std::string& path, std::string& text, Options& o, std::string& err)
{
    std::istringstream in(text);
    std::string line, out, section;
    bool mine = false;
    Pending radio;
    int n = 0;

    while (std::getline(in, line)) {
        std::string t = Trim(line);
        std::string where = path + ":" + std::to_string(++n) + ": ";

        if (!t.empty() && t[0] == '[') {
            if (radio.line && !FlushRadio(path, radio, o, err))
                return false;
            radio = Pending();
            section = Trim(t.substr(1, t.find(']') - 1));
            mine = section == "mobility" || section.compare(0, 6, "radio ") == 0;
            if (mine && section == "mobility") {
                if (o.mob.present)
                    return err = where + "duplicate section [mobility]", false;
                o.mob.present = true;
            } else if (mine) {
                radio.link = Trim(section.substr(6));
                radio.line = n;
            }
        } else if (mine && !t.empty() && t[0] != ';' && t[0] != '#') {
            size_t eq = t.find('=');
            std::string why;

            if (eq == std::string::npos)
                return err = where + "expected 'key = value'", false;
            std::string k = Trim(t.substr(0, eq)), v = Trim(t.substr(eq + 1));
            if (section != "mobility")
                radio.keys.push_back({n, {k, v}});
            else if (!MobilityKey(o.mob, k, v, why))
                return err = where + "[mobility] " + why, false;
        }
        out += mine ? ";" + line + "\n" : line + "\n";
    }
    if (radio.line && !FlushRadio(path, radio, o, err))
        return false;
    if (o.mob.present && !o.radio.present && !o.lte.present)
        return err = path + ":0: [mobility] needs a [radio NAME] section (it moves the " +
                     "station)", false;
    text = out;
    return true;
}

namespace
{

// The [link NAME] a radio names: it exists, gets no scripted signal nor a
// qdisc (the radio's own queues are the bottleneck, not its wire's), and for
// LTE no flap or onoff (its outages switch the eNBs off, and a UE takes
// seconds to find a cell again after a radio link failure).
bool
CheckLink(const sim_scenario* sc, const std::string& name, int line, bool lte, std::string& err)
{
    std::string where = std::string(sc->path) + ":" + std::to_string(line) + ": ";

    for (size_t i = 0; i < sc->n_links; i++) {
        const sim_link_spec& ls = sc->links[i];

        if (name != ls.name)
            continue;
        if (ls.n_signals)
            return err = where + "[radio " + name + "]: the radio gives [link " + name +
                         "] its signal; remove its signal key", false;
        if (ls.qdisc != SIM_QDISC_DROPTAIL)
            return err = where + "[radio " + name + "]: qdisc is for point-to-point " +
                         "links; remove it from [link " + name + "]", false;
        if (lte && (ls.flap_period_us || ls.onoff_up_us))
            return err = where + "[radio " + name + "]: an LTE cell takes outage and " +
                         "outages_file, not flap or onoff; remove those keys of [link " + name +
                         "]", false;
        return true;
    }
    return err = where + "[radio " + name + "]: expected the name of a [link NAME] section",
           false;
}

} // namespace

bool
CheckRadio(const sim_scenario* sc, Options& o, std::string& err)
{
    if (o.radio.present && o.lte.present && o.radio.link == o.lte.link)
        return err = std::string(sc->path) + ":" + std::to_string(o.lte.line) + ": [radio " +
                     o.lte.link + "]: that link already has a WiFi radio", false;
    return (!o.radio.present || CheckLink(sc, o.radio.link, o.radio.line, false, err)) &&
           (!o.lte.present || CheckLink(sc, o.lte.link, o.lte.line, true, err));
}

} // namespace um3n
