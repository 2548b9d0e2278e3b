#!/usr/bin/python3
"""Unit tests of tools/um3n-sweep: the sweep file, value ranges, scenario rewriting, the
statistics and the probe counter (the whole tool runs in sweep_parallel.sh and
sweep_slurm.sh)."""
import importlib.machinery
import importlib.util
import io
import os
import struct
import sys
import tempfile
import unittest
from contextlib import redirect_stderr

HERE = os.path.dirname(os.path.abspath(__file__))
_loader = importlib.machinery.SourceFileLoader("um3n_sweep", os.path.join(HERE, "um3n-sweep"))
_spec = importlib.util.spec_from_loader("um3n_sweep", _loader)
sw = importlib.util.module_from_spec(_spec)
_loader.exec_module(sw)

SCENARIO = """; a comment
[sim]
duration_s = 30

[link wifi]
rate_mbps = 10
trace = ../links/x.txt
outage = 5-6 cut
outage = 20-end cut

[link cell]
rate_mbps = 5

[mn]
probe_interval_ms = 15
"""


class Values(unittest.TestCase):
    def test_ranges_and_lists(self):
        self.assertEqual(sw.parse_values("30..150 step 15", "w"),
                         ["30", "45", "60", "75", "90", "105", "120", "135", "150"])
        self.assertEqual(sw.parse_values("1..3", "w"), ["1", "2", "3"])
        self.assertEqual(sw.parse_values("0.1..0.3 step 0.1", "w"), ["0.1", "0.2", "0.3"])
        self.assertEqual(sw.parse_values("a.txt, b.txt", "w"), ["a.txt", "b.txt"])
        self.assertEqual(sw.parse_values("1:-60, 2:-70 | 3:-80", "w"), ["1:-60, 2:-70", "3:-80"])
        self.assertEqual(sw.parse_values("7", "w"), ["7"])
        self.assertEqual(sw.parse_values("-5..5 step 5", "w"), ["-5", "0", "5"])
        self.assertEqual(sw.parse_values("../a.txt, ../../b", "w"), ["../a.txt", "../../b"])

    def test_bad_values(self):
        for v in ("5..1", "1..x", "1..5 step 0", "a,,b", ""):
            with self.assertRaises(sw.SweepError, msg=v) as e:
                sw.parse_values(v, "f.ini:3")
            self.assertTrue(str(e.exception).startswith("f.ini:3: "))

    def test_param_names(self):
        self.assertEqual(sw.param_section("mn.dead_after_ms", "w"), ("mn", "dead_after_ms"))
        self.assertEqual(sw.param_section("link.cell.delay_ms", "w"), ("link cell", "delay_ms"))
        for bad in ("dead_after_ms", "link.delay_ms", "moon.x", "flow..rate_mbps"):
            with self.assertRaises(sw.SweepError, msg=bad):
                sw.param_section(bad, "w")


class Rewrite(unittest.TestCase):
    def test_overrides(self):
        out = sw.rewrite_scenario(SCENARIO, "/s/scen", {
            ("mn", "probe_interval_ms"): "5", ("mn", "dead_after_ms"): "45",
            ("link wifi", "outage"): "10-end cut", ("link cell", "delay_ms"): "40",
            ("ha", "dead_after_ms"): "45", ("sim", "event_jitter_ms"): "30"})
        lines = out.splitlines()
        sect = {}
        cur = None
        for ln in lines:
            if ln.startswith("["):
                cur = ln
                sect[cur] = []
            elif cur and "=" in ln:
                sect[cur].append(ln)
        self.assertEqual(sect["[mn]"], ["probe_interval_ms = 5", "dead_after_ms = 45"])
        self.assertEqual(sect["[ha]"], ["dead_after_ms = 45"])
        self.assertIn("event_jitter_ms = 30", sect["[sim]"])
        self.assertIn("delay_ms = 40", sect["[link cell]"])
        self.assertNotIn("delay_ms = 40", sect["[link wifi]"])
        # a repeatable key is replaced as a whole; relative paths become absolute
        self.assertEqual([x for x in sect["[link wifi]"] if x.startswith("outage")],
                         ["outage = 10-end cut"])
        self.assertIn("trace = /s/links/x.txt", sect["[link wifi]"])
        self.assertEqual(lines[0], "; a comment")

    def test_no_overrides_keeps_text(self):
        plain = SCENARIO.replace("trace = ../links/x.txt", "trace = /abs/x.txt")
        self.assertEqual(sw.rewrite_scenario(plain, "/s", {}), plain)


