"""emu/: the emulation testbeds of um3n. A package only so that the testbeds
import their shared library as emu.lib (see emu/lib/__init__.py)."""
