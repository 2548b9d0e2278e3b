// [radio NAME] and [mobility]: sections of um3n-ns3sim's scenarios that
// um3n-sim's parser (sim/scenario.c) does not know, so um3n-sim refuses them
// with FILE:LINE. This driver takes them out of the text before that parser
// sees it, leaving a comment on each of their lines so that the other
// sections' errors keep their line numbers (sim/README.md, "um3n-ns3sim").
#include "ns3sim.hh"

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
        if (v == "802.11g")
            return true;
        why = "expected standard = 802.11g (the only one this driver models)";
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
        why = "unknown key '" + k + "' in [radio]; expected standard, rate_control, " +
              "tx_power_dbm, ap_position, loss_exponent, reference_loss_db, " +
              "beacon_interval_ms or max_missed_beacons";
    }
    return false;
}

bool
MobilityKey(RadioSpec& r, const std::string& k, const std::string& v, std::string& why)
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

} // namespace

bool
ExtractRadio(const std::string& path, std::string& text, RadioSpec& r, std::string& err)
{
    std::istringstream in(text);
    std::string line, out, section;
    bool mobility = false, mine = false;
    int n = 0;

    while (std::getline(in, line)) {
        std::string t = Trim(line);
        std::string where = path + ":" + std::to_string(++n) + ": ";

        if (!t.empty() && t[0] == '[') {
            section = Trim(t.substr(1, t.find(']') - 1));
            mine = section == "mobility" || section.compare(0, 6, "radio ") == 0;
            if (mine && section == "mobility") {
                if (mobility)
                    return err = where + "duplicate section [mobility]", false;
                mobility = true;
            } else if (mine) {
                if (r.present)
                    return err = where + "expected one [radio NAME] section (one access " +
                                 "point)", false;
                r.present = true;
                r.link = Trim(section.substr(6));
                r.line = n;
            }
        } else if (mine && !t.empty() && t[0] != ';' && t[0] != '#') {
            size_t eq = t.find('=');
            std::string why;

            if (eq == std::string::npos)
                return err = where + "expected 'key = value'", false;
            std::string k = Trim(t.substr(0, eq)), v = Trim(t.substr(eq + 1));
            if (!(section == "mobility" ? MobilityKey(r, k, v, why) : RadioKey(r, k, v, why)))
                return err = where + "[" + section + "] " + why, false;
        }
        out += mine ? ";" + line + "\n" : line + "\n";
    }
    if (mobility && !r.present)
        return err = path + ":0: [mobility] needs a [radio NAME] section (it moves the " +
                     "station)", false;
    text = out;
    return true;
}

bool
CheckRadio(const sim_scenario* sc, RadioSpec& r, std::string& err)
{
    std::string where = std::string(sc->path) + ":" + std::to_string(r.line) + ": ";

    if (!r.present)
        return true;
    for (size_t i = 0; i < sc->n_links; i++) {
        const sim_link_spec& ls = sc->links[i];

        if (r.link != ls.name)
            continue;
        if (ls.n_signals)
            return err = where + "[radio " + r.link + "]: the radio gives [link " + r.link +
                         "] its signal; remove its signal key", false;
        return true;
    }
    return err = where + "[radio " + r.link + "]: expected the name of a [link NAME] section",
           false;
}

} // namespace um3n