class SweepFile(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.scen = os.path.join(self.dir.name, "s.ini")
        with open(self.scen, "w", encoding="utf-8") as f:
            f.write(SCENARIO)

    def tearDown(self):
        self.dir.cleanup()

    def load(self, text):
        path = os.path.join(self.dir.name, "w.ini")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return sw.load_sweep(path)

    def test_good(self):
        s = self.load("[sweep]\nscenario = s.ini ; inline comment\nseeds = 1..30\n"
                      "[vary]\nmn.dead_after_ms, ha.dead_after_ms = 30..60 step 15\n"
                      "link.wifi.trace = a.txt, /b.txt\n"
                      "[plot g]\nx = mn.dead_after_ms\ny = handover.gap_ms\n")
        self.assertEqual(s["scenario"], self.scen)
        self.assertEqual(len(s["seeds"]), 30)
        self.assertEqual(s["vary"][0][:2], (["mn.dead_after_ms", "ha.dead_after_ms"],
                                            ["30", "45", "60"]))
        self.assertEqual(s["vary"][1][1], [os.path.join(self.dir.name, "a.txt"), "/b.txt"])
        self.assertEqual(s["plots"][0]["name"], "g")

    def test_errors_name_the_line(self):
        cases = [("[sweep]\nscenario = s.ini\n[vary]\nfoo = 1\n", ":4: "),
                 ("[sweep]\nscenario = s.ini\nseeds = a..b\n", ":3: "),
                 ("[sweep]\nscenario = s.ini\nseeds = x, y\n", ":3: "),
                 ("[sweep]\nscenario = s.ini\nprobes = maybe\n", ":3: "),
                 ("[sweep]\nscenario = s.ini\ncolour = red\n", ":3: "),
                 ("[sweep]\nscenario = s.ini\n[grid]\n", ":3: "),
                 ("[sweep]\nscenario = s.ini\n[plot p]\nx = mn.a\n", ":3: "),
                 ("[sweep]\nscenario = none.ini\n", ":0: "),
                 ("[sweep]\nscenario = s.ini\nbroken line\n", ":3: "),
                 ("[sweep]\nscenario = s.ini\n[set]\nmn.a = 1\n[vary]\nmn.a = 2, 3\n", ":0: ")]
        for text, where in cases:
            with self.assertRaises(sw.SweepError, msg=text) as e:
                self.load(text)
            self.assertIn("w.ini" + where, str(e.exception), text)
            self.assertNotIn("\n", str(e.exception))

    def test_unknown_link_in_prepare(self):
        s = self.load("[sweep]\nscenario = s.ini\n[vary]\nlink.lte.delay_ms = 1, 2\n")
        s["path"] = "w.ini"
        with self.assertRaises(sw.SweepError) as e:
            sw.prepare(s, self.dir.name, "/bin/true", 0, 1)
        self.assertIn("no [link lte]", str(e.exception))

    def test_prepare_grid(self):
        s = self.load("[sweep]\nscenario = s.ini\nseeds = 4, 9\n[vary]\nmn.a, ha.a = 1, 2\n"
                      "link.cell.delay_ms = 5, 6, 7\n")
        s["path"] = "w.ini"
        d, job = sw.prepare(s, self.dir.name, "/bin/true", 0, 2)
        self.assertEqual(len(job["points"]), 6)
        self.assertEqual(len(job["runs"]), 12)
        self.assertEqual(job["points"][5], {"mn.a": "2", "ha.a": "2", "link.cell.delay_ms": "7"})
        self.assertEqual([r["seed"] for r in job["runs"][:2]], [4, 9])
        self.assertIn("--no-pcap", job["runs"][0]["args"])
        self.assertEqual(job["tasks"], 12)  # 12 runs < 16 tasks per job: one run each


class Stats(unittest.TestCase):
    def test_t_quantile(self):
        for df, t in ((1, 12.706205), (2, 4.302653), (4, 2.776445), (29, 2.045230),
                      (120, 1.979930), (10**6, 1.959966)):
            self.assertAlmostEqual(sw.t975(df), t, places=5, msg=df)

    def test_mean_ci(self):
        m, ci = sw.mean_ci([1.0, 2.0, 3.0])
        self.assertAlmostEqual(m, 2.0)
        self.assertAlmostEqual(ci, 4.302653 * 1.0 / 3 ** 0.5, places=5)
        self.assertEqual(sw.mean_ci([5.0]), (5.0, None))
        self.assertEqual(sw.mean_ci([]), (None, None))

    def test_flatten(self):
        self.assertEqual(sw.flatten({"seed": 3, "a": {"b": 1.5, "c": {"d": 2}}, "s": "x"}),
                         {"a.b": 1.5, "a.c.d": 2})


def ipv4(proto, payload, src=b"\x0a\0\0\x01", dst=b"\x0a\0\0\x02"):
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 0, 0, 64, proto, 0,
                       src, dst) + payload


