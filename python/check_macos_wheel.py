"""Checks that a repaired macOS wheel needs nothing outside itself.

Usage: python check_macos_wheel.py WHEEL
Prints JSON: {"platformTags": [...], "bundled": [...], "violations": [...],
"dependencies": {file: [install names]}, "minos": {file: version},
"archs": {file: [arch]}} (archs as Apple names them: arm64, x86_64).
Every LC_LOAD_DYLIB of every Mach-O file must resolve inside the wheel
(@loader_path, @rpath through the file's LC_RPATHs) or be a system library
(/usr/lib, /System). Reads Mach-O with macholib (delocate's dependency), so it
runs on Linux too.
"""
import json
import os
import sys
import tempfile
import zipfile

from macholib.mach_o import CPU_TYPE_NAMES, LC_BUILD_VERSION, LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB, LC_RPATH, LC_VERSION_MIN_MACOSX
from macholib.MachO import MachO

LOADS = (LC_LOAD_DYLIB, LC_LOAD_WEAK_DYLIB, LC_REEXPORT_DYLIB)
SYSTEM = ("/usr/lib/", "/System/")
# macholib's CPU type names that differ from Apple's arch names (lipo, -arch).
APPLE_ARCHS = {"ARM64": "arm64", "PowerPC": "ppc", "PowerPC64": "ppc64"}


def version(packed):
    return f"{packed >> 16}.{(packed >> 8) & 0xFF}"


def read(path):
    """Install names, rpaths, minimum macOS and archs of a Mach-O file, or None."""
    try:
        macho = MachO(path)
    except Exception:
        return None
    loads, rpaths, minos, archs = [], [], None, []
    for header in macho.headers:
        name = CPU_TYPE_NAMES.get(header.header.cputype, str(header.header.cputype))
        archs.append(APPLE_ARCHS.get(name, name))
        for command, data, payload in header.commands:
            if command.cmd in LOADS:
                loads.append(payload.rstrip(b"\0").decode())
            elif command.cmd == LC_RPATH:
                rpaths.append(payload.rstrip(b"\0").decode())
            elif command.cmd == LC_BUILD_VERSION:
                minos = version(data.minos)
            elif command.cmd == LC_VERSION_MIN_MACOSX:
                minos = version(data.version)
    return sorted(set(loads)), sorted(set(rpaths)), minos, sorted(set(archs))


def resolve(name, origin, rpaths):
    if name.startswith("@loader_path/") or name.startswith("@executable_path/"):
        return [os.path.normpath(os.path.join(origin, name.split("/", 1)[1]))]
    if name.startswith("@rpath/"):
        bases = [r.replace("@loader_path", origin).replace("@executable_path", origin) for r in rpaths]
        return [os.path.normpath(os.path.join(base, name[len("@rpath/"):])) for base in bases]
    return [name]


def main(wheel):
    with tempfile.TemporaryDirectory() as root, zipfile.ZipFile(wheel) as archive:
        archive.extractall(root)
        names = archive.namelist()
        wheel_file = next(n for n in names if n.endswith(".dist-info/WHEEL"))
        tags = [l.split(":", 1)[1].strip() for l in archive.read(wheel_file).decode().splitlines() if l.startswith("Tag:")]
        report = {"platformTags": sorted({t.split("-")[2] for t in tags}), "bundled": [], "violations": [], "dependencies": {}, "minos": {}, "archs": {}}
        for name in names:
            path = os.path.join(root, name)
            if name.endswith("/") or not os.path.isfile(path):
                continue
            info = read(path)
            if info is None:
                continue
            loads, rpaths, minos, archs = info
            report["dependencies"][name] = loads
            report["minos"][name] = minos
            report["archs"][name] = archs
            if name.endswith(".dylib"):
                report["bundled"].append(os.path.basename(name))
            for load in loads:
                if load.startswith(SYSTEM):
                    continue
                candidates = resolve(load, os.path.dirname(path), rpaths)
                inside = any(os.path.exists(c) and os.path.realpath(c).startswith(os.path.realpath(root)) for c in candidates)
                if not inside:
                    report["violations"].append({"file": name, "needed": load})
        report["bundled"].sort()
        print(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1])