def udp(sport, dport, payload):
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


class Probes(unittest.TestCase):
    def test_counts_only_probes(self):
        icmp = struct.pack("!BBHHHQ", 8, 0, 0, 0x5501, 7, 123)
        probe = ipv4(17, udp(49201, 434, b"\x04\x04\0\0" + ipv4(1, icmp)))
        reply = b"\0" + icmp[1:]  # echo reply: type 0
        answer = ipv4(17, udp(434, 49201, b"\x04\x04\0\0" + ipv4(1, reply)))
        other_ping = ipv4(17, udp(49201, 434, b"\x04\x04\0\0" + ipv4(
            1, struct.pack("!BBHHHQ", 8, 0, 0, 0x1234, 1, 0))))
        data = ipv4(17, udp(49201, 434, b"\x04\x04\0\0" + ipv4(17, udp(1, 2, b"x" * 100))))
        reg = ipv4(17, udp(49201, 434, b"\x01" + b"\0" * 60))
        recs = b""
        for p in (probe, data, answer, reg, other_ping):
            cut = p[:64]  # --snaplen 64: the record keeps the full length
            recs += struct.pack("<IIII", 0, 0, len(cut), len(p)) + cut
        hdr = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 64, 101)
        with tempfile.NamedTemporaryFile(suffix=".pcap") as f:
            f.write(hdr + recs)
            f.flush()
            self.assertEqual(sw.probe_traffic(f.name), (2, len(probe) + len(answer)))
            self.assertEqual(len(probe), 68)
            f.seek(0)
            f.write(b"junk")
            f.flush()
            with self.assertRaises(ValueError):
                sw.probe_traffic(f.name)


class CommandLine(unittest.TestCase):
    def test_usage_errors_exit_2(self):
        for argv in (["run"], ["frobnicate"], ["collect", "/nonexistent"],
                     ["task", "/nonexistent", "x"], ["run", "/nonexistent.ini"],
                     ["run", "a.ini", "--engine", "condor"], ["plot", "/nonexistent", "--x"]):
            err = io.StringIO()
            with redirect_stderr(err):
                self.assertEqual(sw.main(["um3n-sweep", *argv]), 2, argv)
            self.assertEqual(len(err.getvalue().strip().splitlines()), 1, argv)


if __name__ == "__main__":
    sys.exit(unittest.main())
